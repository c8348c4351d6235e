#include "cluster/metadata_quorum.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>


#include "protocol/batch_iterator.h"
#include "protocol/record_batch.h"
#include "cluster/clock.h"
#include "raft/invariant.h"
#include "storage/storage_error.h"

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

namespace {
int64_t oldest_end(const std::vector<raft::SnapshotId>& snapshots) {
  return snapshots.empty() ? 0 : snapshots.front().end_offset;
}
}  // namespace

MetadataQuorum::MetadataQuorum(const std::filesystem::path& log_dir, const QuorumOptions& options,
                               QuorumCallbacks callbacks, int64_t now_ms)
    : options_(options),
      state_file_(log_dir / "quorum-state"),
      snapshots_(log_dir),
      log_(MetadataLog::open(log_dir, oldest_end(snapshots_.list()))),
      callbacks_(std::move(callbacks)),
      core_(open_core(now_ms)),
      last_snapshot_ms_(now_ms) {}

raft::RaftCore MetadataQuorum::open_core(int64_t now_ms) {
  raft::StoredLog stored = stored_log();
  std::vector<raft::NodeId> voters = options_.voters;
  if (options_.dynamic_voters) {
    // The snapshot the log starts at, or the bootstrap checkpoint ({0, 0}).
    start_voters_ = snapshots_.read_voters(stored.start, options_.listener).value_or(std::vector<QuorumVoter>{});
    try {
      voter_changes_ = log_->voters_records(stored.start.end_offset, options_.listener);
    } catch (const protocol::DecodeError& e) {
      throw storage::StorageError(fmt::format("the metadata log holds a malformed VotersRecord: {}", e.what()));
    }
    stored.voter_changes = voter_id_changes(voter_changes_);
    voters = voter_ids(start_voters_);
  }
  return raft::RaftCore(options_.self, std::move(voters), options_.raft, state_file_.load(), std::move(stored),
                        options_.seed, now_ms);
}

std::vector<QuorumVoter> MetadataQuorum::voters_at(int64_t offset) const {
  const auto after = voter_changes_.lower_bound(offset);
  return after == voter_changes_.begin() ? start_voters_ : std::prev(after)->second;
}

bool MetadataQuorum::needs_voters_restated() const {
  return options_.dynamic_voters && voter_changes_.empty() && core_.log_start().end_offset == 0 && !start_voters_.empty();
}

raft::StoredLog MetadataQuorum::stored_log() {
  const auto snapshots = snapshots_.list();
  raft::StoredLog stored;
  if (snapshots.empty()) {
    stored.entries = log_->offset_epochs();
    return stored;
  }
  const raft::SnapshotId latest = stored.latest_snapshot = snapshots.back();
  auto restart_after_latest = [&] {
    log_->truncate_fully_and_start_at(latest.end_offset);
    log_->sync();
  };
  // A snapshot fetched whole but not yet followed by the log's restart
  // (a crash in between): the log restarts after it now.
  if (log_->end_offset() < latest.end_offset) restart_after_latest();
  // The log starts at the oldest snapshot it holds entries from.
  const auto start = std::find_if(snapshots.begin(), snapshots.end(),
                                  [&](raft::SnapshotId id) { return id.end_offset >= log_->start_offset(); });
  if (start == snapshots.end())
    throw storage::StorageError(fmt::format("the metadata log starts at offset {}, after its latest snapshot",
                                            log_->start_offset()));
  stored.start = *start;
  log_->advance_start(stored.start.end_offset);
  snapshots_.remove_before(stored.start.end_offset);
  stored.entries = log_->offset_epochs();
  // The same crash after a snapshot that replaced a log parting from it
  // below its end (whose entry before the snapshot's end has another epoch).
  const int64_t last = latest.end_offset - 1 - stored.start.end_offset;
  if (last >= 0 && stored.entries.at(static_cast<size_t>(last)) != latest.epoch) {
    restart_after_latest();
    snapshots_.remove_before(latest.end_offset);
    stored.start = latest;
    stored.entries.clear();
  }
  return stored;
}

void MetadataQuorum::start(int64_t now_ms) {
  if (const auto latest = core_.latest_snapshot(); latest.end_offset > 0) {
    const auto records = snapshots_.read_records(latest);
    callbacks_.loaded(records);
    applied_offset_ = latest.end_offset;
    spdlog::info("metadata quorum: loaded the snapshot at offset {} ({} records)", latest.end_offset, records.size());
  }
  tick(now_ms);
}

void MetadataQuorum::tick(int64_t now_ms) {
  core_.tick(now_ms);
  drive(now_ms, {}, {});
}

