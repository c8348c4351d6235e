// Who is asking a coordinator, and when: every call of the group and
// transaction coordinators carries one.
#pragma once

#include <cstdint>
#include <string>

namespace freshet::coordinator {

struct CallContext {
  int16_t api_version = 0;
  std::string client_id;
  std::string client_host;  // e.g. "/127.0.0.1"
  int64_t now_ms = 0;
};

}  // namespace freshet::coordinator
