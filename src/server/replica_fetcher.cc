#include "server/replica_fetcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cluster/clock.h"
#include "protocol/batch_iterator.h"
#include "protocol/record_batch.h"
#include "replication/divergence.h"
#include "server/broker.h"
#include "server/clock.h"
#include "storage/storage_error.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::FetchRequest;
using protocol::FetchResponse;

// How long beyond the leader's long poll a fetch may take before it counts as lost.
constexpr int64_t kFetchTimeoutSlackMs = 30000;
}  // namespace

ReplicaFetcher::ReplicaFetcher(Broker& broker, unsigned shard) : broker_(broker), shard_(shard) {}

void ReplicaFetcher::stop() {
  stopped_ = true;
  for (auto& [leader, link] : links_) link->wakeup->cancel();
  links_.clear();
}

void ReplicaFetcher::reconcile() {
  if (stopped_) return;
  auto image = broker_.image();
  const std::string& listener = broker_.config().get("inter.broker.listener.name");
  std::map<int32_t, std::vector<Followed>> by_leader;
  broker_.partitions(shard_).for_each([&](const protocol::Uuid& topic_id, const std::shared_ptr<Partition>& p) {
    if (!p->is_leader() && p->leader_id() >= 0) by_leader[p->leader_id()].push_back({topic_id, p, 0});
  });
  for (auto it = links_.begin(); it != links_.end();) {
    if (by_leader.contains(it->first)) {
      ++it;
      continue;
    }
    it->second->wakeup->cancel();
    it = links_.erase(it);
  }
  for (auto& [leader, followed] : by_leader) {
    const cluster::BrokerInfo* info = image->broker(leader);
    const cluster::BrokerInfo::Endpoint* endpoint = info ? info->endpoint(listener) : nullptr;
    if (!endpoint) {
      spdlog::warn("cannot follow broker {}: it has no {} endpoint in the metadata", leader, listener);
      links_.erase(leader);
      continue;
    }
    auto& link = links_[leader];
    if (!link || link->host != endpoint->host || link->port != endpoint->port) {
      if (link) link->wakeup->cancel();
      link = std::make_unique<Link>();
      link->leader = leader;
      link->generation = next_generation_++;
      link->host = endpoint->host;
      link->port = endpoint->port;
      link->client = std::make_unique<PeerClient>(
          net::PeerConnection::create(broker_.shards().context(shard_), endpoint->host, endpoint->port,
                                      net::PeerLimits{}),
          "freshet-replica-fetcher-" + std::to_string(broker_.node_id()));
      link->wakeup = std::make_shared<asio::steady_timer>(broker_.shards().context(shard_));
    }
    // Partitions still followed keep their backoff.
    for (Followed& f : followed) {
      for (const Followed& old : link->partitions)
        if (old.partition.lock() == f.partition.lock()) f.retry_at_ms = old.retry_at_ms;
    }
    link->partitions = std::move(followed);
    if (!link->in_flight) fetch(*link);
  }
}

void ReplicaFetcher::fetch(Link& link) {
  if (stopped_ || link.in_flight) return;
  const auto& config = broker_.config();
  auto image = broker_.image();
  const cluster::BrokerInfo* self = image->broker(broker_.node_id());
  FetchRequest request;
  request.replica_state.replica_id = broker_.node_id();
  request.replica_state.replica_epoch = self ? self->epoch : -1;
  request.max_wait_ms = static_cast<int32_t>(config.get_int("replica.fetch.wait.max.ms"));
  request.min_bytes = static_cast<int32_t>(config.get_int("replica.fetch.min.bytes"));
  request.max_bytes = static_cast<int32_t>(config.get_int("replica.fetch.response.max.bytes"));
  request.session_id = 0;
  request.session_epoch = -1;  // sessionless
  const int64_t now = cluster::monotonic_ms();
  int64_t next_retry_ms = INT64_MAX;
  std::vector<Sent> sent;
  for (Followed& f : link.partitions) {
    auto partition = f.partition.lock();
    if (!partition || partition->is_leader() || partition->leader_id() != link.leader) continue;
    if (f.retry_at_ms > now) {
      next_retry_ms = std::min(next_retry_ms, f.retry_at_ms);
      continue;
    }
    if (request.topics.empty() || !(request.topics.back().topic_id == f.topic_id))
      request.topics.push_back({partition->topic(), f.topic_id, {}});
    FetchRequest::FetchPartition fp;
    fp.partition = partition->index();
    fp.current_leader_epoch = partition->leader_epoch();
    fp.fetch_offset = partition->log().log_end_offset();
    fp.last_fetched_epoch = partition->log().latest_epoch().value_or(-1);
    fp.log_start_offset = partition->log_start_offset();
    fp.partition_max_bytes = static_cast<int32_t>(config.get_int("replica.fetch.max.bytes"));
    request.topics.back().partitions.push_back(fp);
    sent.push_back({f.topic_id, partition, fp.current_leader_epoch, fp.fetch_offset});
  }
  if (sent.empty()) {
    if (next_retry_ms != INT64_MAX) wake_later(link, next_retry_ms);
    return;
  }
  link.in_flight = true;
  link.client->call<FetchResponse>(
      request, FetchRequest::kMaxVersion, request.max_wait_ms + kFetchTimeoutSlackMs,
      [this, leader = link.leader, generation = link.generation, sent = std::move(sent)](
          std::optional<FetchResponse> response) mutable {
        fetched(leader, generation, std::move(sent), std::move(response));
      });
}

