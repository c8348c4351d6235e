// The Kafka APIs this broker serves: one handler function per API, each in
// its own <api>_handler.cc. A handler decodes its request from `body` (a
// DecodeError closes the connection), does its work — hopping to the shards
// that own the partitions involved — and answers through the Request.
#pragma once

#include <span>

#include "server/request.h"

namespace freshet::server {

using HandlerFn = void (*)(const RequestPtr& request, protocol::Reader& body);

struct ServedApi {
  int16_t api_key;
  int16_t min_version;
  int16_t max_version;
  HandlerFn handle;
};

// Every API served, with the version range advertised in ApiVersions.
std::span<const ServedApi> served_apis();
const ServedApi* find_served_api(int16_t api_key);
// The ApiVersions answer listing served_apis() (also KIP-511's fallback).
protocol::ApiVersionsResponse api_versions_response();

void handle_api_versions(const RequestPtr&, protocol::Reader&);
void handle_metadata(const RequestPtr&, protocol::Reader&);
void handle_produce(const RequestPtr&, protocol::Reader&);
void handle_fetch(const RequestPtr&, protocol::Reader&);
void handle_list_offsets(const RequestPtr&, protocol::Reader&);
void handle_delete_records(const RequestPtr&, protocol::Reader&);
void handle_offset_for_leader_epoch(const RequestPtr&, protocol::Reader&);
void handle_create_topics(const RequestPtr&, protocol::Reader&);
void handle_delete_topics(const RequestPtr&, protocol::Reader&);
void handle_create_partitions(const RequestPtr&, protocol::Reader&);
void handle_describe_configs(const RequestPtr&, protocol::Reader&);
void handle_alter_configs(const RequestPtr&, protocol::Reader&);
void handle_incremental_alter_configs(const RequestPtr&, protocol::Reader&);
void handle_describe_cluster(const RequestPtr&, protocol::Reader&);
void handle_describe_quorum(const RequestPtr&, protocol::Reader&);
// The controller's side of forwarding (controller_forwarding.cc): runs the
// request an Envelope carries as if its client had sent it here.
void handle_envelope(const RequestPtr&, protocol::Reader&);
// KIP-853's changes of a dynamic quorum's voters (raft_voter_handlers.cc).
void handle_add_raft_voter(const RequestPtr&, protocol::Reader&);
void handle_remove_raft_voter(const RequestPtr&, protocol::Reader&);
void handle_vote(const RequestPtr&, protocol::Reader&);
void handle_broker_registration(const RequestPtr&, protocol::Reader&);
void handle_broker_heartbeat(const RequestPtr&, protocol::Reader&);
void handle_allocate_producer_ids(const RequestPtr&, protocol::Reader&);
void handle_alter_partition(const RequestPtr&, protocol::Reader&);
void handle_begin_quorum_epoch(const RequestPtr&, protocol::Reader&);
void handle_end_quorum_epoch(const RequestPtr&, protocol::Reader&);
void handle_fetch_snapshot(const RequestPtr&, protocol::Reader&);
// A quorum replica's Fetch of the metadata log (handle_fetch routes it here).
void handle_quorum_fetch(const RequestPtr&, const protocol::FetchRequest&);
void handle_describe_log_dirs(const RequestPtr&, protocol::Reader&);
void handle_find_coordinator(const RequestPtr&, protocol::Reader&);
void handle_init_producer_id(const RequestPtr&, protocol::Reader&);
void handle_add_partitions_to_txn(const RequestPtr&, protocol::Reader&);
void handle_add_offsets_to_txn(const RequestPtr&, protocol::Reader&);
void handle_end_txn(const RequestPtr&, protocol::Reader&);
void handle_write_txn_markers(const RequestPtr&, protocol::Reader&);
void handle_txn_offset_commit(const RequestPtr&, protocol::Reader&);
void handle_describe_transactions(const RequestPtr&, protocol::Reader&);
void handle_list_transactions(const RequestPtr&, protocol::Reader&);
void handle_describe_producers(const RequestPtr&, protocol::Reader&);
void handle_join_group(const RequestPtr&, protocol::Reader&);
void handle_sync_group(const RequestPtr&, protocol::Reader&);
void handle_heartbeat(const RequestPtr&, protocol::Reader&);
void handle_leave_group(const RequestPtr&, protocol::Reader&);
void handle_offset_commit(const RequestPtr&, protocol::Reader&);
void handle_offset_fetch(const RequestPtr&, protocol::Reader&);
void handle_offset_delete(const RequestPtr&, protocol::Reader&);
void handle_list_groups(const RequestPtr&, protocol::Reader&);
void handle_describe_groups(const RequestPtr&, protocol::Reader&);
void handle_delete_groups(const RequestPtr&, protocol::Reader&);

}  // namespace freshet::server
