// Ending a transaction on its partitions, as Kafka's
// TransactionMarkerChannelManager and its completion handler do: once
// PrepareCommit/PrepareAbort is durable the end marker goes to every
// partition of the transaction (one write per transaction, at most
// max_inflight_marker_writes at once, the others queued in order), and once
// every partition has it the CompleteCommit/CompleteAbort record is written.
// A partition leaves the transaction when its marker is written, or when it
// no longer exists; retriable errors are retried after
// marker_retry_backoff_ms for as long as this shard owns the transaction
// (the transaction cannot complete otherwise). Errors saying a newer
// producer or coordinator took over, or that Kafka treats as fatal, stop the
// work: the transaction stays in PrepareCommit/PrepareAbort until its
// partition is loaded again.
#include <algorithm>
#include <cassert>

#include <spdlog/spdlog.h>

#include "coordinator/txn_coordinator_state.h"
#include "coordinator/txn_records.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

namespace {

enum class MarkerOutcome { kWritten, kRetry, kPartitionGone, kGiveUp };

MarkerOutcome classify(ErrorCode error) {
  switch (error) {
    case ErrorCode::None:
      return MarkerOutcome::kWritten;
    case ErrorCode::UnknownTopicOrPartition:
    case ErrorCode::NotLeaderOrFollower:
    case ErrorCode::NotEnoughReplicas:
    case ErrorCode::NotEnoughReplicasAfterAppend:
    case ErrorCode::RequestTimedOut:
    case ErrorCode::KafkaStorageError:
    case ErrorCode::NetworkException:  // the partition's leader could not be reached (Kafka: a disconnection)
      return MarkerOutcome::kRetry;
    case ErrorCode::UnsupportedForMessageFormat:
    case ErrorCode::UnsupportedVersion:
      // The producer could not have written to it either.
      return MarkerOutcome::kPartitionGone;
    default:
      // INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED: someone newer
      // ends it; CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, ...: Kafka's fatal errors.
      return MarkerOutcome::kGiveUp;
  }
}

}  // namespace

void TransactionCoordinator::State::start_markers(int32_t partition, Transaction& txn) {
  TxnPartition& owned = partitions.at(partition);
  txn.prepare_complete(now_ms);
  [[maybe_unused]] const bool inserted = owned.markers.emplace(txn.transactional_id(), MarkerPhase::kQueued).second;
  assert(inserted);
  marker_queue.push_back(MarkerJob{partition, owned.ownership, txn.transactional_id()});
  pump_markers();
}

std::optional<TransactionCoordinator::State::MarkerWork> TransactionCoordinator::State::marker_work(
    const MarkerJob& job) {
  TxnPartition* owned = this->owned(job.partition, job.ownership);
  if (owned == nullptr) return std::nullopt;
  auto it = owned->markers.find(job.transactional_id);
  if (it == owned->markers.end()) return std::nullopt;
  Transaction& txn = owned->transactions.at(job.transactional_id);
  // Until its markers are done the transaction is busy completing.
  assert(is_preparing(txn.state()) && txn.pending() && !is_preparing(txn.pending()->state));
  return MarkerWork{*owned, txn, it->second};
}

void TransactionCoordinator::State::pump_markers() {
  while (inflight_marker_writes < std::max(config.max_inflight_marker_writes, 1) && !marker_queue.empty()) {
    MarkerJob job = std::move(marker_queue.front());
    marker_queue.pop_front();
    auto work = marker_work(job);
    // Unloading drops the queued work of its partition.
    assert(work && work->phase == MarkerPhase::kQueued);
    if (work) write_markers(job, *work);
  }
}

void TransactionCoordinator::State::write_markers(const MarkerJob& job, MarkerWork work) {
  Transaction& txn = work.txn;
  std::vector<TopicPartition> sent;
  const TopicPartitionSet remaining = txn.current().partitions;
  for (const auto& topic_partition : remaining) {
    if (marker_writer.partition_exists(topic_partition)) {
      sent.push_back(topic_partition);
    } else {
      spdlog::info("Transactional id {}: partition {}-{} no longer exists, no marker for it", job.transactional_id,
                   topic_partition.topic, topic_partition.partition);
      txn.remove_partition(topic_partition);
    }
  }
  if (sent.empty()) return complete_markers(job, work);

  work.phase = MarkerPhase::kWriting;
  ++inflight_marker_writes;
  TxnMarker marker;
  marker.producer_id = txn.current().producer_id;
  marker.producer_epoch = txn.current().producer_epoch;
  marker.coordinator_epoch = work.owned.coordinator_epoch;
  marker.commit = txn.state() == TxnState::kPrepareCommit;
  marker.partitions = sent;
  std::weak_ptr<State*> weak_self = self;
  marker_writer.write_markers(std::move(marker), [weak_self, job, sent](std::vector<ErrorCode> errors) {
    auto alive = weak_self.lock();
    if (!alive) return;
    State& state = **alive;
    --state.inflight_marker_writes;
    assert(state.inflight_marker_writes >= 0);
    state.on_markers_written(job, sent, errors);
    state.pump_markers();
    state.outbox.flush();
  });
}

