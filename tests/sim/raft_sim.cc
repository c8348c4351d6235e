// The deterministic simulator for raft/: V voting RaftCores and O observers
// (broker-only nodes that follow the log) on a simulated network and clock,
// driven through a seeded schedule; every node runs the real controller
// (cluster::Controller) on its core, leaders taking admin operations all
// along (sim_controller.h). During the fault phase
// messages are delayed (up to 100 ms), dropped, duplicated and reordered,
// the network is cut into random sides and nodes crash and restart from
// what they persisted (the quorum state, the log as far as it was synced,
// and their snapshots); leaders take client entries all along, and every
// node snapshots its committed log every few entries and lets its log start
// at the snapshot before, so that a node down long enough catches up by
// fetching a snapshot, in chunks; a leader that stops resigns first half the
// time (EndQuorumEpoch, as at a controlled shutdown); leaders also change the voters now and
// then (KIP-853: add an observer that keeps up, or remove a voter, itself
// included), so that any node may vote at some time; then the faults stop.
// Checked after every step: at most one leader per epoch ever, at most one
// vote per voter and epoch, log matching (two logs with the same entry at an
// offset agree up to it), committed entries never change and every new
// leader holds them all, no node's high watermark beyond what is committed,
// every snapshot (taken or fetched) holds exactly the committed entries it
// covers, no observer ever stands, every core's voters the latest voter set
// its log holds, logs that agree on an entry agree on the voter changes up
// to it; every node's metadata image at
// a committed offset is the one every other node has there, and each
// committed record is what its controller promises (no topic created
// twice, no producer id handed out twice, broker epochs their offsets...);
// at the end, one leader all live nodes (observers too) follow, with its
// log, all of it committed (liveness once faults stop).
//
//   freshet_raft_sim [--seeds N] [--first-seed S] [--nodes V] [--observers O]
//
// A failing seed is printed with what broke; `--first-seed S --seeds 1`
// replays it exactly.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "raft/raft_core.h"
#include "sim_controller.h"

namespace {

using namespace freshet::raft;
using freshet::sim::Failure;
using freshet::sim::MetadataRecord;
using freshet::sim::SimController;

constexpr int64_t kTickMs = 10;
constexpr int64_t kFaultPhaseMs = 20000;
constexpr int64_t kCalmPhaseMs = 15000;
constexpr int64_t kMaxDelayMs = 100;
constexpr int64_t kMaxFlushDelayMs = 30;
constexpr int64_t kSnapshotEveryEntries = 8;
constexpr int64_t kMaxSnapshotChunkBytes = 8;  // a snapshot "byte" here is one entry
constexpr double kVoterChangeChance = 0.004;    // per tick: a leader asked to change the voters

class Simulation {
 public:
  int64_t snapshots_installed = 0;  // fetched whole by a follower

  Simulation(uint64_t seed, int voters, int observers) : random_(seed) {
    RaftConfig config;
    for (int i = 0; i < voters + observers; ++i) ids_.push_back(i + 1);
    voter_ids_.assign(ids_.begin(), ids_.begin() + voters);
    nodes_.resize(ids_.size());
    config_ = config;
    for (size_t i = 0; i < nodes_.size(); ++i) start(i);
    sides_.assign(nodes_.size(), 0);
  }

  void run() {
    for (now_ = 0; now_ < kFaultPhaseMs + kCalmPhaseMs; now_ += kTickMs) {
      const bool faults = now_ < kFaultPhaseMs;
      if (faults) inject_faults();
      else heal();
      deliver_due();
      flush_due();
      // Admin operations, to one of those who think they lead, until shortly before the end.
      if (now_ < kFaultPhaseMs + kCalmPhaseMs / 2 && chance(0.03)) {
        std::vector<size_t> leaders;
        for (size_t i = 0; i < nodes_.size(); ++i)
          if (nodes_[i].core && nodes_[i].core->role() == Role::kLeader) leaders.push_back(i);
        if (!leaders.empty()) {
          const size_t i = leaders[random_() % leaders.size()];
          nodes_[i].controller->random_operation(random_, now_);
          drain(i);
        }
      }
      if (faults && chance(kVoterChangeChance)) change_voters();
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (!nodes_[i].core) continue;
        nodes_[i].core->tick(now_);
        drain(i);
        take_snapshot_if_due(i);
      }
    }
    check_liveness();
  }
  size_t batches_proposed() const { return batches_.size(); }
  int64_t voter_changes = 0;  // appended by a leader

