#include "cluster/quorum_state_file.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "storage/file_handle.h"
#include "storage/storage_error.h"

namespace freshet::cluster {

namespace {
constexpr int kDataVersion = 1;
}

raft::QuorumState QuorumStateFile::load() const {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return {};
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) throw storage::StorageError(fmt::format("cannot read {}", path_.string()));
  try {
    auto json = nlohmann::json::parse(text.str());
    raft::QuorumState state;
    state.epoch = json.at("leaderEpoch").get<int32_t>();
    state.leader = json.at("leaderId").get<int32_t>();
    state.voted_for = json.at("votedId").get<int32_t>();
    if (state.epoch < 0) throw storage::StorageError(fmt::format("{}: negative leaderEpoch", path_.string()));
    return state;
  } catch (const nlohmann::json::exception& e) {
    throw storage::StorageError(fmt::format("{} is not a quorum-state file: {}", path_.string(), e.what()));
  }
}

void QuorumStateFile::save(const raft::QuorumState& state) const {
  nlohmann::json json = {{"leaderId", state.leader},
                         {"leaderEpoch", state.epoch},
                         {"votedId", state.voted_for},
                         {"votedDirectoryId", "AAAAAAAAAAAAAAAAAAAAAA"},
                         {"data_version", kDataVersion}};
  storage::write_file_atomically(path_, json.dump());
  storage::sync_directory(path_.parent_path());
}

}  // namespace freshet::cluster
