// What the controller needs of the metadata quorum: to know whether it may
// write, and to propose record batches. MetadataQuorum is the real one; the
// deterministic simulator (tests/sim) has its own over an in-memory log.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cluster/metadata_image.h"
#include "raft/raft_core.h"

namespace freshet::cluster {

class MetadataProposer {
 public:
  virtual ~MetadataProposer() = default;

  // This node leads and has applied every record committed before its own
  // epoch began: its image holds all history, so operations may be
  // validated against it. A new leader is not active until its
  // epoch's first entry commits (raft::RaftCore::epoch_start_offset()).
  virtual bool active() const = 0;
  // This node leads (active or not yet).
  virtual bool leading() const = 0;
  // The leader appends `records` as one batch; returns the offset after it,
  // or nullopt when this node does not lead.
  virtual std::optional<int64_t> propose(const std::vector<MetadataRecord>& records, int64_t now_ms) = 0;
  // Every record below this offset was applied.
  virtual int64_t applied_offset() const = 0;
  // The offset the next proposal's first record gets.
  virtual int64_t log_end_offset() const = 0;
};

// What active() means for a node running `core` that applied every record
// below `applied_offset`.
inline bool active_leader(const raft::RaftCore& core, int64_t applied_offset) {
  return core.role() == raft::Role::kLeader && applied_offset > core.epoch_start_offset();
}

}  // namespace freshet::cluster
