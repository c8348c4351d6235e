// KIP-890 part 1 on one partition (Kafka's VerificationStateEntry and
// VerificationGuard): before the first batch of a transaction may be written,
// the server asks the transaction coordinator whether this partition is in the
// producer's ongoing transaction. begin() hands out a guard for that round
// trip; the append is allowed only if the guard still matches when it comes
// back. A marker, any transactional batch, or a newer epoch from the producer
// meanwhile drops the entry, so a stale answer (the ABA of a transaction that
// ended and a new one that does not include this partition) cannot be used.
//
// Bounded: at most `max_entries` producers are being verified; beyond that the
// oldest entries are dropped (their appends then fail and are retried).
// Owner thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace freshet::storage {

// Unique across the process; the default value never matches.
struct VerificationGuard {
  uint64_t value = 0;
  friend bool operator==(const VerificationGuard&, const VerificationGuard&) = default;
};
inline constexpr VerificationGuard kNoVerificationGuard{};

class TransactionVerifications {
 public:
  struct Entry {
    VerificationGuard guard;
    int16_t producer_epoch;
    // The lowest base sequence seen while verifying: higher sequences of this
    // epoch are out of order until it has been written (no retry loops).
    int32_t lowest_sequence;
    int64_t created_ms;
  };

  explicit TransactionVerifications(size_t max_entries) : max_entries_(max_entries) {}

  // The guard for `producer_id`, created when none is pending or when
  // `producer_epoch` is newer than the pending one's (which it replaces).
  // Keeps the lowest sequence of the current epoch.
  VerificationGuard begin(int64_t producer_id, int16_t producer_epoch, int32_t base_sequence, int64_t now_ms);
  // The pending entry of `producer_id`; null when none.
  const Entry* find(int64_t producer_id) const;
  // True when `guard` is the pending guard of `producer_id` (never for kNoVerificationGuard).
  bool matches(int64_t producer_id, VerificationGuard guard) const;
  // A batch of `producer_id` was written: a transactional one (data or marker)
  // or a newer epoch ends the verification.
  void on_batch(int64_t producer_id, int16_t producer_epoch, bool transactional);
  // Drops entries created `expiration_ms` or longer before `now_ms`.
  void remove_expired(int64_t now_ms, int64_t expiration_ms);
  void set_max_entries(size_t max_entries) { max_entries_ = max_entries; }

 private:
  std::unordered_map<int64_t, Entry> entries_;
  size_t max_entries_;
};

}  // namespace freshet::storage
