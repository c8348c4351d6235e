// PartitionLog: appends, reads, lookups, truncation and flushing. Opening,
// recovery, close and deletion are in partition_log_open.cc.
#include "storage/partition_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <stdexcept>
#include <string>

#include "protocol/batch_records.h"
#include "storage/segment.h"

namespace freshet::storage {

namespace {
// The header of a whole batch handed to append; throws std::invalid_argument otherwise.
protocol::RecordBatchHeader whole_batch_header(std::span<const uint8_t> batch) {
  auto header = protocol::parse_batch_header(batch);
  if (!header || header->batch_length < 0 || header->total_size() != batch.size() || header->last_offset_delta < 0)
    throw std::invalid_argument("PartitionLog: append needs exactly one whole record batch");
  return *header;
}

}  // namespace

void FlushTarget::sync() const {
  for (const auto& file : files) file->sync();
}

Segment& PartitionLog::active() { return *segments_.back(); }

size_t PartitionLog::segment_index_for(int64_t offset) const {
  auto after = std::upper_bound(segments_.begin(), segments_.end(), offset,
                                [](int64_t o, const std::unique_ptr<Segment>& s) { return o < s->base_offset(); });
  return after == segments_.begin() ? 0 : static_cast<size_t>(after - segments_.begin()) - 1;
}

AppendResult PartitionLog::append(std::span<uint8_t> batch, int32_t leader_epoch, int64_t now_ms,
                                  const AppendChecks& checks) {
  protocol::RecordBatchHeader header = whole_batch_header(batch);
  protocol::set_base_offset(batch, log_end_offset_);
  protocol::set_partition_leader_epoch(batch, leader_epoch);
  header.base_offset = log_end_offset_;
  header.partition_leader_epoch = leader_epoch;
  std::span<const uint8_t> pieces[] = {batch};
  return append_as_leader(batch, pieces, header, checks, now_ms);
}

AppendResult PartitionLog::append_borrowed(std::span<const uint8_t> batch, int32_t leader_epoch, int64_t now_ms,
                                           const AppendChecks& checks) {
  protocol::RecordBatchHeader header = whole_batch_header(batch);
  std::array<uint8_t, protocol::kRecordBatchHeaderSize> header_bytes;
  std::copy_n(batch.begin(), header_bytes.size(), header_bytes.begin());
  protocol::set_base_offset(header_bytes, log_end_offset_);
  protocol::set_partition_leader_epoch(header_bytes, leader_epoch);
  header.base_offset = log_end_offset_;
  header.partition_leader_epoch = leader_epoch;
  std::span<const uint8_t> pieces[] = {header_bytes, batch.subspan(header_bytes.size())};
  return append_as_leader(batch, pieces, header, checks, now_ms);
}

AppendResult PartitionLog::append_as_leader(std::span<const uint8_t> batch,
                                            std::span<const std::span<const uint8_t>> pieces,
                                            const protocol::RecordBatchHeader& header, const AppendChecks& checks,
                                            int64_t now_ms) {
  std::optional<protocol::EndTxnMarker> marker;
  if (header.producer_id >= 0 && header.is_control()) marker = end_txn_marker_of(batch);
  return append_batch(pieces, header, marker, checks, now_ms);
}

AppendResult PartitionLog::append_as_follower(std::span<const uint8_t> batch, int64_t now_ms) {
  protocol::RecordBatchHeader header = whole_batch_header(batch);
  if (header.base_offset < log_end_offset_)
    throw std::invalid_argument("PartitionLog: replicated batch at offset " + std::to_string(header.base_offset) +
                                " is below the log end offset " + std::to_string(log_end_offset_));
  std::optional<protocol::EndTxnMarker> marker;
  if (header.producer_id >= 0 && header.is_control()) marker = end_txn_marker_of(batch);
  std::span<const uint8_t> pieces[] = {batch};
  return append_batch(pieces, header, marker, {.origin = AppendOrigin::kReplication}, now_ms);
}

AppendResult PartitionLog::append_end_txn_marker(int64_t producer_id, int16_t producer_epoch,
                                                 int32_t coordinator_epoch, bool commit, int32_t leader_epoch,
                                                 int64_t now_ms) {
  assert(producer_id >= 0);
  protocol::EndTxnMarker marker{commit ? protocol::ControlRecordType::kCommit : protocol::ControlRecordType::kAbort,
                                coordinator_epoch};
  std::vector<uint8_t> batch =
      protocol::build_end_txn_marker_batch(marker, producer_id, producer_epoch, now_ms, log_end_offset_);
  protocol::set_partition_leader_epoch(batch, leader_epoch);
  std::span<const uint8_t> pieces[] = {batch};
  return append_batch(pieces, *protocol::parse_batch_header(batch), marker, {.origin = AppendOrigin::kCoordinator},
                      now_ms);
}

AppendResult PartitionLog::append_batch(std::span<const std::span<const uint8_t>> pieces,
                                        const protocol::RecordBatchHeader& header,
                                        const std::optional<protocol::EndTxnMarker>& marker,
                                        const AppendChecks& checks, int64_t now_ms) {
  assert(!closed_);
  assert(header.base_offset >= log_end_offset_);
  // An empty control batch (its marker compacted away) changes no producer.
  const bool has_producer = header.producer_id >= 0 && (marker || !header.is_control());
  if (has_producer) {
    ProducerCheck check =
        marker ? producers_.check_end_txn_marker(header.producer_id, header.producer_epoch, *marker,
                                                 header.base_offset, checks.origin)
               : producers_.check_data_batch(header, header.base_offset, checks.origin, checks.verification_guard);
    if (check.status == AppendStatus::kDuplicate)
      return {check.status, check.duplicate.first_offset, check.duplicate.last_offset, check.duplicate.max_timestamp,
              {}};
    if (check.status != AppendStatus::kAppended) return {check.status, -1, -1, -1, std::move(check.message)};
  }
  if (active().should_roll(config_, header.total_size(), header.last_offset(), header.max_timestamp, now_ms))
    roll(now_ms);
  auto latest = epochs_.latest_epoch();
  if (header.partition_leader_epoch >= 0 && (!latest || header.partition_leader_epoch > *latest)) {
    epochs_.assign(header.partition_leader_epoch, header.base_offset);
    persist_epochs();
  }
  active().append(pieces, header);
  log_end_offset_ = header.last_offset() + 1;
  if (has_producer) record_producer_batch(header, marker, &active());
  return {AppendStatus::kAppended, header.base_offset, header.last_offset(), -1, {}};
}

void PartitionLog::roll(int64_t now_ms) {
  take_snapshot();
  active().seal();
  segments_.push_back(Segment::create(dir_, log_end_offset_, config_, now_ms));
  sync_later(dir_handle_);
}

PartitionLog::ReadPlan PartitionLog::plan_read(int64_t offset, int32_t max_bytes, bool min_one_batch,
                                               int64_t max_offset, size_t max_segments) {
  assert(!closed_);
  ReadPlan plan;
  plan.next_offset = offset;
  if (offset < log_start_offset_ || offset > log_end_offset_) {
    plan.status = ReadStatus::kOffsetOutOfRange;
    return plan;
  }
  max_offset = std::min(max_offset, log_end_offset_);
  if (offset >= max_offset) return plan;

  // The first batch holding an offset >= `offset` (a segment may end before it).
  size_t index = segment_index_for(offset);
  std::optional<BatchLocation> first = segments_[index]->find_offset(offset);
  while (!first && index + 1 < segments_.size()) first = segments_[++index]->find_offset(offset);
  if (!first || first->header.last_offset() >= max_offset) return plan;

  size_t budget = static_cast<size_t>(std::max(max_bytes, 0));
  if (min_one_batch) budget = std::max(budget, first->header.total_size());
  uint64_t position = first->position;
  for (; index < segments_.size() && plan.ranges.size() < max_segments; ++index, position = 0) {
    Segment& segment = *segments_[index];
    auto end = segment.whole_batches_end(position, plan.next_offset, position + budget, max_offset);
    if (end.position == position) {
      if (position == segment.size_bytes()) continue;  // empty (compaction may leave such segments)
      break;
    }
    size_t size = static_cast<size_t>(end.position - position);
    plan.ranges.push_back({&segment, position, size});
    budget -= size;
    plan.next_offset = end.next_offset;
    // Go on to the next segment only when this one was used up to its end.
    if (end.position < segment.size_bytes()) break;
  }
  return plan;
}

ReadResult PartitionLog::read(int64_t offset, int32_t max_bytes, bool min_one_batch, int64_t max_offset) {
  ReadPlan plan = plan_read(offset, max_bytes, min_one_batch, max_offset, SIZE_MAX);
  ReadResult result{plan.status, {}, plan.next_offset};
  size_t total = 0;
  for (const auto& range : plan.ranges) total += range.size_bytes;
  if (total == 0) return result;
  std::shared_ptr<uint8_t[]> buffer(new uint8_t[total]);
  size_t used = 0;
  for (const auto& range : plan.ranges) {
    range.segment->read({buffer.get() + used, range.size_bytes}, range.position);
    used += range.size_bytes;
  }
  result.records.bytes = {buffer.get(), total};
  result.records.owner = std::move(buffer);
  return result;
}

ReadResult PartitionLog::read_file_slice(int64_t offset, int32_t max_bytes, bool min_one_batch, int64_t max_offset) {
  ReadPlan plan = plan_read(offset, max_bytes, min_one_batch, max_offset, 1);
  ReadResult result{plan.status, {}, plan.next_offset};
  if (plan.ranges.empty()) return result;
  const auto& range = plan.ranges.front();
  auto file = range.segment->log_file();
  result.records.file = protocol::FileSlice{file->fd(), range.position, range.size_bytes};
  result.records.owner = std::move(file);
  return result;
}

TimestampOffset PartitionLog::locate_record(Segment& segment, const BatchLocation& batch, int64_t timestamp_ms) {
  const protocol::RecordBatchHeader& h = batch.header;
  int32_t epoch = std::max(h.partition_leader_epoch, -1);
  std::vector<uint8_t> bytes(h.total_size());
  segment.read(bytes, batch.position);
  try {
    for (const auto& record : protocol::decode_records(bytes, kMaxUncompressedBatchBytes)) {
      int64_t offset = h.base_offset + record.offset_delta;
      int64_t timestamp = h.log_append_time() ? h.max_timestamp : h.base_timestamp + record.timestamp_delta;
      if (timestamp >= timestamp_ms && offset >= log_start_offset_) return {timestamp, offset, epoch};
    }
  } catch (const protocol::DecodeError& e) {
    spdlog::warn("{}: cannot decode the batch at offset {}: {}", dir_.string(), h.base_offset, e.what());
  }
  return {h.max_timestamp, std::max(h.base_offset, log_start_offset_), epoch};
}

std::optional<TimestampOffset> PartitionLog::offset_for_timestamp(int64_t timestamp_ms) {
  assert(!closed_);
  for (size_t i = segment_index_for(log_start_offset_); i < segments_.size(); ++i) {
    Segment& segment = *segments_[i];
    segment.load();
    if (segment.max_timestamp().timestamp < timestamp_ms) continue;
    if (auto batch = segment.find_timestamp(timestamp_ms, log_start_offset_))
      return locate_record(segment, *batch, timestamp_ms);
  }
  return std::nullopt;
}

std::optional<TimestampOffset> PartitionLog::max_timestamp_offset() {
  assert(!closed_);
  Segment* best = nullptr;
  for (size_t i = segment_index_for(log_start_offset_); i < segments_.size(); ++i) {
    Segment& segment = *segments_[i];
    segment.load();
    if (segment.max_timestamp().timestamp >= 0 &&
        (!best || segment.max_timestamp().timestamp > best->max_timestamp().timestamp))
      best = &segment;
  }
  if (!best) return std::nullopt;
  int64_t max_timestamp = best->max_timestamp().timestamp;
  auto batch = best->find_timestamp(max_timestamp, log_start_offset_);
  if (!batch) return std::nullopt;
  return locate_record(*best, *batch, max_timestamp);
}

uint64_t PartitionLog::size_bytes() const {
  uint64_t total = 0;
  for (const auto& segment : segments_) total += segment->size_bytes();
  return total;
}

std::pair<int32_t, int64_t> PartitionLog::end_offset_for_epoch(int32_t epoch) const {
  return epochs_.end_offset_for(epoch, log_end_offset_);
}

void PartitionLog::begin_leader_epoch(int32_t epoch) {
  assert(!closed_ && epoch >= 0);
  const auto latest = epochs_.latest_epoch();
  if (latest && *latest >= epoch) return;
  if (epochs_.assign(epoch, log_end_offset_)) persist_epochs();
}

void PartitionLog::truncate_to(int64_t offset) {
  assert(!closed_);
  if (offset >= log_end_offset_) return;
  if (offset <= segments_.front()->base_offset()) return truncate_fully_and_start_at(offset);
  int64_t now_ms = wall_clock_ms();
  ++generation_;
  drop_segments_from(segment_index_for(offset) + 1);
  active().truncate_to(offset, now_ms);
  if (const auto& txn_index = active().txn_index().handle()) sync_later(txn_index);
  log_end_offset_ = active().next_offset();
  log_start_offset_ = std::min(log_start_offset_, log_end_offset_);
  recovery_point_ = std::min(recovery_point_, log_end_offset_);
  if (epochs_.truncate_from_end(log_end_offset_)) persist_epochs();
  delete_snapshots_if([this](int64_t snapshot) { return snapshot > log_end_offset_; });
  load_producer_state(log_end_offset_, now_ms);
}

void PartitionLog::truncate_fully_and_start_at(int64_t offset) {
  assert(!closed_ && offset >= 0);
  ++generation_;
  drop_segments_from(0);
  segments_.push_back(Segment::create(dir_, offset, config_, wall_clock_ms()));
  sync_later(dir_handle_);
  log_start_offset_ = offset;
  log_end_offset_ = offset;
  recovery_point_ = std::min(recovery_point_, offset);
  if (epochs_.truncate_from_end(0)) persist_epochs();
  // Nothing is left of the log, nor of its producers.
  delete_snapshots_if([](int64_t) { return true; });
  producers_.clear();
}

void PartitionLog::collect_unflushed_files(std::vector<std::shared_ptr<FileHandle>>& out,
                                           bool with_active_indexes) const {
  // From the segment holding recovery_point - 1: when the recovery point sits
  // exactly on a segment boundary, that segment's indexes were written at its
  // roll, possibly after its data was synced.
  size_t first = segment_index_for(std::max<int64_t>(recovery_point_ - 1, 0));
  for (size_t i = first; i < segments_.size(); ++i)
    segments_[i]->collect_handles(out, i + 1 < segments_.size() || with_active_indexes);
}

FlushTarget PartitionLog::flush_target() {
  assert(!closed_);
  FlushTarget target;
  target.offset = log_end_offset_;
  target.generation = generation_;
  target.files = std::move(pending_syncs_);
  pending_syncs_.clear();
  if (recovery_point_ < log_end_offset_) collect_unflushed_files(target.files, /*with_active_indexes=*/false);
  return target;
}

void PartitionLog::mark_flushed(const FlushTarget& done) {
  if (done.generation != generation_) return;  // a truncation happened meanwhile
  recovery_point_ = std::max(recovery_point_, std::min(done.offset, log_end_offset_));
}

void PartitionLog::flush_failed(const FlushTarget& failed) {
  // flush_target() handed the pending files and directories to `failed`;
  // nothing else would sync them again.
  for (const auto& file : failed.files) sync_later(file);
}

void PartitionLog::sync_later(const std::shared_ptr<FileHandle>& file) {
  if (std::find(pending_syncs_.begin(), pending_syncs_.end(), file) == pending_syncs_.end())
    pending_syncs_.push_back(file);
}

void PartitionLog::persist_epochs() {
  epochs_.persist();
  sync_later(dir_handle_);
}

}  // namespace freshet::storage
