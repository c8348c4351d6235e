#include "server/fetch_session.h"

#include <climits>
#include <list>
#include <map>
#include <tuple>

namespace freshet::server {

using protocol::ErrorCode;

bool operator<(const SessionPartitionKey& a, const SessionPartitionKey& b) {
  return std::tie(a.topic_id.hi, a.topic_id.lo, a.topic, a.partition) <
         std::tie(b.topic_id.hi, b.topic_id.lo, b.topic, b.partition);
}

// Partitions are kept in fetch order (a list, so sent partitions can move to
// the back and others get their turn under max_bytes) with an index by key.
struct FetchSessionCache::Session {
  int32_t epoch = 0;  // the epoch the next incremental request must carry
  bool uses_topic_ids = false;
  int64_t last_used_ms = 0;
  std::list<SessionPartition> order;
  std::map<SessionPartitionKey, std::list<SessionPartition>::iterator> index;

  void upsert(const SessionPartition& requested) {
    auto it = index.find(requested.key);
    if (it == index.end()) {
      order.push_back(requested);
      order.back().high_watermark = -1;
      order.back().log_start_offset = -1;
      index.emplace(requested.key, std::prev(order.end()));
      return;
    }
    it->second->fetch_offset = requested.fetch_offset;
    it->second->max_bytes = requested.max_bytes;
  }

  void forget(const SessionPartitionKey& key) {
    auto it = index.find(key);
    if (it == index.end()) return;
    order.erase(it->second);
    index.erase(it);
  }
};

FetchSessionCache::FetchSessionCache(size_t max_sessions, int64_t min_idle_before_eviction_ms)
    : max_sessions_(max_sessions),
      min_idle_before_eviction_ms_(min_idle_before_eviction_ms),
      random_(std::random_device{}()) {}

FetchSessionCache::~FetchSessionCache() = default;

int32_t FetchSessionCache::next_epoch(int32_t epoch) {
  if (epoch < 0) return kFinalEpoch;
  if (epoch == INT32_MAX) return 1;
  return epoch + 1;
}

FetchPlan FetchSessionCache::plan(int32_t session_id, int32_t epoch, bool uses_topic_ids,
                                  const std::vector<SessionPartition>& listed,
                                  const std::vector<SessionPartitionKey>& forgotten, int64_t now_ms) {
  FetchPlan result;
  std::lock_guard lock(mutex_);
  if (epoch == kInitialEpoch || epoch == kFinalEpoch) {
    if (session_id != 0) remove_locked(session_id);
    result.kind = epoch == kInitialEpoch ? FetchPlan::Kind::kNewSession : FetchPlan::Kind::kSessionless;
    return result;
  }
  auto found = sessions_.find(session_id);
  if (found == sessions_.end()) {
    result.kind = FetchPlan::Kind::kError;
    result.error = ErrorCode::FetchSessionIdNotFound;
    return result;
  }
  Session& session = *found->second;
  if (session.epoch != epoch) {
    result.kind = FetchPlan::Kind::kError;
    result.error = ErrorCode::InvalidFetchSessionEpoch;
    return result;
  }
  if (session.uses_topic_ids != uses_topic_ids) {
    result.kind = FetchPlan::Kind::kError;
    result.error = ErrorCode::FetchSessionTopicIdError;
    return result;
  }
  for (const auto& partition : listed) session.upsert(partition);
  for (const auto& key : forgotten) session.forget(key);
  if (session.order.empty()) {
    remove_locked(session_id);
    result.kind = FetchPlan::Kind::kSessionless;
    return result;
  }
  touch_locked(session, session_id, now_ms);
  session.epoch = next_epoch(session.epoch);
  result.kind = FetchPlan::Kind::kIncremental;
  result.session_id = session_id;
  result.session_epoch = session.epoch;
  result.partitions.assign(session.order.begin(), session.order.end());
  return result;
}

int32_t FetchSessionCache::create(bool uses_topic_ids, std::vector<SessionPartition> partitions, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (!make_room_locked(now_ms)) return 0;
  auto session = std::make_unique<Session>();
  session->epoch = next_epoch(kInitialEpoch);
  session->uses_topic_ids = uses_topic_ids;
  for (auto& partition : partitions) {
    if (session->index.count(partition.key)) continue;  // a partition listed twice is kept once
    session->order.push_back(std::move(partition));
    session->index.emplace(session->order.back().key, std::prev(session->order.end()));
  }
  int32_t id = new_session_id_locked();
  touch_locked(*session, id, now_ms);
  sessions_.emplace(id, std::move(session));
  return id;
}

ErrorCode FetchSessionCache::answered(const FetchPlan& plan, const std::vector<PartitionAnswer>& answers,
                                      std::vector<bool>& send) {
  send.clear();
  std::lock_guard lock(mutex_);
  auto found = sessions_.find(plan.session_id);
  if (found == sessions_.end()) return ErrorCode::FetchSessionIdNotFound;
  Session& session = *found->second;
  if (session.epoch != plan.session_epoch) return ErrorCode::InvalidFetchSessionEpoch;
  send.resize(answers.size(), true);
  for (size_t i = 0; i < answers.size() && i < plan.partitions.size(); ++i) {
    auto it = session.index.find(plan.partitions[i].key);
    if (it == session.index.end()) continue;
    SessionPartition& cached = *it->second;
    const PartitionAnswer& answer = answers[i];
    bool changed = cached.high_watermark != answer.high_watermark || cached.log_start_offset != answer.log_start_offset;
    cached.high_watermark = answer.error_code != 0 ? -1 : answer.high_watermark;
    cached.log_start_offset = answer.log_start_offset;
    send[i] = answer.has_records || answer.error_code != 0 || changed;
    if (send[i]) session.order.splice(session.order.end(), session.order, it->second);
  }
  return ErrorCode::None;
}

size_t FetchSessionCache::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void FetchSessionCache::remove_locked(int32_t session_id) {
  auto found = sessions_.find(session_id);
  if (found == sessions_.end()) return;
  by_last_use_.erase({found->second->last_used_ms, session_id});
  sessions_.erase(found);
}

void FetchSessionCache::touch_locked(Session& session, int32_t session_id, int64_t now_ms) {
  by_last_use_.erase({session.last_used_ms, session_id});
  session.last_used_ms = now_ms;
  by_last_use_.emplace(now_ms, session_id);
}

bool FetchSessionCache::make_room_locked(int64_t now_ms) {
  if (sessions_.size() < max_sessions_) return true;
  if (by_last_use_.empty()) return false;
  auto [last_used_ms, session_id] = *by_last_use_.begin();
  if (now_ms - last_used_ms <= min_idle_before_eviction_ms_) return false;
  remove_locked(session_id);
  return true;
}

int32_t FetchSessionCache::new_session_id_locked() {
  std::uniform_int_distribution<int32_t> ids(1, INT32_MAX - 1);
  int32_t id;
  do {
    id = ids(random_);
  } while (sessions_.count(id));
  return id;
}

}  // namespace freshet::server
