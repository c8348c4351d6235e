#include "server/handlers.h"

#include <algorithm>

namespace freshet::server {

namespace {
using protocol::ApiKey;

// Entries advertise the generated codec's full version range (from Kafka 3.9's
// schemas) from the lowest version that works end to end. Produce v0-2 and
// Fetch v0-3 carry message formats v0/v1, converted as Kafka 3.x converts
// them (Kafka 4.0 dropped those versions, KIP-896; old clients remain).
struct HandlerEntry {
  ApiKey key;
  HandlerFn handle;
  int16_t min_version = 0;
};
constexpr HandlerEntry kHandlers[] = {
    {ApiKey::Produce, handle_produce},
    {ApiKey::Fetch, handle_fetch},
    {ApiKey::ListOffsets, handle_list_offsets},
    {ApiKey::DeleteRecords, handle_delete_records},
    {ApiKey::Metadata, handle_metadata},
    {ApiKey::OffsetForLeaderEpoch, handle_offset_for_leader_epoch},
    {ApiKey::ApiVersions, handle_api_versions},
    {ApiKey::CreateTopics, handle_create_topics},
    {ApiKey::DeleteTopics, handle_delete_topics},
    {ApiKey::DescribeConfigs, handle_describe_configs},
    {ApiKey::AlterConfigs, handle_alter_configs},
    {ApiKey::DescribeLogDirs, handle_describe_log_dirs},
    {ApiKey::CreatePartitions, handle_create_partitions},
    {ApiKey::IncrementalAlterConfigs, handle_incremental_alter_configs},
    {ApiKey::DescribeCluster, handle_describe_cluster},
    {ApiKey::Envelope, handle_envelope},
    {ApiKey::DescribeQuorum, handle_describe_quorum},
    {ApiKey::Vote, handle_vote},
    {ApiKey::BrokerRegistration, handle_broker_registration},
    {ApiKey::BrokerHeartbeat, handle_broker_heartbeat},
    {ApiKey::AllocateProducerIds, handle_allocate_producer_ids},
    {ApiKey::AlterPartition, handle_alter_partition, 2},
    {ApiKey::BeginQuorumEpoch, handle_begin_quorum_epoch},
    {ApiKey::EndQuorumEpoch, handle_end_quorum_epoch},
    {ApiKey::FetchSnapshot, handle_fetch_snapshot},
    {ApiKey::FindCoordinator, handle_find_coordinator},
    {ApiKey::InitProducerId, handle_init_producer_id},
    {ApiKey::AddPartitionsToTxn, handle_add_partitions_to_txn},
    {ApiKey::AddOffsetsToTxn, handle_add_offsets_to_txn},
    {ApiKey::EndTxn, handle_end_txn},
    {ApiKey::WriteTxnMarkers, handle_write_txn_markers},
    {ApiKey::TxnOffsetCommit, handle_txn_offset_commit},
    {ApiKey::DescribeTransactions, handle_describe_transactions},
    {ApiKey::ListTransactions, handle_list_transactions},
    {ApiKey::DescribeProducers, handle_describe_producers},
    {ApiKey::JoinGroup, handle_join_group},
    {ApiKey::SyncGroup, handle_sync_group},
    {ApiKey::Heartbeat, handle_heartbeat},
    {ApiKey::LeaveGroup, handle_leave_group},
    {ApiKey::OffsetCommit, handle_offset_commit},
    {ApiKey::OffsetFetch, handle_offset_fetch},
    {ApiKey::OffsetDelete, handle_offset_delete},
    {ApiKey::ListGroups, handle_list_groups},
    {ApiKey::DescribeGroups, handle_describe_groups},
    {ApiKey::DeleteGroups, handle_delete_groups},
    {ApiKey::AddRaftVoter, handle_add_raft_voter},
    {ApiKey::RemoveRaftVoter, handle_remove_raft_voter},
};

std::vector<ServedApi> build_table() {
  std::vector<ServedApi> table;
  for (const auto& entry : kHandlers) {
    const protocol::ApiInfo* info = protocol::find_api(static_cast<int16_t>(entry.key));
    table.push_back({info->key, std::max(info->min_version, entry.min_version), info->max_version, entry.handle});
  }
  return table;
}
}  // namespace

std::span<const ServedApi> served_apis() {
  static const std::vector<ServedApi> table = build_table();
  return table;
}

const ServedApi* find_served_api(int16_t api_key) {
  for (const auto& api : served_apis())
    if (api.api_key == api_key) return &api;
  return nullptr;
}

}  // namespace freshet::server
