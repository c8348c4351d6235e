// PartitionLog: opening (with recovery), close and deletion.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <system_error>

#include "storage/log_file_names.h"
#include "storage/partition_log.h"
#include "storage/partition_metadata.h"
#include "storage/segment.h"
#include "storage/storage_error.h"

namespace freshet::storage {

namespace {
// Kafka's bounds: positions in a segment are int32, an index holds at least one entry.
LogConfig sanitized(LogConfig config) {
  config.segment_bytes = std::clamp<uint64_t>(config.segment_bytes, protocol::kRecordBatchHeaderSize, INT32_MAX);
  config.segment_index_bytes = std::max<uint32_t>(config.segment_index_bytes, 4 * TimeIndex::kEntryBytes);
  config.max_producer_ids = std::max<uint32_t>(config.max_producer_ids, 1);
  // KIP-354: a compacted log's active segment rolls by max.compaction.lag.ms
  // too, so that no record waits longer than that to be cleanable.
  if (config.compact) config.segment_ms = std::min(config.segment_ms, config.max_compaction_lag_ms);
  return config;
}

void check(const std::error_code& ec, std::string_view what, const std::filesystem::path& path) {
  if (ec) throw StorageError(fmt::format("{} {}: {}", what, path.string(), ec.message()));
}
}  // namespace

int64_t PartitionLog::wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

PartitionLog::PartitionLog(std::filesystem::path dir, const LogConfig& config, protocol::Uuid topic_id)
    : dir_(std::move(dir)),
      config_(sanitized(config)),
      topic_id_(topic_id),
      dir_handle_(FileHandle::open_directory(dir_)),
      epochs_(dir_ / kLeaderEpochCheckpointFileName),
      producers_(dir_.filename().string(), config_) {}

PartitionLog::~PartitionLog() = default;

void PartitionLog::set_config(const LogConfig& config) {
  config_ = sanitized(config);
  producers_.set_config(config_);
}

std::unique_ptr<PartitionLog> PartitionLog::open(const std::filesystem::path& given_dir, const LogConfig& config,
                                                 protocol::Uuid topic_id, const StartupState& state) {
  std::error_code ec;
  auto dir = std::filesystem::absolute(given_dir, ec).lexically_normal();
  check(ec, "bad path", given_dir);
  if (!dir.has_filename()) dir = dir.parent_path();  // a trailing '/'
  bool created = std::filesystem::create_directories(dir, ec);
  check(ec, "cannot create", dir);

  auto recorded_id = read_partition_metadata(dir);
  if (recorded_id && !topic_id.is_zero() && *recorded_id != topic_id)
    throw StorageError(fmt::format("{} belongs to topic id {}, not {}", dir.string(), recorded_id->to_base64(),
                                   topic_id.to_base64()));
  bool write_metadata = !recorded_id && !topic_id.is_zero();
  if (write_metadata) write_partition_metadata(dir, topic_id);

  std::unique_ptr<PartitionLog> log(new PartitionLog(dir, config, recorded_id.value_or(topic_id)));
  if (created) log->sync_later(FileHandle::open_directory(log->dir_.parent_path()));
  if (created || write_metadata) log->sync_later(log->dir_handle_);
  log->complete_interrupted_swaps();
  log->remove_stray_files();
  log->load_segments(state, wall_clock_ms());
  log->cleaner_offset_ = state.cleaner_offset;
  return log;
}

void PartitionLog::remove_stray_files() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    auto base = parse_segment_file_name(name, kOffsetIndexFileSuffix);
    if (!base) base = parse_segment_file_name(name, kTimeIndexFileSuffix);
    if (!base) base = parse_segment_file_name(name, kTxnIndexFileSuffix);
    bool orphan_index = base && !std::filesystem::exists(dir_ / segment_file_name(*base, kLogFileSuffix));
    // A deleted segment's files whose removal a crash or a shutdown cut
    // short, and a cleaning's output that was not swapped in.
    const bool retired = name.ends_with(kDeletedFileSuffix);
    const bool cleaned = name.ends_with(kCleanedFileSuffix) || name.ends_with(kSwapFileSuffix);
    if (orphan_index || retired || cleaned || name.ends_with(kTempFileSuffix)) {
      spdlog::info("removing stray file {}", entry.path().string());
      std::filesystem::remove(entry.path(), ec);
    }
  }
  check(ec, "cannot list", dir_);
}

