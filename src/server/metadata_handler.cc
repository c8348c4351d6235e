#include "cluster/controller.h"
#include "cluster/internal_topics.h"
#include "protocol/errors.h"
#include "server/broker.h"
#include "server/handlers.h"
#include "server/live_brokers.h"
#include "server/controller_calls.h"

namespace freshet::server {

namespace {
using protocol::ErrorCode;
using protocol::MetadataResponse;

// A partition whose leader is fenced (or gone) has no leader until the
// controller elects another (an in-sync replica, or with unclean leader
// election any live one): LEADER_NOT_AVAILABLE.
MetadataResponse::MetadataResponseTopic describe_topic(const cluster::TopicInfo& topic, const cluster::MetadataImage& image) {
  MetadataResponse::MetadataResponseTopic out;
  out.name = topic.name;
  out.topic_id = topic.id;
  out.is_internal = cluster::is_internal_topic(topic.name);
  for (const auto& p : topic.partitions) {
    MetadataResponse::MetadataResponsePartition part;
    part.partition_index = p.partition;
    const cluster::BrokerInfo* leader = image.broker(p.leader);
    const bool available = leader && !leader->fenced;
    part.error_code = protocol::code(available ? ErrorCode::None : ErrorCode::LeaderNotAvailable);
    part.leader_id = available ? p.leader : -1;
    part.leader_epoch = p.leader_epoch;
    part.replica_nodes = p.replicas;
    part.isr_nodes = p.isr;
    for (int32_t replica : p.replicas) {
      const cluster::BrokerInfo* b = image.broker(replica);
      if (!b || b->fenced) part.offline_replicas.push_back(replica);
    }
    out.partitions.push_back(std::move(part));
  }
  return out;
}

MetadataResponse::MetadataResponseTopic missing_topic(const std::optional<std::string>& name, const protocol::Uuid& id,
                                                      ErrorCode error) {
  MetadataResponse::MetadataResponseTopic out;
  out.name = name.value_or("");
  out.topic_id = id;
  out.error_code = protocol::code(error);
  return out;
}

void respond(const RequestPtr& request, const protocol::MetadataRequest& req) {
  Broker& broker = request->broker;
  auto image = broker.image();
  MetadataResponse resp;
  for (const auto& live : live_broker_endpoints(*image, request->listener)) {
    MetadataResponse::MetadataResponseBroker b;
    b.node_id = live.id;
    b.host = live.host;
    b.port = live.port;
    b.rack = live.rack;
    resp.brokers.push_back(std::move(b));
  }
  resp.cluster_id = broker.cluster_id();
  // Kafka names a random live broker, never the controller itself: a client
  // caches it for admin requests, and one that cached a controller just
  // killed waits until its next metadata refresh. This broker is alive (it
  // answers) and forwards them to the active controller.
  resp.controller_id = broker.node_id();
  bool all_topics = !req.topics || (request->version() == 0 && req.topics->empty());
  if (all_topics) {
    for (const auto& [name, topic] : image->topics()) resp.topics.push_back(describe_topic(*topic, *image));
  } else {
    for (const auto& t : *req.topics) {
      const cluster::TopicInfo* topic = t.name ? image->topic(*t.name) : image->topic(t.topic_id);
      if (topic)
        resp.topics.push_back(describe_topic(*topic, *image));
      else if (t.name && cluster::invalid_topic_name_reason(*t.name))
        resp.topics.push_back(missing_topic(t.name, t.topic_id, ErrorCode::InvalidTopicException));
      else
        resp.topics.push_back(missing_topic(t.name, t.topic_id, t.name ? ErrorCode::UnknownTopicOrPartition : ErrorCode::UnknownTopicId));
    }
  }
  request->reply(resp);
}

// Names asked for that do not exist yet and may be auto-created.
std::vector<std::string> topics_to_create(const RequestPtr& request, const protocol::MetadataRequest& req) {
  std::vector<std::string> names;
  if (!req.topics || !req.allow_auto_topic_creation || !request->broker.config().get_bool("auto.create.topics.enable"))
    return names;
  auto image = request->broker.image();
  for (const auto& t : *req.topics)
    if (t.name && !image->topic(*t.name) && !cluster::invalid_topic_name_reason(*t.name) && !cluster::is_internal_topic(*t.name))
      names.push_back(*t.name);
  return names;
}
}  // namespace

void handle_metadata(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<protocol::MetadataRequest>();
  req->decode(body, request->version());
  if (request->version() < 4) req->allow_auto_topic_creation = true;
  auto names = topics_to_create(request, *req);
  if (names.empty()) return respond(request, *req);
  create_topics_with_defaults(request->broker, names, [request, req] { respond(request, *req); });
}

}  // namespace freshet::server
