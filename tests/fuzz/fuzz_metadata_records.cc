// Cluster metadata records as the metadata log replays them: each record
// value (KRaft framing: frame version, record type, record version, body) is
// decoded with cluster::decode_metadata_record and applied, in order, to one
// MetadataImage. The input is a record stream (record_stream.h) whose values
// are the record values; keys are ignored. A record that decodes must
// re-encode to a record that decodes to the same value.
#include "cluster/metadata_image.h"
#include "fuzz_target.h"
#include "message_cases.h"
#include "record_stream.h"

namespace {

using namespace freshet;

// MetadataImage::apply() sizes a topic's partition table by the highest
// partition id it has seen, up to kMaxPartitionsPerTopic (2^20): a table that
// large takes ~100 MB and a while to build, so to keep runs fast, records with
// ids above this bound are decoded and checked but not applied.
constexpr int32_t kMaxAppliedPartitionId = 1 << 16;

bool applicable(const cluster::MetadataRecord& record) {
  const auto* partition = std::get_if<protocol::PartitionRecord>(&record);
  return !partition || partition->partition_id < kMaxAppliedPartitionId;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cluster::MetadataImage image;
  for (const fuzz::StreamRecord& record : fuzz::split_record_stream(std::span<const uint8_t>(data, size))) {
    if (!record.value) continue;
    std::optional<cluster::MetadataRecord> decoded;
    try {
      decoded = cluster::decode_metadata_record(*record.value);
    } catch (const protocol::DecodeError&) {
      continue;
    }
    if (!decoded) continue;
    FUZZ_CHECK(cluster::decode_metadata_record(cluster::encode_metadata_record(*decoded)) == decoded);
    if (applicable(*decoded)) image.apply(*decoded);
  }
  for (const auto& [name, topic] : image.topics()) {
    FUZZ_CHECK(topic->name == name);
    FUZZ_CHECK(image.topic(topic->id) != nullptr);
  }
  return 0;
}

namespace freshet::fuzz {

void fuzz_seeds(std::vector<Input>& out) {
  const protocol::Uuid id{0x1234, 0x5678};
  protocol::TopicRecord topic;
  topic.name = "orders";
  topic.topic_id = id;
  protocol::PartitionRecord partition;
  partition.topic_id = id;
  partition.partition_id = 1;
  partition.replicas = {1, 2};
  partition.isr = {1};
  partition.leader = 1;
  partition.leader_epoch = 4;
  protocol::ConfigRecord topic_config;
  topic_config.resource_type = cluster::kTopicResource;
  topic_config.resource_name = "orders";
  topic_config.name = "retention.ms";
  topic_config.value = "1000";
  protocol::ConfigRecord broker_config = topic_config;
  broker_config.resource_type = cluster::kBrokerResource;
  broker_config.resource_name = "";
  broker_config.value = std::nullopt;
  protocol::RemoveTopicRecord remove;
  remove.topic_id = id;
  const std::vector<cluster::MetadataRecord> records = {topic, partition, topic_config, broker_config, remove};

  Input all;
  for (const auto& record : records) {
    const std::vector<uint8_t> value = cluster::encode_metadata_record(record);
    Input one;
    append_stream_record(one, {}, value);
    out.push_back(one);
    append_bytes(all, one);
  }
  out.push_back(all);
  // A record type the image does not apply (FeatureLevelRecord, type 12).
  if (const auto* feature = find_message_case("FeatureLevelRecord")) {
    Input value = {1, 12, 0};
    const std::vector<uint8_t> body = feature->encode_sample(0, false);
    value.insert(value.end(), body.begin(), body.end());
    append_stream_record(all, {}, value);
    out.push_back(all);
  }
}

}  // namespace freshet::fuzz
