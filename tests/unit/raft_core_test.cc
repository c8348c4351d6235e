// RaftCore's rules one message at a time (the simulator, tests/sim, runs
// them under faults by the thousand): a single voter leads at once, a
// follower cuts a divergent tail, a vote
// is given once per epoch and only to a log at least as complete, pre-votes
// are refused while a leader is heard from; the voters change one at a
// time, a leader that removed itself resigns once that commits, a cut
// change is taken back.
#include <gtest/gtest.h>

#include "raft/raft_core.h"

namespace freshet::raft {
namespace {

RaftConfig config() { return {}; }  // election timeout 1 s, fetch timeout 2 s

// A stored log of these entries from offset 0, without snapshots.
StoredLog stored(std::vector<int32_t> entries) { return StoredLog{{}, std::move(entries), {}, {}}; }

// A log of `end` entries whose last is of `last_epoch` (the others of epoch 1).
StoredLog log_of(int64_t end, int32_t last_epoch) {
  std::vector<int32_t> log(static_cast<size_t>(end - 1), 1);
  log.push_back(last_epoch);
  return stored(std::move(log));
}

VoteResponse only_vote_response(RaftCore& core) {
  Actions actions = core.take_actions();
  EXPECT_EQ(actions.send.size(), 1u);
  return std::get<VoteResponse>(actions.send.at(0).message);
}

TEST(RaftCore, ASingleVoterLeadsAtItsFirstTick) {
  RaftCore core(1, {1}, config(), {}, StoredLog{}, 7, 0);
  EXPECT_EQ(core.role(), Role::kUnattached);
  core.tick(1);  // no one to wait for: no election timeout either
  EXPECT_EQ(core.role(), Role::kLeader);
  EXPECT_EQ(core.quorum_state(), (QuorumState{1, 1, 1}));
  Actions actions = core.take_actions();
  EXPECT_EQ(actions.persist, (QuorumState{1, 1, 1}));
  // Its epoch opens with an entry of its own, committed once durable.
  ASSERT_EQ(actions.log_writes.size(), 1u);
  EXPECT_EQ(actions.log_writes[0].entries, (std::vector<int32_t>{1}));
  EXPECT_EQ(core.high_watermark(), 0);
  core.flushed(1, 2);
  EXPECT_EQ(core.high_watermark(), 1);
}

TEST(RaftCore, AFollowerCutsWhereItsLogDivergesFromTheLeaders) {
  // Leader 1 of epoch 3 holds [1, 1, 3]; follower 2 holds [1, 1, 2, 2] of a lost epoch 2.
  RaftCore follower(2, {1, 2, 3}, config(), {}, stored({1, 1, 2, 2}), 7, 0);
  follower.receive(1, BeginQuorumEpoch{3, 1}, 0);
  // A new follower fetches at once (after answering the leader).
  auto fetch = std::get<FetchRequest>(follower.take_actions().send.at(0).message);
  EXPECT_EQ(fetch.fetch_offset, 4);
  EXPECT_EQ(fetch.last_fetched_epoch, 2);
  FetchResponse diverging;
  diverging.epoch = 3;
  diverging.leader = 1;
  diverging.diverging = DivergingEpoch{1, 2};  // epochs up to 2 end at offset 2 in the leader's log
  diverging.base_offset = 4;
  diverging.base_last_epoch = 2;
  follower.receive(1, diverging, 2);
  Actions cut = follower.take_actions();
  ASSERT_EQ(cut.log_writes.size(), 1u);
  EXPECT_EQ(cut.log_writes[0].truncate_to, 2);
  EXPECT_EQ(follower.log(), (std::vector<int32_t>{1, 1}));
  // The same answer again (a duplicate) changes nothing now.
  follower.receive(1, diverging, 3);
  EXPECT_TRUE(follower.take_actions().log_writes.empty());
}

TEST(RaftCore, AVoteIsGivenOncePerEpochAndOnlyToALogAsComplete) {
  RaftCore voter(2, {1, 2, 3}, config(), {}, log_of(10, 2), 7, 0);
  voter.receive(1, VoteRequest{1, 1, LogEnd{5, 2}, false}, 10);  // shorter log, same epoch
  EXPECT_FALSE(only_vote_response(voter).granted);
  EXPECT_EQ(voter.epoch(), 1);  // the epoch moved anyway
  voter.receive(1, VoteRequest{1, 1, LogEnd{3, 3}, false}, 20);  // a later epoch wins over length
  EXPECT_TRUE(only_vote_response(voter).granted);
  EXPECT_EQ(voter.quorum_state().voted_for, 1);
  voter.receive(3, VoteRequest{1, 3, LogEnd{50, 3}, false}, 30);  // already voted in epoch 1
  EXPECT_FALSE(only_vote_response(voter).granted);
  voter.receive(3, VoteRequest{2, 3, LogEnd{50, 3}, false}, 40);  // a new epoch, a new vote
  EXPECT_TRUE(only_vote_response(voter).granted);
  EXPECT_EQ(voter.quorum_state(), (QuorumState{2, kNoNode, 3}));
}

TEST(RaftCore, PreVotesAreRefusedWhileALeaderIsHeardFrom) {
  RaftCore follower(2, {1, 2, 3}, config(), {}, StoredLog{}, 7, 0);
  follower.receive(1, BeginQuorumEpoch{4, 1}, 0);
  EXPECT_EQ(follower.role(), Role::kFollower);
  follower.take_actions();
  follower.receive(3, VoteRequest{5, 3, {}, true}, 500);
  EXPECT_FALSE(only_vote_response(follower).granted);
  EXPECT_EQ(follower.epoch(), 4);  // a pre-vote changes nothing
  // Silence from the leader past the fetch timeout: the follower starts its
  // own pre-vote, and grants others'.
  follower.tick(2001);
  EXPECT_EQ(follower.role(), Role::kProspective);
  follower.take_actions();
  follower.receive(3, VoteRequest{5, 3, {}, true}, 2002);
  EXPECT_TRUE(only_vote_response(follower).granted);
}

}  // namespace
}  // namespace freshet::raft

