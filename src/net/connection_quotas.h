// Kafka's connection limits, shared by every listener: max.connections (the
// listeners stop accepting while that many are open) and
// max.connections.per.ip (a connection beyond it is closed at once).
// Thread-safe: connections open on the accepting shard and close on theirs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace freshet::net {

struct ConnectionQuotaLimits {
  int64_t max_connections = INT32_MAX;         // max.connections
  int64_t max_connections_per_ip = INT32_MAX;  // max.connections.per.ip
};

class ConnectionQuotas {
 public:
  explicit ConnectionQuotas(ConnectionQuotaLimits limits) : limits_(limits) {}

  // Counts a new connection from `ip`; false (not counted) when `ip` already
  // has max.connections.per.ip.
  bool try_open(const std::string& ip);
  void closed(const std::string& ip);
  // Calls `wake` once, at once when fewer than max.connections are open,
  // else on the thread that closes the next one.
  void when_below_max(std::function<void()> wake);
  int64_t open_connections() const;

 private:
  const ConnectionQuotaLimits limits_;
  mutable std::mutex mutex_;
  int64_t open_ = 0;
  std::map<std::string, int64_t> per_ip_;
  std::vector<std::function<void()>> waiters_;  // at most one per listener
};

}  // namespace freshet::net
