// Deterministic structure-blind mutations for the portable fuzz driver: the
// same (seed, corpus) always yields the same sequence of inputs, so a failure
// found by `--mutate N --seed S` is reproduced by running that command again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_target.h"

namespace freshet::fuzz {

class Mutator {
 public:
  // Inputs never grow beyond `max_size_bytes`.
  Mutator(uint64_t seed, size_t max_size_bytes) : state_(seed), max_size_bytes_(max_size_bytes) {}

  // A copy of `input` with one to eight mutations stacked: bit flips, byte
  // sets, interesting 16/32-bit big-endian values and varints, arithmetic,
  // truncations, erasures, insertions, duplications and splices with another
  // input of `corpus`.
  Input mutate(const Input& input, std::span<const Input> corpus);

  // A uniformly random value below `n` (n > 0).
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  uint64_t next();  // splitmix64

 private:
  void mutate_once(Input& data, std::span<const Input> corpus);

  uint64_t state_;
  size_t max_size_bytes_;
};

}  // namespace freshet::fuzz
