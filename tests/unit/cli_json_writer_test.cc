#include "cli/json_writer.h"

#include <gtest/gtest.h>

namespace freshet::cli {
namespace {

TEST(JsonWriter, NestedValuesWithCommas) {
  JsonWriter json;
  json.begin_object()
      .key("a").number(1)
      .key("b").begin_array().number(-2).boolean(true).null().string("x").end_array()
      .key("c").begin_object().end_object()
      .end_object();
  EXPECT_EQ(json.text(), R"({"a":1,"b":[-2,true,null,"x"],"c":{}})");
}

TEST(JsonWriter, EscapesControlCharacters) {
  JsonWriter json;
  json.string(std::string("q\"b\\n\n\t\x01\x7f", 9));
  EXPECT_EQ(json.text(), R"("q\"b\\n\n\t\u0001\u007f")");
}

TEST(JsonWriter, KeepsValidUtf8) {
  JsonWriter json;
  json.string("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(json.text(), "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST(JsonWriter, ReplacesInvalidUtf8Bytes) {
  JsonWriter json;
  // A lone continuation byte, a truncated sequence, an overlong '/' and a surrogate.
  json.string("a\x80" "b\xe2\x82" "c\xc0\xaf" "d\xed\xa0\x80");
  EXPECT_EQ(json.text(),
            R"("a\ufffdb\ufffd\ufffdc\ufffd\ufffdd\ufffd\ufffd\ufffd")");
}

TEST(JsonWriter, EscapesKeys) {
  JsonWriter json;
  json.begin_object().key("we\"ird").string("v").end_object();
  EXPECT_EQ(json.text(), R"({"we\"ird":"v"})");
}

}  // namespace
}  // namespace freshet::cli
