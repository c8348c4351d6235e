#include "cli/key_value.h"

#include <gtest/gtest.h>

#include "cli/config_merge.h"
#include "cli/errors.h"
#include "cli/line_record.h"

namespace freshet::cli {
namespace {

TEST(KeyValue, SplitsAtFirstEquals) {
  const KeyValue kv = parse_key_value("retention.ms=1000", "config");
  EXPECT_EQ(kv.key, "retention.ms");
  EXPECT_EQ(kv.value, "1000");
  const KeyValue with_equals = parse_key_value("a=b=c", "config");
  EXPECT_EQ(with_equals.key, "a");
  EXPECT_EQ(with_equals.value, "b=c");
  const KeyValue empty_value = parse_key_value("k=", "header");
  EXPECT_EQ(empty_value.key, "k");
  EXPECT_EQ(empty_value.value, "");
}

TEST(KeyValue, RejectsMissingEqualsOrKey) {
  EXPECT_THROW(parse_key_value("noequals", "config"), CommandError);
  EXPECT_THROW(parse_key_value("=value", "config"), CommandError);
  EXPECT_THROW(parse_key_value("", "config"), CommandError);
  try {
    parse_key_values({"a=1", "oops"}, "header");
    FAIL();
  } catch (const CommandError& e) {
    EXPECT_EQ(std::string(e.what()), "invalid header 'oops': expected key=value");
  }
}

TEST(LineRecord, NoSeparatorMeansNoKey) {
  const LineRecord record = split_line("a:b", "");
  EXPECT_FALSE(record.key.has_value());
  EXPECT_EQ(record.value, "a:b");
}

TEST(LineRecord, SplitsAtFirstSeparator) {
  const LineRecord record = split_line("user-1::{\"a\":1}::x", "::");
  ASSERT_TRUE(record.key.has_value());
  EXPECT_EQ(*record.key, "user-1");
  EXPECT_EQ(record.value, "{\"a\":1}::x");
}

TEST(LineRecord, EmptyKeyOrValueAndMissingSeparator) {
  const LineRecord empty_key = split_line(":v", ":");
  ASSERT_TRUE(empty_key.key.has_value());
  EXPECT_EQ(*empty_key.key, "");
  EXPECT_EQ(empty_key.value, "v");
  const LineRecord empty_value = split_line("k:", ":");
  EXPECT_EQ(*empty_value.key, "k");
  EXPECT_EQ(empty_value.value, "");
  const LineRecord no_separator = split_line("just a value", ":");
  EXPECT_FALSE(no_separator.key.has_value());
  EXPECT_EQ(no_separator.value, "just a value");
}

TEST(ConfigMerge, KeepsCurrentAppliesSetsAndDeletes) {
  const std::map<std::string, std::string> current{{"retention.ms", "1000"},
                                                   {"cleanup.policy", "compact"}};
  const auto merged = merge_topic_configs(
      current, {{"segment.bytes", "1048576"}, {"retention.ms", "2000"}}, {"cleanup.policy"});
  const std::map<std::string, std::string> expected{{"retention.ms", "2000"},
                                                    {"segment.bytes", "1048576"}};
  EXPECT_EQ(merged, expected);
}

TEST(ConfigMerge, DeletingAnUnsetKeyChangesNothing) {
  const std::map<std::string, std::string> current{{"retention.ms", "1000"}};
  EXPECT_EQ(merge_topic_configs(current, {}, {"max.message.bytes"}), current);
}

TEST(ConfigMerge, RejectsKeysGivenTwice) {
  EXPECT_THROW(merge_topic_configs({}, {{"a", "1"}, {"a", "2"}}, {}), CommandError);
  EXPECT_THROW(merge_topic_configs({}, {{"a", "1"}}, {"a"}), CommandError);
  EXPECT_THROW(merge_topic_configs({}, {}, {"a", "a"}), CommandError);
}

}  // namespace
}  // namespace freshet::cli
