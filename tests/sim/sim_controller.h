// The controller state machines on top of the simulated Raft cores: each
// node runs the real cluster::Controller over its RaftCore (SimController is
// its MetadataProposer), the batches every leader proposes kept in memory
// (ProposedBatches), and the image each node reaches at each committed
// offset compared with every other node's (CommittedImages). Applying a
// committed batch also checks what the controller promises of the records
// it writes, which a leader validating against a stale image would break.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cluster/broker_config.h"
#include "cluster/controller.h"
#include "cluster/metadata_proposer.h"
#include "raft/raft_core.h"

namespace freshet::sim {

using cluster::MetadataRecord;

// What broke, as the simulator reports it.
struct Failure {
  std::string what;
};

// The record batches leaders proposed, by (base offset, epoch): one leader
// per epoch writes each offset once, so the pair names one batch on every
// log that holds it.
class ProposedBatches {
 public:
  void add(int64_t base_offset, int32_t epoch, std::vector<MetadataRecord> records);
  // nullptr: no batch starts there in that epoch (a LeaderChangeMessage).
  const std::vector<MetadataRecord>* find(int64_t base_offset, int32_t epoch) const;
  size_t size() const { return batches_.size(); }

 private:
  std::map<std::pair<int64_t, int32_t>, std::vector<MetadataRecord>> batches_;
};

// The image every node must have at each committed offset: the first node
// to reach an offset sets it, the others must match it byte for byte.
class CommittedImages {
 public:
  void check(raft::NodeId node, int64_t offset, const cluster::MetadataImage& image);

 private:
  std::map<int64_t, std::string> encoded_by_offset_;
};

class SimController final : public cluster::MetadataProposer {
 public:
  // Lives as long as `core` (a crash ends both); starts from an empty image.
  SimController(raft::RaftCore& core, ProposedBatches& batches, CommittedImages& images, uint64_t seed);

  // The image is the snapshot's, which ends at `end_offset`.
  void load_snapshot(int64_t end_offset, const std::vector<MetadataRecord>& records);
  // After each step of the core: applies the batches committed since the
  // last call (`log` is the node's whole log of epochs, from offset 0) and
  // tells the controller when leadership ended. Throws Failure.
  void after_step(const std::vector<int32_t>& log);
  // One admin operation as clients and brokers send them, drawn from `random`
  // (topic names from a small set, so that they collide).
  void random_operation(std::mt19937_64& random, int64_t now_ms);

  const cluster::MetadataImage& image() const { return *controller_.image(); }

  bool active() const override;
  bool leading() const override { return core_.role() == raft::Role::kLeader; }
  std::optional<int64_t> propose(const std::vector<MetadataRecord>& records, int64_t now_ms) override;
  int64_t applied_offset() const override { return applied_offset_; }
  int64_t log_end_offset() const override;

 private:
  // What the controller promises of `record` (at `offset`) given the
  // committed image before it. Throws Failure.
  void check_record(const MetadataRecord& record, int64_t offset, const cluster::MetadataImage& before) const;

  raft::RaftCore& core_;
  ProposedBatches& batches_;
  CommittedImages& images_;
  cluster::BrokerConfig config_;
  cluster::Controller controller_;
  int64_t applied_offset_ = 0;
  bool was_leading_ = false;
};

}  // namespace freshet::sim
