// The replication state's invariants hold in every build, Release included:
// a violated one aborts with its place rather than let a partition expose
// or drop records wrongly (TigerBeetle's habit). REPLICATION_ASSERT states one.
#pragma once

namespace freshet::replication {

[[noreturn]] void invariant_failed(const char* condition, const char* file, int line);

}  // namespace freshet::replication

#define REPLICATION_ASSERT(condition) \
  ((condition) ? void(0) : ::freshet::replication::invariant_failed(#condition, __FILE__, __LINE__))
