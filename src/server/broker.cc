#include "server/broker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <latch>
#include <future>
#include <mutex>
#include <thread>
#include <random>

#include "cluster/internal_topics.h"
#include "protocol/errors.h"
#include "cluster/clock.h"
#include "server/broker_membership.h"
#include "server/handlers.h"
#include "storage/meta_properties.h"

namespace freshet::server {

namespace fs = std::filesystem;

namespace {
constexpr std::string_view kMetadataTopic = cluster::kMetadataTopicName;

// "a, b (offline), c" for the ready line.
std::string describe_log_dirs(const storage::LogDirectories& dirs) {
  std::string text;
  for (size_t i = 0; i < dirs.size(); ++i)
    text += fmt::format("{}{}{}", i ? ", " : "", dirs.path(i).string(), dirs.online(i) ? "" : " (offline)");
  return text;
}
// freshet.fetch.file.transfer, whose value the config has validated.
net::FileSliceTransfer file_slice_transfer(const std::string& value) {
  if (value == "sendfile") return net::FileSliceTransfer::kSendfile;
  if (value == "copy") return net::FileSliceTransfer::kCopy;
  return net::FileSliceTransfer::kAuto;
}
}  // namespace

Broker::Broker(cluster::BrokerConfig config, unsigned shard_count)
    : config_(std::move(config)),
      shards_(shard_count),
      notifier_(shards_),
      fetch_sessions_(static_cast<size_t>(std::max<int64_t>(0, config_.get_int("max.incremental.fetch.session.cache.slots")))) {}

Broker::~Broker() { shards_.stop(); }

// Kafka's start-up over log.dirs: every usable dir (and metadata.log.dir)
// must belong to this cluster and node; the metadata log's dir must be usable.
fs::path Broker::open_log_dirs() {
  auto configured = config_.log_dirs();
  std::vector<fs::path> paths(configured.begin(), configured.end());
  log_dirs_ = storage::LogDirectories::open(paths, std::string(kMetadataTopic));
  fs::path metadata_dir = config_.get("metadata.log.dir").empty() ? paths.front() : fs::path(config_.get("metadata.log.dir"));

  auto claimed = log_dirs_->online_paths();
  auto canonical = [](const fs::path& p) {
    std::error_code ec;
    auto path = fs::weakly_canonical(fs::absolute(p), ec);
    return ec ? fs::absolute(p).lexically_normal() : path;
  };
  auto same_dir = [&](const fs::path& p) { return canonical(p) == canonical(metadata_dir); };
  bool metadata_in_log_dirs = std::any_of(paths.begin(), paths.end(), same_dir);
  if (metadata_in_log_dirs && std::none_of(claimed.begin(), claimed.end(), same_dir))
    throw std::runtime_error(fmt::format("Encountered I/O error in metadata log directory {}. Cannot continue.",
                                         metadata_dir.string()));
  // Guard against a reordered log.dirs: a metadata log elsewhere would leave
  // this one empty, and every partition would then look stray.
  std::string metadata_log_name = std::string(kMetadataTopic) + "-0";
  for (const auto& dir : claimed) {
    std::error_code ec;
    if (!same_dir(dir) && fs::exists(dir / metadata_log_name, ec))
      throw std::runtime_error(fmt::format(
          "the metadata log {} is in {}, but the metadata log dir is {} (metadata.log.dir, else the first of "
          "log.dirs): set metadata.log.dir or restore the order of log.dirs",
          metadata_log_name, dir.string(), metadata_dir.string()));
  }
  if (!metadata_in_log_dirs) {
    std::error_code ec;
    fs::create_directories(metadata_dir, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot create metadata log directory {}: {}", metadata_dir.string(), ec.message()));
    claimed.push_back(metadata_dir);
  }
  // A node of a larger quorum must share its cluster id with the others: it
  // comes from `freshet storage format`, never made up here.
  const bool formatted = std::any_of(claimed.begin(), claimed.end(),
                                     [](const fs::path& dir) { return storage::read_meta_properties(dir).has_value(); });
  if (!formatted && config_.get("cluster.id").empty() &&
      (config_.quorum_voters().size() > 1 || !config_.is_controller() || config_.dynamic_quorum()))
    throw std::runtime_error(fmt::format(
        "no meta.properties in {}: a node of a cluster whose quorum has {} voter(s) needs its log dirs formatted with "
        "the cluster's id first (freshet storage format --cluster-id ID, the same ID on every node; freshet storage "
        "random-uuid makes one)",
        metadata_dir.string(), config_.quorum_voters().size()));
  std::string new_cluster_id = protocol::Uuid::random().to_base64();
  cluster_id_ = storage::claim_log_dirs(claimed, node_id(), config_.get("cluster.id"), new_cluster_id);
  return metadata_dir;
}

int32_t Broker::controller_for_clients() const {
  const int32_t active = active_controller();
  if (active == -1) return -1;
  const cluster::BrokerInfo* live = image()->broker(active);
  return live && !live->fenced ? active : node_id();
}

unsigned Broker::shard_of(const cluster::TopicInfo& topic, int32_t partition) const {
  return static_cast<unsigned>((std::hash<std::string>()(topic.name) + static_cast<size_t>(partition)) % shards_.size());
}

// Directories of partitions the metadata no longer has (a topic deleted while
// a crash interrupted its removal) are deleted before serving.
void Broker::delete_stray_partitions(const cluster::MetadataImage& image) {
  for (const auto& tp : log_dirs_->partitions()) {
    const cluster::TopicInfo* topic = image.topic(tp.topic);
    if (topic && static_cast<size_t>(tp.partition) < topic->partitions.size()) continue;
    spdlog::warn("deleting {}-{}: not in the cluster metadata", tp.topic, tp.partition);
    log_dirs_->delete_partition(tp, log_dirs_->open_partition(tp, storage::LogConfig{}, {}, false));
  }
}

std::optional<cluster::QuorumVoter> Broker::voter_endpoint(raft::NodeId id) const {
  auto find = [id](const std::vector<cluster::QuorumVoter>& voters) -> std::optional<cluster::QuorumVoter> {
    auto it = std::find_if(voters.begin(), voters.end(), [id](const cluster::QuorumVoter& v) { return v.id == id; });
    if (it == voters.end()) return std::nullopt;
    return *it;
  };
  if (!config_.dynamic_quorum()) return find(static_voters_);
  if (id < 0) return find(bootstrap_servers_);
  if (auto voter = find(quorum_->voter_endpoints())) return voter;
  return transport_->learned_endpoint(id);
}

void Broker::start_metadata_quorum(const fs::path& dir) {
  cluster::QuorumOptions options;
  options.self = node_id();
  static_voters_ = config_.quorum_voters();
  for (const auto& voter : static_voters_) options.voters.push_back(voter.id);
  if (options.voters.empty()) options.voters = {node_id()};
  if (config_.dynamic_quorum()) {
    options.dynamic_voters = true;
    options.listener = config_.controller_listener_name();
    bootstrap_servers_ = config_.quorum_bootstrap_servers();
    for (const auto& server : bootstrap_servers_) options.raft.bootstrap_servers.push_back(server.id);
  }
  options.raft.election_timeout_ms = config_.get_int("controller.quorum.election.timeout.ms");
  options.raft.fetch_timeout_ms = config_.get_int("controller.quorum.fetch.timeout.ms");
  options.raft.election_backoff_max_ms = config_.get_int("controller.quorum.election.backoff.max.ms");
  options.raft.request_timeout_ms = config_.get_int("controller.quorum.request.timeout.ms");
  options.seed = std::random_device{}();
  options.snapshot_max_record_bytes = config_.get_int("metadata.log.max.record.bytes.between.snapshots");
  options.snapshot_max_interval_ms = config_.get_int("metadata.log.max.snapshot.interval.ms");
  auto endpoints = [this](raft::NodeId id) { return voter_endpoint(id); };
  auto& control = shards_.context(shards_.control_shard());
  transport_ = std::make_unique<QuorumTransport>(control, node_id(), endpoints, cluster_id_, options.raft,
                                                 [this](int32_t leader) { active_controller_ = leader; });
  const std::string client_id = fmt::format("freshet-broker-{}", node_id());
  controller_channel_ = std::make_unique<ControllerChannel>(control, node_id(), endpoints, client_id);
  forwarding_channel_ = std::make_unique<ControllerChannel>(control, node_id(), endpoints, client_id);
  auto callbacks = cluster::controller_callbacks(controller_);
  callbacks.send = [this](cluster::QuorumMessage m) { transport_->send(std::move(m)); };
  quorum_ = std::make_unique<cluster::MetadataQuorum>(dir, options, std::move(callbacks), cluster::monotonic_ms());
  controller_ = std::make_unique<cluster::Controller>(config_, *quorum_, [this](auto next) {
    image_.store(std::move(next));
    // Followers learn of changes here: every shard opens or drops partitions.
    if (serving_) sync_partitions([] {});
  });
  image_.store(controller_->image());
  if (config_.is_controller()) duties_ = std::make_unique<ControllerDuties>(*this);
  shards_.post(shards_.control_shard(), [this] {
    quorum_->start(cluster::monotonic_ms());
    transport_->start(*quorum_);
    if (duties_) duties_->start();
  });
}

namespace {
// Runs `fn` on the control shard and returns its result to the (non-shard) caller.
template <typename Fn>
auto on_control_shard(net::ShardSet& shards, Fn fn) {
  std::promise<decltype(fn())> result;
  shards.post(shards.control_shard(), [&] { result.set_value(fn()); });
  return result.get_future().get();
}

// Blocks the starting thread until `done()` holds on the control shard; `waiting()`
// runs every 5 s meanwhile.
void wait_on_control_shard(net::ShardSet& shards, const std::function<bool()>& done, const std::function<void()>& waiting) {
  auto next_note = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!on_control_shard(shards, done)) {
    if (std::chrono::steady_clock::now() >= next_note) {
      waiting();
      next_note += std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}
}  // namespace

void Broker::await_metadata() {
  wait_on_control_shard(shards_, [this] { return quorum_->caught_up(); }, [this] {
    spdlog::info("waiting for the metadata quorum ({}) to elect a leader and for this node to catch up",
                 config_.get("controller.quorum.voters"));
  });
  spdlog::info("metadata quorum: {}", on_control_shard(shards_, [this] {
                 return fmt::format("leader {} in epoch {}, {} record offset(s) applied", quorum_->core().leader(),
                                    quorum_->core().epoch(), quorum_->applied_offset());
               }));
}

void Broker::join_cluster() {
  std::promise<int64_t> registered;
  shards_.post(shards_.control_shard(), [&] { register_broker(*this, [&](int64_t epoch) { registered.set_value(epoch); }); });
  const int64_t epoch = registered.get_future().get();
  shards_.post(shards_.control_shard(), [this, epoch] {
    heartbeats_ = std::make_unique<BrokerHeartbeats>(*this, epoch);
    heartbeats_->start();
  });
  // Our own registration is committed: wait until this node applied it.
  wait_on_control_shard(shards_, [this, epoch] { return quorum_->applied_offset() > epoch; }, [this, epoch] {
    spdlog::info("waiting to apply this broker's registration at offset {}", epoch);
  });
  spdlog::info("registered as broker {} with epoch {}", node_id(), epoch);
}

bool Broker::owns(unsigned shard, const cluster::TopicInfo& topic, int32_t partition) const {
  const auto& replicas = topic.partitions[static_cast<size_t>(partition)].replicas;
  return shard_of(topic, partition) == shard && std::find(replicas.begin(), replicas.end(), node_id()) != replicas.end();
}

void Broker::start_listeners(bool controller_listeners) {
  net::ConnectionLimits limits;
  limits.max_request_bytes = static_cast<int32_t>(config_.get_int("socket.request.max.bytes"));
  limits.max_in_flight_requests = static_cast<size_t>(config_.get_int("queued.max.requests"));
  limits.max_idle_ms = config_.get_int("connections.max.idle.ms");
  limits.send_buffer_bytes = static_cast<int32_t>(config_.get_int("socket.send.buffer.bytes"));
  limits.receive_buffer_bytes = static_cast<int32_t>(config_.get_int("socket.receive.buffer.bytes"));
  limits.file_slices = file_slice_transfer(config_.get("freshet.fetch.file.transfer"));
  for (const auto& l : config_.listeners()) {
    if (config_.is_controller_listener(l.name) != controller_listeners) continue;
    try {
      listeners_.push_back(
          std::make_unique<net::Listener>(shards_, *this, limits, connection_resources_, l.name, l.host, l.port));
    } catch (const std::system_error& e) {
      throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", l.host, l.port, e.code().message()));
    }
    listeners_.back()->start();
  }
}

void Broker::start() {
  auto started = std::chrono::steady_clock::now();
  fs::path metadata_dir = open_log_dirs();
  if (config_.get_bool("log.cleaner.enable") && config_.get_int("log.cleaner.threads") > 0)
    cleaner_ = std::make_unique<CleanerPool>(shards_, config_);
  for (unsigned i = 0; i < shards_.size(); ++i) {
    managers_.push_back(std::make_unique<PartitionManager>(i, shards_, config_, notifier_, *log_dirs_, cleaner_.get(),
                                                           [this, i] { reconcile_shard(i, image()); }));
    isr_updates_.push_back(std::make_unique<IsrUpdates>(*this, i));
    fetchers_.push_back(std::make_unique<ReplicaFetcher>(*this, i));
    groups_.push_back(std::make_unique<GroupShard>(*this, i));
    transactions_.push_back(std::make_unique<TransactionShard>(*this, i));
  }

  connection_resources_.memory = std::make_shared<net::RequestMemory>(config_.get_int("queued.max.request.bytes"));
  connection_resources_.quotas = std::make_shared<net::ConnectionQuotas>(
      net::ConnectionQuotaLimits{config_.get_int("max.connections"), config_.get_int("max.connections.per.ip")});
  start_metadata_quorum(metadata_dir / (std::string(kMetadataTopic) + "-0"));
  shards_.start();
  // The quorum's listeners first: the other voters need them to elect a
  // leader, which this node waits for before it serves clients.
  start_listeners(/*controller_listeners=*/true);
  await_metadata();
  if (!config_.is_broker()) {
    spdlog::info("freshet node {} ready as a controller in {} ms: cluster {}, metadata in {}, listening on {}", node_id(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count(),
                 cluster_id_, metadata_dir.string(), config_.get("listeners"));
    return;  // no partitions, no clients: the quorum's listeners only
  }
  join_cluster();
  auto image = image_.load();
  delete_stray_partitions(*image);

  // Recover every shard's partitions in parallel before serving anyone.
  std::latch opened(shards_.size());
  for (unsigned shard = 0; shard < shards_.size(); ++shard) {
    shards_.post(shard, [this, shard, image, &opened] {
      reconcile_shard(shard, image);
      isr_updates_[shard]->start();
      opened.count_down();
    });
  }
  opened.wait();
  serving_ = true;
  // An image published while the shards opened their partitions.
  shards_.post(shards_.control_shard(), [this] { sync_partitions([] {}); });
  start_listeners(/*controller_listeners=*/false);
  auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("freshet node {} ready in {} ms: cluster {}, {} shard(s), {} topic(s), data in {}, metadata in {}, "
               "listening on {}",
               node_id(), elapsed_ms, cluster_id_, shards_.size(), image->topics().size(), describe_log_dirs(*log_dirs_),
               metadata_dir.string(), config_.get("listeners"));
}

void Broker::stop() {
  // Controlled shutdown: fenced first, so clients and placement move on at once.
  auto fenced = std::make_shared<std::promise<void>>();
  shards_.post(shards_.control_shard(), [this, fenced] {
    if (!heartbeats_) return fenced->set_value();
    heartbeats_->shut_down([fenced] { fenced->set_value(); });
  });
  if (fenced->get_future().wait_for(std::chrono::milliseconds(config_.get_int("controller.quorum.request.timeout.ms"))) !=
      std::future_status::ready)
    spdlog::warn("controlled shutdown: the controller did not answer; stopping anyway");
  // A leading controller steps down first, so the others elect one at once
  // (EndQuorumEpoch), not after the fetch timeout.
  on_control_shard(shards_, [this] {
    quorum_->resign(cluster::monotonic_ms());
    return true;
  });
  for (auto& l : listeners_) l->stop();
  // Cleanings done by now are installed before the logs close (their
  // completions are queued on the shards ahead of the close).
  if (cleaner_) cleaner_->stop();
  std::mutex mutex;
  std::vector<storage::PartitionCheckpoint> checkpoints;
  std::latch closed(shards_.size());
  for (unsigned shard = 0; shard < shards_.size(); ++shard) {
    shards_.post(shard, [this, shard, &closed, &mutex, &checkpoints] {
      fetchers_[shard]->stop();
      isr_updates_[shard]->stop();
      groups_[shard]->stop();
      transactions_[shard]->stop();
      managers_[shard]->stop();
      auto closed_here = managers_[shard]->close_all();
      std::lock_guard lock(mutex);
      checkpoints.insert(checkpoints.end(), closed_here.begin(), closed_here.end());
      closed.count_down();
    });
  }
  closed.wait();
  on_control_shard(shards_, [this] {
    if (duties_) duties_->stop();
    transport_->stop();
    controller_channel_->stop();
    forwarding_channel_->stop();
    return true;
  });
  shards_.stop();
  quorum_->close();
  log_dirs_->write_checkpoints(checkpoints);
  log_dirs_->mark_clean_shutdown();
  spdlog::info("freshet node {} stopped cleanly", node_id());
}

void Broker::reconcile_shard(unsigned shard, const std::shared_ptr<const cluster::MetadataImage>& image) {
  managers_[shard]->reconcile(image, [this, shard](const auto& t, int32_t p) { return owns(shard, t, p); });
  fetchers_[shard]->reconcile();
  groups_[shard]->reconcile(*image);
  transactions_[shard]->reconcile(*image);
}

void Broker::sync_partitions(std::function<void()> done) {
  auto image = this->image();
  auto remaining = std::make_shared<unsigned>(shards_.size());
  for (unsigned shard = 0; shard < shards_.size(); ++shard) {
    shards_.submit(
        shard,
        [this, shard, image] {
          reconcile_shard(shard, image);
          return true;
        },
        [remaining, done](bool) {
          if (--*remaining == 0) done();
        });
  }
}

namespace {
// KIP-511: a client newer than us sends ApiVersions at a version we do not
// know; answer at v0 with UNSUPPORTED_VERSION and our ranges so it can retry.
protocol::EncodedMessage unsupported_api_versions_response(int32_t correlation_id) {
  protocol::Writer w;
  w.i32(0);
  w.i32(correlation_id);
  protocol::ApiVersionsResponse resp = api_versions_response();
  resp.error_code = protocol::code(protocol::ErrorCode::UnsupportedVersion);
  resp.encode(w, 0);
  return w.take_message();
}
}  // namespace

// Any failure while handling one request costs that request's connection
// (closed with a line naming the client and the API), never the broker: here
// for the synchronous part; Request and ShardSet see to the asynchronous one.
void Broker::connection_closed(const net::ClientInfo& client) {
  // Brokers heartbeat over the controller listeners.
  if (!duties_ || !config_.is_controller_listener(client.listener)) return;
  shards_.post(shards_.control_shard(), [this, id = client.connection_id] { duties_->connection_closed(id); });
}

void Broker::handle(const net::ClientInfo& client, std::shared_ptr<const std::vector<uint8_t>> frame,
                    net::Responder respond) {
  protocol::Reader reader(*frame);
  int16_t api_key = reader.i16();
  int16_t version = reader.i16();
  const ServedApi* api = find_served_api(api_key);
  if (!api) return respond.fail(fmt::format("unknown API key {}", api_key));
  if (version < api->min_version || version > api->max_version) {
    if (api_key == static_cast<int16_t>(protocol::ApiKey::ApiVersions) && version > api->max_version) {
      int32_t correlation_id = reader.i32();
      return respond(unsupported_api_versions_response(correlation_id));
    }
    return respond.fail(fmt::format("unsupported version {} of API {} ({}..{} served)", version,
                                    protocol::find_api(api_key)->name, api->min_version, api->max_version));
  }
  auto request = std::make_shared<Request>(*this, net::ShardSet::current(), client, frame, std::move(respond));
  auto budget = protocol::DecodeBudget::for_frame(frame->size());
  protocol::Reader body(*frame, nullptr, &budget);
  try {
    request->header.decode(body, protocol::request_header_version(api_key, version));
    request->body_offset = frame->size() - body.remaining();
    api->handle(request, body);
  } catch (const protocol::DecodeError& e) {
    request->fail(fmt::format("malformed request: {}", e.what()));
  } catch (const std::exception& e) {
    request->fail(fmt::format("failed: {}", e.what()));
  }
}

}  // namespace freshet::server
