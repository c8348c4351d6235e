// Kafka's internal topics: written by the broker only (a client's Produce
// gets INVALID_TOPIC_EXCEPTION), marked is_internal in Metadata, never
// auto-created for a client, and never deleted. The metadata log is not a
// topic of the image at all, and its name cannot be taken by one.
#pragma once

#include <string_view>

namespace freshet::cluster {

constexpr std::string_view kOffsetsTopicName = "__consumer_offsets";
constexpr std::string_view kTransactionStateTopicName = "__transaction_state";
constexpr std::string_view kMetadataTopicName = "__cluster_metadata";

inline bool is_internal_topic(std::string_view name) {
  return name == kOffsetsTopicName || name == kTransactionStateTopicName || name == kMetadataTopicName;
}

}  // namespace freshet::cluster
