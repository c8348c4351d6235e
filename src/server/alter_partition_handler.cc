// AlterPartition: a partition leader asking the active controller for a new
// ISR (served from v2: partitions by topic id). Each partition is checked and
// committed on its own; the answer waits until the changes are committed.
#include "server/broker.h"
#include "server/controller_calls.h"
#include "server/handlers.h"

namespace freshet::server {

void handle_alter_partition(const RequestPtr& request, protocol::Reader& body) {
  protocol::AlterPartitionRequest req;
  req.decode(body, request->version());
  const int16_t version = request->version();
  call_controller<protocol::AlterPartitionResponse>(
      request->broker,
      [req = std::move(req), version](cluster::Controller& controller) {
        protocol::AlterPartitionResponse response;
        for (const auto& topic : req.topics) {
          auto& topic_response = response.topics.emplace_back();
          topic_response.topic_id = topic.topic_id;
          for (const auto& p : topic.partitions) {
            cluster::IsrChangeRequest change{req.broker_id, req.broker_epoch, topic.topic_id, p.partition_index,
                                             p.leader_epoch, p.partition_epoch, p.new_isr};
            if (version >= 3) {
              change.new_isr.clear();
              for (const auto& member : p.new_isr_with_epochs) change.new_isr.push_back(member.broker_id);
            }
            const cluster::IsrChangeResult result = controller.alter_partition(change);
            auto& answer = topic_response.partitions.emplace_back();
            answer.partition_index = p.partition_index;
            answer.error_code = protocol::code(result.error);
            if (result.error != protocol::ErrorCode::None) continue;
            answer.leader_id = result.partition.leader;
            answer.leader_epoch = result.partition.leader_epoch;
            answer.isr = result.partition.isr;
            answer.partition_epoch = result.partition.partition_epoch;
          }
        }
        return response;
      },
      [request](protocol::AlterPartitionResponse response) { request->reply(response); });
}

}  // namespace freshet::server
