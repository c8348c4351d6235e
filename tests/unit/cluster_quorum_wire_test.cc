// The quorum's messages survive their Kafka wire forms (encoded and decoded
// at the versions the nodes use), and error answers never reach a core.
#include <gtest/gtest.h>

#include "cluster/metadata_log.h"
#include "cluster/quorum_wire.h"
#include "protocol/record_batch.h"

namespace freshet::cluster::quorum_wire_test {

// The fetch answer an answer from the wire carries.
const raft::FetchResponse& answer_of(const std::optional<QuorumFetchAnswer>& answer) {
  return std::get<raft::FetchResponse>(answer->message);
}

template <typename Message>
Message round_trip(const Message& message, int16_t version) {
  protocol::Writer writer;
  message.encode(writer, version);
  auto bytes = std::make_shared<std::vector<uint8_t>>(writer.take());
  protocol::Reader reader(*bytes, bytes);
  Message decoded;
  decoded.decode(reader, version);
  return decoded;
}

TEST(QuorumWireTest, VotesAndPreVotesKeepTheirFields) {
  for (bool pre_vote : {false, true}) {
    raft::VoteRequest vote{7, 2, {42, 6}, pre_vote};
    auto wire = round_trip(wire_vote_request(vote, 3, "cluster-a"), kVoteVersion);
    EXPECT_EQ(wire.cluster_id, "cluster-a");
    auto back = raft_vote_request(wire);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->candidate_epoch, 7);
    EXPECT_EQ(back->candidate, 2);
    EXPECT_EQ(back->candidate_log, (raft::LogEnd{42, 6}));
    EXPECT_EQ(back->pre_vote, pre_vote);
    auto answer = raft_vote_response(round_trip(wire_vote_response({7, raft::kNoNode, true, pre_vote, 7}), kVoteVersion), vote);
    ASSERT_TRUE(answer);
    EXPECT_TRUE(answer->granted);
    EXPECT_EQ(answer->pre_vote, pre_vote);
    EXPECT_EQ(answer->request_epoch, 7);
  }
  EXPECT_FALSE(raft_vote_response(vote_error(protocol::ErrorCode::InconsistentClusterId), raft::VoteRequest{}));
}

TEST(QuorumWireTest, BeginQuorumEpochNamesTheLeader) {
  auto wire = round_trip(wire_begin_quorum_epoch({9, 1}, 2, "c"), kBeginQuorumEpochVersion);
  auto back = raft_begin_quorum_epoch(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->epoch, 9);
  EXPECT_EQ(back->leader, 1);
  auto answer = raft_begin_quorum_epoch_response(round_trip(wire_begin_quorum_epoch_response({9, 1}), kBeginQuorumEpochVersion));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->epoch, 9);
}

