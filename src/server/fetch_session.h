// Incremental fetch sessions (KIP-227): the broker remembers, per session id,
// which partitions a fetcher reads and what it was last told about each, so a
// follow-up Fetch lists only changed partitions and its response carries only
// partitions with news. The cache is shared by every shard (one mutex) and
// holds at most `max_sessions` sessions; when full, a new session may replace
// the least recently used one once that has been idle long enough.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/errors.h"
#include "protocol/wire.h"

namespace freshet::server {

// One partition of a session: named by topic id (Fetch v13+, `topic` empty)
// or by topic name (older versions, `topic_id` zero).
struct SessionPartitionKey {
  protocol::Uuid topic_id;
  std::string topic;
  int32_t partition = 0;

  friend bool operator==(const SessionPartitionKey&, const SessionPartitionKey&) = default;
  friend bool operator<(const SessionPartitionKey& a, const SessionPartitionKey& b);
};

// What a session remembers of one partition: the fetcher's last request
// parameters and the high watermark / log start offset it was last sent
// (-1 until something was sent, or after an error, so it is sent again).
struct SessionPartition {
  SessionPartitionKey key;
  int64_t fetch_offset = 0;
  int32_t max_bytes = 0;
  int64_t high_watermark = -1;
  int64_t log_start_offset = -1;
};

// What the broker is about to answer for one partition of a session.
struct PartitionAnswer {
  int16_t error_code = 0;
  int64_t high_watermark = -1;
  int64_t log_start_offset = -1;
  bool has_records = false;
};

// How to serve one Fetch request, decided from its session id and epoch.
struct FetchPlan {
  enum class Kind {
    kSessionless,  // answer the listed partitions, session id 0
    kNewSession,   // answer the listed partitions, then create() a session
    kIncremental,  // answer `partitions`, filtered through answered()
    kError,        // answer only `error`, no partitions
  };
  Kind kind = Kind::kSessionless;
  protocol::ErrorCode error = protocol::ErrorCode::None;
  int32_t session_id = 0;      // kIncremental
  int32_t session_epoch = 0;   // kIncremental: the epoch the session must still have when answering
  std::vector<SessionPartition> partitions;  // kIncremental: every partition of the session, in fetch order
};

class FetchSessionCache {
 public:
  static constexpr int32_t kInitialEpoch = 0;
  static constexpr int32_t kFinalEpoch = -1;
  // Kafka's fixed min.incremental.fetch.session.eviction.ms.
  static constexpr int64_t kDefaultMinIdleBeforeEvictionMs = 120'000;

  explicit FetchSessionCache(size_t max_sessions, int64_t min_idle_before_eviction_ms = kDefaultMinIdleBeforeEvictionMs);
  ~FetchSessionCache();
  FetchSessionCache(const FetchSessionCache&) = delete;
  FetchSessionCache& operator=(const FetchSessionCache&) = delete;

  // Kafka's FetchManager.newContext. Epoch 0 or -1 is a full fetch: it closes
  // `session_id` if set, and epoch 0 asks for a new session. Any other epoch
  // is incremental: the session must exist (else FETCH_SESSION_ID_NOT_FOUND),
  // expect exactly this epoch (else INVALID_FETCH_SESSION_EPOCH) and use the
  // same topic naming (else FETCH_SESSION_TOPIC_ID_ERROR); then `listed`
  // partitions are added or updated, `forgotten` ones removed, and the epoch
  // advances. A session left empty is closed and the fetch is sessionless.
  FetchPlan plan(int32_t session_id, int32_t epoch, bool uses_topic_ids, const std::vector<SessionPartition>& listed,
                 const std::vector<SessionPartitionKey>& forgotten, int64_t now_ms);

  // After a kNewSession fetch: stores a session of `partitions` (with what was
  // sent) and returns its id, or 0 when the cache is full of sessions not yet
  // idle long enough to evict (or holds no slots at all).
  int32_t create(bool uses_topic_ids, std::vector<SessionPartition> partitions, int64_t now_ms);

  // After a kIncremental fetch: `answers` follows `plan.partitions`. Returns
  // one flag per answer, true when it must be sent (records, an error, or a
  // high watermark / log start offset the fetcher has not seen), records what
  // is sent and moves sent partitions to the back of the fetch order.
  // Returns INVALID_FETCH_SESSION_EPOCH (no flags) when another request moved
  // the session on meanwhile, FETCH_SESSION_ID_NOT_FOUND when it is gone.
  protocol::ErrorCode answered(const FetchPlan& plan, const std::vector<PartitionAnswer>& answers,
                               std::vector<bool>& send);

  size_t size() const;

 private:
  struct Session;

  // The epoch that follows `epoch` (Kafka's FetchMetadata.nextEpoch).
  static int32_t next_epoch(int32_t epoch);
  // With the lock held.
  void remove_locked(int32_t session_id);
  void touch_locked(Session& session, int32_t session_id, int64_t now_ms);
  bool make_room_locked(int64_t now_ms);
  int32_t new_session_id_locked();

  const size_t max_sessions_;
  const int64_t min_idle_before_eviction_ms_;
  mutable std::mutex mutex_;
  std::unordered_map<int32_t, std::unique_ptr<Session>> sessions_;
  std::set<std::pair<int64_t, int32_t>> by_last_use_;  // (last used ms, session id)
  std::mt19937 random_;
};

}  // namespace freshet::server
