#include <filesystem>

#include "protocol/errors.h"
#include "server/handlers.h"
#include "server/partition_query.h"
#include "storage/log_directories.h"

namespace freshet::server {

using protocol::DescribeLogDirsRequest;
using protocol::DescribeLogDirsResponse;

namespace {
// One entry per log.dir, in log.dirs order, without partitions: an offline
// dir carries KAFKA_STORAGE_ERROR, an online one its file system's sizes.
std::vector<DescribeLogDirsResponse::DescribeLogDirsResult> log_dir_results(const storage::LogDirectories& dirs) {
  std::vector<DescribeLogDirsResponse::DescribeLogDirsResult> results(dirs.size());
  for (size_t i = 0; i < dirs.size(); ++i) {
    results[i].log_dir = std::filesystem::absolute(dirs.path(i)).lexically_normal().string();
    if (!dirs.online(i)) {
      results[i].error_code = protocol::code(protocol::ErrorCode::KafkaStorageError);
      continue;
    }
    std::error_code ec;
    auto space = std::filesystem::space(dirs.path(i), ec);
    if (!ec) {
      results[i].total_bytes = static_cast<int64_t>(space.capacity);
      results[i].usable_bytes = static_cast<int64_t>(space.available);
    }
  }
  return results;
}
}  // namespace

// Every log dir with the asked-for partitions it holds (all when topics is null).
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
  query_partitions<int64_t>(
      request->broker, *image, refs, [](size_t, Partition* partition) -> int64_t {
        return partition ? static_cast<int64_t>(partition->log().size_bytes()) : -1;
      },
      [request, refs, names](std::vector<int64_t> sizes) {
        const storage::LogDirectories& dirs = request->broker.log_dirs();
        DescribeLogDirsResponse resp;
        resp.results = log_dir_results(dirs);
        for (size_t i = 0; i < refs.size(); ++i) {
          if (sizes[i] < 0) continue;
          auto dir = dirs.index_of({names[i], refs[i].partition});
          if (!dir) continue;
          auto& topics = resp.results[*dir].topics;
          if (topics.empty() || topics.back().name != names[i]) {
            DescribeLogDirsResponse::DescribeLogDirsTopic topic;
            topic.name = names[i];
            topics.push_back(std::move(topic));
          }
          DescribeLogDirsResponse::DescribeLogDirsPartition part;
          part.partition_index = refs[i].partition;
          part.partition_size = sizes[i];
          topics.back().partitions.push_back(part);
        }
        request->reply(resp);
      });
}

}  // namespace freshet::server