TEST(QuorumWireTest, FetchesCarryTheirBatchesAndDivergence) {
  raft::FetchRequest fetch{4, 3, 10, 2, 500};
  auto wire = round_trip(wire_fetch_request(fetch, "c"), kQuorumFetchVersion);
  ASSERT_TRUE(is_quorum_fetch(wire));
  auto back = raft_fetch_request(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->replica, 3);
  EXPECT_EQ(back->fetch_offset, 10);
  EXPECT_EQ(back->last_fetched_epoch, 2);
  EXPECT_EQ(back->max_wait_ms, 500);

  // Two records of epoch 4 at offsets 10 and 11.
  protocol::TopicRecord topic;
  topic.name = "t";
  const std::vector<MetadataRecord> two{topic, topic};
  auto batch = build_metadata_batch(two, 0);
  protocol::set_base_offset(batch, 10);
  protocol::set_partition_leader_epoch(batch, 4);
  auto owner = std::make_shared<std::vector<uint8_t>>(batch);
  protocol::Records records{*owner, owner, std::nullopt};
  raft::FetchResponse answer{4, 1, 12, std::nullopt, 10, 2, {4, 4}, {}, std::nullopt};
  auto wire_answer = round_trip(wire_fetch_response(answer, 1, records), kQuorumFetchVersion);
  auto got = raft_fetch_response(wire_answer, fetch);
  ASSERT_TRUE(got);
  EXPECT_EQ(answer_of(got).entries, (std::vector<int32_t>{4, 4}));
  EXPECT_EQ(answer_of(got).high_watermark, 12);
  EXPECT_EQ(got->records.bytes.size(), batch.size());

  raft::FetchResponse diverging{4, 1, 0, raft::DivergingEpoch{2, 8}, 10, 2, {}, {}, std::nullopt};
  got = raft_fetch_response(round_trip(wire_fetch_response(diverging, 1, {}), kQuorumFetchVersion), fetch);
  ASSERT_TRUE(got && answer_of(got).diverging);
  EXPECT_EQ(answer_of(got).diverging->end_offset, 8);

  // Another node's answer names the leader it knows, without entries.
  got = raft_fetch_response(round_trip(wire_fetch_response({5, 2, 0, std::nullopt, 10, 2, {}, {}, std::nullopt}, 1, {}), kQuorumFetchVersion), fetch);
  ASSERT_TRUE(got);
  EXPECT_EQ(answer_of(got).epoch, 5);
  EXPECT_EQ(answer_of(got).leader, 2);
  EXPECT_TRUE(answer_of(got).entries.empty());
  EXPECT_FALSE(got->leader_endpoint);
  // ... and, when it knows, where that leader listens (NodeEndpoints).
  got = raft_fetch_response(round_trip(wire_fetch_response({5, 2, 0, std::nullopt, 10, 2, {}, {}, std::nullopt}, 1, {},
                                                           QuorumVoter{2, "127.0.0.2", 9093}),
                                       kQuorumFetchVersion),
                            fetch);
  ASSERT_TRUE(got && got->leader_endpoint);
  EXPECT_EQ(*got->leader_endpoint, (QuorumVoter{2, "127.0.0.2", 9093}));
  EXPECT_FALSE(raft_fetch_response(quorum_fetch_error(protocol::ErrorCode::NotLeaderOrFollower), fetch));

  // EndQuorumEpoch: the resigning leader and its preferred successors, and the answer.
  auto end = raft_end_quorum_epoch(round_trip(wire_end_quorum_epoch({4, 1, {3, 2}}, "c"), kEndQuorumEpochVersion));
  ASSERT_TRUE(end);
  EXPECT_EQ(end->epoch, 4);
  EXPECT_EQ(end->leader, 1);
  EXPECT_EQ(end->preferred_successors, (std::vector<raft::NodeId>{3, 2}));
  auto ended = raft_end_quorum_epoch_response(round_trip(wire_end_quorum_epoch_response({4, -1}), kEndQuorumEpochVersion));
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->epoch, 4);
  EXPECT_FALSE(raft_end_quorum_epoch_response(end_quorum_epoch_error(protocol::ErrorCode::InconsistentClusterId)));

  // Records that do not continue at the fetch offset are as if lost.
  raft::FetchRequest elsewhere{4, 3, 11, 4, 500};
  EXPECT_FALSE(raft_fetch_response(wire_answer, elsewhere));

  // A fetch from below the leader's log start is told of its snapshot.
  raft::FetchResponse snapshot{4, 1, 30, std::nullopt, 10, 2, {}, {}, raft::SnapshotId{25, 3}};
  got = raft_fetch_response(round_trip(wire_fetch_response(snapshot, 1, {}), kQuorumFetchVersion), fetch);
  ASSERT_TRUE(got && answer_of(got).snapshot);
  EXPECT_EQ(*answer_of(got).snapshot, (raft::SnapshotId{25, 3}));
}

TEST(QuorumWire, FetchSnapshotRoundTripsAndSaysWhenTheSnapshotIsGone) {
  raft::FetchSnapshotRequest ask{4, 3, {25, 3}, 100};
  auto wire = round_trip(wire_fetch_snapshot_request(ask, "c"), kFetchSnapshotVersion);
  EXPECT_EQ(wire.cluster_id, "c");
  auto back = raft_fetch_snapshot_request(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->replica, 3);
  EXPECT_EQ(back->snapshot, (raft::SnapshotId{25, 3}));
  EXPECT_EQ(back->position, 100);

  std::vector<uint8_t> bytes(40, 7);
  auto owner = std::make_shared<std::vector<uint8_t>>(bytes);
  protocol::Records chunk{*owner, owner, std::nullopt};
  raft::FetchSnapshotResponse answer{4, 1, raft::SnapshotId{25, 3}, 100, 40, 500};
  auto got = raft_fetch_snapshot_response(round_trip(wire_fetch_snapshot_response(answer, 1, chunk), kFetchSnapshotVersion));
  ASSERT_TRUE(got);
  const auto& message = std::get<raft::FetchSnapshotResponse>(got->message);
  EXPECT_EQ(message.snapshot, answer.snapshot);
  EXPECT_EQ(message.position, 100);
  EXPECT_EQ(message.chunk_bytes, 40);
  EXPECT_EQ(message.total_bytes, 500);
  EXPECT_EQ(got->records.bytes.size(), 40u);

  // The leader no longer has it: SNAPSHOT_NOT_FOUND, still naming itself.
  auto gone_wire = wire_fetch_snapshot_response({4, 1, std::nullopt}, 1, {});
  EXPECT_EQ(gone_wire.topics.at(0).partitions.at(0).error_code, protocol::code(protocol::ErrorCode::SnapshotNotFound));
  auto gone = raft_fetch_snapshot_response(round_trip(gone_wire, kFetchSnapshotVersion));
  ASSERT_TRUE(gone);
  EXPECT_FALSE(std::get<raft::FetchSnapshotResponse>(gone->message).snapshot);
  EXPECT_EQ(std::get<raft::FetchSnapshotResponse>(gone->message).leader, 1);
  // A request for another partition is not the quorum's.
  wire.topics[0].partitions[0].partition = 1;
  EXPECT_FALSE(raft_fetch_snapshot_request(wire));
}

}  // namespace freshet::cluster::quorum_wire_test
