// KIP-853's voter set in the metadata log and its snapshots: the VotersRecord
// control batch (each voter's id, metadata directory id and controller
// endpoints) and the KRaftVersionRecord (kraft.version 1: the voters are
// kept in the log, not in controller.quorum.voters). A dynamic quorum's
// first voters come from the bootstrap checkpoint `freshet storage format`
// writes (`--standalone` or `--initial-controllers`).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cluster/broker_config.h"
#include "protocol/record.h"
#include "raft/messages.h"

namespace freshet::cluster {

// kraft.version of a quorum whose voters change with the log.
inline constexpr int16_t kDynamicKraftVersion = 1;

// Voters as the log keeps them, by the offset of the record that set them.
using VoterEndpointChanges = std::map<int64_t, std::vector<QuorumVoter>>;

// A VotersRecord control batch: each voter reached on `listener` (the first
// of controller.listener.names).
std::vector<uint8_t> build_voters_batch(std::span<const QuorumVoter> voters, const std::string& listener,
                                        int64_t now_ms);
std::vector<uint8_t> build_kraft_version_batch(int64_t now_ms);

// The voters a VotersRecord control record holds, each with its endpoint
// on `listener` (else its first); nullopt for any other record. Throws
// protocol::DecodeError when it is malformed or names a voter twice.
std::optional<std::vector<QuorumVoter>> read_voters_record(const protocol::Record& record, const std::string& listener);
// Every VotersRecord among whole `batches`, by offset. Throws protocol::DecodeError.
VoterEndpointChanges voters_records_in(std::span<const uint8_t> batches, const std::string& listener);

// The ids, ascending (what the Raft core knows of them).
raft::VoterSet voter_ids(std::span<const QuorumVoter> voters);
raft::VoterChanges voter_id_changes(const VoterEndpointChanges& changes);

// "id@host:port:directory-id,..." (kafka-storage.sh's --initial-controllers).
// Throws std::runtime_error with the entry at fault.
std::vector<QuorumVoter> parse_initial_controllers(const std::string& text);

}  // namespace freshet::cluster