namespace freshet::raft {
namespace {

// Leader 1 of three, elected with voter 2's vote, its LeaderChange entry durable.
RaftCore elected_leader() {
  RaftCore leader(1, {1, 2, 3}, config(), {}, StoredLog{}, 7, 0);
  leader.tick(3000);  // prospective: pre-votes out
  leader.receive(2, VoteResponse{0, kNoNode, true, true, 1}, 3000);
  leader.receive(2, VoteResponse{1, kNoNode, true, false, 1}, 3000);
  EXPECT_EQ(leader.role(), Role::kLeader);
  leader.flushed(1, 3000);
  leader.take_actions();
  return leader;
}

TEST(RaftCore, ACaughtUpFetchWaitsAtTheLeaderForNewEntriesOrItsMaxWait) {
  RaftCore leader = elected_leader();
  // Voter 2 fetches what the leader has: the answer carries the entry.
  leader.receive(2, FetchRequest{1, 2, 0, 0, 500}, 3010);
  auto first = leader.take_actions();
  ASSERT_EQ(first.send.size(), 1u);
  EXPECT_EQ(std::get<FetchResponse>(first.send[0].message).entries, (std::vector<int32_t>{1}));
  // Caught up, and the high watermark (entry 0, held by 1 and 2) moves: answered at once.
  leader.receive(2, FetchRequest{1, 2, 1, 1, 500}, 3020);
  auto hw = leader.take_actions();
  ASSERT_EQ(hw.send.size(), 1u);
  EXPECT_EQ(std::get<FetchResponse>(hw.send[0].message).high_watermark, 1);
  // Nothing new: the fetch is held...
  leader.receive(2, FetchRequest{1, 2, 1, 1, 500}, 3030);
  EXPECT_TRUE(leader.take_actions().send.empty());
  // ...until a proposal gives it entries.
  ASSERT_TRUE(leader.propose(2));
  auto woken = leader.take_actions();
  ASSERT_EQ(woken.send.size(), 1u);
  EXPECT_EQ(std::get<FetchResponse>(woken.send[0].message).entries, (std::vector<int32_t>{1, 1}));
  // Held again once caught up; answered empty when its max wait passes.
  leader.flushed(3, 3040);
  leader.receive(2, FetchRequest{1, 2, 3, 1, 500}, 3040);
  EXPECT_EQ(leader.take_actions().send.size(), 1u);  // the high watermark moved to 3
  leader.receive(2, FetchRequest{1, 2, 3, 1, 500}, 3050);
  EXPECT_TRUE(leader.take_actions().send.empty());
  leader.tick(3549);
  EXPECT_TRUE(leader.take_actions().send.empty());
  leader.tick(3550);
  auto late = leader.take_actions();
  ASSERT_EQ(late.send.size(), 1u);
  EXPECT_TRUE(std::get<FetchResponse>(late.send[0].message).entries.empty());
}

}  // namespace
}  // namespace freshet::raft

