// Kafka's transaction states and the rules of Transaction's transitions.
#include <gtest/gtest.h>

#include <limits>
#include <set>

#include "coordinator/transaction.h"

namespace freshet::coordinator {
namespace {

using protocol::ErrorCode;
using enum TxnState;

constexpr TxnState kAll[] = {kEmpty,         kOngoing,       kPrepareCommit, kPrepareAbort,
                             kCompleteCommit, kCompleteAbort, kDead,          kPrepareEpochFence};

TEST(TxnState, NamesAndIdsAreKafkas) {
  const char* names[] = {"Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
                         "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence"};
  for (int8_t id = 0; id < 8; ++id) {
    EXPECT_EQ(txn_state_name(kAll[id]), names[id]);
    EXPECT_EQ(txn_state_from_name(names[id]), kAll[id]);
    EXPECT_EQ(txn_state_from_id(id), kAll[id]);
  }
  EXPECT_FALSE(txn_state_from_name("ongoing"));  // Kafka matches names exactly
  EXPECT_FALSE(txn_state_from_id(8));
  EXPECT_FALSE(txn_state_from_id(-1));
}

TEST(TxnState, TransitionsFollowKafkasValidPreviousStates) {
  const std::set<std::pair<TxnState, TxnState>> legal = {
      {kEmpty, kEmpty},          {kCompleteCommit, kEmpty},        {kCompleteAbort, kEmpty},
      {kOngoing, kOngoing},      {kEmpty, kOngoing},               {kCompleteCommit, kOngoing},
      {kCompleteAbort, kOngoing}, {kOngoing, kPrepareCommit},      {kOngoing, kPrepareAbort},
      {kPrepareEpochFence, kPrepareAbort}, {kPrepareCommit, kCompleteCommit}, {kPrepareAbort, kCompleteAbort},
      {kEmpty, kDead},           {kCompleteCommit, kDead},         {kCompleteAbort, kDead},
      {kOngoing, kPrepareEpochFence},
      // Transaction version 2's abort with nothing to end.
      {kEmpty, kPrepareAbort},   {kCompleteCommit, kPrepareAbort}, {kCompleteAbort, kPrepareAbort},
  };
  for (TxnState from : kAll) {
    for (TxnState to : kAll) {
      EXPECT_EQ(is_valid_transition(from, to), legal.count({from, to}) == 1)
          << txn_state_name(from) << " -> " << txn_state_name(to);
    }
  }
  for (TxnState state : kAll) {
    EXPECT_EQ(is_expiration_allowed(state), state == kEmpty || state == kCompleteCommit || state == kCompleteAbort);
    EXPECT_EQ(is_preparing(state), state == kPrepareCommit || state == kPrepareAbort);
  }
}

TxnImage fresh(int64_t producer_id = 1000) {
  TxnImage image;
  image.producer_id = producer_id;
  image.timeout_ms = 60000;
  image.last_update_timestamp_ms = 10;
  return image;
}

TEST(Transaction, FirstInitGivesEpochZeroThenBumps) {
  Transaction txn("t", fresh());
  EXPECT_EQ(txn.prepare_epoch_increment(5000, std::nullopt, 20), ErrorCode::None);
  EXPECT_TRUE(txn.busy());
  EXPECT_EQ(txn.current().producer_epoch, kNoProducerEpoch);  // not until durable
  txn.complete_transition();
  EXPECT_FALSE(txn.busy());
  EXPECT_EQ(txn.current().producer_epoch, 0);
  EXPECT_EQ(txn.current().timeout_ms, 5000);
  EXPECT_EQ(txn.current().last_update_timestamp_ms, 20);
  EXPECT_EQ(txn.current().last_producer_id, 1000);

  EXPECT_EQ(txn.prepare_epoch_increment(5000, std::nullopt, 30), ErrorCode::None);
  txn.complete_transition();
  EXPECT_EQ(txn.current().producer_epoch, 1);
  EXPECT_EQ(txn.current().last_producer_epoch, kNoProducerEpoch);
}

TEST(Transaction, ExpectedEpochBumpsRetriesOrFences) {
  Transaction txn("t", fresh());
  ASSERT_EQ(txn.prepare_epoch_increment(5000, std::nullopt, 20), ErrorCode::None);
  txn.complete_transition();  // epoch 0
  // The producer's own epoch: bumped, the old one kept as last.
  ASSERT_EQ(txn.prepare_epoch_increment(5000, int16_t{0}, 30), ErrorCode::None);
  txn.complete_transition();
  EXPECT_EQ(txn.current().producer_epoch, 1);
  EXPECT_EQ(txn.current().last_producer_epoch, 0);
  // The same call retried (it holds the last epoch): the current epoch again.
  ASSERT_EQ(txn.prepare_epoch_increment(5000, int16_t{0}, 40), ErrorCode::None);
  txn.complete_transition();
  EXPECT_EQ(txn.current().producer_epoch, 1);
  // Any other epoch is a fenced producer.
  EXPECT_EQ(txn.prepare_epoch_increment(5000, int16_t{7}, 50), ErrorCode::ProducerFenced);
  EXPECT_FALSE(txn.busy());
}

TEST(Transaction, AddPartitionsStartsTheTransactionOnce) {
  Transaction txn("t", fresh());
  ASSERT_EQ(txn.prepare_epoch_increment(5000, std::nullopt, 20), ErrorCode::None);
  txn.complete_transition();
  txn.prepare_add_partitions({{"a", 0}}, kTransactionVersion0, 100);
  txn.complete_transition();
  EXPECT_EQ(txn.state(), kOngoing);
  EXPECT_EQ(txn.current().start_timestamp_ms, 100);
  txn.prepare_add_partitions({{"b", 1}}, kTransactionVersion0, 200);
  txn.complete_transition();
  EXPECT_EQ(txn.current().start_timestamp_ms, 100);
  EXPECT_EQ(txn.current().last_update_timestamp_ms, 200);
  EXPECT_EQ(txn.current().partitions, (TopicPartitionSet{{"a", 0}, {"b", 1}}));
}

TEST(Transaction, EndThenCompleteClearsPartitions) {
  Transaction txn("t", fresh());
  ASSERT_EQ(txn.prepare_epoch_increment(5000, std::nullopt, 20), ErrorCode::None);
  txn.complete_transition();
  txn.prepare_add_partitions({{"a", 0}, {"b", 0}}, kTransactionVersion0, 100);
  txn.complete_transition();
  txn.prepare_end(true, kTransactionVersion0, kNoProducerId, 300);
  txn.complete_transition();
  EXPECT_EQ(txn.state(), kPrepareCommit);
  txn.prepare_complete(400);
  EXPECT_TRUE(txn.pending()->partitions.empty());
  txn.remove_partition({"a", 0});
  EXPECT_EQ(txn.current().partitions, (TopicPartitionSet{{"b", 0}}));
  txn.remove_partition({"b", 0});
  txn.complete_transition();
  EXPECT_EQ(txn.state(), kCompleteCommit);
  EXPECT_EQ(txn.current().start_timestamp_ms, 100);
  EXPECT_EQ(txn.current().last_update_timestamp_ms, 400);
}

TEST(Transaction, FenceBumpsAtOnceAndNotTwiceAfterAFailedWrite) {
  Transaction txn("t", fresh());
  ASSERT_EQ(txn.prepare_epoch_increment(5000, std::nullopt, 20), ErrorCode::None);
  txn.complete_transition();
  txn.prepare_add_partitions({{"a", 0}}, kTransactionVersion0, 100);
  txn.complete_transition();
  txn.prepare_fenced_abort(200);
  EXPECT_EQ(txn.current().producer_epoch, 1);  // the old producer is fenced already
  EXPECT_EQ(txn.pending()->state, kPrepareAbort);
  txn.abandon_transition();  // the write failed
  EXPECT_EQ(txn.state(), kOngoing);
  txn.prepare_fenced_abort(300);
  EXPECT_EQ(txn.current().producer_epoch, 1);
  txn.complete_transition();
  txn.prepare_complete(400);
  txn.remove_partition({"a", 0});
  txn.complete_transition();
  // Once a fence held, the next one bumps again.
  txn.prepare_add_partitions({{"a", 0}}, kTransactionVersion0, 500);
  txn.complete_transition();
  txn.prepare_fenced_abort(600);
  EXPECT_EQ(txn.current().producer_epoch, 2);
}

TEST(Transaction, RotationStartsANewProducerIdAtEpochZero) {
  TxnImage image = fresh();
  image.producer_epoch = std::numeric_limits<int16_t>::max() - 1;
  EXPECT_TRUE(is_epoch_exhausted(image.producer_epoch));
  EXPECT_FALSE(is_epoch_exhausted(image.producer_epoch - 1));
  Transaction txn("t", image);
  txn.set_awaiting_producer_id(true);
  EXPECT_TRUE(txn.busy());
  txn.set_awaiting_producer_id(false);
  txn.prepare_producer_id_rotation(2000, 5000, 20, true);
  txn.complete_transition();
  EXPECT_EQ(txn.current().producer_id, 2000);
  EXPECT_EQ(txn.current().producer_epoch, 0);
  EXPECT_EQ(txn.current().last_producer_id, 1000);
  EXPECT_EQ(txn.current().last_producer_epoch, std::numeric_limits<int16_t>::max() - 1);
  // A transition that is not to Empty keeps the last producer id.
  txn.prepare_add_partitions({{"a", 0}}, kTransactionVersion0, 30);
  txn.complete_transition();
  EXPECT_EQ(txn.current().last_producer_id, 1000);
}

TEST(Transaction, DeadIsPreparedFromIdleStatesOnly) {
  Transaction txn("t", fresh());
  ASSERT_EQ(txn.prepare_epoch_increment(5000, std::nullopt, 20), ErrorCode::None);
  txn.complete_transition();
  txn.prepare_dead();
  EXPECT_EQ(txn.pending()->state, kDead);
  txn.abandon_transition();
  EXPECT_EQ(txn.state(), kEmpty);
  EXPECT_FALSE(txn.busy());
}

}  // namespace
}  // namespace freshet::coordinator
