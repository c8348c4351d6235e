// A Freshet node: configuration, the shards, the metadata image and its
// controller, the partitions each shard owns, and the listeners. Implements
// net::RequestHandler by decoding request headers and dispatching to the
// per-API handlers.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cluster/broker_config.h"
#include "cluster/controller.h"
#include "cluster/metadata_image.h"
#include "cluster/metadata_quorum.h"
#include "net/listener.h"
#include "net/shard.h"
#include "server/data_notifier.h"
#include "server/fetch_session.h"
#include "server/group_shard.h"
#include "server/isr_updates.h"
#include "server/replica_fetcher.h"
#include "server/partition_manager.h"
#include "server/broker_membership.h"
#include "server/controller_duties.h"
#include "server/controller_channel.h"
#include "server/producer_ids.h"
#include "server/quorum_transport.h"
#include "server/transaction_shard.h"

namespace freshet::server {

class Broker : public net::RequestHandler {
 public:
  Broker(cluster::BrokerConfig config, unsigned shard_count);
  ~Broker() override;

  // Recovers the logs, binds the listeners and starts serving. Throws with a
  // readable message when the data dir or an address cannot be used.
  void start();
  // Clean shutdown: stops accepting, closes every log (marking it clean).
  void stop();

  const cluster::BrokerConfig& config() const { return config_; }
  const std::string& cluster_id() const { return cluster_id_; }
  int32_t node_id() const { return config_.node_id(); }
  net::ShardSet& shards() { return shards_; }
  // Every log.dir, online or not; valid after start().
  storage::LogDirectories& log_dirs() { return *log_dirs_; }
  std::shared_ptr<const cluster::MetadataImage> image() const { return image_.load(); }

  // The shard owning a partition; stable for the life of the process.
  unsigned shard_of(const cluster::TopicInfo& topic, int32_t partition) const;
  // Whether this broker leads the partition (clients produce and fetch there).
  bool leads(const cluster::TopicInfo& topic, int32_t partition) const {
    return topic.partitions[static_cast<size_t>(partition)].leader == node_id();
  }
  // This shard's partitions; call only on `shard`'s thread.
  PartitionManager& partitions(unsigned shard) { return *managers_[shard]; }
  // This shard's ISR changes; call only on `shard`'s thread.
  IsrUpdates& isr_updates(unsigned shard) { return *isr_updates_[shard]; }
  // This shard's part of the group coordinator; call only on `shard`'s thread.
  GroupShard& groups(unsigned shard) { return *groups_[shard]; }
  // This shard's part of the transaction coordinator; only on `shard`'s thread.
  TransactionShard& transactions(unsigned shard) { return *transactions_[shard]; }
  DataNotifier& notifier() { return notifier_; }
  // KIP-227 incremental fetch sessions, shared by every shard.
  FetchSessionCache& fetch_sessions() { return fetch_sessions_; }
  // Only on the control shard.
  cluster::Controller& controller() { return *controller_; }
  // Only on the control shard.
  cluster::MetadataQuorum& quorum() { return *quorum_; }
  // Only on the control shard.
  QuorumTransport& quorum_transport() { return *transport_; }
  // Where voter `id` of the metadata quorum listens (a negative id: a
  // bootstrap server), as far as this node knows. Only on the control shard.
  std::optional<cluster::QuorumVoter> voter_endpoint(raft::NodeId id) const;
  // The quorum's voters with their controller endpoints: controller.quorum.voters,
  // or a dynamic quorum's as its log says. Only on the control shard.
  const std::vector<cluster::QuorumVoter>& quorum_voters() const {
    return config_.dynamic_quorum() ? quorum_->voter_endpoints() : static_voters_;
  }
  // Only on the control shard.
  ControllerChannel& controller_channel() { return *controller_channel_; }
  // The active controller's duties; null on a broker-only node. Only on the control shard.
  ControllerDuties* duties() { return duties_.get(); }
  // Only on the control shard: the connections forwarded client requests take (Kafka's
  // "forwarding" channel), apart from the heartbeats' and registrations':
  // a slow answer to either never times out (and so disconnects) the other.
  ControllerChannel& forwarding_channel() { return *forwarding_channel_; }
  // Fresh for every start of the process (BrokerRegistration).
  const protocol::Uuid& incarnation_id() const { return incarnation_id_; }
  // The metadata quorum's leader as last seen (-1: none known); any thread.
  int32_t active_controller() const { return active_controller_.load(); }
  // The controller DescribeCluster names: the active controller when it is a
  // live broker, else this broker (which forwards admin requests there); -1
  // while no controller leads. (Metadata names this broker always: see
  // metadata_handler.cc.)
  int32_t controller_for_clients() const;
  // Any shard (it hops to the control shard itself).
  ProducerIdManager& producer_ids() { return producer_ids_; }
  // Runs on the control shard after the controller published an image: makes every
  // shard open/remove its partitions, then calls done() on the caller's shard.
  void sync_partitions(std::function<void()> done);

