#include "storage/transaction_verification.h"

#include <atomic>
#include <cassert>

#include "storage/evict_oldest.h"

namespace freshet::storage {

namespace {
VerificationGuard next_guard() {
  static std::atomic<uint64_t> last{0};
  return {last.fetch_add(1, std::memory_order_relaxed) + 1};
}
}  // namespace

VerificationGuard TransactionVerifications::begin(int64_t producer_id, int16_t producer_epoch, int32_t base_sequence,
                                                  int64_t now_ms) {
  auto it = entries_.find(producer_id);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_) {
      evict_oldest(entries_, max_entries_ / 8 + 1, [](const Entry& e) { return e.created_ms; },
                   [](const Entry&) { return true; });
    }
    it = entries_.emplace(producer_id, Entry{next_guard(), producer_epoch, base_sequence, now_ms}).first;
  } else if (producer_epoch > it->second.producer_epoch) {
    it->second = Entry{next_guard(), producer_epoch, base_sequence, now_ms};
  } else if (producer_epoch == it->second.producer_epoch && base_sequence < it->second.lowest_sequence) {
    it->second.lowest_sequence = base_sequence;
  }
  assert(it->second.guard != kNoVerificationGuard);
  return it->second.guard;
}

const TransactionVerifications::Entry* TransactionVerifications::find(int64_t producer_id) const {
  auto it = entries_.find(producer_id);
  return it == entries_.end() ? nullptr : &it->second;
}

bool TransactionVerifications::matches(int64_t producer_id, VerificationGuard guard) const {
  const Entry* entry = find(producer_id);
  return guard != kNoVerificationGuard && entry && entry->guard == guard;
}

void TransactionVerifications::on_batch(int64_t producer_id, int16_t producer_epoch, bool transactional) {
  if (entries_.empty()) return;
  auto it = entries_.find(producer_id);
  if (it != entries_.end() && (transactional || producer_epoch > it->second.producer_epoch)) entries_.erase(it);
}

void TransactionVerifications::remove_expired(int64_t now_ms, int64_t expiration_ms) {
  std::erase_if(entries_, [&](const auto& item) { return now_ms - item.second.created_ms >= expiration_ms; });
}

}  // namespace freshet::storage
