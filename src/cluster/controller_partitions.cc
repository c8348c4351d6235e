// Controller::alter_partition and the leader elections that follow a
// broker's fence and unfence, and unclean ones where a topic allows them:
// Kafka's ReplicationControlManager and PartitionChangeBuilder.
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "cluster/controller.h"
#include "cluster/topic_config.h"
#include "raft/invariant.h"

namespace freshet::cluster {

using protocol::ErrorCode;

namespace {

constexpr int32_t kNoLeader = -1;
constexpr int32_t kNoLeaderChange = -2;

bool contains(const std::vector<int32_t>& ids, int32_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

protocol::PartitionChangeRecord change_of(const TopicInfo& topic, const PartitionInfo& partition) {
  protocol::PartitionChangeRecord change;
  change.topic_id = topic.id;
  change.partition_id = partition.partition;
  change.leader = kNoLeaderChange;
  return change;
}

IsrChangeResult refused(ErrorCode error) { return {error, {}}; }

}  // namespace

std::vector<MetadataRecord> Controller::leadership_after_fence(int32_t broker_id) const {
  std::vector<MetadataRecord> records;
  auto may_lead = [&](int32_t id) {
    const BrokerInfo* broker = latest_->broker(id);
    return id != broker_id && broker && !broker->fenced;
  };
  for (const auto& [name, topic] : latest_->topics()) {
    for (const PartitionInfo& p : topic->partitions) {
      const bool member = contains(p.isr, broker_id);
      if (!member && p.leader != broker_id) continue;
      auto change = change_of(*topic, p);
      std::vector<int32_t> isr = p.isr;
      // The last member keeps its place: with no other replica in sync, only
      // it may lead again (unclean election aside).
      if (member && isr.size() > 1) {
        isr.erase(std::find(isr.begin(), isr.end(), broker_id));
        change.isr = isr;
      }
      if (p.leader == broker_id) {
        auto next = std::find_if(p.replicas.begin(), p.replicas.end(),
                                 [&](int32_t id) { return contains(isr, id) && may_lead(id); });
        change.leader = next == p.replicas.end() ? kNoLeader : *next;
      }
      if (!change.isr && change.leader == kNoLeaderChange) continue;
      records.emplace_back(std::move(change));
    }
  }
  return records;
}

std::vector<MetadataRecord> Controller::leadership_after_unfence(int32_t broker_id) const {
  std::vector<MetadataRecord> records;
  for (const auto& [name, topic] : latest_->topics()) {
    for (const PartitionInfo& p : topic->partitions) {
      if (p.leader != kNoLeader || !contains(p.isr, broker_id)) continue;
      auto change = change_of(*topic, p);
      change.leader = broker_id;
      records.emplace_back(std::move(change));
    }
  }
  return records;
}

ErrorCode Controller::set_fenced(int32_t broker_id, int64_t broker_epoch, bool fenced) {
  const bool alone = !batch_;
  if (alone) begin_batch();
  MetadataRecord record = fenced ? MetadataRecord(protocol::FenceBrokerRecord{broker_id, broker_epoch})
                                 : MetadataRecord(protocol::UnfenceBrokerRecord{broker_id, broker_epoch});
  ErrorCode error = commit({record}).error;
  if (error == ErrorCode::None)
    error = commit(fenced ? leadership_after_fence(broker_id) : leadership_after_unfence(broker_id)).error;
  if (!alone) return error;
  const ErrorCode proposed = end_batch().error;
  return error != ErrorCode::None ? error : proposed;
}

bool Controller::unclean_election_enabled(const TopicInfo& topic) const {
  const TopicConfigDef* def = find_topic_config("unclean.leader.election.enable");
  return def && effective_topic_config(*def, topic.configs, config_).value == "true";
}

void Controller::elect_unclean_leaders() {
  if (!quorum_.active()) return;
  std::vector<MetadataRecord> records;
  for (const auto& [name, topic] : latest_->topics()) {
    std::optional<bool> enabled;  // looked up at the topic's first offline partition
    for (const PartitionInfo& p : topic->partitions) {
      if (p.leader != kNoLeader) continue;
      if (!enabled) enabled = unclean_election_enabled(*topic);
      if (!*enabled) break;
      auto next = std::find_if(p.replicas.begin(), p.replicas.end(), [&](int32_t id) {
        const BrokerInfo* broker = latest_->broker(id);
        return broker && !broker->fenced;
      });
      if (next == p.replicas.end()) continue;
      spdlog::warn("partition {}-{}: unclean leader election of broker {} (no member of ISR {} is live): "
                   "records only they had are lost",
                   topic->name, p.partition, *next, fmt::join(p.isr, ","));
      auto change = change_of(*topic, p);
      change.leader = *next;
      change.isr = std::vector<int32_t>{*next};
      records.emplace_back(std::move(change));
    }
  }
  if (records.empty()) return;
  begin_batch();
  commit(std::move(records));
  end_batch();
}

IsrChangeResult Controller::alter_partition(const IsrChangeRequest& request) {
  if (!quorum_.active()) return refused(ErrorCode::NotController);
  const BrokerInfo* broker = latest_->broker(request.broker_id);
  if (!broker || broker->epoch != request.broker_epoch) return refused(ErrorCode::StaleBrokerEpoch);
  const TopicInfo* topic = latest_->topic(request.topic_id);
  if (!topic) return refused(ErrorCode::UnknownTopicId);
  if (request.partition < 0 || static_cast<size_t>(request.partition) >= topic->partitions.size())
    return refused(ErrorCode::UnknownTopicOrPartition);
  const PartitionInfo& p = topic->partitions[request.partition];
  if (p.leader != request.broker_id) return refused(ErrorCode::NotLeaderOrFollower);
  if (request.leader_epoch < p.leader_epoch) return refused(ErrorCode::FencedLeaderEpoch);
  if (request.leader_epoch > p.leader_epoch || request.partition_epoch != p.partition_epoch)
    return refused(ErrorCode::InvalidUpdateVersion);
  if (!contains(request.new_isr, request.broker_id)) return refused(ErrorCode::InvalidRequest);
  for (int32_t id : request.new_isr) {
    const BrokerInfo* member = latest_->broker(id);
    const bool joining = !contains(p.isr, id);
    if (!contains(p.replicas, id) || !member || (joining && member->fenced)) return refused(ErrorCode::IneligibleReplica);
  }
  auto change = change_of(*topic, p);
  change.isr = request.new_isr;
  // `topic` and `p` are of the image the commit replaces.
  spdlog::info("partition {}-{}: ISR {} -> {} (leader {})", topic->name, request.partition, fmt::join(p.isr, ","),
               fmt::join(request.new_isr, ","), request.broker_id);
  if (auto result = commit({change}); result.error != ErrorCode::None) return refused(result.error);
  const PartitionInfo& after = latest_->topic(request.topic_id)->partitions[request.partition];
  RAFT_ASSERT(after.partition_epoch == request.partition_epoch + 1);
  return {ErrorCode::None, after};
}

}  // namespace freshet::cluster
