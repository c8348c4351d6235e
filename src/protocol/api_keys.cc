#include "protocol/api_keys.h"

#include <algorithm>
#include <iterator>

namespace freshet::protocol {

namespace {

constexpr ApiInfo kApis[] = {
#define FRESHET_API_INFO(name, key, min, max, first_flexible, unstable) \
  {key, #name, min, max, first_flexible, unstable},
    FRESHET_PROTOCOL_APIS(FRESHET_API_INFO)
#undef FRESHET_API_INFO
};

static_assert(std::is_sorted(std::begin(kApis), std::end(kApis),
                             [](const ApiInfo& a, const ApiInfo& b) { return a.key < b.key; }));

bool is_flexible(const ApiInfo* api, int16_t api_version) {
  return api != nullptr && api->first_flexible_request_version >= 0 &&
         api_version >= api->first_flexible_request_version;
}

}  // namespace

const ApiInfo* find_api(int16_t key) {
  auto it = std::lower_bound(std::begin(kApis), std::end(kApis), key,
                             [](const ApiInfo& api, int16_t k) { return api.key < k; });
  return it != std::end(kApis) && it->key == key ? it : nullptr;
}

std::span<const ApiInfo> all_apis() { return kApis; }

int16_t request_header_version(int16_t api_key, int16_t api_version) {
  if (api_key == static_cast<int16_t>(ApiKey::ControlledShutdown) && api_version == 0) return 0;
  return is_flexible(find_api(api_key), api_version) ? 2 : 1;
}

int16_t response_header_version(int16_t api_key, int16_t api_version) {
  if (api_key == static_cast<int16_t>(ApiKey::ApiVersions)) return 0;
  return is_flexible(find_api(api_key), api_version) ? 1 : 0;
}

}  // namespace freshet::protocol
