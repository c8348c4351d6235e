// Copies the logs of the partitions this shard follows from their leaders
// (Kafka's ReplicaFetcherThread, one per shard and leader broker): one Fetch
// in flight per leader over one connection, sessionless, naming this broker
// in ReplicaState so that the leader counts its progress; the leader holds it
// up to replica.fetch.wait.max.ms for new records. Every batch's CRC is
// checked before it is appended as it is; a DivergingEpoch answer truncates
// the follower first (see replication/divergence.h), OFFSET_OUT_OF_RANGE
// below the leader's log start restarts it there. A partition whose fetch
// failed (stale epoch, leader moved) waits replica.fetch.backoff.ms, and so
// does a leader that could not be reached.
// Shard thread only.
#pragma once

#include <asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/partition.h"
#include "server/peer_client.h"

namespace freshet::server {

class Broker;

class ReplicaFetcher {
 public:
  ReplicaFetcher(Broker& broker, unsigned shard);

  // The shard's partitions changed (a new image): fetches for every one
  // that follows a leader this broker can reach; drops links to leaders no
  // partition follows any more.
  void reconcile();
  void stop();

 private:
  struct Followed {
    protocol::Uuid topic_id;
    std::weak_ptr<Partition> partition;
    int64_t retry_at_ms = 0;  // monotonic; a failed partition waits until then
  };
  // The fetch state of one partition as sent.
  struct Sent {
    protocol::Uuid topic_id;
    std::weak_ptr<Partition> partition;
    int32_t leader_epoch;
    int64_t fetch_offset;
  };
  struct Link {
    int32_t leader;
    uint64_t generation;  // tells a re-made link's answers from the old one's
    std::string host;
    uint16_t port;
    std::unique_ptr<PeerClient> client;
    std::vector<Followed> partitions;
    bool in_flight = false;
    std::shared_ptr<asio::steady_timer> wakeup;  // for backoffs
  };

  void fetch(Link& link);
  void fetched(int32_t leader, uint64_t generation, std::vector<Sent> sent,
               std::optional<protocol::FetchResponse> response);
  // Applies one partition's answer; false when the partition must back off.
  bool apply(const Sent& sent, Partition& partition, const protocol::FetchResponse::PartitionData& data);
  void append_records(Partition& partition, const protocol::Records& records);
  void wake_later(Link& link, int64_t at_ms);
  // The partition waits replica.fetch.backoff.ms before it is fetched again.
  void back_off(Link& link, const Sent& sent, int64_t now_ms);

  Broker& broker_;
  unsigned shard_;
  uint64_t next_generation_ = 1;
  std::map<int32_t, std::unique_ptr<Link>> links_;  // by leader id
  bool stopped_ = false;
};

}  // namespace freshet::server