 private:
  // A snapshot as the sim keeps it: the entries it covers ("bytes"), and
  // the metadata image there.
  using SnapshotContent = std::vector<int32_t>;
  using Image = std::shared_ptr<const std::vector<MetadataRecord>>;
  struct Snapshot {
    SnapshotId id;
    SnapshotContent entries;
    Image image;
    VoterChanges changes;  // those of `entries`
  };
  struct Node {
    std::optional<RaftCore> core;
    std::unique_ptr<SimController> controller;  // over `core`
    QuorumState disk;               // the quorum-state file: written before anything is sent
    // The log from offset 0 (below the log start: what the snapshots cover).
    std::vector<int32_t> written;   // as written (page cache)
    std::vector<int32_t> durable;   // what a crash leaves of it
    VoterChanges written_changes;   // the entries of `written` that set the voters
    VoterChanges durable_changes;   // and of `durable`
    int64_t flush_at_ms = -1;       // when `written` becomes durable (-1: nothing to sync)
    int64_t restart_at_ms = -1;
    SnapshotId log_start;                               // durable, like the snapshots
    std::map<int64_t, Snapshot> snapshots;  // by end offset
    std::optional<Snapshot> partial;        // being fetched (lost in a crash)
  };
  struct InFlight {
    int64_t deliver_at_ms;
    uint64_t sequence;
    size_t from, to;
    Message message;
    SnapshotContent chunk;  // a FetchSnapshot answer's bytes
    Image image;            // and the image of its snapshot
    VoterChanges changes;   // and its voter changes
    bool operator>(const InFlight& other) const {
      return deliver_at_ms != other.deliver_at_ms ? deliver_at_ms > other.deliver_at_ms : sequence > other.sequence;
    }
  };

  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }
  size_t index_of(NodeId id) const { return static_cast<size_t>(id - 1); }

  // The voters after the entries below `offset` of a log with `changes`.
  VoterSet voters_at(const VoterChanges& changes, int64_t offset) const {
    const auto after = changes.lower_bound(offset);
    return after == changes.begin() ? voter_ids_ : std::prev(after)->second;
  }

  void start(size_t i) {
    Node& node = nodes_[i];
    node.written = node.durable;
    node.written_changes = node.durable_changes;
    node.flush_at_ms = -1;
    node.partial.reset();
    StoredLog stored;
    stored.start = node.log_start;
    stored.entries.assign(node.durable.begin() + node.log_start.end_offset, node.durable.end());
    if (!node.snapshots.empty()) stored.latest_snapshot = node.snapshots.rbegin()->second.id;
    stored.voter_changes.insert(node.durable_changes.lower_bound(node.log_start.end_offset), node.durable_changes.end());
    node.core.emplace(ids_[i], voters_at(node.durable_changes, node.log_start.end_offset), config_, node.disk,
                      std::move(stored), random_(), now_);
    node.controller = std::make_unique<SimController>(*node.core, batches_, images_, random_());
    if (!node.snapshots.empty()) {
      const Snapshot& latest = node.snapshots.rbegin()->second;
      guarded([&] { node.controller->load_snapshot(latest.id.end_offset, *latest.image); });
    }
    node.restart_at_ms = -1;
  }

  // Whether `content` is what was committed below its end, ending in `id`'s epoch.
  void check_snapshot(size_t i, SnapshotId id, const SnapshotContent& content) {
    if (static_cast<int64_t>(content.size()) != id.end_offset || content.empty() || content.back() != id.epoch ||
        content.size() > committed_.size() || !std::equal(content.begin(), content.end(), committed_.begin()))
      fail("node " + std::to_string(ids_[i]) + " holds a snapshot to " + std::to_string(id.end_offset) +
           " unlike what is committed");
  }

  // A snapshot of the committed, durable log every few entries, when the
  // image is at its end; the log then starts at the one before.
  void take_snapshot_if_due(size_t i) {
    Node& node = nodes_[i];
    RaftCore& core = *node.core;
    const int64_t end = std::min(core.high_watermark(), core.durable_end_offset());
    if (end - core.latest_snapshot().end_offset < kSnapshotEveryEntries || node.controller->applied_offset() != end) return;
    const SnapshotId id{end, node.written[static_cast<size_t>(end - 1)]};
    SnapshotContent content(node.written.begin(), node.written.begin() + end);
    check_snapshot(i, id, content);
    core.snapshot_taken(id);
    if (!node.snapshots.empty()) {
      const SnapshotId previous = node.snapshots.rbegin()->second.id;
      core.advance_log_start(previous);
      node.log_start = previous;
      std::erase_if(node.snapshots, [&](const auto& s) { return s.first < previous.end_offset; });
    }
    node.snapshots[id.end_offset] = {
        id, std::move(content), std::make_shared<std::vector<MetadataRecord>>(node.controller->image().records()),
        VoterChanges(node.written_changes.begin(), node.written_changes.lower_bound(end))};
  }

  // The FetchSnapshot answer's bytes: a chunk of the snapshot it names
  // (with that snapshot's image).
  // A fetch answer carries whole record batches, as MetadataQuorum reads
  // them from its log: the core's entries are cut back to the last proposal
  // batch that ends within them, or stretched to the end of the first one.
  void whole_batches(size_t i, Message& message) {
    auto* answer = std::get_if<FetchResponse>(&message);
    if (!answer || answer->entries.empty()) return;
    const std::vector<int32_t>& log = nodes_[i].written;
    const int64_t end = answer->base_offset + static_cast<int64_t>(answer->entries.size());
    int64_t cut = answer->base_offset;
    for (int64_t at = answer->base_offset; at < static_cast<int64_t>(log.size());) {
      const auto* batch = batches_.find(at, log[static_cast<size_t>(at)]);
      const int64_t next = at + (batch ? static_cast<int64_t>(batch->size()) : 1);
      if (next > end && cut > answer->base_offset) break;
      cut = std::min<int64_t>(next, static_cast<int64_t>(log.size()));
      if (next >= end) break;
      at = next;
    }
    answer->entries.assign(log.begin() + answer->base_offset, log.begin() + cut);
    answer->voter_changes.erase(answer->voter_changes.lower_bound(cut), answer->voter_changes.end());
  }

  Snapshot fill_snapshot_chunk(size_t i, Message& message) {
    auto* answer = std::get_if<FetchSnapshotResponse>(&message);
    if (!answer || !answer->snapshot) return {};
    const auto it = nodes_[i].snapshots.find(answer->snapshot->end_offset);
    if (it == nodes_[i].snapshots.end() || it->second.id != *answer->snapshot)
      fail("node " + std::to_string(ids_[i]) + " serves a snapshot it does not hold");
    const SnapshotContent& content = it->second.entries;
    const auto total = static_cast<int64_t>(content.size());
    if (answer->position >= total) {
      answer->snapshot.reset();
      return {};
    }
    const int64_t size = std::min<int64_t>(total - answer->position, 1 + static_cast<int64_t>(random_() % kMaxSnapshotChunkBytes));
    answer->chunk_bytes = size;
    answer->total_bytes = total;
    return {it->second.id, SnapshotContent(content.begin() + answer->position, content.begin() + answer->position + size),
            it->second.image, it->second.changes};
  }

  void write_snapshot_chunk(size_t i, const SnapshotWrite& write, const Snapshot& chunk) {
    Node& node = nodes_[i];
    if (write.position == 0) node.partial = Snapshot{write.snapshot, {}, chunk.image, chunk.changes};
    if (!node.partial || node.partial->id != write.snapshot ||
        static_cast<int64_t>(node.partial->entries.size()) != write.position)
      fail("node " + std::to_string(ids_[i]) + " writes a snapshot chunk out of order");
    node.partial->entries.insert(node.partial->entries.end(), chunk.entries.begin(), chunk.entries.end());
    if (!write.complete) return;
    check_snapshot(i, write.snapshot, node.partial->entries);
    // Installed durably: the log restarts empty after it, the image is the snapshot's.
    node.written = node.durable = node.partial->entries;
    node.written_changes = node.durable_changes = node.partial->changes;
    node.log_start = write.snapshot;
    node.core->snapshot_installed(voters_at(node.partial->changes, write.snapshot.end_offset), now_);
    guarded([&] { node.controller->load_snapshot(write.snapshot.end_offset, *node.partial->image); });
    node.snapshots = {{write.snapshot.end_offset, std::move(*node.partial)}};
    node.partial.reset();
    ++snapshots_installed;
  }

  // A leader is asked to add a node that is no voter or to remove a voter
  // (keeping at least one); it refuses unless the change is safe to make.
  void change_voters() {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!nodes_[i].core || nodes_[i].core->role() != Role::kLeader) continue;
      RaftCore& core = *nodes_[i].core;
      const VoterSet& voters = core.voters();
      const bool add = voters.size() < 2 || (voters.size() < ids_.size() && chance(0.5));
      std::vector<NodeId> candidates;
      for (NodeId id : ids_)
        if (std::binary_search(voters.begin(), voters.end(), id) != add) candidates.push_back(id);
      const NodeId id = candidates[random_() % candidates.size()];
      if (chance(0.1)) core.restate_voters(now_);  // the same voters, as a bootstrapped leader writes them
      else if (add) core.add_voter(id, now_);
      else core.remove_voter(id, now_);
      drain(i);
      return;
    }
  }

  void inject_faults() {
    if (chance(0.002)) {  // every ~5 s: new sides, or one network again
      for (auto& side : sides_) side = chance(0.5) ? static_cast<int>(random_() % 3) : 0;
    }
    for (size_t i = 0; i < nodes_.size(); ++i) {
      Node& node = nodes_[i];
      if (node.core && chance(0.0005)) {  // crash: what was persisted stays
        if (node.core->role() == Role::kLeader && chance(0.5)) {
          node.core->resign(now_);  // a controlled shutdown: EndQuorumEpoch first
          drain(i);
        }
        node.controller.reset();
        node.core.reset();
        node.restart_at_ms = now_ + 200 + static_cast<int64_t>(random_() % 3000);
        // Its connections reset: the nodes that hear of it (most) know it is gone.
        for (size_t j = 0; j < nodes_.size(); ++j) {
          if (j == i || !nodes_[j].core || !chance(0.7)) continue;
          nodes_[j].core->peer_lost(ids_[i], now_);
          drain(j);
        }
      } else if (!node.core && now_ >= node.restart_at_ms) {
        start(i);
      }
    }
  }

  void heal() {
    std::fill(sides_.begin(), sides_.end(), 0);
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (!nodes_[i].core) start(i);
  }

  // Carries out node i's actions; `chunk` is the snapshot chunk it just received, if any.
  void drain(size_t i, const Snapshot& chunk = {}) {
    Node& node = nodes_[i];
    Actions actions = node.core->take_actions();
    if (actions.persist) {
      const QuorumState& next = *actions.persist;
      if (next.voted_for != kNoNode) {
        auto [it, fresh] = votes_.try_emplace({next.epoch, ids_[i]}, next.voted_for);
        if (!fresh && it->second != next.voted_for)
          fail("node " + std::to_string(ids_[i]) + " voted twice in epoch " + std::to_string(next.epoch));
      }
      node.disk = next;
    }
    for (const SnapshotWrite& write : actions.snapshot_writes) write_snapshot_chunk(i, write, chunk);
    for (const LogWrite& write : actions.log_writes) {
      if (write.truncate_to) {
        node.written.resize(static_cast<size_t>(*write.truncate_to));
        node.written_changes.erase(node.written_changes.lower_bound(*write.truncate_to), node.written_changes.end());
      }
      if (write.entries.empty()) continue;
      node.written_changes.insert(write.voter_changes.begin(), write.voter_changes.end());
      if (write.source == WriteSource::kVoterChange) ++voter_changes;
      if (static_cast<size_t>(write.append_offset) != node.written.size())
        fail("node " + std::to_string(ids_[i]) + " appended at " + std::to_string(write.append_offset) +
             " to a log ending at " + std::to_string(node.written.size()));
      node.written.insert(node.written.end(), write.entries.begin(), write.entries.end());
    }
    if (!actions.log_writes.empty() && node.flush_at_ms < 0)
      node.flush_at_ms = now_ + 1 + static_cast<int64_t>(random_() % kMaxFlushDelayMs);
    check_logs(i);
    check_leader(i);
    guarded([&] { node.controller->after_step(node.written); });
    const bool faults = now_ < kFaultPhaseMs;
    for (auto& out : actions.send) {
      const size_t to = index_of(out.to);
      const Snapshot bytes = fill_snapshot_chunk(i, out.message);
      whole_batches(i, out.message);
      if (faults && (sides_[i] != sides_[to] || chance(0.05))) continue;  // cut or lost
      const int copies = faults && chance(0.02) ? 2 : 1;
      for (int c = 0; c < copies; ++c) {
        const int64_t delay = faults ? 1 + static_cast<int64_t>(random_() % kMaxDelayMs) : 1 + static_cast<int64_t>(random_() % 5);
        queue_.push({now_ + delay, next_sequence_++, i, to, out.message, bytes.entries, bytes.image, bytes.changes});
      }
    }
  }

  void flush_due() {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      Node& node = nodes_[i];
      if (!node.core || node.flush_at_ms < 0 || now_ < node.flush_at_ms) continue;
      node.durable = node.written;
      node.durable_changes = node.written_changes;
      node.flush_at_ms = -1;
      node.core->flushed(static_cast<int64_t>(node.durable.size()), now_);
      drain(i);
    }
  }

  // Log matching, committed entries, high watermarks (see the top).
  void check_logs(size_t i) {
    const RaftCore& core = *nodes_[i].core;
    const std::vector<int32_t>& log = nodes_[i].written;
    const auto start = static_cast<size_t>(core.log_start().end_offset);
    if (log.size() < start || !std::equal(log.begin() + static_cast<std::ptrdiff_t>(start), log.end(),
                                          core.log().begin(), core.log().end()))
      fail("node " + std::to_string(core.self()) + "'s core holds another log than it wrote");
    if (!std::is_sorted(log.begin(), log.end()))
      fail("node " + std::to_string(core.self()) + " has a log whose epochs go back");
    if (core.voters() != voters_at(nodes_[i].written_changes, static_cast<int64_t>(log.size())))
      fail("node " + std::to_string(core.self()) + " uses other voters than its log's latest voter set");
    for (const Node& other : nodes_) {
      if (!other.core || &other == &nodes_[i]) continue;
      const std::vector<int32_t>& theirs = other.written;
      const size_t common = std::min(log.size(), theirs.size());
      size_t first_difference = 0;
      while (first_difference < common && log[first_difference] == theirs[first_difference]) ++first_difference;
      for (size_t k = first_difference; k < common; ++k)
        if (log[k] == theirs[k])
          fail("logs of " + std::to_string(core.self()) + " and " + std::to_string(other.core->self()) +
               " agree at offset " + std::to_string(k) + " but not at " + std::to_string(first_difference));
      const auto agreed = static_cast<int64_t>(first_difference);
      if (!std::equal(nodes_[i].written_changes.begin(), nodes_[i].written_changes.lower_bound(agreed),
                      other.written_changes.begin(), other.written_changes.lower_bound(agreed)))
        fail("logs of " + std::to_string(core.self()) + " and " + std::to_string(other.core->self()) +
             " agree up to offset " + std::to_string(agreed) + " but not on the voter changes there");
    }
    const auto hw = static_cast<size_t>(core.high_watermark());
    if (core.role() == Role::kLeader && hw > committed_.size()) {
      if (!std::equal(committed_.begin(), committed_.end(), log.begin()))
        fail("leader " + std::to_string(core.self()) + " commits over a committed entry");
      committed_.assign(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(hw));
    }
    if (hw > committed_.size() || !std::equal(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(hw), committed_.begin()))
      fail("node " + std::to_string(core.self()) + " has high watermark " + std::to_string(hw) +
           " beyond or unlike what is committed (" + std::to_string(committed_.size()) + ")");
  }

  void deliver_due() {
    while (!queue_.empty() && queue_.top().deliver_at_ms <= now_) {
      InFlight next = queue_.top();
      queue_.pop();
      Node& node = nodes_[next.to];
      if (!node.core) continue;  // a crashed node drops what arrives
      node.core->receive(ids_[next.from], next.message, now_);
      drain(next.to, Snapshot{{}, next.chunk, next.image, next.changes});
    }
  }

  void check_leader(size_t i) {
    const RaftCore& core = *nodes_[i].core;
    // (A leader that removed itself leads on as an observer until that commits.)
    if (!core.may_stand() && (core.role() == Role::kProspective || core.role() == Role::kCandidate))
      fail("observer " + std::to_string(core.self()) + ", listed by no voter set of its log, is " + role_name(core.role()));
    if (core.role() != Role::kLeader) return;
    auto [it, fresh] = leaders_.try_emplace(core.epoch(), core.self());
    if (!fresh && it->second != core.self())
      fail("two leaders in epoch " + std::to_string(core.epoch()) + ": " + std::to_string(it->second) + " and " +
           std::to_string(core.self()));
    if (!fresh) return;
    // Leader completeness: every committed entry is in the new leader's log.
    const std::vector<int32_t>& log = nodes_[i].written;
    if (log.size() < committed_.size() || !std::equal(committed_.begin(), committed_.end(), log.begin()))
      fail("leader " + std::to_string(core.self()) + " of epoch " + std::to_string(core.epoch()) +
           " lacks committed entries (" + std::to_string(committed_.size()) + " committed, log of " +
           std::to_string(log.size()) + ")");
  }

  // Each node's state, for a liveness failure's message.
  std::string describe_nodes() const {
    std::string out;
    for (const Node& node : nodes_) {
      const RaftCore& core = *node.core;
      std::string voters;
      for (NodeId id : core.voters()) voters += (voters.empty() ? "" : ",") + std::to_string(id);
      out += "\n  node " + std::to_string(core.self()) + ": " + role_name(core.role()) + ", epoch " +
             std::to_string(core.epoch()) + ", leader " + std::to_string(core.leader()) + ", voted for " +
             std::to_string(core.quorum_state().voted_for) + ", voters {" + voters + "}, log of " +
             std::to_string(node.written.size()) + " to epoch " + std::to_string(core.log_end().last_epoch) +
             ", high watermark " + std::to_string(core.high_watermark());
    }
    return out;
  }

  void check_liveness() {
    std::optional<NodeId> leader;
    int32_t epoch = 0;
    for (const Node& node : nodes_) {
      if (node.core->role() == Role::kLeader) {
        if (leader) fail("two live leaders after the faults stopped");
        leader = node.core->self();
        epoch = node.core->epoch();
      }
    }
    if (!leader) fail("no leader " + std::to_string(kCalmPhaseMs) + " ms after the faults stopped:" + describe_nodes());
    const Node& lead = nodes_[index_of(*leader)];
    if (lead.core->high_watermark() != static_cast<int64_t>(lead.written.size()))
      fail("the leader's log is not all committed: high watermark " + std::to_string(lead.core->high_watermark()) +
           " of " + std::to_string(lead.written.size()));
    for (const Node& node : nodes_) {
      if (node.written != lead.written)
        fail("node " + std::to_string(node.core->self()) + " (" + role_name(node.core->role()) + ", epoch " +
             std::to_string(node.core->epoch()) + ", leader " + std::to_string(node.core->leader()) + ", durable to " +
             std::to_string(node.core->durable_end_offset()) + ", log from " +
             std::to_string(node.core->log_start().end_offset) + ") has a log of " +
             std::to_string(node.written.size()) + " entries, the leader " + std::to_string(lead.written.size()) +
             ":" + describe_nodes());
    }
    for (const Node& node : nodes_)
      if (node.core->epoch() != epoch || node.core->leader() != *leader)
        fail("node " + std::to_string(node.core->self()) + " (" + role_name(node.core->role()) + ", epoch " +
             std::to_string(node.core->epoch()) + ") does not follow leader " + std::to_string(*leader) +
             " of epoch " + std::to_string(epoch) + ":" + describe_nodes());
  }

  [[noreturn]] void fail(const std::string& what) { throw Failure{"at " + std::to_string(now_) + " ms: " + what}; }
  // Runs `step` of a controller, whose failures get the time too.
  template <typename Step>
  void guarded(Step step) {
    try {
      step();
    } catch (const Failure& f) {
      fail(f.what);
    }
  }

  std::mt19937_64 random_;
  RaftConfig config_;
  std::vector<NodeId> ids_;        // voters, then observers
  std::vector<NodeId> voter_ids_;
  std::vector<Node> nodes_;
  std::vector<int> sides_;  // nodes on the same side reach each other
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> queue_;
  uint64_t next_sequence_ = 0;
  int64_t now_ = 0;
  std::map<int32_t, NodeId> leaders_;                      // epoch -> its leader
  std::map<std::pair<int32_t, NodeId>, NodeId> votes_;     // (epoch, voter) -> candidate
  std::vector<int32_t> committed_;                          // the longest committed prefix seen
  freshet::sim::ProposedBatches batches_;
  freshet::sim::CommittedImages images_;
};

}  // namespace