namespace freshet::raft {
namespace {

TEST(RaftCore, AFollowerThatLosesItsLeadersProcessAsksForAnElectionAtOnce) {
  RaftCore follower(2, {1, 2, 3}, config(), {}, StoredLog{}, 7, 0);
  follower.receive(1, BeginQuorumEpoch{1, 1}, 0);
  follower.take_actions();
  RaftCore other(3, {1, 2, 3}, config(), {}, StoredLog{}, 8, 0);
  other.receive(1, BeginQuorumEpoch{1, 1}, 0);
  other.take_actions();
  // Still hearing the leader: a pre-vote is refused.
  other.receive(2, VoteRequest{2, 2, {}, true}, 10);
  EXPECT_FALSE(only_vote_response(other).granted);
  follower.peer_lost(1, 10);
  other.peer_lost(1, 10);
  // Well before the 2 s fetch timeout: pre-votes out within a tenth of the backoff.
  follower.tick(111);
  EXPECT_EQ(follower.role(), Role::kProspective);
  auto sent = follower.take_actions().send;
  ASSERT_FALSE(sent.empty());
  EXPECT_TRUE(std::get<VoteRequest>(sent[0].message).pre_vote);
  other.receive(2, VoteRequest{2, 2, {}, true}, 111);
  EXPECT_TRUE(only_vote_response(other).granted);
  // Losing a node that is not the leader changes nothing.
  RaftCore calm(3, {1, 2, 3}, config(), {}, StoredLog{}, 9, 0);
  calm.receive(1, BeginQuorumEpoch{1, 1}, 0);
  calm.take_actions();
  calm.peer_lost(2, 10);
  calm.tick(1000);
  EXPECT_EQ(calm.role(), Role::kFollower);
}

}  // namespace
}  // namespace freshet::raft

namespace freshet::raft {
namespace {

// The answer `core` sends, of type T (the only message it sends).
template <typename T>
T only_sent(RaftCore& core) {
  Actions actions = core.take_actions();
  EXPECT_EQ(actions.send.size(), 1u);
  return std::get<T>(actions.send.at(0).message);
}

TEST(RaftCore, AFollowerBehindTheLeadersLogStartFetchesItsSnapshotChunkByChunk) {
  RaftCore leader = elected_leader();
  // Voter 2 holds the leader's 11 entries: they commit; a snapshot of them
  // is taken and the log starts after it.
  leader.receive(2, FetchRequest{1, 2, 0, 0, 500}, 3010);
  ASSERT_TRUE(leader.propose(10));
  leader.flushed(11, 3020);
  leader.receive(2, FetchRequest{1, 2, 11, 1, 500}, 3030);
  leader.take_actions();
  ASSERT_EQ(leader.high_watermark(), 11);
  leader.snapshot_taken({11, 1});
  leader.advance_log_start({11, 1});
  EXPECT_TRUE(leader.log().empty());

  // Voter 3 starts empty: its fetch at 0 is told to fetch the snapshot.
  RaftCore follower(3, {1, 2, 3}, config(), {}, StoredLog{}, 8, 0);
  follower.receive(1, BeginQuorumEpoch{1, 1}, 3040);
  auto fetch = std::get<FetchRequest>(follower.take_actions().send.at(0).message);
  leader.receive(3, fetch, 3040);
  auto told = only_sent<FetchResponse>(leader);
  ASSERT_TRUE(told.snapshot);
  EXPECT_EQ(*told.snapshot, (SnapshotId{11, 1}));
  follower.receive(1, told, 3050);
  auto ask = only_sent<FetchSnapshotRequest>(follower);
  EXPECT_EQ(ask.snapshot, (SnapshotId{11, 1}));
  EXPECT_EQ(ask.position, 0);

  // The leader serves its latest snapshot; the driver sizes the chunks.
  leader.receive(3, ask, 3050);
  auto chunk = only_sent<FetchSnapshotResponse>(leader);
  ASSERT_TRUE(chunk.snapshot);
  chunk.chunk_bytes = 60;
  chunk.total_bytes = 100;
  follower.receive(1, chunk, 3060);
  Actions first = follower.take_actions();
  ASSERT_EQ(first.snapshot_writes.size(), 1u);
  EXPECT_FALSE(first.snapshot_writes[0].complete);
  EXPECT_EQ(std::get<FetchSnapshotRequest>(first.send.at(0).message).position, 60);
  follower.receive(1, chunk, 3061);  // a duplicate of the first chunk changes nothing
  EXPECT_TRUE(follower.take_actions().snapshot_writes.empty());
  chunk.position = 60;
  chunk.chunk_bytes = 40;
  follower.receive(1, chunk, 3070);
  Actions complete = follower.take_actions();
  ASSERT_EQ(complete.snapshot_writes.size(), 1u);
  EXPECT_TRUE(complete.snapshot_writes[0].complete);
  EXPECT_TRUE(complete.send.empty());  // nothing until the driver installed it
  // Installed: the log restarts after it, committed up to there, and the
  // follower fetches on from its end.
  follower.snapshot_installed({1, 2, 3}, 3071);
  Actions last = follower.take_actions();
  EXPECT_EQ(follower.log_start(), (SnapshotId{11, 1}));
  EXPECT_TRUE(follower.log().empty());
  EXPECT_EQ(follower.high_watermark(), 11);
  auto next = std::get<FetchRequest>(last.send.at(0).message);
  EXPECT_EQ(next.fetch_offset, 11);
  EXPECT_EQ(next.last_fetched_epoch, 1);
  leader.receive(3, next, 3080);
  EXPECT_FALSE(only_sent<FetchResponse>(leader).snapshot);

  // A snapshot the leader no longer has is not served.
  leader.receive(3, FetchSnapshotRequest{1, 3, {5, 1}, 0}, 3090);
  EXPECT_FALSE(only_sent<FetchSnapshotResponse>(leader).snapshot);
}

}  // namespace
}  // namespace freshet::raft

