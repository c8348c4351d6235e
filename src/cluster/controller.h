// The controller: the only writer of cluster metadata. Validates topic
// operations the way Kafka's controller does (names, partition counts,
// replication factor against live brokers, configs) and dynamic broker config
// changes the way Kafka's broker does before forwarding them, turns them into
// metadata records and proposes them to the metadata quorum, validating each
// operation against the image its predecessors will have made (committed
// or not). Every record the quorum commits (its own and, on other nodes, the
// leader's) comes back through apply_committed(), which builds the next
// committed image, hands the broker config its new dynamic layers and
// publishes it. An operation's result holds once its records commit (its log
// line says what it is doing: "creating topic ...", not that it is done).
// Single-threaded: every call happens on the controller's shard.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cluster/broker_config.h"
#include "cluster/metadata_image.h"
#include "cluster/metadata_proposer.h"
#include "cluster/metadata_quorum.h"
#include "protocol/errors.h"

namespace freshet::cluster {

struct TopicResult {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  std::string message;  // empty when error is None

  // The message as Kafka responses carry it: null when there is none.
  std::optional<std::string> message_or_null() const {
    return message.empty() ? std::nullopt : std::optional<std::string>(message);
  }
};

struct NewTopic {
  std::string name;
  int32_t partitions = -1;           // -1: num.partitions
  int16_t replication_factor = -1;   // -1: default.replication.factor
  std::vector<std::vector<int32_t>> assignments;  // manual replica lists, one per partition
  ConfigMap configs;
};

// A range of producer ids one broker may hand out (Kafka's ProducerIdsBlock).
struct ProducerIdBlock {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  int64_t first_id = -1;
  int32_t size = 0;
};

// A broker asking to join (BrokerRegistration).
struct BrokerRegistration {
  int32_t broker_id = -1;
  protocol::Uuid incarnation;
  std::vector<BrokerInfo::Endpoint> endpoints;
  std::optional<std::string> rack;
};

struct RegistrationResult {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  int64_t broker_epoch = -1;
};

// A broker's BrokerHeartbeat, and the answer.
struct BrokerHeartbeat {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
  bool want_shutdown = false;
};

struct HeartbeatResult {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  bool fenced = true;
  bool should_shut_down = false;
};

// A partition leader's AlterPartition: the ISR it wants, and the leader and
// partition epochs of the state it saw.
struct IsrChangeRequest {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
  protocol::Uuid topic_id;
  int32_t partition = -1;
  int32_t leader_epoch = -1;
  int32_t partition_epoch = -1;
  std::vector<int32_t> new_isr;
};

struct IsrChangeResult {
  protocol::ErrorCode error = protocol::ErrorCode::None;
  PartitionInfo partition;  // the state after the change (when error is None)
};

// Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE.
constexpr int32_t kProducerIdBlockSize = 1000;

enum class ConfigOp : int8_t { Set = 0, Delete = 1, Append = 2, Subtract = 3 };

struct ConfigChange {
  std::string name;
  ConfigOp op = ConfigOp::Set;
  std::optional<std::string> value;
};

class Controller {
 public:
  // Called with every new image after it is durable (on the controller shard).
  using Publisher = std::function<void(std::shared_ptr<const MetadataImage>)>;

  // Starts from an empty image; `config`'s dynamic layers are set again on
  // every commit. `seed` draws topic ids and where placement starts.
  Controller(BrokerConfig& config, MetadataProposer& quorum, Publisher publish, uint64_t seed = std::random_device{}());

  // The records the quorum committed since the last call, in log order.
  void apply_committed(std::span<const MetadataRecord> records);
  // The committed image is now what `records` make from nothing (a snapshot).
  void load_snapshot(std::span<const MetadataRecord> records);

  // The committed image (what is published).
  std::shared_ptr<const MetadataImage> image() const { return image_; }
  // The offset after this node's last proposal: the caller of an operation
  // that proposed answers once the quorum applied it (when_applied).
  int64_t proposed_end() const { return proposed_end_; }
  // This node stopped leading: its uncommitted proposals may be lost, so the
  // next operations validate against the committed image again.
  void resigned();
  // The registered, unfenced brokers (new replicas go to them).
  std::vector<int32_t> live_brokers() const { return latest_->live_brokers(); }

  // Registers a broker (RegisterBrokerRecord), live from now; its epoch is
  // the record's offset, so a later registration of the same id always has
  // a larger one. (controller_brokers.cc, like the two below.)
  RegistrationResult register_broker(const BrokerRegistration& registration, int64_t now_ms);
  // A live broker's heartbeat: keeps its session, unfences it, or (wanting
  // to shut down) fences it. STALE_BROKER_EPOCH for an older registration.
  HeartbeatResult heartbeat(const BrokerHeartbeat& heartbeat, int64_t now_ms);
  // Active controller, periodically: fences the live brokers that did not
  // heartbeat for `session_timeout_ms`.
  void fence_silent_brokers(int64_t now_ms, int64_t session_timeout_ms);
  // Active controller: the connection broker `broker_id`'s heartbeats at
  // `broker_epoch` came over closed, as a dead process's does: it is fenced
  // now (unless already, or registered again since).
  void fence_lost_broker(int32_t broker_id, int64_t broker_epoch);
  // Active controller, periodically: a new cluster's first controller
  // finalizes metadata.version (FeatureLevelRecord), as Kafka's bootstrap does.
  void finalize_features();

