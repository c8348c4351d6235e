#include "cli/offset_spec.h"

#include <gtest/gtest.h>

#include "cli/errors.h"

namespace freshet::cli {
namespace {

using SpecKind = OffsetSpec::Kind;

void expect_spec(std::string_view text, SpecKind kind, int64_t value) {
  const OffsetSpec spec = OffsetSpec::parse(text);
  EXPECT_EQ(spec.kind, kind) << text;
  EXPECT_EQ(spec.value, value) << text;
}

TEST(OffsetSpec, Names) {
  expect_spec("beginning", SpecKind::kBeginning, 0);
  expect_spec("start", SpecKind::kBeginning, 0);
  expect_spec("oldest", SpecKind::kBeginning, 0);
  expect_spec("end", SpecKind::kEnd, 0);
  expect_spec("newest", SpecKind::kEnd, 0);
}

TEST(OffsetSpec, Numbers) {
  expect_spec("0", SpecKind::kAbsolute, 0);
  expect_spec("12345", SpecKind::kAbsolute, 12345);
  expect_spec("9223372036854775807", SpecKind::kAbsolute, INT64_MAX);
  expect_spec("-10", SpecKind::kFromEnd, 10);
  expect_spec("-0", SpecKind::kEnd, 0);
  expect_spec("@1700000000000", SpecKind::kTimestamp, 1700000000000);
}

TEST(OffsetSpec, RejectsGarbage) {
  for (std::string_view bad : {"", "-", "@", "--1", "+5", "1x", "x1", "@-5", "12 ", "Beginning",
                               "9223372036854775808", "@abc", "-@1"}) {
    EXPECT_THROW(OffsetSpec::parse(bad), CommandError) << bad;
  }
}

}  // namespace
}  // namespace freshet::cli