namespace freshet::raft {
namespace {

// Observer 4's fetch at `offset` (after entries of epoch 1), as the leader gets it.
FetchRequest observer_fetch(int64_t offset) { return FetchRequest{1, 4, offset, offset == 0 ? 0 : 1, 0}; }

TEST(RaftCore, TheLeaderAddsAnObserverThatKeepsUpOneChangeAtATime) {
  RaftCore leader = elected_leader();
  // Its epoch's first entry is not committed yet: no change.
  EXPECT_EQ(leader.add_voter(4, 3001), VoterChangeRefusal::kPending);
  leader.receive(2, FetchRequest{1, 2, 1, 1, 500}, 3002);
  leader.take_actions();
  ASSERT_EQ(leader.high_watermark(), 1);
  // Observer 4 has not fetched to the log's end yet.
  EXPECT_EQ(leader.add_voter(4, 3003), VoterChangeRefusal::kNotCaughtUp);
  leader.receive(4, observer_fetch(0), 3004);
  leader.receive(4, observer_fetch(1), 3005);
  leader.take_actions();
  EXPECT_EQ(leader.add_voter(2, 3006), VoterChangeRefusal::kAlreadyVoter);
  EXPECT_EQ(leader.remove_voter(4, 3006), VoterChangeRefusal::kNotVoter);
  ASSERT_EQ(leader.add_voter(4, 3006), VoterChangeRefusal::kNone);
  // One entry that sets the voters, used at once, before it commits.
  Actions actions = leader.take_actions();
  ASSERT_EQ(actions.log_writes.size(), 1u);
  EXPECT_EQ(actions.log_writes[0].source, WriteSource::kVoterChange);
  EXPECT_EQ(actions.log_writes[0].voter_changes, (VoterChanges{{1, {1, 2, 3, 4}}}));
  EXPECT_EQ(leader.voters(), (VoterSet{1, 2, 3, 4}));
  EXPECT_FALSE(leader.observer_progress().size());
  EXPECT_EQ(leader.remove_voter(3, 3007), VoterChangeRefusal::kPending);  // the last one is uncommitted
  // Four voters: the leader and voter 2 are no majority any more; 4 makes one.
  leader.flushed(2, 3008);
  leader.receive(2, FetchRequest{1, 2, 2, 1, 500}, 3009);
  EXPECT_EQ(leader.high_watermark(), 1);
  leader.receive(4, FetchRequest{1, 4, 2, 1, 500}, 3010);
  EXPECT_EQ(leader.high_watermark(), 2);
  leader.take_actions();
  // Fetch answers carry the change to the followers.
  leader.receive(3, FetchRequest{1, 3, 1, 1, 0}, 3011);
  auto answer = only_sent<FetchResponse>(leader);
  EXPECT_EQ(answer.voter_changes, (VoterChanges{{1, {1, 2, 3, 4}}}));
  EXPECT_EQ(leader.remove_voter(3, 3012), VoterChangeRefusal::kNone);
  EXPECT_EQ(leader.voters(), (VoterSet{1, 2, 4}));
}

TEST(RaftCore, ALeaderThatRemovesItselfLeadsUntilTheChangeCommitsThenResigns) {
  RaftCore leader = elected_leader();
  leader.receive(2, FetchRequest{1, 2, 1, 1, 500}, 3001);
  leader.take_actions();
  ASSERT_EQ(leader.remove_voter(1, 3002), VoterChangeRefusal::kNone);
  EXPECT_TRUE(leader.observer());
  EXPECT_EQ(leader.role(), Role::kLeader);
  leader.flushed(2, 3003);
  leader.tick(3004);
  EXPECT_EQ(leader.role(), Role::kLeader);  // uncommitted: it may be the only one holding it
  // The voters are 2 and 3: both must hold it (the leader's own copy no longer counts).
  leader.receive(2, FetchRequest{1, 2, 2, 1, 500}, 3005);
  EXPECT_EQ(leader.high_watermark(), 1);
  leader.receive(3, FetchRequest{1, 3, 2, 1, 500}, 3006);
  EXPECT_EQ(leader.high_watermark(), 2);
  leader.tick(3007);
  EXPECT_EQ(leader.role(), Role::kUnattached);
  EXPECT_EQ(leader.voters(), (VoterSet{2, 3}));
  // It knows the change committed: it no longer stands (it would only
  // unseat the voters' leaders).
  EXPECT_FALSE(leader.may_stand());
}

TEST(RaftCore, AFollowerCutOffAChangeReturnsToTheVotersBeforeIt) {
  RaftCore follower(2, {1, 2, 3}, config(), {}, StoredLog{}, 7, 0);
  follower.receive(1, BeginQuorumEpoch{1, 1}, 0);
  follower.take_actions();
  FetchResponse entries;
  entries.epoch = 1;
  entries.leader = 1;
  entries.entries = {1, 1};
  entries.voter_changes = {{1, {1, 2}}};  // the second entry drops voter 3
  follower.receive(1, entries, 10);
  EXPECT_EQ(follower.voters(), (VoterSet{1, 2}));
  EXPECT_EQ(follower.take_actions().log_writes.at(0).voter_changes, entries.voter_changes);
  follower.flushed(2, 11);
  follower.take_actions();
  // A new leader of epoch 2 never had the change: the follower cuts it.
  follower.receive(3, BeginQuorumEpoch{2, 3}, 20);
  follower.take_actions();
  FetchResponse diverging;
  diverging.epoch = 2;
  diverging.leader = 3;
  diverging.diverging = DivergingEpoch{1, 1};
  diverging.base_offset = 2;
  diverging.base_last_epoch = 1;
  follower.receive(3, diverging, 30);
  EXPECT_EQ(follower.log_end().end_offset, 1);
  EXPECT_EQ(follower.voters(), (VoterSet{1, 2, 3}));
}

}  // namespace
}  // namespace freshet::raft

