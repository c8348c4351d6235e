#include "cluster/voter_records.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "cluster/metadata_log.h"
#include "protocol/batch_iterator.h"
#include "protocol/batch_records.h"
#include "protocol/control_record.h"
#include "protocol/messages.h"
#include "protocol/record_batch.h"

namespace freshet::cluster {

std::vector<uint8_t> build_voters_batch(std::span<const QuorumVoter> voters, const std::string& listener,
                                        int64_t now_ms) {
  protocol::VotersRecord record;
  for (const QuorumVoter& v : voters) {
    protocol::VotersRecord::Voter voter;
    voter.voter_id = v.id;
    voter.voter_directory_id = v.directory_id;
    voter.endpoints.push_back({listener, v.host, v.port});
    voter.k_raft_version_feature = {0, kDynamicKraftVersion};
    record.voters.push_back(std::move(voter));
  }
  return build_control_batch(protocol::ControlRecordType::kKraftVoters, record, now_ms);
}

std::vector<uint8_t> build_kraft_version_batch(int64_t now_ms) {
  protocol::KRaftVersionRecord record;
  record.k_raft_version = kDynamicKraftVersion;
  return build_control_batch(protocol::ControlRecordType::kKraftVersion, record, now_ms);
}

std::optional<std::vector<QuorumVoter>> read_voters_record(const protocol::Record& record, const std::string& listener) {
  if (!record.key || !record.value ||
      protocol::parse_control_record_type(*record.key) != protocol::ControlRecordType::kKraftVoters)
    return std::nullopt;
  protocol::Reader reader(*record.value);
  protocol::VotersRecord decoded;
  decoded.decode(reader, 0);
  std::vector<QuorumVoter> voters;
  for (const auto& v : decoded.voters) {
    if (v.endpoints.empty()) throw protocol::DecodeError(fmt::format("voter {} has no endpoint", v.voter_id));
    auto endpoint = std::find_if(v.endpoints.begin(), v.endpoints.end(), [&](const auto& e) { return e.name == listener; });
    if (endpoint == v.endpoints.end()) endpoint = v.endpoints.begin();
    if (std::any_of(voters.begin(), voters.end(), [&](const QuorumVoter& seen) { return seen.id == v.voter_id; }))
      throw protocol::DecodeError(fmt::format("voter {} is listed twice", v.voter_id));
    voters.push_back({v.voter_id, endpoint->host, endpoint->port, v.voter_directory_id});
  }
  if (voters.empty()) throw protocol::DecodeError("a VotersRecord with no voter");
  std::sort(voters.begin(), voters.end(), [](const QuorumVoter& a, const QuorumVoter& b) { return a.id < b.id; });
  return voters;
}

VoterEndpointChanges voters_records_in(std::span<const uint8_t> batches, const std::string& listener) {
  VoterEndpointChanges changes;
  protocol::BatchIterator it(batches);
  while (auto batch = it.next()) {
    const auto header = protocol::parse_batch_header(*batch);
    if (!header || !header->is_control()) continue;
    for (const auto& record : protocol::decode_records(*batch, kMaxMetadataBatchBytes))
      if (auto voters = read_voters_record(record, listener))
        changes[header->base_offset + record.offset_delta] = std::move(*voters);
  }
  return changes;
}

raft::VoterSet voter_ids(std::span<const QuorumVoter> voters) {
  raft::VoterSet ids;
  for (const QuorumVoter& v : voters) ids.push_back(v.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

raft::VoterChanges voter_id_changes(const VoterEndpointChanges& changes) {
  raft::VoterChanges ids;
  for (const auto& [offset, voters] : changes) ids[offset] = voter_ids(voters);
  return ids;
}

std::vector<QuorumVoter> parse_initial_controllers(const std::string& text) {
  std::vector<QuorumVoter> voters;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t end = std::min(text.find(',', begin), text.size());
    const std::string entry = text.substr(begin, end - begin);
    begin = end + 1;
    const size_t at = entry.find('@');
    const size_t last = entry.rfind(':');
    const size_t port_colon = last == std::string::npos || last == 0 ? std::string::npos : entry.rfind(':', last - 1);
    auto fail = [&] {
      return std::runtime_error(
          fmt::format("--initial-controllers: '{}' is not of the form id@host:port:directory-id", entry));
    };
    if (at == std::string::npos || port_colon == std::string::npos || port_colon <= at + 1) throw fail();
    int32_t id = -1;
    int32_t port = -1;
    const auto id_end = entry.data() + at;
    if (std::from_chars(entry.data(), id_end, id).ptr != id_end || id < 0) throw fail();
    const auto port_end = entry.data() + last;
    if (std::from_chars(entry.data() + port_colon + 1, port_end, port).ptr != port_end || port <= 0 || port > 65535)
      throw fail();
    auto directory = protocol::Uuid::from_base64(entry.substr(last + 1));
    if (!directory || directory->is_zero()) throw fail();
    if (std::any_of(voters.begin(), voters.end(), [&](const QuorumVoter& v) { return v.id == id; }))
      throw std::runtime_error(fmt::format("--initial-controllers: node {} is listed twice", id));
    std::string host = entry.substr(at + 1, port_colon - at - 1);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    voters.push_back({id, std::move(host), static_cast<uint16_t>(port), *directory});
  }
  std::sort(voters.begin(), voters.end(), [](const QuorumVoter& a, const QuorumVoter& b) { return a.id < b.id; });
  return voters;
}

}  // namespace freshet::cluster
