#include "raft/invariant.h"

#include <cstdio>
#include <cstdlib>

namespace freshet::raft {

void invariant_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "raft invariant violated at %s:%d: %s\n", file, line, condition);
  std::abort();
}

}  // namespace freshet::raft