void MetadataQuorum::receive(raft::NodeId from, const raft::Message& message, std::span<const uint8_t> records,
                             int64_t now_ms) {
  if (const auto* chunk = std::get_if<raft::FetchSnapshotResponse>(&message); chunk && chunk->snapshot) {
    const bool last = chunk->position + static_cast<int64_t>(records.size()) == chunk->total_bytes;
    if (chunk->chunk_bytes != static_cast<int64_t>(records.size()) ||
        !valid_snapshot_chunk(records, chunk->position == 0, last))
      return;  // malformed: to the core, this answer was lost
  }
  if (const auto* answer = std::get_if<raft::FetchResponse>(&message); answer && options_.dynamic_voters) {
    // The voter changes its batches hold, for the core.
    raft::FetchResponse with_voters = *answer;
    try {
      fetched_voters_ = voters_records_in(records, options_.listener);
    } catch (const protocol::DecodeError&) {
      return;  // malformed: to the core, this answer was lost
    }
    with_voters.voter_changes = voter_id_changes(fetched_voters_);
    core_.receive(from, with_voters, now_ms);
  } else {
    core_.receive(from, message, now_ms);
  }
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
    voter_changes_.erase(voter_changes_.lower_bound(*write.truncate_to), voter_changes_.end());
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
      for (const auto& [offset, ids] : write.voter_changes) voter_changes_[offset] = fetched_voters_.at(offset);
      break;
    case raft::WriteSource::kVoterChange: {
      // Only a dynamic quorum's voters change: the set before, less a
      // removed voter, or with the one being added.
      RAFT_ASSERT(options_.dynamic_voters && write.voter_changes.size() == 1);
      const auto& [offset, ids] = *write.voter_changes.begin();
      std::vector<QuorumVoter> voters;
      for (const QuorumVoter& voter : voters_at(offset))
        if (std::binary_search(ids.begin(), ids.end(), voter.id)) voters.push_back(voter);
      if (adding_ && std::binary_search(ids.begin(), ids.end(), adding_->id) && voters.size() < ids.size())
        voters.insert(std::upper_bound(voters.begin(), voters.end(), *adding_,
                                       [](const QuorumVoter& a, const QuorumVoter& b) { return a.id < b.id; }),
                      *adding_);
      RAFT_ASSERT(voter_ids(voters) == ids);
      auto batch = build_voters_batch(voters, options_.listener, wall_clock_ms());
      log_->append_as_leader(batch, epoch);
      voter_changes_[offset] = std::move(voters);
      break;
    }
  }
  // The log holds exactly the entries the core appended.
  RAFT_ASSERT(log_->end_offset() == write.append_offset + static_cast<int64_t>(write.entries.size()));
}

void MetadataQuorum::drive(int64_t now_ms, std::span<const uint8_t> fetched, std::span<uint8_t> proposal) {
  for (;;) {
    raft::Actions actions = core_.take_actions();
    if (actions.persist) state_file_.save(*actions.persist);
    for (const auto& w : actions.snapshot_writes) write_snapshot(w, fetched, now_ms);
    for (const auto& w : actions.log_writes) write(w, fetched, proposal, now_ms);
    if (!actions.log_writes.empty()) {
      log_->sync();
      core_.flushed(log_->end_offset(), now_ms);
    }
    for (auto& out : actions.send) send(std::move(out));
    if (!actions.persist && actions.snapshot_writes.empty() && actions.log_writes.empty() && actions.send.empty()) break;
  }
  apply_committed();
  snapshot_if_due(now_ms);
  const bool leading = core_.role() == raft::Role::kLeader;
  if (leading_ && !leading) {
    spdlog::info("metadata quorum: node {} no longer leads (epoch {})", core_.self(), core_.epoch());
    callbacks_.resigned();
  }
  const bool elected = !leading_ && leading;
  if (elected) spdlog::info("metadata quorum: node {} leads epoch {}", core_.self(), core_.epoch());
  leading_ = leading;
  notify_waiters();
  if (elected && needs_voters_restated()) {
    core_.restate_voters(now_ms);
    drive(now_ms, {}, {});
  }
}

raft::VoterChangeRefusal MetadataQuorum::add_voter(const QuorumVoter& voter, int64_t now_ms, int64_t* offset) {
  RAFT_ASSERT(options_.dynamic_voters);
  adding_ = voter;
  const auto refusal = core_.add_voter(voter.id, now_ms);
  if (refusal == raft::VoterChangeRefusal::kNone) {
    *offset = core_.last_voter_change_offset();
    drive(now_ms, {}, {});
  }
  adding_.reset();
  return refusal;
}

