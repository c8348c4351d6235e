#include "server/controller_calls.h"

#include <spdlog/spdlog.h>

namespace freshet::server {

void create_topics_with_defaults(Broker& broker, std::vector<std::string> names, std::function<void()> done) {
  call_controller<bool>(
      broker,
      [names = std::move(names)](cluster::Controller& controller) {
        for (const auto& name : names) {
          auto result = controller.create_topic(controller.default_topic(name), false);
          if (result.error != protocol::ErrorCode::None && result.error != protocol::ErrorCode::TopicAlreadyExists)
            spdlog::warn("auto-creating topic {} failed: {}", name, result.message);
        }
        return true;
      },
      [done = std::move(done)](bool) { done(); });
}


}  // namespace freshet::server