  // The writes between begin_batch() and end_batch() are validated each
  // against those before it and proposed together, as one batch (one image
  // copy, one log append and sync for a whole request); end_batch() says
  // how proposing went: their own results hold only if it succeeded.
  // Outside a batch, every write is proposed at once. (Not for
  // register_broker, whose epoch is its own offset.)
  void begin_batch();
  TopicResult end_batch();

  TopicResult create_topic(const NewTopic& topic, bool validate_only);
  TopicResult delete_topic(const std::string& name);
  TopicResult create_partitions(const std::string& name, int32_t total_count, bool validate_only);
  // Replaces every dynamic config of the topic (AlterConfigs semantics).
  TopicResult replace_topic_configs(const std::string& name, const ConfigMap& configs, bool validate_only);
  // Applies SET/DELETE/APPEND/SUBTRACT (IncrementalAlterConfigs semantics).
  TopicResult alter_topic_configs(const std::string& name, const std::vector<ConfigChange>& changes, bool validate_only);
  // The same two for a BROKER resource: `resource_name` "" is the
  // cluster-wide default, "<node.id>" this broker (KIP-226). Errors are
  // Kafka's: INVALID_REQUEST for another broker id, read-only, unknown or
  // invalid keys; INVALID_CONFIG for APPEND/SUBTRACT on a non-list key.
  TopicResult replace_broker_configs(const std::string& resource_name, const ConfigMap& configs, bool validate_only);
  TopicResult alter_broker_configs(const std::string& resource_name, const std::vector<ConfigChange>& changes, bool validate_only);

  // The next block of producer ids for broker `broker_id`, made durable in the
  // metadata log (ProducerIdsRecord) before it is returned, so no id is ever
  // handed out twice, across restarts too (AllocateProducerIds).
  ProducerIdBlock allocate_producer_ids(int32_t broker_id, int64_t broker_epoch);

  // Active controller, periodically (controller_partitions.cc): each
  // partition without a leader whose topic has
  // unclean.leader.election.enable (its own, or the broker default) gets
  // the first live replica in replica order as leader and sole ISR member.
  void elect_unclean_leaders();

  // AlterPartition (controller_partitions.cc): Kafka's checks in its order
  // (STALE_BROKER_EPOCH, UNKNOWN_TOPIC_ID, NOT_LEADER_OR_FOLLOWER,
  // FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA for a
  // new member that is fenced or no replica), then a PartitionChangeRecord.
  IsrChangeResult alter_partition(const IsrChangeRequest& request);


 private:
  // An existing topic whose name differs from `name` only in '.' vs '_'.
  std::optional<std::string> colliding_topic(std::string_view name) const;
  TopicResult commit(std::vector<MetadataRecord> records);
  TopicResult check_replication(int32_t partitions, int16_t replication_factor) const;
  // New partitions [first, first + count) placed over the live brokers.
  std::vector<MetadataRecord> partition_records(const protocol::Uuid& topic_id, int32_t first, int32_t count,
                                                int16_t replication_factor);
  MetadataRecord assigned_partition(const protocol::Uuid& topic_id, int32_t partition,
                                    const std::vector<int32_t>& replicas) const;
  std::vector<MetadataRecord> config_diff(int8_t resource_type, const std::string& resource_name, const ConfigMap& before,
                                          const ConfigMap& after) const;
  TopicResult check_broker_resource(const std::string& resource_name) const;
  // Fences or unfences a registration, with the partition changes that
  // follow (controller_partitions.cc): a fenced broker leaves every ISR
  // (but the last member's place: Kafka keeps it so that it can lead again)
  // and gives up its leaderships to the first live ISR member in replica
  // order (none: the partition is offline); an unfenced one leads the
  // offline partitions whose ISR it is in.
  protocol::ErrorCode set_fenced(int32_t broker_id, int64_t broker_epoch, bool fenced);
  std::vector<MetadataRecord> leadership_after_fence(int32_t broker_id) const;
  std::vector<MetadataRecord> leadership_after_unfence(int32_t broker_id) const;
  bool unclean_election_enabled(const TopicInfo& topic) const;
  // Validates the resource's new dynamic set and commits what differs from `before`.
  TopicResult commit_broker_configs(const std::string& resource_name, const ConfigMap& before, const ConfigMap& after,
                                    bool validate_only);

  BrokerConfig& config_;
  MetadataProposer& quorum_;
  std::mt19937_64 random_;
  // The next committed image: published, and the latest too unless this
  // leader has proposals in flight.
  void publish_committed(std::shared_ptr<const MetadataImage> next);

  std::shared_ptr<const MetadataImage> image_;   // committed
  std::shared_ptr<const MetadataImage> latest_;  // committed plus this leader's proposals in flight
  // Between begin_batch() and end_batch(): the image before it, the one its
  // writes make (latest_ meanwhile; built in place, shared with no one
  // else) and their records.
  struct Batch {
    std::shared_ptr<const MetadataImage> before;
    std::shared_ptr<MetadataImage> image;
    std::vector<MetadataRecord> records;
  };
  std::optional<Batch> batch_;
  int64_t proposed_end_ = 0;
  // Active controller: when each broker last heartbeat (monotonic ms).
  std::map<int32_t, int64_t> last_heartbeat_ms_;
  Publisher publish_;
};

// Kafka's topic name rule: 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
std::optional<std::string> invalid_topic_name_reason(std::string_view name);

// The quorum callbacks that feed `controller` (which the quorum is made
// before): committed records, snapshots loaded, the image to snapshot,
// resignations. `send` is the caller's to set.
QuorumCallbacks controller_callbacks(const std::unique_ptr<Controller>& controller);

}  // namespace freshet::cluster
