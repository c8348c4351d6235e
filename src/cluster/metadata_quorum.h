// The controller quorum's driver on one node: it runs the Raft core over the
// metadata log. It persists the quorum state before anything is sent (a vote
// or an epoch is never promised and then forgotten), writes the core's log
// writes (the leader's LeaderChangeMessage, its proposals, batches fetched
// from the leader), syncs them and reports the durable end back, attaches
// the batches to the fetch answers it sends, and hands every newly committed
// metadata record (below the high watermark) to `committed`, in log order,
// once. It snapshots the image every
// metadata.log.max.record.bytes.between.snapshots bytes of committed batches
// (or metadata.log.max.snapshot.interval.ms), and lets the log start at the
// snapshot before (so a voter a little behind still catches up from the
// log); it serves its latest snapshot to a follower below its log start, and
// installs the one it fetched itself. Time and the network are the caller's:
// it ticks, delivers messages and sends what `send` gets; `now_ms` is a
// monotonic clock's.
// A dynamic quorum's voters (KIP-853) are the log's: those of its latest
// VotersRecord, or of the snapshot it starts at, or of the bootstrap
// checkpoint before its first entry, which the first leader then writes into
// the log for the replicas that lack it.
// Single-threaded; the log's fsyncs happen inline (metadata changes are rare).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "cluster/metadata_log.h"
#include "cluster/metadata_proposer.h"
#include "cluster/quorum_state_file.h"
#include "cluster/snapshot_store.h"
#include "raft/raft_core.h"

namespace freshet::cluster {

struct QuorumOptions {
  raft::NodeId self = 1;
  std::vector<raft::NodeId> voters;  // static (controller.quorum.voters): includes `self`
  // A dynamic quorum (controller.quorum.bootstrap.servers): `voters` is
  // unused; the VotersRecords carry endpoints on this controller listener.
  bool dynamic_voters = false;
  std::string listener;
  raft::RaftConfig raft;
  uint64_t seed = 0;                 // the core's randomized timeouts
  int64_t snapshot_max_record_bytes = 20 << 20;  // metadata.log.max.record.bytes.between.snapshots
  int64_t snapshot_max_interval_ms = 3600000;    // metadata.log.max.snapshot.interval.ms (0: never by age)
};

// One message for another voter; a fetch answer carries the batches its
// entries are (`records`, whole batches from its base offset), a
// FetchSnapshot answer its chunk.
struct QuorumMessage {
  raft::NodeId to;
  raft::Message message;
  protocol::Records records;
};

struct QuorumCallbacks {
  // Newly committed metadata records, in log order, once each.
  std::function<void(std::span<const MetadataRecord>)> committed;
  // The image is now what these records make from nothing (a snapshot
  // loaded at start or fetched from the leader); committed records follow
  // on from it.
  std::function<void(std::span<const MetadataRecord>)> loaded;
  // The image as of applied_offset(), as records (what a snapshot keeps).
  std::function<std::vector<MetadataRecord>()> image_records;
  std::function<void(QuorumMessage)> send;
  // This node stops leading (its uncommitted proposals may be lost).
  std::function<void()> resigned;
};

// Byte bound of the batches one fetch answer carries (at least one batch).
constexpr int32_t kMaxFetchAnswerBytes = 1 << 20;

class MetadataQuorum : public MetadataProposer {
 public:
  // Opens the metadata log, its snapshots and the quorum-state file in
  // `log_dir`. Nothing happens until start(). Throws storage::StorageError.
  MetadataQuorum(const std::filesystem::path& log_dir, const QuorumOptions& options, QuorumCallbacks callbacks,
                 int64_t now_ms);

  // Loads the latest snapshot (`loaded`), then ticks: a quorum of one elects
  // itself and commits its whole log here.
  void start(int64_t now_ms);
  void tick(int64_t now_ms);
  // A leader steps down at a controlled shutdown (EndQuorumEpoch to the voters).
  void resign(int64_t now_ms) {
    core_.resign(now_ms);
    drive(now_ms, {}, {});
  }
  // The connection to voter `peer` was reset or refused (raft::RaftCore::peer_lost).
  void peer_lost(raft::NodeId peer, int64_t now_ms) {
    core_.peer_lost(peer, now_ms);
    drive(now_ms, {}, {});
  }
  // A message from voter `from`; `records` holds a fetch answer's batches
  // or a FetchSnapshot answer's chunk.
  void receive(raft::NodeId from, const raft::Message& message, std::span<const uint8_t> records, int64_t now_ms);
  // The leader appends `records` as one batch; returns the offset after it,
  // or nullopt when this node is not the leader. The batch is committed (and
  // handed to `committed`) once a majority holds it; a quorum of one commits
  // it before this returns.
  std::optional<int64_t> propose(const std::vector<MetadataRecord>& records, int64_t now_ms) override;
  bool leading() const override { return core_.role() == raft::Role::kLeader; }
  // A dynamic quorum's leader adds `voter` (an observer that keeps up with
  // the log) or removes voter `id` (KIP-853's AddRaftVoter, RemoveRaftVoter):
  // the core's answer; when it took the change, `*offset` is where its
  // VotersRecord is, committed once applied past it.
  raft::VoterChangeRefusal add_voter(const QuorumVoter& voter, int64_t now_ms, int64_t* offset);
  raft::VoterChangeRefusal remove_voter(raft::NodeId id, int64_t now_ms, int64_t* offset);
  bool active() const override { return active_leader(core_, applied_offset_); }

