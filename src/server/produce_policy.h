// The topic settings the produce path enforces, resolved once per metadata
// image from topic overrides, broker settings (dynamic and static, as
// BrokerConfig resolves them) and Kafka's defaults.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "cluster/broker_config.h"
#include "cluster/metadata_image.h"
#include "protocol/compression.h"
#include "storage/log_config.h"

namespace freshet::server {

struct ProducePolicy {
  int32_t max_message_bytes = 1048588;
  std::optional<protocol::Compression> recompress_to;  // nullopt: keep the producer's codec
  bool log_append_time = false;
  int64_t timestamp_before_max_ms = INT64_MAX;  // how far in the past a CreateTime may be
  int64_t timestamp_after_max_ms = INT64_MAX;   // how far in the future
  int32_t min_insync_replicas = 1;
  bool compacted = false;  // cleanup.policy contains compact: every record needs a key
  // flush.messages / flush.ms: the log is fsynced once this many records
  // were appended since the last flush (before the append that reaches it
  // is answered, as Kafka flushes in its append path), or once the last
  // flush is this old (checked every log.flush.scheduler.interval.ms).
  int64_t flush_messages = INT64_MAX;
  int64_t flush_ms = INT64_MAX;

  // What one batch's records may decompress to (validation streams them,
  // recompression holds them): far above any codec's ratio on real records.
  size_t max_uncompressed_batch_bytes() const {
    return static_cast<size_t>(max_message_bytes) * 64 + (size_t{1} << 20);
  }
};

ProducePolicy resolve_produce_policy(const cluster::TopicInfo& topic, const cluster::BrokerConfig& broker);
storage::LogConfig resolve_log_config(const cluster::TopicInfo& topic, const cluster::BrokerConfig& broker);

}  // namespace freshet::server
