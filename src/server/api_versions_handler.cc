#include "protocol/errors.h"
#include "server/broker.h"
#include "server/handlers.h"

namespace freshet::server {

// Lists every served API and its version range. A request of a version newer
// than ours is answered (by the broker's dispatcher) at v0 with
// UNSUPPORTED_VERSION and the same list, as KIP-511 asks.
protocol::ApiVersionsResponse api_versions_response() {
  protocol::ApiVersionsResponse resp;
  for (const auto& api : served_apis()) {
    protocol::ApiVersionsResponse::ApiVersion v;
    v.api_key = api.api_key;
    v.min_version = api.min_version;
    v.max_version = api.max_version;
    resp.api_keys.push_back(v);
  }
  return resp;
}

namespace {
// Kafka's transaction.version feature, finalized at 2: Java clients 4.x then
// run transaction version 2 (KIP-890 part 2: Produce v12, TxnOffsetCommit v5
// and EndTxn v5, an epoch bump with every transaction). The features carry
// no epoch history here, so the epoch is constant; a client takes them once
// it is not below -1.
constexpr std::string_view kTransactionVersionFeature = "transaction.version";
constexpr int16_t kTransactionVersion = 2;
constexpr int64_t kFinalizedFeaturesEpoch = 0;
// ApiVersions v3 clients older than Kafka 3.9 reject a supported feature
// whose minimum is 0, so Kafka leaves those out below v4 (KAFKA-17011).
constexpr int16_t kFirstVersionWithZeroMinimumFeatures = 4;
}  // namespace

void handle_api_versions(const RequestPtr& request, protocol::Reader& body) {
  protocol::ApiVersionsRequest req;
  req.decode(body, request->version());
  protocol::ApiVersionsResponse resp = api_versions_response();
  if (request->version() >= kFirstVersionWithZeroMinimumFeatures) {
    protocol::ApiVersionsResponse::SupportedFeatureKey supported;
    supported.name = kTransactionVersionFeature;
    supported.min_version = 0;
    supported.max_version = kTransactionVersion;
    resp.supported_features.push_back(supported);
  }
  // metadata.version: the one level this version writes, finalized once the
  // cluster's first controller wrote it.
  protocol::ApiVersionsResponse::SupportedFeatureKey metadata_version;
  metadata_version.name = cluster::kMetadataVersionFeature;
  metadata_version.min_version = cluster::kMetadataVersionLevel;
  metadata_version.max_version = cluster::kMetadataVersionLevel;
  resp.supported_features.push_back(metadata_version);
  if (auto level = request->broker.image()->feature_level(cluster::kMetadataVersionFeature)) {
    protocol::ApiVersionsResponse::FinalizedFeatureKey finalized;
    finalized.name = cluster::kMetadataVersionFeature;
    finalized.min_version_level = *level;
    finalized.max_version_level = *level;
    resp.finalized_features.push_back(finalized);
  }
  protocol::ApiVersionsResponse::FinalizedFeatureKey finalized;
  finalized.name = kTransactionVersionFeature;
  finalized.min_version_level = kTransactionVersion;
  finalized.max_version_level = kTransactionVersion;
  resp.finalized_features.push_back(finalized);
  resp.finalized_features_epoch = kFinalizedFeaturesEpoch;
  request->reply(resp);
}

}  // namespace freshet::server