raft::VoterChangeRefusal MetadataQuorum::remove_voter(raft::NodeId id, int64_t now_ms, int64_t* offset) {
  RAFT_ASSERT(options_.dynamic_voters);
  const auto refusal = core_.remove_voter(id, now_ms);
  if (refusal == raft::VoterChangeRefusal::kNone) {
    *offset = core_.last_voter_change_offset();
    drive(now_ms, {}, {});
  }
  return refusal;
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
  if (auto* answer = std::get_if<raft::FetchSnapshotResponse>(&message.message); answer && answer->snapshot) {
    auto chunk = snapshots_.read_chunk(*answer->snapshot, answer->position, kMaxFetchAnswerBytes);
    auto size = snapshots_.size_bytes(*answer->snapshot);
    if (!chunk || !size) {
      answer->snapshot.reset();  // gone, or asked from no batch boundary: SNAPSHOT_NOT_FOUND
    } else {
      answer->chunk_bytes = static_cast<int64_t>(chunk->size());
      answer->total_bytes = *size;
      auto owner = std::make_shared<std::vector<uint8_t>>(std::move(*chunk));
      message.records.bytes = *owner;
      message.records.owner = std::move(owner);
    }
  }
  callbacks_.send(std::move(message));
}

void MetadataQuorum::write_snapshot(const raft::SnapshotWrite& write, std::span<const uint8_t> chunk, int64_t now_ms) {
  snapshots_.write_chunk(write.snapshot, write.position, chunk);
  if (!write.complete) return;
  snapshots_.complete(write.snapshot);
  // Installed: the image is the snapshot's, the log restarts after it.
  const auto records = snapshots_.read_records(write.snapshot);
  log_->truncate_fully_and_start_at(write.snapshot.end_offset);
  log_->sync();
  snapshots_.remove_before(write.snapshot.end_offset);
  if (options_.dynamic_voters) {
    // A dynamic leader's snapshots hold its voters; one that did not would
    // leave them as they were.
    if (auto voters = snapshots_.read_voters(write.snapshot, options_.listener)) start_voters_ = std::move(*voters);
    else spdlog::warn("metadata quorum: the snapshot at offset {} holds no voters", write.snapshot.end_offset);
    voter_changes_.clear();
    core_.snapshot_installed(voter_ids(start_voters_), now_ms);
  } else {
    core_.snapshot_installed(options_.voters, now_ms);
  }
  callbacks_.loaded(records);
  applied_offset_ = write.snapshot.end_offset;
  bytes_since_snapshot_ = 0;
  spdlog::info("metadata quorum: installed the leader's snapshot at offset {} (epoch {}, {} records)",
               write.snapshot.end_offset, write.snapshot.epoch, records.size());
}

void MetadataQuorum::snapshot_if_due(int64_t now_ms) {
  const bool due = bytes_since_snapshot_ >= options_.snapshot_max_record_bytes ||
                   (bytes_since_snapshot_ > 0 && options_.snapshot_max_interval_ms > 0 &&
                    now_ms - last_snapshot_ms_ >= options_.snapshot_max_interval_ms);
  // Of what is applied, committed and durable here.
  if (!due || applied_offset_ > core_.durable_end_offset()) return;
  const raft::SnapshotId previous = core_.latest_snapshot();
  const raft::SnapshotId id{applied_offset_, core_.epoch_at(applied_offset_ - 1)};
  std::optional<std::vector<QuorumVoter>> voters;
  if (options_.dynamic_voters) voters = voters_at(id.end_offset);
  snapshots_.write(id, callbacks_.image_records(), voters, options_.listener, wall_clock_ms());
  core_.snapshot_taken(id);
  bytes_since_snapshot_ = 0;
  last_snapshot_ms_ = now_ms;
  // The log keeps what follows the snapshot before this one: a voter a
  // little behind catches up from the log, not from a snapshot.
  if (previous.end_offset > core_.log_start().end_offset) {
    core_.advance_log_start(previous);
    start_voters_ = voters_at(previous.end_offset);
    voter_changes_.erase(voter_changes_.begin(), voter_changes_.lower_bound(previous.end_offset));
    snapshots_.remove_before(previous.end_offset);
    log_->advance_start(previous.end_offset);
  }
  spdlog::info("metadata quorum: snapshot at offset {} (epoch {}); the log starts at {}", id.end_offset, id.epoch,
               core_.log_start().end_offset);
}

void MetadataQuorum::apply_committed() {
  const int64_t committed_end = core_.high_watermark();
  if (committed_end <= applied_offset_) return;
  std::vector<MetadataRecord> records;
  log_->for_each_batch(applied_offset_, committed_end,
                       [&](const std::vector<MetadataRecord>& batch, int64_t next, size_t batch_bytes) {
                         records.insert(records.end(), batch.begin(), batch.end());
                         applied_offset_ = next;
                         bytes_since_snapshot_ += static_cast<int64_t>(batch_bytes);
                       });
  // The high watermark falls on batch boundaries: every batch below it is whole.
  RAFT_ASSERT(applied_offset_ == committed_end);
  if (!records.empty()) callbacks_.committed(records);
}

}  // namespace freshet::cluster
