#include "sim_controller.h"

#include <algorithm>
#include <variant>

#include "cluster/metadata_image.h"

namespace freshet::sim {

namespace {

using cluster::ConfigChange;
using cluster::ConfigOp;

std::string node_name(raft::NodeId node) { return "node " + std::to_string(node); }

// Topic names from a small set, two of which collide ('.' vs '_').
const std::vector<std::string> kTopicNames = {"t0", "t1", "t2", "t3", "t4", "a.b", "a_b"};
constexpr int32_t kBrokerIds = 3;
constexpr int64_t kSessionTimeoutMs = 2000;

std::string encode_image(const cluster::MetadataImage& image) {
  std::string out;
  for (const MetadataRecord& record : image.records()) {
    const std::vector<uint8_t> bytes = cluster::encode_metadata_record(record);
    out.append(bytes.begin(), bytes.end());
  }
  return out;
}

}  // namespace

void ProposedBatches::add(int64_t base_offset, int32_t epoch, std::vector<MetadataRecord> records) {
  const bool fresh = batches_.try_emplace({base_offset, epoch}, std::move(records)).second;
  if (!fresh) throw Failure{"two batches proposed at offset " + std::to_string(base_offset) + " in epoch " + std::to_string(epoch)};
}

const std::vector<MetadataRecord>* ProposedBatches::find(int64_t base_offset, int32_t epoch) const {
  const auto it = batches_.find({base_offset, epoch});
  return it == batches_.end() ? nullptr : &it->second;
}

void CommittedImages::check(raft::NodeId node, int64_t offset, const cluster::MetadataImage& image) {
  std::string encoded = encode_image(image);
  const auto [it, fresh] = encoded_by_offset_.try_emplace(offset, std::move(encoded));
  if (!fresh && it->second != encoded)
    throw Failure{node_name(node) + "'s metadata image at offset " + std::to_string(offset) +
                  " differs from another node's there"};
}

SimController::SimController(raft::RaftCore& core, ProposedBatches& batches, CommittedImages& images, uint64_t seed)
    : core_(core),
      batches_(batches),
      images_(images),
      config_(cluster::BrokerConfig::load(std::nullopt, {"node.id=" + std::to_string(core.self())}, nullptr)),
      controller_(config_, *this, [](auto) {}, seed) {}

bool SimController::active() const { return cluster::active_leader(core_, applied_offset_); }

int64_t SimController::log_end_offset() const { return core_.log_end().end_offset; }

std::optional<int64_t> SimController::propose(const std::vector<MetadataRecord>& records, int64_t) {
  const int64_t base = log_end_offset();
  if (!core_.propose(static_cast<int>(records.size()))) return std::nullopt;
  batches_.add(base, core_.epoch(), records);
  return base + static_cast<int64_t>(records.size());
}

void SimController::load_snapshot(int64_t end_offset, const std::vector<MetadataRecord>& records) {
  applied_offset_ = end_offset;
  controller_.load_snapshot(records);
  images_.check(core_.self(), end_offset, image());
}

void SimController::after_step(const std::vector<int32_t>& log) {
  const int64_t committed_end = core_.high_watermark();
  if (committed_end > static_cast<int64_t>(log.size()))
    throw Failure{node_name(core_.self()) + " has a high watermark past its log"};
  while (applied_offset_ < committed_end) {
    const int64_t base = applied_offset_;
    const std::vector<MetadataRecord>* batch = batches_.find(base, log[static_cast<size_t>(base)]);
    if (!batch) {  // the epoch's LeaderChangeMessage: no metadata
      ++applied_offset_;
      continue;
    }
    const auto size = static_cast<int64_t>(batch->size());
    if (base + size > committed_end)
      throw Failure{node_name(core_.self()) + "'s high watermark " + std::to_string(committed_end) +
                    " falls inside the batch at " + std::to_string(base)};
    cluster::MetadataImage before = image();
    for (int64_t k = 0; k < size; ++k) {
      const MetadataRecord& record = (*batch)[static_cast<size_t>(k)];
      check_record(record, base + k, before);
      before.apply(record);
    }
    applied_offset_ = base + size;
    controller_.apply_committed(*batch);
    images_.check(core_.self(), applied_offset_, image());
  }
  if (was_leading_ && !leading()) controller_.resigned();
  was_leading_ = leading();
}

void SimController::check_record(const MetadataRecord& record, int64_t offset, const cluster::MetadataImage& before) const {
  auto fail = [&](const std::string& what) {
    throw Failure{"the record committed at offset " + std::to_string(offset) + " " + what +
                  " (its controller validated it against a stale image)"};
  };
  if (const auto* topic = std::get_if<protocol::TopicRecord>(&record)) {
    if (before.topic(topic->name)) fail("creates topic " + topic->name + ", which exists");
    if (before.topic(topic->topic_id)) fail("reuses a topic id");
  } else if (const auto* partition = std::get_if<protocol::PartitionRecord>(&record)) {
    const cluster::TopicInfo* topic = before.topic(partition->topic_id);
    if (!topic) fail("adds a partition to a topic that does not exist");
    if (partition->partition_id != static_cast<int32_t>(topic->partitions.size()))
      fail("adds partition " + std::to_string(partition->partition_id) + " to " + topic->name + " of " +
           std::to_string(topic->partitions.size()));
    for (int32_t replica : partition->replicas)
      if (!before.broker(replica)) fail("places a replica on unregistered broker " + std::to_string(replica));
  } else if (const auto* remove = std::get_if<protocol::RemoveTopicRecord>(&record)) {
    if (!before.topic(remove->topic_id)) fail("removes a topic that does not exist");
  } else if (const auto* ids = std::get_if<protocol::ProducerIdsRecord>(&record)) {
    if (ids->next_producer_id != before.next_producer_id() + cluster::kProducerIdBlockSize)
      fail("hands out producer ids below " + std::to_string(ids->next_producer_id) + " while " +
           std::to_string(before.next_producer_id()) + " were given");
  } else if (const auto* registration = std::get_if<protocol::RegisterBrokerRecord>(&record)) {
    if (registration->broker_epoch != offset)
      fail("registers broker " + std::to_string(registration->broker_id) + " with epoch " +
           std::to_string(registration->broker_epoch) + ", not its offset");
  } else if (const auto* fence = std::get_if<protocol::FenceBrokerRecord>(&record)) {
    const cluster::BrokerInfo* broker = before.broker(fence->id);
    if (!broker || broker->epoch != fence->epoch || broker->fenced) fail("fences a broker not live in that epoch");
  } else if (const auto* unfence = std::get_if<protocol::UnfenceBrokerRecord>(&record)) {
    const cluster::BrokerInfo* broker = before.broker(unfence->id);
    if (!broker || broker->epoch != unfence->epoch || !broker->fenced) fail("unfences a broker not fenced in that epoch");
  } else if (const auto* change = std::get_if<protocol::PartitionChangeRecord>(&record)) {
    const cluster::TopicInfo* topic = before.topic(change->topic_id);
    if (!topic || change->partition_id < 0 || static_cast<size_t>(change->partition_id) >= topic->partitions.size())
      fail("changes a partition that does not exist");
    const cluster::PartitionInfo& p = topic->partitions[static_cast<size_t>(change->partition_id)];
    const std::vector<int32_t>& isr = change->isr ? *change->isr : p.isr;
    const int32_t leader = change->leader == -2 ? p.leader : change->leader;
    auto in = [](const std::vector<int32_t>& ids, int32_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };
    if (isr.empty()) fail("empties an ISR");
    for (int32_t id : isr)
      if (!in(p.replicas, id)) fail("puts broker " + std::to_string(id) + ", no replica, in an ISR");
    if (leader >= 0 && !in(isr, leader)) fail("elects leader " + std::to_string(leader) + " outside the ISR");
    if (change->leader >= 0 && (!before.broker(leader) || before.broker(leader)->fenced))
      fail("elects fenced broker " + std::to_string(leader));
  } else if (const auto* config = std::get_if<protocol::ConfigRecord>(&record)) {
    if (config->resource_type == cluster::kTopicResource && !before.topic(config->resource_name))
      fail("configures topic " + config->resource_name + ", which does not exist");
  } else if (const auto* feature = std::get_if<protocol::FeatureLevelRecord>(&record)) {
    if (before.feature_level(feature->name)) fail("finalizes " + feature->name + " again");
  }
}

void SimController::random_operation(std::mt19937_64& random, int64_t now_ms) {
  auto pick = [&](int64_t n) { return static_cast<int64_t>(random() % static_cast<uint64_t>(n)); };
  const std::string& name = kTopicNames[static_cast<size_t>(pick(static_cast<int64_t>(kTopicNames.size())))];
  const cluster::MetadataImage& committed = image();
  auto create_topic = [&](const std::string& topic_name) {
    cluster::NewTopic topic;
    topic.name = topic_name;
    topic.partitions = pick(4) == 0 ? -1 : static_cast<int32_t>(1 + pick(3));
    topic.replication_factor = static_cast<int16_t>(1 + pick(kBrokerIds));
    controller_.create_topic(topic, pick(8) == 0);
  };
  switch (pick(12)) {
    case 0:
    case 1:
      create_topic(name);
      break;
    case 10:  // a CreateTopics request of several: one batch
      controller_.begin_batch();
      for (int64_t n = 1 + pick(4); n > 0; --n)
        create_topic(kTopicNames[static_cast<size_t>(pick(static_cast<int64_t>(kTopicNames.size())))]);
      controller_.end_batch();
      break;
    case 2:
      controller_.delete_topic(name);
      break;
    case 3: {
      const cluster::TopicInfo* topic = committed.topic(name);
      controller_.create_partitions(name, static_cast<int32_t>((topic ? topic->partitions.size() : 0) + 1 + pick(2)), false);
      break;
    }
    case 4: {
      ConfigChange change{"retention.ms", pick(3) == 0 ? ConfigOp::Delete : ConfigOp::Set, std::to_string(1000 + pick(5))};
      controller_.alter_topic_configs(name, {change}, false);
      break;
    }
    case 5: {
      cluster::BrokerRegistration registration;
      registration.broker_id = static_cast<int32_t>(1 + pick(kBrokerIds));
      registration.incarnation = protocol::Uuid{random(), random()};
      registration.endpoints = {{"PLAINTEXT", "localhost", static_cast<uint16_t>(9092 + registration.broker_id)}};
      controller_.register_broker(registration, now_ms);
      break;
    }
    case 6:
      for (const auto& [id, broker] : committed.brokers())
        controller_.heartbeat({id, broker.epoch, pick(10) == 0}, now_ms);
      break;
    case 7:
      controller_.fence_silent_brokers(now_ms, kSessionTimeoutMs);
      controller_.finalize_features();
      break;
    case 8:
      controller_.allocate_producer_ids(static_cast<int32_t>(1 + pick(kBrokerIds)), -1);
      break;
    case 9: {
      ConfigChange change{"log.retention.ms", ConfigOp::Set, std::to_string(60000 + pick(5))};
      controller_.alter_broker_configs("", {change}, false);
      break;
    }
    case 11: {  // a partition's leader asks for an ISR of some of its replicas (AlterPartition)
      const cluster::TopicInfo* topic = committed.topic(name);
      if (!topic || topic->partitions.empty()) break;
      const cluster::PartitionInfo& p = topic->partitions[static_cast<size_t>(pick(static_cast<int64_t>(topic->partitions.size())))];
      const cluster::BrokerInfo* leader = committed.broker(p.leader);
      if (!leader) break;
      cluster::IsrChangeRequest request{p.leader, leader->epoch, topic->id, p.partition, p.leader_epoch,
                                        p.partition_epoch, {p.leader}};
      for (int32_t replica : p.replicas)
        if (replica != p.leader && pick(2) == 0) request.new_isr.push_back(replica);
      controller_.alter_partition(request);
      break;
    }
  }
}

}  // namespace freshet::sim
