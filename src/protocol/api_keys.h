// The Kafka request APIs Freshet knows, generated from the schema (see
// protocol/messages/api_list.h), and the header version each API version uses.
#pragma once

#include <cstdint>
#include <span>

#include "protocol/messages/api_list.h"

namespace freshet::protocol {

enum class ApiKey : int16_t {
#define FRESHET_API_KEY_ENUMERATOR(name, key, ...) name = key,
  FRESHET_PROTOCOL_APIS(FRESHET_API_KEY_ENUMERATOR)
#undef FRESHET_API_KEY_ENUMERATOR
};

struct ApiInfo {
  int16_t key;
  const char* name;  // "Produce", "Fetch", ... (the request name without "Request")
  int16_t min_version;
  int16_t max_version;  // Kafka 3.9's highest (4.0's for the transaction version 2 requests), possibly an unstable one
  int16_t first_flexible_request_version;  // -1 when no version is flexible
  bool latest_version_unstable;  // Kafka does not advertise max_version by default
};

// The API with this key, or nullptr when unknown.
const ApiInfo* find_api(int16_t key);
// Every known API, ordered by key.
std::span<const ApiInfo> all_apis();

// RequestHeader version for a request: 2 in flexible versions, else 1;
// ControlledShutdown v0 uses header v0. Unknown APIs get 1 (the classic header,
// enough to read the correlation id and answer with an error).
int16_t request_header_version(int16_t api_key, int16_t api_version);
// ResponseHeader version for a response: 1 in flexible versions, else 0.
// ApiVersions responses always use v0, so clients that do not yet know the
// broker's versions can parse them (KIP-511).
int16_t response_header_version(int16_t api_key, int16_t api_version);

}  // namespace freshet::protocol