  // done(true) once every record below `offset` was applied;
  // done(false) if this node stops leading first (what it proposed may then
  // never commit). Runs at once when already applied.
  void when_applied(int64_t offset, std::function<void(bool)> done);
  // Whether this node has applied all the leader has committed, as far as it
  // knows: a leader is known and its high watermark reached.
  bool caught_up() const {
    return core_.leader() != raft::kNoNode && core_.high_watermark() > 0 && applied_offset_ >= core_.high_watermark();
  }

  const raft::RaftCore& core() const { return core_; }
  // A dynamic quorum's voters now, with their endpoints (the latest voter
  // set of the log); empty for a static one, or while none is known.
  const std::vector<QuorumVoter>& voter_endpoints() const {
    return voter_changes_.empty() ? start_voters_ : voter_changes_.rbegin()->second;
  }
  // Every record below this offset was applied (handed to `committed`, or in
  // the snapshot `loaded`).
  int64_t applied_offset() const override { return applied_offset_; }
  int64_t log_end_offset() const override { return log_->end_offset(); }
  void close() { log_->close(); }

 private:
  // Carries out the core's actions until it has none left; `fetched` are the
  // batches of the fetch answer just received, `proposal` the batch just
  // proposed.
  void drive(int64_t now_ms, std::span<const uint8_t> fetched, std::span<uint8_t> proposal);
  void write(const raft::LogWrite& write, std::span<const uint8_t> fetched, std::span<uint8_t> proposal, int64_t now_ms);
  // A chunk of the snapshot being fetched; the whole snapshot is installed.
  void write_snapshot(const raft::SnapshotWrite& write, std::span<const uint8_t> chunk, int64_t now_ms);
  void send(raft::Outbound out);
  void apply_committed();
  void snapshot_if_due(int64_t now_ms);
  // What the log dir holds, as the core starts from it: the log from its
  // oldest snapshot on, and the latest snapshot (and a dynamic quorum's
  // voters there).
  raft::StoredLog stored_log();
  raft::RaftCore open_core(int64_t now_ms);
  // A dynamic quorum's voters after the entries below `offset`.
  std::vector<QuorumVoter> voters_at(int64_t offset) const;
  // Dynamic: the new leader of a log whose voters are only the bootstrap
  // checkpoint's writes them into the log.
  bool needs_voters_restated() const;
  // Completes the waiters the applied offset reached, or all of them
  // (unsuccessfully) once this node no longer leads.
  void notify_waiters();

  QuorumOptions options_;
  QuorumStateFile state_file_;
  SnapshotStore snapshots_;
  std::unique_ptr<MetadataLog> log_;
  QuorumCallbacks callbacks_;
  // Dynamic: the voters at the log start and the log's VotersRecords (kept
  // in step with the core's VoterChanges); those of the fetch answer being
  // handled.
  std::vector<QuorumVoter> start_voters_;
  VoterEndpointChanges voter_changes_;
  VoterEndpointChanges fetched_voters_;
  std::optional<QuorumVoter> adding_;  // the voter add_voter() is adding: its endpoint for the VotersRecord
  raft::RaftCore core_;
  int64_t applied_offset_ = 0;
  int64_t bytes_since_snapshot_ = 0;  // of committed batches applied since the latest snapshot
  int64_t last_snapshot_ms_;
  bool leading_ = false;
  std::multimap<int64_t, std::function<void(bool)>> waiters_;  // by offset
};

// The Raft entries (one epoch per offset) that fetched batches hold, when
// they continue a log at `base_offset` without gaps; nullopt when they do
// not (a malformed or stale answer, which the core then never sees).
std::optional<std::vector<int32_t>> fetched_entries(std::span<const uint8_t> batches, int64_t base_offset);

}  // namespace freshet::cluster
