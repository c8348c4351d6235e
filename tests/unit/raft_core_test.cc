// RaftCore's rules one message at a time (the simulator, tests/sim, runs
// them under faults by the thousand): a single voter leads at once, a vote
// is given once per epoch and only to a log at least as complete, pre-votes
// are refused while a leader is heard from.
#include <gtest/gtest.h>

#include "raft/raft_core.h"

namespace freshet::raft {
namespace {

RaftConfig config() { return {}; }  // election timeout 1 s, fetch timeout 2 s

VoteResponse only_vote_response(RaftCore& core) {
  Actions actions = core.take_actions();
  EXPECT_EQ(actions.send.size(), 1u);
  return std::get<VoteResponse>(actions.send.at(0).message);
}

TEST(RaftCore, ASingleVoterLeadsOnceItsElectionTimeoutPasses) {
  RaftCore core(1, {1}, config(), {}, {}, 7, 0);
  core.tick(1);
  EXPECT_EQ(core.role(), Role::kUnattached);
  core.tick(2001);  // past any randomized election timeout (1-2 s)
  EXPECT_EQ(core.role(), Role::kLeader);
  EXPECT_EQ(core.quorum_state(), (QuorumState{1, 1, 1}));
  EXPECT_EQ(core.take_actions().persist, (QuorumState{1, 1, 1}));
}

TEST(RaftCore, AVoteIsGivenOncePerEpochAndOnlyToALogAsComplete) {
  RaftCore voter(2, {1, 2, 3}, config(), {}, LogEnd{10, 2}, 7, 0);
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
  RaftCore follower(2, {1, 2, 3}, config(), {}, {}, 7, 0);
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
