#include "server/partition_manager.h"

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "server/clock.h"
#include "storage/storage_error.h"

namespace freshet::server {

PartitionManager::PartitionManager(unsigned shard, net::ShardSet& shards, const cluster::BrokerConfig& config,
                                   DataNotifier& notifier, storage::LogDirectories& log_dirs, CleanerPool* cleaner,
                                   std::function<void()> reconcile_again)
    : shard_(shard),
      config_(config),
      notifier_(notifier),
      log_dirs_(log_dirs),
      cleaner_(cleaner),
      flusher_(shards, shard),
      reconcile_again_(std::move(reconcile_again)),
      chores_{{{"producer.id.expiration.check.interval.ms", &PartitionManager::expire_producers},
               {"log.retention.check.interval.ms", &PartitionManager::enforce_retention},
               {"log.flush.offset.checkpoint.interval.ms", &PartitionManager::write_checkpoints},
               {"log.cleaner.backoff.ms", &PartitionManager::plan_cleanings},
               {"log.flush.offset.checkpoint.interval.ms", &PartitionManager::reopen_after_full_disk},
               {"log.flush.scheduler.interval.ms", &PartitionManager::flush_stale_partitions}}},
      chore_timer_(
          shards.context(shard), "log maintenance",
          [this]() -> std::optional<int64_t> {
            if (!started_) return std::nullopt;
            int64_t next = chores_[0].next_ms;
            for (const Chore& chore : chores_) next = std::min(next, chore.next_ms);
            return next;
          },
          [this](int64_t now) {
            for (Chore& chore : chores_) {
              if (chore.next_ms > now) continue;
              // Rescheduled first: a chore that throws is retried on its interval.
              schedule(chore, now);
              (this->*chore.run)(now);
            }
          }) {}

void PartitionManager::schedule(Chore& chore, int64_t now_ms) const {
  // Intervals go up to Long.MAX_VALUE ("never"): the sum saturates.
  const int64_t interval_ms = std::max<int64_t>(config_.get_int(chore.interval_key), 1);
  chore.next_ms = interval_ms > INT64_MAX - now_ms ? INT64_MAX : now_ms + interval_ms;
}

void PartitionManager::expire_producers(int64_t now_ms) {
  for (auto& [key, partition] : partitions_) partition->log().remove_expired_producers(now_ms);
}

void PartitionManager::enforce_retention(int64_t now_ms) {
  for (auto& [key, partition] : partitions_) {
    try {
      partition->enforce_retention(now_ms);
    } catch (const storage::StorageError& e) {
      spdlog::error("retention of {}-{} failed: {}", partition->topic(), partition->index(), e.what());
    }
  }
}

void PartitionManager::flush_stale_partitions(int64_t now_ms) {
  for (auto& [key, partition] : partitions_) partition->flush_if_stale(now_ms);
}

void PartitionManager::reopen_after_full_disk(int64_t) {
  if (out_of_space_.empty()) return;
  retrying_ = std::move(out_of_space_);
  out_of_space_.clear();
  reconcile_again_();
  retrying_.clear();
}

void PartitionManager::plan_cleanings(int64_t now_ms) {
  if (!cleaner_) return;
  for (auto& [key, partition] : partitions_) start_cleaning(key, partition, now_ms);
}

void PartitionManager::start_cleaning(const Key& key, const std::shared_ptr<Partition>& partition, int64_t now_ms) {
  if (cleaning_.contains(key) || uncleanable_.contains(key)) return;
  std::optional<storage::CleaningJob> job;
  try {
    job = partition->plan_cleaning(now_ms);
  } catch (const storage::StorageError& e) {
    spdlog::error("planning the cleaning of {}-{} failed: {}", partition->topic(), partition->index(), e.what());
  }
  if (!job) return;
  std::weak_ptr<Partition> weak = partition;
  auto done = [this, key, weak](CleaningOutcome outcome) { finish_cleaning(key, weak, std::move(outcome)); };
  if (cleaner_->submit(shard_, std::move(*job), std::move(done))) cleaning_.insert(key);
}

void PartitionManager::finish_cleaning(const Key& key, const std::weak_ptr<Partition>& weak, CleaningOutcome outcome) {
  cleaning_.erase(key);
  auto partition = weak.lock();
  auto it = partitions_.find(key);
  // Closed or deleted meanwhile: a closed log's output goes at its next open.
  if (stopped_ || !partition || it == partitions_.end() || it->second != partition) return;
  const std::string name = fmt::format("{}-{}", partition->topic(), partition->index());
  if (!outcome.result) {
    if (outcome.error.empty()) return;  // the pool stopped
    spdlog::error("cleaning {} failed: {}; it is not cleaned again until the broker restarts", name, outcome.error);
    uncleanable_.insert(key);
    return;
  }
  try {
    if (partition->log().install_cleaned(outcome.job, *outcome.result, now_ms()))
      start_cleaning(key, partition, now_ms());  // more may be due (the map was full)
  } catch (const storage::StorageError& e) {
    spdlog::error("installing the cleaning of {} failed: {}; it is not cleaned again until the broker restarts", name,
                  e.what());
    uncleanable_.insert(key);
  }
}

storage::PartitionCheckpoint PartitionManager::checkpoint_of(Partition& partition) const {
  const storage::PartitionLog& log = partition.log();
  return {{partition.topic(), partition.index()}, log.recovery_point(), log.log_start_offset(), log.cleaner_offset()};
}

void PartitionManager::write_checkpoints(int64_t) {
  std::vector<storage::PartitionCheckpoint> checkpoints;
  checkpoints.reserve(partitions_.size());
  for (auto& [key, partition] : partitions_) checkpoints.push_back(checkpoint_of(*partition));
  // Written (and fsynced) off the reactor.
  flusher_.run([&log_dirs = log_dirs_, shard = shard_, checkpoints = std::move(checkpoints)] {
    try {
      log_dirs.write_checkpoints(checkpoints);
    } catch (const storage::StorageError& e) {
      spdlog::error("writing the checkpoints of shard {} failed: {}", shard, e.what());
    }
  });
}

DeleteRecordsOutcome PartitionManager::delete_records(Partition& partition, int64_t offset) {
  DeleteRecordsOutcome outcome = partition.delete_records(offset, now_ms());
  if (outcome.error == protocol::ErrorCode::None && !checkpoint_now(partition))
    outcome.error = protocol::ErrorCode::KafkaStorageError;
  return outcome;
}

bool PartitionManager::checkpoint_now(Partition& partition) {
  try {
    storage::PartitionCheckpoint checkpoint = checkpoint_of(partition);
    log_dirs_.write_checkpoints(std::span(&checkpoint, 1));
    return true;
  } catch (const storage::StorageError& e) {
    spdlog::error("checkpointing {}-{} failed: {}", partition.topic(), partition.index(), e.what());
    return false;
  }
}

namespace {
// The topics `next` adds or changes over `last` (by pointer: images share
// unchanged topics), and the ids of those it no longer has.
void diff_topics(const cluster::MetadataImage& last, const cluster::MetadataImage& next,
                 std::vector<const cluster::TopicInfo*>& changed, std::vector<protocol::Uuid>& removed) {
  auto a = last.topics().begin(), b = next.topics().begin();
  const auto a_end = last.topics().end(), b_end = next.topics().end();
  while (a != a_end || b != b_end) {
    if (b == b_end || (a != a_end && a->first < b->first)) {
      removed.push_back((a++)->second->id);
    } else if (a == a_end || b->first < a->first) {
      changed.push_back((b++)->second.get());
    } else {
      if (a->second != b->second) {
        if (a->second->id != b->second->id) removed.push_back(a->second->id);  // re-created
        changed.push_back(b->second.get());
      }
      ++a;
      ++b;
    }
  }
}

}  // namespace

void PartitionManager::reconcile(std::shared_ptr<const cluster::MetadataImage> image, Owns owns) {
  const bool is_new = started_;
  if (!started_) {
    for (Chore& chore : chores_) schedule(chore, now_ms());
  }
  started_ = true;
  chore_timer_.rearm();
  const auto dynamic = config_.dynamic();
  const bool all = !seen_image_ || !retrying_.empty() || dynamic != seen_dynamic_;
  std::vector<const cluster::TopicInfo*> changed;
  std::vector<protocol::Uuid> removed;
  if (seen_image_) diff_topics(*seen_image_, *image, changed, removed);
  seen_image_ = image;
  seen_dynamic_ = dynamic;
  // Removed topics first, so a re-created topic of the same name starts empty.
  for (const protocol::Uuid& id : removed) remove_topic(id);
  if (all) {
    for (const auto& [name, topic] : image->topics()) reconcile_topic(*topic, owns, is_new);
  } else {
    for (const cluster::TopicInfo* topic : changed) reconcile_topic(*topic, owns, is_new);
  }
}

void PartitionManager::remove_topic(const protocol::Uuid& topic_id) {
  // Keys order by topic id first: its partitions are one range.
  auto it = partitions_.lower_bound(Key{topic_id, std::numeric_limits<int32_t>::min()});
  while (it != partitions_.end() && it->first.topic_id == topic_id) {
    Partition& partition = *it->second;
    spdlog::info("deleting partition {}-{}", partition.topic(), partition.index());
    log_dirs_.delete_partition({partition.topic(), partition.index()}, partition.release_log());
    it = partitions_.erase(it);
  }
  for (std::set<Key>* keys : {&unavailable_, &uncleanable_, &out_of_space_})
    std::erase_if(*keys, [&](const Key& key) { return key.topic_id == topic_id; });
}

void PartitionManager::reconcile_topic(const cluster::TopicInfo& topic, const Owns& owns, bool is_new) {
  ProducePolicy policy = resolve_produce_policy(topic, config_);
  storage::LogConfig log_config = resolve_log_config(topic, config_);
  for (const auto& p : topic.partitions) {
    if (!owns(topic, p.partition)) continue;
    Key key{topic.id, p.partition};
    if (auto it = partitions_.find(key); it != partitions_.end()) {
      it->second->update(policy, log_config);
      it->second->assign(p, config_.node_id(), cluster::monotonic_ms());
      continue;
    }
    if (unavailable_.count(key) || out_of_space_.count(key)) continue;
    std::unique_ptr<storage::PartitionLog> log;
    try {
      log = log_dirs_.open_partition({topic.name, p.partition}, log_config, topic.id, is_new);
    } catch (const storage::StorageError& e) {
      const bool retried = e.out_of_space();
      // Logged once, not at every retry.
      spdlog::log(retrying_.contains(key) ? spdlog::level::debug : spdlog::level::err,
                  "partition {}-{} is unavailable: {}{}", topic.name, p.partition, e.what(),
                  retried ? " (tried again while the disk is full)" : "");
      (retried ? out_of_space_ : unavailable_).insert(key);
      continue;
    }
    auto& opened = partitions_[key];
    opened = std::make_shared<Partition>(topic.name, p.partition, std::move(log), policy, notifier_, flusher_);
    opened->assign(p, config_.node_id(), cluster::monotonic_ms());
  }
}

std::vector<storage::PartitionCheckpoint> PartitionManager::close_all() {
  flusher_.drain();  // no periodic checkpoint may land after the final ones
  std::vector<storage::PartitionCheckpoint> checkpoints;
  for (auto& [key, partition] : partitions_) {
    try {
      partition->log().close();
      checkpoints.push_back(checkpoint_of(*partition));
    } catch (const std::exception& e) {
      spdlog::error("closing {}-{} failed: {}", partition->topic(), partition->index(), e.what());
    }
  }
  partitions_.clear();
  return checkpoints;
}

std::shared_ptr<Partition> PartitionManager::find(const protocol::Uuid& topic_id, int32_t partition) const {
  auto it = partitions_.find(Key{topic_id, partition});
  return it == partitions_.end() ? nullptr : it->second;
}

}  // namespace freshet::server
