#include "cli/metadata.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "cli/errors.h"

namespace freshet::cli {
namespace {

// Metadata attempts start short, so that unreachable brokers are noticed between attempts, and
// grow so that a slow answer still gets through.
constexpr int kFirstMetadataAttemptMs = 200;
constexpr int kLongestMetadataAttemptMs = 3200;
// Pause between metadata requests while a topic's leaders are being elected.
constexpr int kElectionRetryMs = 100;

using TopicHandle = Owned<rd_kafka_topic_t, rd_kafka_topic_destroy>;

TopicInfo to_topic_info(const rd_kafka_metadata_topic_t& topic) {
  TopicInfo info;
  info.name = topic.topic;
  info.error = topic.err;
  for (int i = 0; i < topic.partition_cnt; ++i) {
    const rd_kafka_metadata_partition_t& p = topic.partitions[i];
    info.partitions.push_back(PartitionInfo{
        p.id, p.leader, std::vector<int32_t>(p.replicas, p.replicas + p.replica_cnt),
        std::vector<int32_t>(p.isrs, p.isrs + p.isr_cnt), p.err});
  }
  std::sort(info.partitions.begin(), info.partitions.end(),
            [](const PartitionInfo& a, const PartitionInfo& b) { return a.id < b.id; });
  return info;
}

// Asks for metadata of every topic (`topic` null) or of `topic` alone, retrying until an
// answer arrives, the brokers are known to be unreachable, or kRequestTimeoutMs passes.
std::vector<TopicInfo> fetch_metadata(Client& client, rd_kafka_topic_t* topic) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kRequestTimeoutMs);
  rd_kafka_resp_err_t err;
  int attempt_ms = kFirstMetadataAttemptMs;
  do {
    const rd_kafka_metadata_t* metadata = nullptr;
    err = rd_kafka_metadata(client.handle(), topic == nullptr, topic, &metadata, attempt_ms);
    attempt_ms = std::min(2 * attempt_ms, kLongestMetadataAttemptMs);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::vector<TopicInfo> topics;
      for (int i = 0; i < metadata->topic_cnt; ++i) {
        topics.push_back(to_topic_info(metadata->topics[i]));
      }
      rd_kafka_metadata_destroy(metadata);
      return topics;
    }
    client.throw_if_unreachable();
  } while ((err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT) &&
           std::chrono::steady_clock::now() < deadline);
  throw CommandError(fmt::format("no metadata from brokers at {}: {} ({})", client.brokers(),
                                 error_detail(err, ""), kafka_error_name(err)));
}

}  // namespace

size_t TopicInfo::replication_factor() const {
  size_t replicas = 0;
  for (const PartitionInfo& p : partitions) replicas = std::max(replicas, p.replicas.size());
  return replicas;
}

bool TopicInfo::is_internal() const { return name.rfind("__", 0) == 0; }

std::vector<TopicInfo> list_topics(Client& client) {
  std::vector<TopicInfo> topics = fetch_metadata(client, nullptr);
  std::sort(topics.begin(), topics.end(),
            [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
  return topics;
}

TopicInfo describe_topic(Client& client, const std::string& topic) {
  TopicHandle handle(rd_kafka_topic_new(client.handle(), topic.c_str(), nullptr));
  if (!handle) {
    throw CommandError(fmt::format("invalid topic name '{}': {}", topic,
                                   rd_kafka_err2str(rd_kafka_last_error())));
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kRequestTimeoutMs);
  for (;;) {
    std::vector<TopicInfo> topics = fetch_metadata(client, handle.get());
    if (topics.size() != 1) {
      throw CommandError(fmt::format("topic '{}': the broker's metadata answer lists {} topics",
                                     topic, topics.size()));
    }
    TopicInfo& info = topics.front();
    const bool electing = info.error == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
    if (electing && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kElectionRetryMs));
      continue;
    }
    if (info.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw CommandError(topic_error_message(topic, info.error, ""));
    }
    return std::move(info);
  }
}

Watermarks query_watermarks(Client& client, const std::string& topic, int32_t partition) {
  Watermarks marks;
  marks.error = rd_kafka_query_watermark_offsets(client.handle(), topic.c_str(), partition,
                                                 &marks.log_start_offset, &marks.high_watermark,
                                                 kRequestTimeoutMs);
  return marks;
}

}  // namespace freshet::cli
