// Where `freshet consume` starts reading a partition (-o/--offset).
#pragma once

#include <cstdint>
#include <string_view>

namespace freshet::cli {

struct OffsetSpec {
  enum class Kind {
    kBeginning,  // "beginning" (or "start", "oldest"): the log start offset
    kEnd,        // "end" (or "newest"): the high watermark, i.e. only new records
    kAbsolute,   // "N": offset N
    kFromEnd,    // "-N": N records before the high watermark
    kTimestamp,  // "@MS": the first record with timestamp >= MS (milliseconds since the epoch)
  };
  Kind kind = Kind::kEnd;
  int64_t value = 0;  // the offset, count or timestamp, per kind

  // Parses the forms above; throws CommandError on anything else.
  static OffsetSpec parse(std::string_view text);
};

}  // namespace freshet::cli
