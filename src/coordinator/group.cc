#include "coordinator/group.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

#include "coordinator/java_compat.h"

namespace freshet::coordinator {

using protocol::ErrorCode;

std::string_view state_name(GroupState state) {
  switch (state) {
    case GroupState::kEmpty: return "Empty";
    case GroupState::kPreparingRebalance: return "PreparingRebalance";
    case GroupState::kCompletingRebalance: return "CompletingRebalance";
    case GroupState::kStable: return "Stable";
    case GroupState::kDead: return "Dead";
  }
  return "Unknown";
}

const std::vector<uint8_t>* Member::metadata(std::string_view protocol) const {
  for (const auto& p : protocols) {
    if (p.name == protocol) return &p.metadata;
  }
  return nullptr;
}

std::string generate_member_id(const std::string& client_id, const std::optional<std::string>& group_instance_id) {
  const protocol::Uuid uuid = protocol::Uuid::random();
  char text[37];
  std::snprintf(text, sizeof(text), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(uuid.hi >> 32),
                static_cast<unsigned>((uuid.hi >> 16) & 0xFFFF), static_cast<unsigned>(uuid.hi & 0xFFFF),
                static_cast<unsigned>(uuid.lo >> 48), static_cast<unsigned long long>(uuid.lo & 0xFFFFFFFFFFFFULL));
  // Member ids travel as int16-length strings: keep the prefix short enough.
  constexpr size_t kMaxPrefixBytes = 32767 - 1 - 36;
  const std::string& prefix = group_instance_id ? *group_instance_id : client_id;
  return prefix.substr(0, kMaxPrefixBytes) + "-" + text;
}

Group::Group(std::string group_id, int32_t partition, GroupState state, int64_t now_ms, Outbox& outbox)
    : group_id_(std::move(group_id)),
      partition_(partition),
      outbox_(&outbox),
      state_(state),
      current_state_timestamp_ms_(now_ms) {}

void Group::restore(int32_t generation_id, std::optional<std::string> protocol_type,
                    std::optional<std::string> protocol_name, const std::optional<std::string>& leader_id,
                    std::optional<int64_t> current_state_timestamp_ms) {
  generation_id_ = generation_id;
  protocol_type_ = std::move(protocol_type);
  protocol_name_ = std::move(protocol_name);
  // A leader that is not a member keeps the one add() chose.
  if (leader_id && has_member(*leader_id)) leader_id_ = leader_id;
  current_state_timestamp_ms_ = current_state_timestamp_ms;
  refresh_subscribed_topics();
}

Member* Group::member(const std::string& member_id) {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : &it->second;
}

const std::string* Group::static_member_id(const std::string& group_instance_id) const {
  auto it = static_members_.find(group_instance_id);
  return it == static_members_.end() ? nullptr : &it->second;
}

void Group::count_protocols(const Member& member, int delta) {
  std::set<std::string_view> seen;
  for (const auto& p : member.protocols) {
    if (!seen.insert(p.name).second) continue;
    auto& count = protocol_support_[p.name];
    count += delta;
    if (count == 0) protocol_support_.erase(p.name);
  }
}

void Group::add(Member member, JoinCallback awaiting_join) {
  assert(!has_member(member.member_id));
  if (member.group_instance_id) {
    assert(static_members_.count(*member.group_instance_id) == 0);
    static_members_[*member.group_instance_id] = member.member_id;
  }
  if (members_.empty()) protocol_type_ = member.protocol_type;
  assert(protocol_type_ == member.protocol_type);
  if (!leader_id_) leader_id_ = member.member_id;
  count_protocols(member, +1);
  member.awaiting_join = std::move(awaiting_join);
  if (member.is_awaiting_join()) ++num_awaiting_join_;
  pending_join_members_.erase(member.member_id);
  const std::string id = member.member_id;
  members_.emplace(id, std::move(member));
}

void Group::remove(const std::string& member_id) {
  auto it = members_.find(member_id);
  if (it != members_.end()) {
    Member& removed = it->second;
    // Nobody may be left waiting on a member that is gone.
    protocol::JoinGroupResponse join_answer;
    join_answer.error_code = protocol::code(ErrorCode::UnknownMemberId);
    complete_join(removed, std::move(join_answer));
    protocol::SyncGroupResponse sync_answer;
    sync_answer.error_code = protocol::code(ErrorCode::UnknownMemberId);
    complete_sync(removed, std::move(sync_answer));
    count_protocols(removed, -1);
    if (removed.group_instance_id) static_members_.erase(*removed.group_instance_id);
    members_.erase(it);
  }
  if (is_leader(member_id)) {
    leader_id_ = members_.empty() ? std::nullopt : std::optional<std::string>(members_.begin()->first);
  }
  pending_join_members_.erase(member_id);
  pending_sync_members_.erase(member_id);
}

Member& Group::replace_static_member(const std::string& group_instance_id, const std::string& old_member_id,
                                     const std::string& new_member_id) {
  auto it = members_.find(old_member_id);
  assert(it != members_.end());
  Member member = std::move(it->second);
  members_.erase(it);

  protocol::JoinGroupResponse fenced_join;
  fenced_join.error_code = protocol::code(ErrorCode::FencedInstanceId);
  fenced_join.member_id = old_member_id;
  fenced_join.protocol_name = std::nullopt;
  complete_join(member, std::move(fenced_join));
  protocol::SyncGroupResponse fenced_sync;
  fenced_sync.error_code = protocol::code(ErrorCode::FencedInstanceId);
  complete_sync(member, std::move(fenced_sync));

  member.member_id = new_member_id;
  member.is_new = false;
  if (is_leader(old_member_id)) leader_id_ = new_member_id;
  static_members_[group_instance_id] = new_member_id;
  return members_.emplace(new_member_id, std::move(member)).first->second;
}

void Group::update_member(Member& member, std::vector<MemberProtocol> protocols, int32_t rebalance_timeout_ms,
                          int32_t session_timeout_ms, JoinCallback awaiting_join) {
  if (awaiting_join && member.is_awaiting_join()) {
    // The client sent JoinGroup again: it gave up on the first one, which
    // must still be answered for its connection to move on.
    protocol::JoinGroupResponse superseded;
    superseded.error_code = protocol::code(ErrorCode::RebalanceInProgress);
    superseded.member_id = member.member_id;
    complete_join(member, std::move(superseded));
  }
  count_protocols(member, -1);
  member.protocols = std::move(protocols);
  count_protocols(member, +1);
  member.rebalance_timeout_ms = rebalance_timeout_ms;
  member.session_timeout_ms = session_timeout_ms;
  if (awaiting_join && !member.is_awaiting_join()) {
    ++num_awaiting_join_;
  } else if (!awaiting_join && member.is_awaiting_join()) {
    --num_awaiting_join_;
  }
  member.awaiting_join = std::move(awaiting_join);
}

ErrorCode Group::validate_member(const std::string& member_id,
                                 const std::optional<std::string>& group_instance_id) const {
  if (group_instance_id) {
    const std::string* current = static_member_id(*group_instance_id);
    if (current == nullptr) return ErrorCode::UnknownMemberId;
    if (*current != member_id) return ErrorCode::FencedInstanceId;
  }
  return has_member(member_id) ? ErrorCode::None : ErrorCode::UnknownMemberId;
}

std::vector<std::string> Group::not_yet_rejoined_members() const {
  std::vector<std::string> ids;
  for (const auto& [id, member] : members_) {
    if (!member.is_awaiting_join()) ids.push_back(id);
  }
  return ids;
}

bool Group::maybe_elect_new_joined_leader() {
  if (!leader_id_) return false;
  auto leader = members_.find(*leader_id_);
  if (leader != members_.end() && leader->second.is_awaiting_join()) return true;
  for (const auto& [id, member] : members_) {
    if (member.is_awaiting_join()) {
      leader_id_ = id;
      return true;
    }
  }
  return false;
}

int32_t Group::rebalance_timeout_ms() const {
  int32_t max_ms = 0;
  for (const auto& [id, member] : members_) max_ms = std::max(max_ms, member.rebalance_timeout_ms);
  return max_ms;
}

bool Group::complete_join(Member& member, protocol::JoinGroupResponse response) {
  if (!member.is_awaiting_join()) return false;
  outbox_->post([callback = std::move(member.awaiting_join), response = std::move(response)]() mutable {
    callback(std::move(response));
  });
  member.awaiting_join = nullptr;
  --num_awaiting_join_;
  return true;
}

protocol::JoinGroupResponse Group::join_response(const std::string& member_id, bool with_members) const {
  protocol::JoinGroupResponse response;
  if (with_members) {
    response.members.reserve(members_.size());
    for (const auto& [id, member] : members_) {
      auto& entry = response.members.emplace_back();
      entry.member_id = id;
      entry.group_instance_id = member.group_instance_id;
      if (const auto* metadata = protocol_name_ ? member.metadata(*protocol_name_) : nullptr) {
        entry.metadata = *metadata;
      }
    }
  }
  response.member_id = member_id;
  response.generation_id = generation_id_;
  response.protocol_name = protocol_name_;
  response.protocol_type = protocol_type_;
  response.leader = leader_id_.value_or("");
  return response;
}

void Group::park_sync(Member& member, SyncCallback done) {
  protocol::SyncGroupResponse superseded;
  superseded.error_code = protocol::code(ErrorCode::RebalanceInProgress);
  complete_sync(member, std::move(superseded));
  member.awaiting_sync = std::move(done);
}

bool Group::complete_sync(Member& member, protocol::SyncGroupResponse response) {
  if (!member.is_awaiting_sync()) return false;
  outbox_->post([callback = std::move(member.awaiting_sync), response = std::move(response)]() mutable {
    callback(std::move(response));
  });
  member.awaiting_sync = nullptr;
  return true;
}

std::set<std::string> Group::candidate_protocols() const {
  std::set<std::string> candidates;
  for (const auto& [name, count] : protocol_support_) {
    if (count == members_.size()) candidates.insert(name);
  }
  return candidates;
}

bool Group::supports_protocols(const std::string& protocol_type, const std::vector<MemberProtocol>& protocols) const {
  if (is(GroupState::kEmpty)) return !protocol_type.empty() && !protocols.empty();
  if (protocol_type_ != protocol_type) return false;
  return std::any_of(protocols.begin(), protocols.end(), [&](const MemberProtocol& p) {
    auto it = protocol_support_.find(p.name);
    return it != protocol_support_.end() && it->second == members_.size();
  });
}

std::string Group::select_protocol() const {
  assert(!members_.empty());
  const std::set<std::string> candidates = candidate_protocols();
  std::map<std::string, size_t> votes;
  for (const auto& [id, member] : members_) {
    for (const auto& p : member.protocols) {
      if (candidates.count(p.name) != 0) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string chosen;
  size_t most = 0;
  for (const auto& [name, count] : votes) {
    if (count > most) chosen = name, most = count;
  }
  return chosen;
}

bool Group::can_rebalance() const {
  return is(GroupState::kStable) || is(GroupState::kCompletingRebalance) || is(GroupState::kEmpty);
}

namespace {

[[maybe_unused]] bool is_valid_transition(GroupState from, GroupState to) {
  switch (to) {
    case GroupState::kEmpty: return from == GroupState::kPreparingRebalance;
    case GroupState::kPreparingRebalance:
      return from == GroupState::kStable || from == GroupState::kCompletingRebalance || from == GroupState::kEmpty;
    case GroupState::kCompletingRebalance: return from == GroupState::kPreparingRebalance;
    case GroupState::kStable: return from == GroupState::kCompletingRebalance;
    case GroupState::kDead: return true;
  }
  return false;
}

}  // namespace

void Group::transition_to(GroupState state, int64_t now_ms) {
  assert(is_valid_transition(state_, state));
  previous_state_ = state_;
  state_ = state;
  current_state_timestamp_ms_ = now_ms;
}

void Group::init_next_generation(int64_t now_ms) {
  generation_id_ = java_increment(generation_id_);
  if (!members_.empty()) {
    protocol_name_ = select_protocol();
    refresh_subscribed_topics();
    transition_to(GroupState::kCompletingRebalance, now_ms);
  } else {
    protocol_name_ = std::nullopt;
    refresh_subscribed_topics();
    transition_to(GroupState::kEmpty, now_ms);
  }
  clear_pending_sync_members();
}

void Group::undo_delete(int64_t now_ms) {
  assert(is(GroupState::kDead));
  previous_state_ = state_;
  state_ = GroupState::kEmpty;
  current_state_timestamp_ms_ = now_ms;
}

void Group::refresh_subscribed_topics() {
  subscribed_topics_ = std::nullopt;
  if (!uses_consumer_protocol()) return;
  if (members_.empty()) {
    subscribed_topics_.emplace();
    return;
  }
  if (!protocol_name_) return;
  std::set<std::string> topics;
  try {
    for (const auto& [id, member] : members_) {
      const auto* metadata = member.metadata(*protocol_name_);
      if (metadata == nullptr) return;
      // Every version of the consumer protocol starts with version 0's
      // fields, so version 0 reads them all (as Kafka does).
      protocol::Reader reader(*metadata);
      reader.i16();
      protocol::ConsumerProtocolSubscription subscription;
      subscription.decode(reader, 0);
      topics.insert(subscription.topics.begin(), subscription.topics.end());
    }
  } catch (const protocol::DecodeError&) {
    return;
  }
  subscribed_topics_ = std::move(topics);
}

bool Group::is_subscribed_to_topic(const std::string& topic) const {
  if (subscribed_topics_) return subscribed_topics_->count(topic) != 0;
  return uses_consumer_protocol();
}

}  // namespace freshet::coordinator