namespace freshet::raft {
namespace {

TEST(RaftCore, AResigningLeaderHasTheVotersElectAnotherAtOnce) {
  RaftCore leader = elected_leader();
  leader.receive(3, FetchRequest{1, 3, 1, 1, 0}, 3001);  // voter 3 holds the log: it is preferred
  leader.take_actions();
  leader.resign(3002);
  EXPECT_EQ(leader.role(), Role::kUnattached);
  Actions actions = leader.take_actions();
  ASSERT_EQ(actions.send.size(), 2u);
  for (const auto& out : actions.send) {
    const auto& end = std::get<EndQuorumEpoch>(out.message);
    EXPECT_EQ(end.epoch, 1);
    EXPECT_EQ(end.preferred_successors, (std::vector<NodeId>{3, 2}));
  }
  // Voter 3, a follower that heard from the leader just now, stands soon
  // after, without waiting for the fetch timeout.
  RaftCore follower(3, {1, 2, 3}, config(), {}, StoredLog{}, 8, 0);
  follower.receive(1, BeginQuorumEpoch{1, 1}, 3000);
  follower.take_actions();
  follower.receive(1, actions.send[0].message, 3003);
  EXPECT_EQ(std::get<EndQuorumEpochResponse>(follower.take_actions().send.at(0).message).epoch, 1);
  follower.tick(3003 + config().election_backoff_max_ms / 10 + 1);
  EXPECT_EQ(follower.role(), Role::kProspective);
}

}  // namespace
}  // namespace freshet::raft
