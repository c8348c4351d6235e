#include "cluster/metadata_log.h"

#include <fmt/format.h>


#include "protocol/batch_iterator.h"
#include "protocol/batch_records.h"
#include "protocol/control_record.h"
#include "protocol/messages.h"
#include "protocol/record_batch_builder.h"
#include "cluster/clock.h"

namespace freshet::cluster {

namespace {
constexpr int32_t kReadChunkBytes = 1 << 20;


// Every whole batch in [from, to), header and bytes.
void for_each_stored_batch(storage::PartitionLog& log, int64_t from, int64_t to,
                           const std::function<void(const protocol::RecordBatchHeader&, std::span<const uint8_t>)>& fn) {
  int64_t offset = from;
  while (offset < to) {
    auto result = log.read(offset, kReadChunkBytes, true, to);
    if (result.records.bytes.empty()) break;
    protocol::BatchIterator batches(result.records.bytes);
    while (auto batch = batches.next()) fn(*protocol::parse_batch_header(*batch), *batch);
    offset = result.next_offset;
  }
}
}  // namespace

namespace {
// Segments go only once a snapshot covers them (never by age or size), at once.
storage::LogConfig metadata_log_config() {
  storage::LogConfig config;
  config.delete_retention = false;
  config.file_delete_delay_ms = 0;
  return config;
}
}  // namespace

std::unique_ptr<MetadataLog> MetadataLog::open(const std::filesystem::path& dir, int64_t start_offset) {
  // Validate the whole log on every start: it is small, and it is the truth.
  storage::StartupState state;
  state.clean_shutdown = false;
  state.log_start_offset = start_offset;
  return std::unique_ptr<MetadataLog>(
      new MetadataLog(storage::PartitionLog::open(dir, metadata_log_config(), {}, state)));
}

std::vector<int32_t> MetadataLog::offset_epochs() {
  std::vector<int32_t> epochs;
  const int64_t start = log_->log_start_offset();  // a batch boundary: snapshots end on one
  for_each_stored_batch(*log_, start, log_->log_end_offset(),
                        [&](const protocol::RecordBatchHeader& header, std::span<const uint8_t>) {
                          const int32_t epoch = std::max(header.partition_leader_epoch, 0);
                          epochs.resize(static_cast<size_t>(header.last_offset() + 1 - start), epoch);
                        });
  return epochs;
}

void MetadataLog::append_as_leader(std::span<uint8_t> batch, int32_t epoch) { log_->append(batch, epoch, wall_clock_ms()); }

int64_t MetadataLog::append_fetched(std::span<const uint8_t> batches) {
  const int64_t now = wall_clock_ms();
  for (auto batch : protocol::split_batches(batches)) {
    auto header = protocol::parse_batch_header(batch);
    if (!header || header->base_offset != log_->log_end_offset() || !protocol::batch_crc_valid(batch))
      throw protocol::DecodeError(fmt::format("metadata batch fetched at {} does not continue the log ending at {}",
                                              header ? header->base_offset : -1, log_->log_end_offset()));
    log_->append_as_follower(batch, now);
  }
  return log_->log_end_offset();
}

void MetadataLog::truncate_to(int64_t offset) { log_->truncate_to(offset); }

void MetadataLog::truncate_fully_and_start_at(int64_t offset) { log_->truncate_fully_and_start_at(offset); }

void MetadataLog::advance_start(int64_t offset) {
  log_->advance_log_start_offset(offset);
  auto outcome = log_->enforce_retention(wall_clock_ms(), log_->log_end_offset());
  storage::remove_retired_files(outcome.files_due);
}

void MetadataLog::sync() {
  auto target = log_->flush_target();
  try {
    target.sync();
  } catch (...) {
    log_->flush_failed(target);
    throw;
  }
  log_->mark_flushed(target);
}

protocol::Records MetadataLog::read(int64_t offset, int32_t max_bytes) {
  return log_->read(offset, max_bytes, true, log_->log_end_offset()).records;
}

void MetadataLog::for_each_batch(int64_t from, int64_t to,
                                 const std::function<void(const std::vector<MetadataRecord>&, int64_t, size_t)>& apply) {
  for_each_stored_batch(*log_, from, to, [&](const protocol::RecordBatchHeader& header, std::span<const uint8_t> batch) {
    std::vector<MetadataRecord> records;
    if (!header.is_control()) {
      for (const auto& record : protocol::decode_records(batch, kMaxMetadataBatchBytes)) {
        if (!record.value) continue;
        if (auto decoded = decode_metadata_record(*record.value)) records.push_back(std::move(*decoded));
      }
    }
    apply(records, header.last_offset() + 1, batch.size());
  });
}

VoterEndpointChanges MetadataLog::voters_records(int64_t from, const std::string& listener) {
  VoterEndpointChanges changes;
  for_each_stored_batch(*log_, from, log_->log_end_offset(),
                        [&](const protocol::RecordBatchHeader& header, std::span<const uint8_t> batch) {
                          if (!header.is_control()) return;
                          changes.merge(voters_records_in(batch, listener));
                        });
  return changes;
}

void MetadataLog::close() { log_->close(); }

std::vector<uint8_t> build_metadata_batch(std::span<const MetadataRecord> records, int64_t now_ms) {
  protocol::RecordBatchBuilder builder(protocol::RecordBatchOptions{});
  std::vector<std::vector<uint8_t>> values;
  values.reserve(records.size());
  for (const auto& record : records) {
    values.push_back(encode_metadata_record(record));
    builder.append(now_ms, std::nullopt, std::span<const uint8_t>(values.back()));
  }
  return builder.build();
}

std::vector<uint8_t> build_leader_change_batch(int32_t leader, const std::vector<int32_t>& voters, int64_t now_ms) {
  protocol::LeaderChangeMessage message;
  message.leader_id = leader;
  for (int32_t id : voters) {
    protocol::LeaderChangeMessage::Voter voter;
    voter.voter_id = id;
    message.voters.push_back(voter);
  }
  message.granting_voters = message.voters;
  return build_control_batch(protocol::ControlRecordType::kLeaderChange, message, now_ms);
}

}  // namespace freshet::cluster