void ReplicaFetcher::wake_later(Link& link, int64_t at_ms) {
  link.wakeup->expires_after(std::chrono::milliseconds(std::max<int64_t>(at_ms - cluster::monotonic_ms(), 0)));
  link.wakeup->async_wait([this, leader = link.leader, generation = link.generation](asio::error_code ec) {
    if (ec || stopped_) return;
    auto it = links_.find(leader);
    if (it != links_.end() && it->second->generation == generation) fetch(*it->second);
  });
}

void ReplicaFetcher::back_off(Link& link, const Sent& sent, int64_t now_ms) {
  auto partition = sent.partition.lock();
  for (Followed& f : link.partitions)
    if (f.partition.lock() == partition) f.retry_at_ms = now_ms + broker_.config().get_int("replica.fetch.backoff.ms");
}

void ReplicaFetcher::fetched(int32_t leader, uint64_t generation, std::vector<Sent> sent,
                             std::optional<FetchResponse> response) {
  if (stopped_) return;
  auto it = links_.find(leader);
  if (it == links_.end() || it->second->generation != generation) return;  // the link was dropped or re-made
  Link& link = *it->second;
  link.in_flight = false;
  const int64_t now = cluster::monotonic_ms();
  if (!response || response->error_code != 0) {
    spdlog::debug("replica fetch from broker {} failed ({}); retrying in {} ms", leader,
                  response ? std::to_string(response->error_code) : std::string("no answer"),
                  broker_.config().get_int("replica.fetch.backoff.ms"));
    for (const Sent& s : sent) back_off(link, s, now);
    return fetch(link);
  }
  for (const auto& topic : response->responses) {
    for (const auto& data : topic.partitions) {
      auto match = std::find_if(sent.begin(), sent.end(), [&](const Sent& s) {
        auto p = s.partition.lock();
        return p && s.topic_id == topic.topic_id && p->index() == data.partition_index;
      });
      if (match == sent.end()) continue;
      auto partition = match->partition.lock();
      // Only an answer to the state that was sent applies.
      if (partition->is_leader() || partition->leader_id() != leader || partition->leader_epoch() != match->leader_epoch ||
          partition->log().log_end_offset() != match->fetch_offset)
        continue;
      bool ok = false;
      try {
        ok = apply(*match, *partition, data);
      } catch (const std::exception& e) {  // storage errors, malformed batches
        spdlog::error("replicating {}-{} from broker {} failed: {}", partition->topic(), partition->index(), leader,
                      e.what());
      }
      if (!ok) back_off(link, *match, now);
    }
  }
  fetch(link);
}

bool ReplicaFetcher::apply(const Sent& sent, Partition& partition, const FetchResponse::PartitionData& data) {
  const auto error = static_cast<ErrorCode>(data.error_code);
  if (error == ErrorCode::OffsetOutOfRange) {
    if (sent.fetch_offset < data.log_start_offset) {
      partition.restart_at(data.log_start_offset);
    } else if (data.high_watermark >= 0 && data.high_watermark < sent.fetch_offset) {
      partition.truncate_diverged(data.high_watermark);  // ahead of the leader: keep what it committed
    } else {
      return false;
    }
    broker_.partitions(shard_).checkpoint_now(partition);
    return true;
  }
  if (error != ErrorCode::None) {
    spdlog::debug("replica fetch of {}-{} from broker {}: error {}", partition.topic(), partition.index(),
                  partition.leader_id(), data.error_code);
    return false;
  }
  const auto& diverging = data.diverging_epoch;
  if (diverging.epoch != replication::kUnknownEpoch || diverging.end_offset != replication::kUnknownOffset) {
    storage::PartitionLog& log = partition.log();
    auto truncation = replication::truncation_after_divergence(
        diverging.epoch, diverging.end_offset, log.log_end_offset(), partition.high_watermark(),
        [&log](int32_t epoch) { return log.end_offset_for_epoch(epoch); });
    partition.truncate_diverged(truncation.offset);
    broker_.partitions(shard_).checkpoint_now(partition);
    return true;
  }
  if (data.records) append_records(partition, *data.records);
  partition.replicated(data.high_watermark);
  return true;
}

void ReplicaFetcher::append_records(Partition& partition, const protocol::Records& records) {
  protocol::BatchIterator batches(records.bytes);
  const int64_t now = now_ms();
  while (auto batch = batches.next()) {
    auto header = protocol::parse_batch_header(*batch);
    if (!header || !protocol::batch_crc_valid(*batch))
      throw protocol::DecodeError("a fetched batch is corrupt (its CRC does not match)");
    const int64_t end = partition.log().log_end_offset();
    if (header->last_offset() < end) continue;  // already here (a batch holding the fetch offset)
    if (header->base_offset != end)
      throw protocol::DecodeError("a fetched batch at offset " + std::to_string(header->base_offset) +
                                  " does not continue the log ending at " + std::to_string(end));
    partition.append_replicated(*batch, now);
  }
}

}  // namespace freshet::server
