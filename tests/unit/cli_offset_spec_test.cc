#include "cli/offset_spec.h"

#include <gtest/gtest.h>

#include "cli/errors.h"

namespace freshet::cli {
namespace {

using Kind = OffsetSpec::Kind;

void expect_spec(std::string_view text, Kind kind, int64_t value) {
  const OffsetSpec spec = OffsetSpec::parse(text);
  EXPECT_EQ(spec.kind, kind) << text;
  EXPECT_EQ(spec.value, value) << text;
}

TEST(OffsetSpec, Names) {
  expect_spec("beginning", Kind::kBeginning, 0);
  expect_spec("start", Kind::kBeginning, 0);
  expect_spec("oldest", Kind::kBeginning, 0);
  expect_spec("end", Kind::kEnd, 0);
  expect_spec("newest", Kind::kEnd, 0);
}

TEST(OffsetSpec, Numbers) {
  expect_spec("0", Kind::kAbsolute, 0);
  expect_spec("12345", Kind::kAbsolute, 12345);
  expect_spec("9223372036854775807", Kind::kAbsolute, INT64_MAX);
  expect_spec("-10", Kind::kFromEnd, 10);
  expect_spec("-0", Kind::kEnd, 0);
  expect_spec("@1700000000000", Kind::kTimestamp, 1700000000000);
}

TEST(OffsetSpec, RejectsGarbage) {
  for (std::string_view bad : {"", "-", "@", "--1", "+5", "1x", "x1", "@-5", "12 ", "Beginning",
                               "9223372036854775808", "@abc", "-@1"}) {
    EXPECT_THROW(OffsetSpec::parse(bad), CommandError) << bad;
  }
}

}  // namespace
}  // namespace freshet::cli