// The schedule being run, for the replay line when a core's invariant aborts.
uint64_t running_seed = 0;
int running_voters = 0, running_observers = 0;

extern "C" void print_replay_on_abort(int) {
  std::fprintf(stderr, "raft sim: seed %llu aborted\n  replay: freshet_raft_sim --nodes %d --observers %d --first-seed %llu "
               "--seeds 1\n", static_cast<unsigned long long>(running_seed), running_voters, running_observers,
               static_cast<unsigned long long>(running_seed));
}

int main(int argc, char** argv) {
  uint64_t seeds = 1000, first = 1;
  int voters = 3, observers = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const uint64_t value = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--seeds") seeds = value;
    else if (flag == "--first-seed") first = value;
    else if (flag == "--nodes") voters = static_cast<int>(value);
    else if (flag == "--observers") observers = static_cast<int>(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::off);  // the controllers' log lines
  int64_t installed = 0, changed = 0;
  size_t proposed = 0;
  running_voters = voters;
  running_observers = observers;
  std::signal(SIGABRT, print_replay_on_abort);
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    running_seed = seed;
    try {
      Simulation simulation(seed, voters, observers);
      simulation.run();
      installed += simulation.snapshots_installed;
      proposed += simulation.batches_proposed();
      changed += simulation.voter_changes;
    } catch (const Failure& f) {
      std::fprintf(stderr, "raft sim: seed %llu (%d voters, %d observers) failed %s\n  replay: freshet_raft_sim "
                   "--nodes %d --observers %d --first-seed %llu --seeds 1\n",
                   static_cast<unsigned long long>(seed), voters, observers, f.what.c_str(), voters, observers,
                   static_cast<unsigned long long>(seed));
      return 1;
    }
  }
  std::printf("raft sim: %llu schedules of %d voters and %d observers passed (seeds %llu-%llu; %zu metadata batches "
              "proposed, %lld snapshots fetched by followers, %lld voter changes)\n",
              static_cast<unsigned long long>(seeds), voters, observers, static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(first + seeds - 1), proposed, static_cast<long long>(installed),
              static_cast<long long>(changed));
  return 0;
}