void PartitionLog::load_segments(const StartupState& state, int64_t now_ms) {
  std::vector<int64_t> base_offsets;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (auto base = parse_segment_file_name(entry.path().filename().string(), kLogFileSuffix))
      base_offsets.push_back(*base);
  }
  check(ec, "cannot list", dir_);
  std::sort(base_offsets.begin(), base_offsets.end());
  for (int64_t base : base_offsets) segments_.push_back(Segment::open(dir_, base, config_, now_ms));
  if (segments_.empty()) {
    segments_.push_back(Segment::create(dir_, std::max<int64_t>(state.log_start_offset, 0), config_, now_ms));
    sync_later(dir_handle_);
  }

  snapshot_offsets_ = list_producer_snapshots(dir_);
  log_start_offset_ = std::max(state.log_start_offset, segments_.front()->base_offset());
  auto epochs_before = epochs_.entries();
  if (state.clean_shutdown) {
    active().load();
    load_producer_state(active().next_offset(), now_ms);
  } else {
    // Validate everything that may not have reached the disk, and the segment
    // before it when the recovery point sits on its end (see flush_target()).
    // The producer state is rebuilt along, from the state at the first
    // segment validated, and with it the segments' transaction indexes.
    size_t first = segment_index_for(std::max<int64_t>(state.recovery_point - 1, 0));
    load_producer_state(segments_[first]->base_offset(), now_ms);
    for (size_t i = first; i < segments_.size(); ++i) {
      Segment& segment = *segments_[i];
      segment.txn_index().reset();
      uint64_t dropped = segment.recover([&](const protocol::RecordBatchHeader& h, std::span<const uint8_t> batch) {
        auto latest = epochs_.latest_epoch();
        if (h.partition_leader_epoch >= 0 && (!latest || h.partition_leader_epoch > *latest))
          epochs_.assign(h.partition_leader_epoch, h.base_offset);
        replay_stored_batch(h, batch, &segment);
      });
      if (const auto& txn_index = segment.txn_index().handle()) sync_later(txn_index);
      if (dropped > 0 && i + 1 < segments_.size()) {
        spdlog::warn("{}: removing {} segments after the corrupt one", dir_.string(), segments_.size() - i - 1);
        drop_segments_from(i + 1);
      }
    }
  }
  log_end_offset_ = active().next_offset();
  epochs_.truncate_from_end(log_end_offset_);
  if (epochs_.entries() != epochs_before) persist_epochs();
  log_start_offset_ = std::clamp(state.log_start_offset, segments_.front()->base_offset(), log_end_offset_);
  recovery_point_ = state.clean_shutdown ? log_end_offset_ : std::clamp<int64_t>(state.recovery_point, 0, log_end_offset_);
  prune_snapshots();
}

void PartitionLog::drop_segments_from(size_t first) {
  for (size_t i = first; i < segments_.size(); ++i) segments_[i]->remove_files();
  segments_.resize(std::min(first, segments_.size()));
  sync_later(dir_handle_);
}

void PartitionLog::close() {
  if (closed_) return;
  active().seal();
  take_snapshot();
  std::vector<std::shared_ptr<FileHandle>> files = std::move(pending_syncs_);
  collect_unflushed_files(files, /*with_active_indexes=*/true);
  for (const auto& file : files) file->sync();
  recovery_point_ = log_end_offset_;
  segments_.clear();
  pending_syncs_.clear();
  dir_handle_.reset();
  closed_ = true;
}

void PartitionLog::delete_all() {
  segments_.clear();
  pending_syncs_.clear();
  dir_handle_.reset();
  closed_ = true;
  protocol::Uuid id = protocol::Uuid::random();
  std::string suffix = fmt::format(".{:016x}{:016x}{}", id.hi, id.lo, kDeleteDirSuffix);
  std::string name = dir_.filename().string();
  constexpr size_t kMaxFileNameBytes = 255;
  auto doomed = dir_.parent_path() / (name.substr(0, kMaxFileNameBytes - suffix.size()) + suffix);
  std::error_code ec;
  std::filesystem::rename(dir_, doomed, ec);
  check(ec, "cannot rename", dir_);
  std::filesystem::remove_all(doomed, ec);
  check(ec, "cannot remove", doomed);
}

}  // namespace freshet::storage
