#include "cli/table.h"

#include <gtest/gtest.h>

namespace freshet::cli {
namespace {

TEST(Table, AlignsColumnsTwoSpacesApartWithoutTrailingSpaces) {
  Table table({"NAME", "PARTITIONS", "REPLICAS"});
  table.add_row({"orders", "3", "1"});
  table.add_row({"a", "12", ""});
  EXPECT_EQ(table.render(),
            "NAME    PARTITIONS  REPLICAS\n"
            "orders  3           1\n"
            "a       12\n");
}

TEST(Table, HeaderOnly) {
  Table table({"TOPIC", "STATUS"});
  EXPECT_EQ(table.render(), "TOPIC  STATUS\n");
}

TEST(Table, HeadlessSummary) {
  Table table = Table::headless(2);
  table.add_row({"NAME", "orders"});
  table.add_row({"PARTITIONS", "3"});
  EXPECT_EQ(table.render(),
            "NAME        orders\n"
            "PARTITIONS  3\n");
}

TEST(Table, WidthCountsUtf8CodePoints) {
  Table table({"K", "V"});
  table.add_row({"h\xc3\xa9", "1"});  // "hé": 2 code points, 3 bytes
  table.add_row({"abc", "2"});
  EXPECT_EQ(table.render(),
            "K    V\n"
            "h\xc3\xa9   1\n"
            "abc  2\n");
}

TEST(Table, SectionTitleAndIdList) {
  EXPECT_EQ(section_title("CONFIGS"), "CONFIGS\n=======\n");
  EXPECT_EQ(format_id_list({}), "[]");
  EXPECT_EQ(format_id_list({1, 2, 3}), "[1, 2, 3]");
}

}  // namespace
}  // namespace freshet::cli
