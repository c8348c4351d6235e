#include "storage/log_cleaner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <climits>
#include <optional>

#include "protocol/control_record.h"
#include "protocol/record_scanner.h"
#include "storage/batch_scanner.h"
#include "storage/cleaned_transactions.h"
#include "storage/compaction_filter.h"
#include "storage/segment.h"

namespace freshet::storage {

namespace {

constexpr protocol::RecordScanLimits kStoredBatchLimits{kMaxUncompressedBatchBytes, SIZE_MAX};

// The type of a control batch's record; nullopt when an earlier cleaning
// left it without one.
std::optional<protocol::ControlRecordType> control_type(std::span<const uint8_t> batch,
                                                        const protocol::RecordBatchHeader& header) {
  protocol::RecordScanner scanner(batch, header, kStoredBatchLimits);
  auto record = scanner.next();
  if (!record) return std::nullopt;
  if (!record->key) throw protocol::DecodeError("control record without a key");
  return protocol::parse_control_record_type(*record->key);
}

// Feeds every batch of `input` to `visit(header, bytes)`, whole and CRC
// checked, until it returns false; counts and throttles the reads.
template <typename Visit>
void for_each_batch(const CleanerInput& input, const CleanerTools& tools, CleaningStats& stats, Visit visit) {
  BatchScanner scanner(*input.log, 0, input.size_bytes, tools.io_buffer_bytes);
  while (auto batch = scanner.next()) {
    if (tools.stop->load()) throw CleaningStopped();
    std::span<const uint8_t> bytes = scanner.current_bytes();
    if (!protocol::batch_crc_valid(bytes))
      throw protocol::DecodeError(fmt::format("{}: the batch at offset {} fails its CRC",
                                              input.log->path().string(), batch->header.base_offset));
    stats.bytes_read += bytes.size();
    ++stats.batches_read;
    tools.throttle->account(bytes.size(), *tools.stop);
    if (!visit(batch->header, bytes)) return;
  }
  if (scanner.stopped_early())
    throw protocol::DecodeError(
        fmt::format("{}: malformed batch at byte {}", input.log->path().string(), scanner.position()));
}

// The aborted transactions overlapping [from_offset, to_offset).
std::vector<AbortedTxn> overlapping(const std::vector<AbortedTxn>& aborted, int64_t from_offset, int64_t to_offset) {
  std::vector<AbortedTxn> out;
  for (const auto& txn : aborted)
    if (txn.last_offset >= from_offset && txn.first_offset < to_offset) out.push_back(txn);
  return out;
}

// Maps the dirty part of the log, key -> latest offset, until the map is
// full; returns the offset it got to (everything below is mapped).
int64_t build_offset_map(const CleaningJob& job, const CleanerTools& tools, CleaningStats& stats) {
  OffsetMap& map = *tools.map;
  map.clear();
  size_t first = 0;
  while (first < job.segments.size() && job.segments[first].end_offset <= job.dirty_offset) ++first;
  if (first == job.segments.size()) return job.segments.back().end_offset;
  CleanedTransactions txns(overlapping(job.aborted, job.segments[first].base_offset, job.segments.back().end_offset));
  std::vector<AbortedTxn> ignored;
  for (size_t i = first; i < job.segments.size(); ++i) {
    std::optional<int64_t> full_at;
    for_each_batch(job.segments[i], tools, stats, [&](const protocol::RecordBatchHeader& h,
                                                      std::span<const uint8_t> bytes) {
      if (h.is_control()) {
        txns.on_control_batch(h, control_type(bytes, h), ignored);
        return true;
      }
      if (txns.on_data_batch(h) || h.last_offset() < job.dirty_offset) return true;
      protocol::RecordScanner scanner(bytes, h, kStoredBatchLimits);
      while (auto record = scanner.next()) {
        const int64_t offset = h.base_offset + record->offset_delta;
        if (!record->key || offset < job.dirty_offset) continue;
        if (!map.put(*record->key, offset)) {
          full_at = offset;
          return false;
        }
      }
      return true;
    });
    if (full_at) {
      map.cover_to(*full_at - 1);
      stats.keys_mapped = map.size();
      return *full_at;
    }
    map.cover_to(job.segments[i].end_offset - 1);
  }
  stats.keys_mapped = map.size();
  return job.segments.back().end_offset;
}

// Consecutive inputs [first, first + count) cleaned into one segment: at
// most segment.bytes together and within an index's int32 relative offsets
// (Kafka's groupSegmentsBySize).
std::vector<size_t> group_sizes(const std::vector<CleanerInput>& inputs, size_t count, const LogConfig& config) {
  std::vector<size_t> groups;
  for (size_t first = 0; first < count;) {
    size_t end = first + 1;
    uint64_t bytes = inputs[first].size_bytes;
    while (end < count && bytes + inputs[end].size_bytes <= config.segment_bytes &&
           inputs[end].end_offset - 1 - inputs[first].base_offset <= INT32_MAX)
      bytes += inputs[end++].size_bytes;
    groups.push_back(end - first);
    first = end;
  }
  return groups;
}

// Writes the cleaned form of inputs [first, first + count) to a new
// "<base>.log.cleaned" segment, synced.
CleanedSegment clean_group(const CleaningJob& job, size_t first, size_t count, const CleanerTools& tools,
                           const CompactionContext& context, std::unique_ptr<Segment>& out, CleaningStats& stats) {
  const CleanerInput& head = job.segments[first];
  const int64_t end_offset = job.segments[first + count - 1].end_offset;
  out = Segment::create(job.dir, head.base_offset, job.config, context.now_ms, kCleanedFileSuffix);
  CleanedTransactions txns(overlapping(job.aborted, head.base_offset, end_offset));
  std::vector<AbortedTxn> kept_aborts;

  auto write = [&](std::span<const uint8_t> bytes, const protocol::RecordBatchHeader& header) {
    const std::span<const uint8_t> pieces[] = {bytes};
    out->append(pieces, header);
    stats.bytes_written += bytes.size();
    ++stats.batches_written;
    tools.throttle->account(bytes.size(), *tools.stop);
  };
  for (size_t i = first; i < first + count; ++i) {
    for_each_batch(job.segments[i], tools, stats, [&](const protocol::RecordBatchHeader& h,
                                                      std::span<const uint8_t> bytes) {
      CompactedBatch result;
      if (h.is_control()) {
        const bool can_discard = txns.on_control_batch(h, control_type(bytes, h), kept_aborts);
        result = compact_control_batch(bytes, h, context, can_discard);
      } else {
        const bool aborted = txns.on_data_batch(h);
        auto last = job.producer_last_offsets.find(h.producer_id);
        const bool producers_last = h.producer_id >= 0 && last != job.producer_last_offsets.end() &&
                                    last->second == h.last_offset();
        result = compact_batch(bytes, h, context, aborted, producers_last);
      }
      switch (result.fate) {
        case CompactedBatch::Fate::kKeep:
          write(bytes, h);
          break;
        case CompactedBatch::Fate::kRewrite:
          write(result.bytes, *protocol::parse_batch_header(result.bytes));
          break;
        case CompactedBatch::Fate::kDrop:
          break;
      }
      return true;
    });
  }
  for (const auto& txn : kept_aborts) out->txn_index().append(txn);
  out->seal();
  std::vector<std::shared_ptr<FileHandle>> files;
  out->collect_handles(files, /*with_indexes=*/true);
  // Every output has all four files, so that an interrupted swap can tell
  // its files from the old segment's (see PartitionLog's swap recovery).
  if (!out->txn_index().handle()) files.push_back(FileHandle::open(out->txn_index().path(), /*create=*/true));
  for (const auto& file : files) file->sync();
  return {head.base_offset, count, out->size_bytes()};
}

}  // namespace

size_t offset_map_bytes_for(const CleaningJob& job, size_t limit_bytes, double load_factor) {
  if (job.segments.empty()) return OffsetMap::kSlotBytes;
  const auto dirty_offsets = static_cast<double>(std::max<int64_t>(job.segments.back().end_offset - job.dirty_offset, 1));
  const double wanted = (dirty_offsets / load_factor + 2) * OffsetMap::kSlotBytes;
  return wanted >= static_cast<double>(limit_bytes) ? limit_bytes : static_cast<size_t>(wanted);
}

CleaningResult clean_log(const CleaningJob& job, const CleanerTools& tools, int64_t now_ms) {
  assert(!job.segments.empty() && tools.map && tools.throttle && tools.stop);
  CleaningResult result;
  result.cleaned_to_offset = build_offset_map(job, tools, result.stats);

  size_t count = 0;  // the inputs holding offsets below cleaned_to_offset
  while (count < job.segments.size() && job.segments[count].base_offset < result.cleaned_to_offset) ++count;
  const CompactionContext context{tools.map, now_ms, job.config.delete_retention_ms, kStoredBatchLimits};
  std::vector<std::unique_ptr<Segment>> written;
  try {
    size_t first = 0;
    for (size_t size : group_sizes(job.segments, count, job.config)) {
      written.emplace_back();
      result.segments.push_back(clean_group(job, first, size, tools, context, written.back(), result.stats));
      first += size;
    }
  } catch (...) {
    for (auto& segment : written)
      if (segment) segment->remove_files();
    throw;
  }
  return result;
}

}  // namespace freshet::storage
