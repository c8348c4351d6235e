// The Raft core's invariants hold in every build, Release included: a
// violated one aborts with its place rather than let a broken quorum go on
// (TigerBeetle's habit). RAFT_ASSERT states one.
#pragma once

namespace freshet::raft {

[[noreturn]] void invariant_failed(const char* condition, const char* file, int line);

}  // namespace freshet::raft

#define RAFT_ASSERT(condition) \
  ((condition) ? void(0) : ::freshet::raft::invariant_failed(#condition, __FILE__, __LINE__))
