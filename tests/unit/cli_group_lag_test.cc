#include "cli/group_lag.h"

#include <gtest/gtest.h>

namespace freshet::cli {
namespace {

GroupMember member(std::string id, std::vector<TopicPartition> assignment) {
  return GroupMember{id, std::nullopt, "client-" + id, "/127.0.0.1", std::move(assignment)};
}

TEST(GroupPartitions, UnionOfAssignedAndCommittedSorted) {
  const std::vector<GroupMember> members{member("m2", {{"b", 0}}),
                                         member("m1", {{"a", 1}, {"a", 0}})};
  const std::vector<PartitionOffset> committed{
      {{"a", 0}, 5},
      {{"c", 2}, 9},                                                   // nobody owns it
      {{"b", 0}, -1},                                                  // nothing committed
      {{"a", 1}, 7, RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT}};        // failed
  const std::vector<PartitionLag> rows = group_partitions(members, committed);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].partition, (TopicPartition{"a", 0}));
  EXPECT_EQ(rows[0].committed_offset, 5);
  EXPECT_EQ(rows[0].member_id, "m1");
  EXPECT_EQ(rows[0].client_id, "client-m1");
  EXPECT_EQ(rows[0].host, "/127.0.0.1");
  EXPECT_EQ(rows[1].partition, (TopicPartition{"a", 1}));
  EXPECT_FALSE(rows[1].committed_offset);
  EXPECT_EQ(rows[2].partition, (TopicPartition{"b", 0}));
  EXPECT_EQ(rows[2].member_id, "m2");
  EXPECT_FALSE(rows[2].committed_offset);
  EXPECT_EQ(rows[3].partition, (TopicPartition{"c", 2}));
  EXPECT_EQ(rows[3].committed_offset, 9);
  EXPECT_EQ(rows[3].member_id, "");
  for (const PartitionLag& row : rows) EXPECT_FALSE(row.log_end_offset);
}

TEST(PartitionLag, LagNeedsCommittedAndEnd) {
  PartitionLag row;
  EXPECT_FALSE(row.lag());
  row.log_end_offset = 10;
  EXPECT_FALSE(row.lag());
  row.committed_offset = 4;
  EXPECT_EQ(row.lag(), 6);
  row.log_end_offset.reset();
  EXPECT_FALSE(row.lag());
}

TEST(FormatAssignment, GroupsPartitionsByTopic) {
  EXPECT_EQ(format_assignment({}), "-");
  EXPECT_EQ(format_assignment({{"orders", 0}}), "orders:0");
  EXPECT_EQ(format_assignment({{"orders", 0}, {"orders", 2}, {"pay", 1}}), "orders:0,2;pay:1");
}

TEST(RenderLagTable, DashesForUnknowns) {
  PartitionLag owned;
  owned.partition = {"orders", 0};
  owned.committed_offset = 3;
  owned.log_end_offset = 10;
  owned.member_id = "m1";
  owned.client_id = "app";
  owned.host = "/10.0.0.1";
  PartitionLag uncommitted;
  uncommitted.partition = {"orders", 1};
  uncommitted.log_end_offset = 4;
  EXPECT_EQ(render_lag_table({owned, uncommitted}),
            "TOPIC   PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  MEMBER-ID  HOST       "
            "CLIENT-ID\n"
            "orders  0          3               10              7    m1         /10.0.0.1  app\n"
            "orders  1          -               4               -    -          -          -\n");
}

}  // namespace
}  // namespace freshet::cli
