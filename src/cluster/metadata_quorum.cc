#include "cluster/metadata_quorum.h"

#include <spdlog/spdlog.h>


#include "protocol/batch_iterator.h"
#include "protocol/record_batch.h"
#include "raft/invariant.h"
#include "cluster/clock.h"

namespace freshet::cluster {


std::optional<std::vector<int32_t>> fetched_entries(std::span<const uint8_t> batches, int64_t base_offset) {
  std::vector<int32_t> entries;
  int64_t next = base_offset;
  try {
    for (auto batch : protocol::split_batches(batches)) {
      auto header = protocol::parse_batch_header(batch);
      if (!header || header->base_offset != next || header->last_offset_delta < 0 || header->partition_leader_epoch < 0)
        return std::nullopt;
      entries.insert(entries.end(), static_cast<size_t>(header->last_offset_delta) + 1, header->partition_leader_epoch);
      next = header->last_offset() + 1;
    }
  } catch (const protocol::DecodeError&) {
    return std::nullopt;
  }
  return entries;
}

MetadataQuorum::MetadataQuorum(const std::filesystem::path& log_dir, const QuorumOptions& options, Committed committed,
                               Send send, Resigned resigned, int64_t now_ms)
    : state_file_(log_dir / "quorum-state"),
      log_(MetadataLog::open(log_dir)),
      committed_(std::move(committed)),
      send_(std::move(send)),
      resigned_(std::move(resigned)),
      core_(options.self, options.voters, options.raft, state_file_.load(), log_->offset_epochs(), options.seed, now_ms) {}

void MetadataQuorum::tick(int64_t now_ms) {
  core_.tick(now_ms);
  drive(now_ms, {}, {});
}

void MetadataQuorum::receive(raft::NodeId from, const raft::Message& message, std::span<const uint8_t> records,
                             int64_t now_ms) {
  core_.receive(from, message, now_ms);
  drive(now_ms, records, {});
}

std::optional<int64_t> MetadataQuorum::propose(const std::vector<MetadataRecord>& records, int64_t now_ms) {
  RAFT_ASSERT(!records.empty());
  if (!core_.propose(static_cast<int>(records.size()))) return std::nullopt;
  auto batch = build_metadata_batch(records, wall_clock_ms());
  drive(now_ms, {}, batch);
  return log_->end_offset();
}

void MetadataQuorum::write(const raft::LogWrite& write, std::span<const uint8_t> fetched, std::span<uint8_t> proposal,
                           int64_t now_ms) {
  if (write.truncate_to) {
    spdlog::warn("metadata log: truncating to offset {} (diverged from the leader's)", *write.truncate_to);
    log_->truncate_to(*write.truncate_to);
  }
  if (write.entries.empty()) return;
  RAFT_ASSERT(write.append_offset == log_->end_offset());
  const int32_t epoch = write.entries.front();
  switch (write.source) {
    case raft::WriteSource::kLeaderChange: {
      auto batch = build_leader_change_batch(core_.self(), core_.voters(), wall_clock_ms());
      log_->append_as_leader(batch, epoch);
      break;
    }
    case raft::WriteSource::kProposal:
      log_->append_as_leader(proposal, epoch);
      break;
    case raft::WriteSource::kFetched:
      log_->append_fetched(fetched);
      break;
  }
  // The log holds exactly the entries the core appended.
  RAFT_ASSERT(log_->end_offset() == write.append_offset + static_cast<int64_t>(write.entries.size()));
}

void MetadataQuorum::drive(int64_t now_ms, std::span<const uint8_t> fetched, std::span<uint8_t> proposal) {
  for (;;) {
    raft::Actions actions = core_.take_actions();
    if (actions.persist) state_file_.save(*actions.persist);
    for (const auto& w : actions.log_writes) write(w, fetched, proposal, now_ms);
    if (!actions.log_writes.empty()) {
      log_->sync();
      core_.flushed(log_->end_offset(), now_ms);
    }
    for (auto& out : actions.send) send(std::move(out));
    if (!actions.persist && actions.log_writes.empty() && actions.send.empty()) break;
  }
  apply_committed();
  const bool leading = core_.role() == raft::Role::kLeader;
  if (leading_ && !leading) {
    spdlog::info("metadata quorum: node {} no longer leads (epoch {})", core_.self(), core_.epoch());
    resigned_();
  }
  if (!leading_ && leading) spdlog::info("metadata quorum: node {} leads epoch {}", core_.self(), core_.epoch());
  leading_ = leading;
  notify_waiters();
}

void MetadataQuorum::when_applied(int64_t offset, std::function<void(bool)> done) {
  if (offset <= applied_offset_) return done(true);
  if (core_.role() != raft::Role::kLeader) return done(false);
  waiters_.emplace(offset, std::move(done));
}

void MetadataQuorum::notify_waiters() {
  while (!waiters_.empty() && (waiters_.begin()->first <= applied_offset_ || !leading_)) {
    auto node = waiters_.extract(waiters_.begin());
    node.mapped()(node.key() <= applied_offset_);
  }
}

void MetadataQuorum::send(raft::Outbound out) {
  QuorumMessage message{out.to, std::move(out.message), {}};
  if (auto* answer = std::get_if<raft::FetchResponse>(&message.message); answer && !answer->entries.empty()) {
    // Whole batches from the fetch offset; the entries sent are what they hold.
    message.records = log_->read(answer->base_offset, kMaxFetchAnswerBytes);
    auto entries = fetched_entries(message.records.bytes, answer->base_offset);
    RAFT_ASSERT(entries && !entries->empty());
    answer->entries = std::move(*entries);
  }
  send_(std::move(message));
}

void MetadataQuorum::apply_committed() {
  const int64_t committed_end = core_.high_watermark();
  if (committed_end <= applied_offset_) return;
  std::vector<MetadataRecord> records;
  log_->for_each_batch(applied_offset_, committed_end, [&](const std::vector<MetadataRecord>& batch, int64_t next) {
    records.insert(records.end(), batch.begin(), batch.end());
    applied_offset_ = next;
  });
  // The high watermark falls on batch boundaries: every batch below it is whole.
  RAFT_ASSERT(applied_offset_ == committed_end);
  if (!records.empty()) committed_(records);
}

}  // namespace freshet::cluster
