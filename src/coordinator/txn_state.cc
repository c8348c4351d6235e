#include "coordinator/txn_state.h"

#include <array>
#include <initializer_list>

namespace freshet::coordinator {
namespace {

constexpr std::array<std::string_view, 8> kNames = {
    "Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence",
};

bool one_of(TxnState state, std::initializer_list<TxnState> states) {
  for (TxnState s : states) {
    if (s == state) return true;
  }
  return false;
}

}  // namespace

std::string_view txn_state_name(TxnState state) { return kNames[static_cast<size_t>(state)]; }

std::optional<TxnState> txn_state_from_name(std::string_view name) {
  for (size_t id = 0; id < kNames.size(); ++id) {
    if (kNames[id] == name) return static_cast<TxnState>(id);
  }
  return std::nullopt;
}

std::optional<TxnState> txn_state_from_id(int8_t id) {
  if (id < 0 || static_cast<size_t>(id) >= kNames.size()) return std::nullopt;
  return static_cast<TxnState>(id);
}

bool is_valid_transition(TxnState from, TxnState to) {
  using enum TxnState;
  switch (to) {
    case kEmpty: return one_of(from, {kEmpty, kCompleteCommit, kCompleteAbort});
    case kOngoing: return one_of(from, {kOngoing, kEmpty, kCompleteCommit, kCompleteAbort});
    case kPrepareCommit: return from == kOngoing;
    // From Empty and Complete*: transaction version 2's abort of no partitions.
    case kPrepareAbort: return one_of(from, {kOngoing, kPrepareEpochFence, kEmpty, kCompleteCommit, kCompleteAbort});
    case kCompleteCommit: return from == kPrepareCommit;
    case kCompleteAbort: return from == kPrepareAbort;
    case kDead: return one_of(from, {kEmpty, kCompleteCommit, kCompleteAbort});
    case kPrepareEpochFence: return from == kOngoing;
  }
  return false;
}

bool is_expiration_allowed(TxnState state) {
  return one_of(state, {TxnState::kEmpty, TxnState::kCompleteCommit, TxnState::kCompleteAbort});
}

bool is_preparing(TxnState state) { return one_of(state, {TxnState::kPrepareCommit, TxnState::kPrepareAbort}); }

}  // namespace freshet::coordinator