void TransactionCoordinator::State::on_markers_written(const MarkerJob& job, const std::vector<TopicPartition>& sent,
                                                       const std::vector<ErrorCode>& errors) {
  auto work = marker_work(job);
  if (!work) return;  // unloaded meanwhile: whoever loads the partition writes the markers
  assert(work->phase == MarkerPhase::kWriting);
  assert(errors.size() == sent.size());
  bool retry = false;
  bool give_up = false;
  for (size_t i = 0; i < sent.size(); ++i) {
    const ErrorCode error = i < errors.size() ? errors[i] : ErrorCode::NetworkException;
    switch (classify(error)) {
      case MarkerOutcome::kWritten:
        work->txn.remove_partition(sent[i]);
        break;
      case MarkerOutcome::kPartitionGone:
        spdlog::info("Transactional id {}: partition {}-{} cannot take a marker (error {}), dropped from it",
                     job.transactional_id, sent[i].topic, sent[i].partition, protocol::code(error));
        work->txn.remove_partition(sent[i]);
        break;
      case MarkerOutcome::kRetry:
        retry = true;
        break;
      case MarkerOutcome::kGiveUp:
        spdlog::warn("Transactional id {}: writing its marker to {}-{} failed with error {}; it stays {} until "
                     "its __transaction_state partition {} is loaded again",
                     job.transactional_id, sent[i].topic, sent[i].partition, protocol::code(error),
                     txn_state_name(work->txn.state()), job.partition);
        give_up = true;
        break;
    }
  }
  if (give_up) {
    work->owned.markers.erase(job.transactional_id);
    release_held_adds(work->owned.held_adds, job.transactional_id);
  } else if (retry) {
    retry_markers_later(job, *work);
  } else {
    complete_markers(job, *work);
  }
}

void TransactionCoordinator::State::complete_markers(const MarkerJob& job, MarkerWork work) {
  assert(work.txn.current().partitions.empty());
  assert(work.txn.pending() && !is_preparing(work.txn.pending()->state));
  work.phase = MarkerPhase::kCompleting;
  std::vector<StoredRecord> records;
  records.push_back(txn_record(job.transactional_id, *work.txn.pending()));
  append(job.partition, std::move(records), [this, job](ErrorCode error, TxnPartition* owned) {
    if (owned == nullptr) return;  // whoever loads the partition completes it
    auto work = marker_work(job);
    assert(work && work->phase == MarkerPhase::kCompleting);
    if (error == ErrorCode::CoordinatorNotAvailable) return retry_markers_later(job, *work);
    if (error == ErrorCode::None) {
      work->txn.complete_transition();
    } else {
      // NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS: the next load of the
      // partition completes it; anything else Kafka treats as fatal.
      spdlog::warn("Transactional id {}: writing {} failed with error {}; it stays {}", job.transactional_id,
                   txn_state_name(work->txn.pending()->state), protocol::code(error),
                   txn_state_name(work->txn.state()));
      work->txn.abandon_transition();
    }
    work->owned.markers.erase(job.transactional_id);
    release_held_adds(work->owned.held_adds, job.transactional_id);
  });
}

void TransactionCoordinator::State::retry_markers_later(const MarkerJob& job, MarkerWork work) {
  work.phase = MarkerPhase::kBackingOff;
  // Held calls get CONCURRENT_TRANSACTIONS now rather than wait out the backoff.
  release_held_adds(work.owned.held_adds, job.transactional_id);
  const int64_t due_ms = now_ms + std::max(config.marker_retry_backoff_ms, 1);
  // One backoff for all and a clock that never goes back: the queue stays in deadline order.
  assert(marker_retries.empty() || marker_retries.back().first <= due_ms);
  marker_retries.emplace_back(due_ms, job);
}

void TransactionCoordinator::State::resume_due_markers() {
  while (!marker_retries.empty() && marker_retries.front().first <= now_ms) {
    MarkerJob job = std::move(marker_retries.front().second);
    marker_retries.pop_front();
    auto work = marker_work(job);
    // Unloading drops the backing-off work of its partition.
    assert(work && work->phase == MarkerPhase::kBackingOff);
    if (!work) continue;
    if (work->txn.current().partitions.empty()) {
      complete_markers(job, *work);
    } else {
      work->phase = MarkerPhase::kQueued;
      marker_queue.push_back(std::move(job));
    }
  }
  pump_markers();
}

void TransactionCoordinator::State::drop_markers(int32_t partition) {
  std::erase_if(marker_queue, [partition](const MarkerJob& job) { return job.partition == partition; });
  std::erase_if(marker_retries, [partition](const auto& entry) { return entry.second.partition == partition; });
}

void TransactionCoordinator::State::release_held_adds(std::map<std::string, std::vector<std::function<void()>>>& held,
                                                     const std::string& transactional_id) {
  auto it = held.find(transactional_id);
  if (it == held.end()) return;
  std::vector<std::function<void()>> calls = std::move(it->second);
  held.erase(it);
  for (auto& call : calls) call();
}

}  // namespace freshet::coordinator
