#include "cli/group_reset.h"

#include <gtest/gtest.h>

#include "cli/errors.h"

namespace freshet::cli {
namespace {

using TargetKind = ResetTarget::Kind;

void expect_target(std::string_view text, TargetKind kind, int64_t value) {
  const ResetTarget target = ResetTarget::parse(text);
  EXPECT_EQ(target.kind, kind) << text;
  EXPECT_EQ(target.value, value) << text;
}

TEST(ResetTarget, ParsesEveryForm) {
  expect_target("earliest", TargetKind::kEarliest, 0);
  expect_target("latest", TargetKind::kLatest, 0);
  expect_target("0", TargetKind::kOffset, 0);
  expect_target("42", TargetKind::kOffset, 42);
  expect_target("@1700000000000", TargetKind::kTimestamp, 1700000000000);
}

TEST(ResetTarget, RejectsGarbage) {
  for (std::string_view bad : {"", "@", "-1", "+1", "1x", "Earliest", "beginning", "@-5", "@@1",
                               "9223372036854775808"}) {
    EXPECT_THROW(ResetTarget::parse(bad), CommandError) << bad;
  }
}

TEST(TopicSelection, TopicAlone) {
  const TopicSelection selection = TopicSelection::parse("orders");
  EXPECT_EQ(selection.topic, "orders");
  EXPECT_TRUE(selection.partitions.empty());
}

TEST(TopicSelection, PartitionsSortedAndUnique) {
  const TopicSelection selection = TopicSelection::parse("orders:3,0,3,1");
  EXPECT_EQ(selection.topic, "orders");
  EXPECT_EQ(selection.partitions, (std::vector<int32_t>{0, 1, 3}));
}

TEST(TopicSelection, RejectsMalformed) {
  for (std::string_view bad : {"", ":0", "orders:", "orders:a", "orders:1,", "orders:,1",
                               "orders:-1", "orders:1:2", "orders:2147483648"}) {
    EXPECT_THROW(TopicSelection::parse(bad), CommandError) << bad;
  }
}

TEST(ResetOffset, EarliestAndLatestAreTheLogEnds) {
  EXPECT_EQ(reset_offset({TargetKind::kEarliest, 0}, 5, 20, -1), 5);
  EXPECT_EQ(reset_offset({TargetKind::kLatest, 0}, 5, 20, -1), 20);
}

TEST(ResetOffset, ExplicitOffsetIsClampedIntoTheLog) {
  EXPECT_EQ(reset_offset({TargetKind::kOffset, 12}, 5, 20, -1), 12);
  EXPECT_EQ(reset_offset({TargetKind::kOffset, 5}, 5, 20, -1), 5);
  EXPECT_EQ(reset_offset({TargetKind::kOffset, 20}, 5, 20, -1), 20);
  EXPECT_EQ(reset_offset({TargetKind::kOffset, 2}, 5, 20, -1), 5);
  EXPECT_EQ(reset_offset({TargetKind::kOffset, 99}, 5, 20, -1), 20);
  EXPECT_EQ(reset_offset({TargetKind::kOffset, 3}, 0, 0, -1), 0);
}

TEST(ResetOffset, TimestampUsesTheLookupOrTheEnd) {
  EXPECT_EQ(reset_offset({TargetKind::kTimestamp, 1000}, 0, 20, 7), 7);
  EXPECT_EQ(reset_offset({TargetKind::kTimestamp, 1000}, 0, 20, -1), 20);
}

GroupDescription group(rd_kafka_consumer_group_state_t state, size_t members) {
  GroupDescription d;
  d.group = std::string("g");  // (assigning a literal trips a g++ 12 -Wrestrict false positive)
  d.state = state;
  d.members.resize(members);
  return d;
}

TEST(RequireInactive, AcceptsEmptyAndUnknownGroups) {
  EXPECT_NO_THROW(require_inactive(group(RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY, 0)));
  EXPECT_NO_THROW(require_inactive(group(RD_KAFKA_CONSUMER_GROUP_STATE_DEAD, 0)));
}

TEST(RequireInactive, RefusesGroupsWithMembers) {
  try {
    require_inactive(group(RD_KAFKA_CONSUMER_GROUP_STATE_STABLE, 2));
    FAIL() << "no error";
  } catch (const CommandError& e) {
    EXPECT_STREQ(e.what(),
                 "group 'g' is Stable with 2 members: offsets can only be reset while it has "
                 "none; stop its consumers first (NON_EMPTY_GROUP)");
  }
  EXPECT_THROW(require_inactive(group(RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE, 1)),
               CommandError);
  EXPECT_THROW(require_inactive(group(RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE, 0)),
               CommandError);
}

TEST(RequireInactive, ReportsTheDescriptionError) {
  GroupDescription d = group(RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN, 0);
  d.error = RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE;
  try {
    require_inactive(d);
    FAIL() << "no error";
  } catch (const CommandError& e) {
    EXPECT_NE(std::string(e.what()).find("(COORDINATOR_NOT_AVAILABLE)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace freshet::cli
