// The contract every fuzz target in tests/fuzz/ implements.
//
// LLVMFuzzerTestOneInput() feeds one input to one decoder family. The
// invariant it checks: any input either decodes or is rejected the way the
// project rejects bad input (protocol::DecodeError, or an error result); any
// other exception escapes and aborts, and crashes, hangs, out-of-bounds reads
// and runaway allocations are caught by the sanitizers / the driver.
//
// fuzz_seeds() lists valid inputs built in-process from the project's own
// encoders; the portable driver (fuzz_driver.cc) mutates them, and writes
// them out as a starting corpus for libFuzzer (--write-seeds DIR).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace freshet::fuzz {

using Input = std::vector<uint8_t>;

// Appends the target's seed inputs to `out`.
void fuzz_seeds(std::vector<Input>& out);

// Appends `part` to `out`.
inline void append_bytes(Input& out, const Input& part) { out.insert(out.end(), part.begin(), part.end()); }

// A property a decoder must keep on every input it accepts; a violation is
// reported like a crash.
[[noreturn]] inline void check_failed(const char* condition, const char* file, int line) {
  fprintf(stderr, "fuzz: check failed at %s:%d: %s\n", file, line, condition);
  abort();
}
#define FUZZ_CHECK(condition) \
  ((condition) ? void(0) : ::freshet::fuzz::check_failed(#condition, __FILE__, __LINE__))

}  // namespace freshet::fuzz
