#include "cli/record_format.h"

#include <fmt/core.h>

#include "cli/errors.h"
#include "cli/json_writer.h"

namespace freshet::cli {

RecordFormat RecordFormat::parse(std::string_view spec) {
  RecordFormat format;
  std::string literal;
  const auto flush_literal = [&] {
    if (literal.empty()) return;
    format.pieces_.push_back(Piece{Field::kLiteral, std::move(literal)});
    literal.clear();
  };
  for (size_t i = 0; i < spec.size(); ++i) {
    const char c = spec[i];
    if (c != '%' && c != '\\') {
      literal += c;
      continue;
    }
    if (i + 1 == spec.size()) {
      throw CommandError(fmt::format("invalid format '{}': it ends with a lone '{}'", spec, c));
    }
    const char next = spec[++i];
    if (c == '\\') {
      switch (next) {
        case 'n': literal += '\n'; break;
        case 't': literal += '\t'; break;
        case 'r': literal += '\r'; break;
        case '0': literal += '\0'; break;
        case '\\': literal += '\\'; break;
        default:
          throw CommandError(fmt::format("invalid format '{}': unknown escape '\\{}'", spec, next));
      }
      continue;
    }
    Field field;
    switch (next) {
      case '%': literal += '%'; continue;
      case 't': field = Field::kTopic; break;
      case 'p': field = Field::kPartition; break;
      case 'o': field = Field::kOffset; break;
      case 'k': field = Field::kKey; break;
      case 's': field = Field::kValue; break;
      case 'K': field = Field::kKeySize; break;
      case 'S': field = Field::kValueSize; break;
      case 'T': field = Field::kTimestamp; break;
      case 'h': field = Field::kHeaders; break;
      default:
        throw CommandError(fmt::format(
            "invalid format '{}': unknown token '%{}' (known: %t %p %o %k %s %K %S %T %h %%)",
            spec, next));
    }
    flush_literal();
    format.pieces_.push_back(Piece{field, {}});
  }
  flush_literal();
  return format;
}

void RecordFormat::render(const RecordView& record, std::string& out) const {
  const auto size_of = [](const std::optional<std::string_view>& bytes) -> int64_t {
    return bytes ? static_cast<int64_t>(bytes->size()) : -1;
  };
  for (const Piece& piece : pieces_) {
    switch (piece.field) {
      case Field::kLiteral: out += piece.literal; break;
      case Field::kTopic: out += record.topic; break;
      case Field::kPartition: out += std::to_string(record.partition); break;
      case Field::kOffset: out += std::to_string(record.offset); break;
      case Field::kKey: out += record.key.value_or(""); break;
      case Field::kValue: out += record.value.value_or(""); break;
      case Field::kKeySize: out += std::to_string(size_of(record.key)); break;
      case Field::kValueSize: out += std::to_string(size_of(record.value)); break;
      case Field::kTimestamp: out += std::to_string(record.timestamp_ms); break;
      case Field::kHeaders:
        for (size_t i = 0; i < record.headers.size(); ++i) {
          if (i > 0) out += ',';
          out += record.headers[i].first;
          out += '=';
          out += record.headers[i].second.value_or("");
        }
        break;
    }
  }
}

void render_record_json(const RecordView& record, std::string& out) {
  const auto optional_string = [](JsonWriter& json, const std::optional<std::string_view>& bytes) {
    if (bytes) {
      json.string(*bytes);
    } else {
      json.null();
    }
  };
  JsonWriter json;
  json.begin_object();
  json.key("topic").string(record.topic);
  json.key("partition").number(record.partition);
  json.key("offset").number(record.offset);
  json.key("timestamp").number(record.timestamp_ms);
  json.key("key");
  optional_string(json, record.key);
  json.key("value");
  optional_string(json, record.value);
  json.key("headers").begin_array();
  for (const auto& [name, value] : record.headers) {
    json.begin_object().key("key").string(name).key("value");
    optional_string(json, value);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out += json.text();
  out += '\n';
}

}  // namespace freshet::cli
