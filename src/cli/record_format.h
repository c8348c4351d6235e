// How `freshet consume` prints a record: a kcat-style format string or one JSON object per record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace freshet::cli {

// A consumed record, borrowed from the client library for the time of printing.
struct RecordView {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;  // -1: the record has no timestamp
  std::optional<std::string_view> key;    // nullopt: null key
  std::optional<std::string_view> value;  // nullopt: null value (tombstone)
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> headers;
};

// A parsed format string. Tokens (as kcat's -f): %t topic, %p partition, %o offset, %k key,
// %s value, %K key size, %S value size (-1 for null), %T timestamp in ms, %h headers as
// "name=value,..." and %% a '%'. Escapes: \n, \t, \r, \0 and \\. Null keys and values print
// as nothing.
class RecordFormat {
 public:
  // Throws CommandError naming the first unknown token or escape.
  static RecordFormat parse(std::string_view spec);

  // Appends `record` rendered by this format to `out`.
  void render(const RecordView& record, std::string& out) const;

 private:
  enum class Field {
    kLiteral, kTopic, kPartition, kOffset, kKey, kValue, kKeySize, kValueSize, kTimestamp,
    kHeaders,
  };
  struct Piece {
    Field field;
    std::string literal;  // for kLiteral
  };
  std::vector<Piece> pieces_;
};

// Appends `record` as one compact JSON object and a newline to `out`: topic, partition, offset,
// timestamp, key, value (null when null), headers as [{"key":...,"value":...}].
void render_record_json(const RecordView& record, std::string& out);

}  // namespace freshet::cli
