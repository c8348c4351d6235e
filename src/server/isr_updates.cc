#include "server/isr_updates.h"

#include <spdlog/spdlog.h>

#include "cluster/clock.h"
#include "server/broker.h"
#include "server/controller_calls.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;

// How long a change whose answer was lost waits to be sent again.
constexpr int64_t kRetryBackoffMs = 100;

Partition::IsrAnswer answer_of(ErrorCode error) {
  switch (error) {
    case ErrorCode::None: return Partition::IsrAnswer::kCommitted;
    // The controller says the partition's epoch is current and the change
    // was not made (Kafka resets to the committed ISR on these too).
    case ErrorCode::IneligibleReplica:
    case ErrorCode::OperationNotAttempted:
    case ErrorCode::InvalidRequest: return Partition::IsrAnswer::kRefused;
    // This leader's view is behind the controller's: a newer image settles it.
    case ErrorCode::FencedLeaderEpoch:
    case ErrorCode::InvalidUpdateVersion:
    case ErrorCode::NotLeaderOrFollower:
    case ErrorCode::UnknownTopicId:
    case ErrorCode::UnknownTopicOrPartition:
    case ErrorCode::StaleBrokerEpoch: return Partition::IsrAnswer::kStale;
    default: return Partition::IsrAnswer::kLost;
  }
}

// The remote controller's answer for the one partition asked.
cluster::IsrChangeResult result_of(const protocol::AlterPartitionResponse& response) {
  if (response.error_code != 0) return {static_cast<ErrorCode>(response.error_code), {}};
  if (response.topics.size() != 1 || response.topics[0].partitions.size() != 1) return {ErrorCode::UnknownServerError, {}};
  const auto& p = response.topics[0].partitions[0];
  cluster::IsrChangeResult result{static_cast<ErrorCode>(p.error_code), {}};
  result.partition.partition = p.partition_index;
  result.partition.isr = p.isr;
  result.partition.leader = p.leader_id;
  result.partition.leader_epoch = p.leader_epoch;
  result.partition.partition_epoch = p.partition_epoch;
  return result;
}

protocol::AlterPartitionRequest wire_request(const cluster::IsrChangeRequest& change,
                                             const cluster::MetadataImage& image) {
  protocol::AlterPartitionRequest request;
  request.broker_id = change.broker_id;
  request.broker_epoch = change.broker_epoch;
  auto& topic = request.topics.emplace_back();
  topic.topic_id = change.topic_id;
  auto& partition = topic.partitions.emplace_back();
  partition.partition_index = change.partition;
  partition.leader_epoch = change.leader_epoch;
  partition.partition_epoch = change.partition_epoch;
  for (int32_t id : change.new_isr) {
    const cluster::BrokerInfo* member = image.broker(id);
    partition.new_isr_with_epochs.push_back({id, member ? member->epoch : -1});
  }
  return request;
}
}  // namespace

IsrUpdates::IsrUpdates(Broker& broker, unsigned shard)
    : broker_(broker), shard_(shard), timer_(std::make_shared<asio::steady_timer>(broker.shards().context(shard))) {}

void IsrUpdates::start() { schedule_check_all(); }

void IsrUpdates::stop() {
  stopped_ = true;
  timer_->cancel();
}

void IsrUpdates::schedule_check_all() {
  const int64_t interval_ms = std::max<int64_t>(broker_.config().get_int("replica.lag.time.max.ms") / 2, 1);
  timer_->expires_after(std::chrono::milliseconds(interval_ms));
  timer_->async_wait([this, timer = timer_](asio::error_code ec) {
    if (ec || stopped_) return;
    broker_.partitions(shard_).for_each([this](const protocol::Uuid& topic_id, const std::shared_ptr<Partition>& p) {
      check(topic_id, p);
    });
    schedule_check_all();
  });
}

void IsrUpdates::check(const protocol::Uuid& topic_id, const std::shared_ptr<Partition>& partition) {
  if (stopped_ || !partition->is_leader()) return;
  auto image = broker_.image();
  auto may_join = [&image](int32_t id) {
    const cluster::BrokerInfo* broker = image->broker(id);
    return broker && !broker->fenced;
  };
  auto isr = partition->isr_change_due(cluster::monotonic_ms(), broker_.config().get_int("replica.lag.time.max.ms"),
                                       may_join);
  if (isr) send(topic_id, partition, std::move(*isr));
}

void IsrUpdates::send(const protocol::Uuid& topic_id, const std::shared_ptr<Partition>& partition,
                      std::vector<int32_t> isr) {
  auto image = broker_.image();
  const cluster::BrokerInfo* self = image->broker(broker_.node_id());
  cluster::IsrChangeRequest change{broker_.node_id(), self ? self->epoch : -1, topic_id,
                                   partition->index(),  partition->leader_epoch(), partition->partition_epoch(),
                                   std::move(isr)};
  auto request = wire_request(change, *image);
  const int32_t leader_epoch = partition->leader_epoch();
  std::weak_ptr<Partition> weak = partition;
  Broker& broker = broker_;
  broker_.shards().submit_async<cluster::IsrChangeResult>(
      broker_.shards().control_shard(),
      [&broker, change, request](std::function<void(cluster::IsrChangeResult)> reply) {
        on_active_controller<cluster::IsrChangeResult, protocol::AlterPartitionResponse>(
            broker, [change](cluster::Controller& c) { return c.alter_partition(change); }, request, result_of,
            cluster::IsrChangeResult{ErrorCode::NotController, {}}, std::move(reply));
      },
      [this, weak, topic_id, leader_epoch](cluster::IsrChangeResult result) {
        auto partition = weak.lock();
        if (!partition || stopped_) return;
        const auto answer = answer_of(result.error);
        if (answer != Partition::IsrAnswer::kCommitted)
          spdlog::log(answer == Partition::IsrAnswer::kLost ? spdlog::level::debug : spdlog::level::info,
                      "partition {}-{}: ISR change not made ({})", partition->topic(), partition->index(),
                      protocol::code(result.error));
        partition->isr_change_answered(leader_epoch, answer, &result.partition);
        if (answer == Partition::IsrAnswer::kLost) retry_later(topic_id, weak);
      });
}

void IsrUpdates::retry_later(const protocol::Uuid& topic_id, std::weak_ptr<Partition> weak) {
  auto timer = std::make_shared<asio::steady_timer>(broker_.shards().context(shard_));
  timer->expires_after(std::chrono::milliseconds(kRetryBackoffMs));
  timer->async_wait([this, timer, topic_id, weak](asio::error_code ec) {
    if (ec || stopped_) return;
    if (auto partition = weak.lock()) check(topic_id, partition);
  });
}

}  // namespace freshet::server