  void handle(const net::ClientInfo& client, std::shared_ptr<const std::vector<uint8_t>> frame,
              net::Responder respond) override;
  void connection_closed(const net::ClientInfo& client) override;

 private:
  // Opens every log.dir and checks/writes their meta.properties; returns the
  // metadata log's dir (metadata.log.dir, else the first log dir).
  std::filesystem::path open_log_dirs();
  // Opens the metadata log in `dir` as the quorum's, whose committed records
  // become the image; the quorum starts on the control shard once the shards run.
  void start_metadata_quorum(const std::filesystem::path& dir);
  // Blocks until the quorum has a leader and this node applied what it committed.
  void await_metadata();
  // Starts the listeners named in controller.listener.names, or the others.
  void start_listeners(bool controller_listeners);
  void delete_stray_partitions(const cluster::MetadataImage& image);
  // On `shard`: opens/removes its partitions and (re)loads its groups.
  void reconcile_shard(unsigned shard, const std::shared_ptr<const cluster::MetadataImage>& image);
  // Whether `shard` of this broker holds a replica of the partition.
  bool owns(unsigned shard, const cluster::TopicInfo& topic, int32_t partition) const;
  // Registers this broker and waits until its registration is in the image.
  void join_cluster();

  cluster::BrokerConfig config_;
  std::string cluster_id_;
  net::ShardSet shards_;
  std::atomic<std::shared_ptr<const cluster::MetadataImage>> image_;
  std::unique_ptr<storage::LogDirectories> log_dirs_;
  std::vector<cluster::QuorumVoter> static_voters_;      // controller.quorum.voters
  std::vector<cluster::QuorumVoter> bootstrap_servers_;  // a dynamic quorum's controller.quorum.bootstrap.servers
  std::unique_ptr<QuorumTransport> transport_;
  std::unique_ptr<ControllerChannel> controller_channel_;
  std::unique_ptr<ControllerChannel> forwarding_channel_;
  std::unique_ptr<BrokerHeartbeats> heartbeats_;
  std::unique_ptr<ControllerDuties> duties_;      // control shard; on controllers  // control shard; from registration on
  protocol::Uuid incarnation_id_ = protocol::Uuid::random();
  std::atomic<int32_t> active_controller_ = -1;
  std::unique_ptr<cluster::MetadataQuorum> quorum_;
  std::unique_ptr<cluster::Controller> controller_;
  // Set once the shards opened their partitions: images published from then
  // on are reconciled on every shard as they come.
  std::atomic<bool> serving_ = false;
  ProducerIdManager producer_ids_{*this};
  std::vector<std::unique_ptr<PartitionManager>> managers_;
  // Null when log.cleaner.enable is false; destroyed (joined) before the
  // managers its jobs report to.
  std::unique_ptr<CleanerPool> cleaner_;
  std::vector<std::unique_ptr<IsrUpdates>> isr_updates_;
  std::vector<std::unique_ptr<ReplicaFetcher>> fetchers_;
  std::vector<std::unique_ptr<GroupShard>> groups_;
  std::vector<std::unique_ptr<TransactionShard>> transactions_;
  DataNotifier notifier_;
  FetchSessionCache fetch_sessions_;
  net::ConnectionResources connection_resources_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
};

}  // namespace freshet::server
