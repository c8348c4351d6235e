#include "cli/record_format.h"

#include <gtest/gtest.h>

#include "cli/errors.h"

namespace freshet::cli {
namespace {

RecordView sample_record() {
  RecordView record;
  record.topic = "orders";
  record.partition = 2;
  record.offset = 42;
  record.timestamp_ms = 1700000000123;
  record.key = "k1";
  record.value = "hello";
  record.headers = {{"trace", "abc"}, {"empty", std::nullopt}};
  return record;
}

std::string render(std::string_view spec, const RecordView& record) {
  std::string out;
  RecordFormat::parse(spec).render(record, out);
  return out;
}

TEST(RecordFormat, DefaultPrintsValueAndNewline) {
  EXPECT_EQ(render("%s\\n", sample_record()), "hello\n");
}

TEST(RecordFormat, EveryToken) {
  EXPECT_EQ(render("%t|%p|%o|%k|%s|%K|%S|%T|%h", sample_record()),
            "orders|2|42|k1|hello|2|5|1700000000123|trace=abc,empty=");
}

TEST(RecordFormat, EscapesAndLiteralPercent) {
  EXPECT_EQ(render("%k\\t%s\\r\\\\100%%\\n", sample_record()), "k1\thello\r\\100%\n");
  EXPECT_EQ(render("a\\0b", sample_record()), std::string("a\0b", 3));
}

TEST(RecordFormat, NullKeyAndValuePrintNothingAndSizeMinusOne) {
  RecordView record = sample_record();
  record.key.reset();
  record.value.reset();
  EXPECT_EQ(render("[%k][%s][%K][%S]", record), "[][][-1][-1]");
}

TEST(RecordFormat, LiteralOnlyAndEmpty) {
  EXPECT_EQ(render("plain", sample_record()), "plain");
  EXPECT_EQ(render("", sample_record()), "");
}

TEST(RecordFormat, RejectsUnknownTokensAndEscapes) {
  EXPECT_THROW(RecordFormat::parse("%x"), CommandError);
  EXPECT_THROW(RecordFormat::parse("\\q"), CommandError);
  EXPECT_THROW(RecordFormat::parse("trailing %"), CommandError);
  EXPECT_THROW(RecordFormat::parse("trailing \\"), CommandError);
  try {
    RecordFormat::parse("%s %z");
    FAIL();
  } catch (const CommandError& e) {
    EXPECT_NE(std::string(e.what()).find("%z"), std::string::npos);
  }
}

TEST(RecordJson, OneObjectPerLine) {
  std::string out;
  render_record_json(sample_record(), out);
  EXPECT_EQ(out,
            "{\"topic\":\"orders\",\"partition\":2,\"offset\":42,\"timestamp\":1700000000123,"
            "\"key\":\"k1\",\"value\":\"hello\",\"headers\":[{\"key\":\"trace\",\"value\":\"abc\"},"
            "{\"key\":\"empty\",\"value\":null}]}\n");
}

TEST(RecordJson, NullsAndEscaping) {
  RecordView record = sample_record();
  record.key.reset();
  record.value = "line\n\"quoted\"";
  record.headers.clear();
  std::string out;
  render_record_json(record, out);
  EXPECT_EQ(out,
            "{\"topic\":\"orders\",\"partition\":2,\"offset\":42,\"timestamp\":1700000000123,"
            "\"key\":null,\"value\":\"line\\n\\\"quoted\\\"\",\"headers\":[]}\n");
}

}  // namespace
}  // namespace freshet::cli
