#include <filesystem>

#include "protocol/errors.h"
#include "server/handlers.h"
#include "server/partition_query.h"

namespace freshet::server {

using protocol::DescribeLogDirsRequest;
using protocol::DescribeLogDirsResponse;

// One log dir for now: every partition of this node lives in it.
void handle_describe_log_dirs(const RequestPtr& request, protocol::Reader& body) {
  auto req = std::make_shared<DescribeLogDirsRequest>();
  req->decode(body, request->version());
  auto image = request->broker.image();
  std::vector<PartitionRef> refs;
  std::vector<std::string> names;
  auto add = [&](const cluster::TopicInfo& topic, int32_t partition) {
    refs.push_back({topic.id, partition});
    names.push_back(topic.name);
  };
  if (!req->topics) {
    for (const auto& [name, topic] : image->topics())
      for (const auto& p : topic->partitions) add(*topic, p.partition);
  } else {
    for (const auto& t : *req->topics)
      if (const cluster::TopicInfo* topic = image->topic(t.topic))
        for (int32_t p : t.partitions)
          if (p >= 0 && static_cast<size_t>(p) < topic->partitions.size()) add(*topic, p);
  }
  std::string log_dir = std::filesystem::absolute(request->broker.config().log_dirs().front()).lexically_normal().string();
  query_partitions<int64_t>(
      request->broker, *image, refs, [](size_t, Partition* partition) -> int64_t {
        return partition ? static_cast<int64_t>(partition->log().size_bytes()) : -1;
      },
      [request, refs, names, log_dir](std::vector<int64_t> sizes) {
        DescribeLogDirsResponse resp;
        DescribeLogDirsResponse::DescribeLogDirsResult dir;
        dir.log_dir = log_dir;
        std::error_code ec;
        auto space = std::filesystem::space(log_dir, ec);
        if (!ec) {
          dir.total_bytes = static_cast<int64_t>(space.capacity);
          dir.usable_bytes = static_cast<int64_t>(space.available);
        }
        for (size_t i = 0; i < refs.size(); ++i) {
          if (sizes[i] < 0) continue;
          if (dir.topics.empty() || dir.topics.back().name != names[i]) {
            DescribeLogDirsResponse::DescribeLogDirsTopic topic;
            topic.name = names[i];
            dir.topics.push_back(std::move(topic));
          }
          DescribeLogDirsResponse::DescribeLogDirsPartition part;
          part.partition_index = refs[i].partition;
          part.partition_size = sizes[i];
          dir.topics.back().partitions.push_back(part);
        }
        resp.results.push_back(std::move(dir));
        request->reply(resp);
      });
}

}  // namespace freshet::server
