// Controller::finalize_features: the feature levels a new cluster's first
// active controller finalizes (metadata.version), as Kafka's bootstrap
// records do.
#include "cluster/controller.h"

namespace freshet::cluster {

void Controller::finalize_features() {
  if (!quorum_.active() || latest_->feature_level(kMetadataVersionFeature)) return;
  protocol::FeatureLevelRecord record;
  record.name = std::string(kMetadataVersionFeature);
  record.feature_level = kMetadataVersionLevel;
  commit({record});
}

}  // namespace freshet::cluster
