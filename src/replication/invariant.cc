#include "replication/invariant.h"

#include <cstdio>
#include <cstdlib>

namespace freshet::replication {

void invariant_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "replication invariant violated at %s:%d: %s\n", file, line, condition);
  std::abort();
}

}  // namespace freshet::replication
