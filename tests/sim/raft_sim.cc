// The deterministic simulator for raft/: N RaftCores on a simulated network
// and clock, driven through a seeded schedule. During the fault phase
// messages are delayed (up to 100 ms), dropped, duplicated and reordered,
// the network is cut into random sides and nodes crash and restart from
// what they persisted (the quorum state, and the log as far as it was
// synced); leaders take client entries all along; then the faults stop.
// Checked after every step: at most one leader per epoch ever, at most one
// vote per voter and epoch, log matching (two logs with the same entry at an
// offset agree up to it), committed entries never change and every new
// leader holds them all, no node's high watermark beyond what is committed;
// at the end, one leader all live nodes follow, with its log, all of it
// committed (liveness once faults stop).
//
//   freshet_raft_sim [--seeds N] [--first-seed S] [--nodes V]
//
// A failing seed is printed with what broke; `--first-seed S --seeds 1`
// replays it exactly.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "raft/raft_core.h"

namespace {

using namespace freshet::raft;

constexpr int64_t kTickMs = 10;
constexpr int64_t kFaultPhaseMs = 20000;
constexpr int64_t kCalmPhaseMs = 15000;
constexpr int64_t kMaxDelayMs = 100;
constexpr int64_t kMaxFlushDelayMs = 30;

struct Failure {
  std::string what;
};

class Simulation {
 public:
  Simulation(uint64_t seed, int voters) : random_(seed) {
    RaftConfig config;
    for (int i = 0; i < voters; ++i) ids_.push_back(i + 1);
    nodes_.resize(static_cast<size_t>(voters));
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
      // Client entries, to whoever thinks it leads, until shortly before the end.
      if (now_ < kFaultPhaseMs + kCalmPhaseMs / 2 && chance(0.03)) {
        for (size_t i = 0; i < nodes_.size(); ++i) {
          if (nodes_[i].core && nodes_[i].core->propose(1 + static_cast<int>(random_() % 3))) {
            drain(i);
            break;
          }
        }
      }
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (!nodes_[i].core) continue;
        nodes_[i].core->tick(now_);
        drain(i);
      }
    }
    check_liveness();
  }

 private:
  struct Node {
    std::optional<RaftCore> core;
    QuorumState disk;               // the quorum-state file: written before anything is sent
    std::vector<int32_t> written;   // the log as written (page cache)
    std::vector<int32_t> durable;   // what a crash leaves of it
    int64_t flush_at_ms = -1;       // when `written` becomes durable (-1: nothing to sync)
    int64_t restart_at_ms = -1;
  };
  struct InFlight {
    int64_t deliver_at_ms;
    uint64_t sequence;
    size_t from, to;
    Message message;
    bool operator>(const InFlight& other) const {
      return deliver_at_ms != other.deliver_at_ms ? deliver_at_ms > other.deliver_at_ms : sequence > other.sequence;
    }
  };

  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }
  size_t index_of(NodeId id) const { return static_cast<size_t>(id - 1); }

  void start(size_t i) {
    nodes_[i].written = nodes_[i].durable;
    nodes_[i].flush_at_ms = -1;
    nodes_[i].core.emplace(ids_[i], ids_, config_, nodes_[i].disk, nodes_[i].durable, random_(), now_);
    nodes_[i].restart_at_ms = -1;
  }

  void inject_faults() {
    if (chance(0.002)) {  // every ~5 s: new sides, or one network again
      for (auto& side : sides_) side = chance(0.5) ? static_cast<int>(random_() % 3) : 0;
    }
    for (size_t i = 0; i < nodes_.size(); ++i) {
      Node& node = nodes_[i];
      if (node.core && chance(0.0005)) {  // crash: what was persisted stays
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

  void drain(size_t i) {
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
    for (const LogWrite& write : actions.log_writes) {
      if (write.truncate_to) node.written.resize(static_cast<size_t>(*write.truncate_to));
      if (write.entries.empty()) continue;
      if (static_cast<size_t>(write.append_offset) != node.written.size())
        fail("node " + std::to_string(ids_[i]) + " appended at " + std::to_string(write.append_offset) +
             " to a log ending at " + std::to_string(node.written.size()));
      node.written.insert(node.written.end(), write.entries.begin(), write.entries.end());
    }
    if (!actions.log_writes.empty() && node.flush_at_ms < 0)
      node.flush_at_ms = now_ + 1 + static_cast<int64_t>(random_() % kMaxFlushDelayMs);
    check_logs(i);
    check_leader(i);
    const bool faults = now_ < kFaultPhaseMs;
    for (auto& out : actions.send) {
      const size_t to = index_of(out.to);
      if (faults && (sides_[i] != sides_[to] || chance(0.05))) continue;  // cut or lost
      const int copies = faults && chance(0.02) ? 2 : 1;
      for (int c = 0; c < copies; ++c) {
        const int64_t delay = faults ? 1 + static_cast<int64_t>(random_() % kMaxDelayMs) : 1 + static_cast<int64_t>(random_() % 5);
        queue_.push({now_ + delay, next_sequence_++, i, to, out.message});
      }
    }
  }

  void flush_due() {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      Node& node = nodes_[i];
      if (!node.core || node.flush_at_ms < 0 || now_ < node.flush_at_ms) continue;
      node.durable = node.written;
      node.flush_at_ms = -1;
      node.core->flushed(static_cast<int64_t>(node.durable.size()), now_);
      drain(i);
    }
  }

  // Log matching, committed entries, high watermarks (see the top).
  void check_logs(size_t i) {
    const RaftCore& core = *nodes_[i].core;
    const std::vector<int32_t>& log = core.log();
    if (!std::is_sorted(log.begin(), log.end()))
      fail("node " + std::to_string(core.self()) + " has a log whose epochs go back");
    for (const Node& other : nodes_) {
      if (!other.core || &other == &nodes_[i]) continue;
      const std::vector<int32_t>& theirs = other.core->log();
      const size_t common = std::min(log.size(), theirs.size());
      size_t first_difference = 0;
      while (first_difference < common && log[first_difference] == theirs[first_difference]) ++first_difference;
      for (size_t k = first_difference; k < common; ++k)
        if (log[k] == theirs[k])
          fail("logs of " + std::to_string(core.self()) + " and " + std::to_string(other.core->self()) +
               " agree at offset " + std::to_string(k) + " but not at " + std::to_string(first_difference));
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
      drain(next.to);
    }
  }

  void check_leader(size_t i) {
    const RaftCore& core = *nodes_[i].core;
    if (core.role() != Role::kLeader) return;
    auto [it, fresh] = leaders_.try_emplace(core.epoch(), core.self());
    if (!fresh && it->second != core.self())
      fail("two leaders in epoch " + std::to_string(core.epoch()) + ": " + std::to_string(it->second) + " and " +
           std::to_string(core.self()));
    if (!fresh) return;
    // Leader completeness: every committed entry is in the new leader's log.
    const std::vector<int32_t>& log = core.log();
    if (log.size() < committed_.size() || !std::equal(committed_.begin(), committed_.end(), log.begin()))
      fail("leader " + std::to_string(core.self()) + " of epoch " + std::to_string(core.epoch()) +
           " lacks committed entries (" + std::to_string(committed_.size()) + " committed, log of " +
           std::to_string(log.size()) + ")");
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
    if (!leader) fail("no leader " + std::to_string(kCalmPhaseMs) + " ms after the faults stopped");
    const RaftCore& lead = *nodes_[index_of(*leader)].core;
    if (lead.high_watermark() != static_cast<int64_t>(lead.log().size()))
      fail("the leader's log is not all committed: high watermark " + std::to_string(lead.high_watermark()) +
           " of " + std::to_string(lead.log().size()));
    for (const Node& node : nodes_) {
      if (node.core->log() != lead.log())
        fail("node " + std::to_string(node.core->self()) + " has a log of " + std::to_string(node.core->log().size()) +
             " entries, the leader " + std::to_string(lead.log().size()));
    }
    for (const Node& node : nodes_)
      if (node.core->epoch() != epoch || node.core->leader() != *leader)
        fail("node " + std::to_string(node.core->self()) + " (" + role_name(node.core->role()) + ", epoch " +
             std::to_string(node.core->epoch()) + ") does not follow leader " + std::to_string(*leader) +
             " of epoch " + std::to_string(epoch));
  }

  [[noreturn]] void fail(const std::string& what) { throw Failure{"at " + std::to_string(now_) + " ms: " + what}; }

  std::mt19937_64 random_;
  RaftConfig config_;
  std::vector<NodeId> ids_;
  std::vector<Node> nodes_;
  std::vector<int> sides_;  // nodes on the same side reach each other
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> queue_;
  uint64_t next_sequence_ = 0;
  int64_t now_ = 0;
  std::map<int32_t, NodeId> leaders_;                      // epoch -> its leader
  std::map<std::pair<int32_t, NodeId>, NodeId> votes_;     // (epoch, voter) -> candidate
  std::vector<int32_t> committed_;                          // the longest committed prefix seen
};

}  // namespace

int main(int argc, char** argv) {
  uint64_t seeds = 1000, first = 1;
  int voters = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const uint64_t value = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--seeds") seeds = value;
    else if (flag == "--first-seed") first = value;
    else if (flag == "--nodes") voters = static_cast<int>(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  for (uint64_t seed = first; seed < first + seeds; ++seed) {
    try {
      Simulation(seed, voters).run();
    } catch (const Failure& f) {
      std::fprintf(stderr, "raft sim: seed %llu (%d voters) failed %s\n  replay: freshet_raft_sim --nodes %d "
                   "--first-seed %llu --seeds 1\n",
                   static_cast<unsigned long long>(seed), voters, f.what.c_str(), voters,
                   static_cast<unsigned long long>(seed));
      return 1;
    }
  }
  std::printf("raft sim: %llu schedules of %d voters passed (seeds %llu-%llu)\n", static_cast<unsigned long long>(seeds),
              voters, static_cast<unsigned long long>(first), static_cast<unsigned long long>(first + seeds - 1));
  return 0;
}
