// One classic group (JoinGroup/SyncGroup protocol) and its members: Kafka's
// ClassicGroup. Holds the state machine's data and the bookkeeping rules that
// need no clock, store or timers; the coordinator drives the transitions.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/outbox.h"
#include "protocol/errors.h"
#include "protocol/messages.h"

namespace freshet::coordinator {

// Kafka's group states and their legal transitions:
//   Empty -> PreparingRebalance -> CompletingRebalance -> Stable
//   PreparingRebalance -> Empty (the last member left);
//   CompletingRebalance and Stable -> PreparingRebalance; any state -> Dead.
enum class GroupState : uint8_t { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// The state as Kafka prints it: "Empty", "PreparingRebalance", ...
std::string_view state_name(GroupState state);

struct MemberProtocol {
  std::string name;
  std::vector<uint8_t> metadata;
  friend bool operator==(const MemberProtocol&, const MemberProtocol&) = default;
};

using JoinCallback = std::function<void(protocol::JoinGroupResponse)>;
using SyncCallback = std::function<void(protocol::SyncGroupResponse)>;

struct Member {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // set for static members
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::string protocol_type;
  std::vector<MemberProtocol> protocols;  // in the member's order of preference
  std::vector<uint8_t> assignment;
  JoinCallback awaiting_join;  // set while its JoinGroup waits for the join phase
  SyncCallback awaiting_sync;  // set while its SyncGroup waits for the assignment
  bool is_new = false;         // joined during the current join phase

  bool is_awaiting_join() const { return static_cast<bool>(awaiting_join); }
  bool is_awaiting_sync() const { return static_cast<bool>(awaiting_sync); }
  // A member parked in a join or sync needs no heartbeat, unless it is new
  // (new members expire even while they wait, Kafka's new-member timeout).
  bool has_satisfied_heartbeat() const { return !is_new && (is_awaiting_join() || is_awaiting_sync()); }
  // The member's metadata for `protocol`, or nullptr if it does not support it.
  const std::vector<uint8_t>* metadata(std::string_view protocol) const;
};

// A member id as Kafka makes them: "<instance id or client id>-<random uuid>".
std::string generate_member_id(const std::string& client_id, const std::optional<std::string>& group_instance_id);

class Group {
 public:
  // A group created now (`current_state_timestamp_ms` = now_ms). Answers to
  // parked requests are posted to `outbox`.
  Group(std::string group_id, int32_t partition, GroupState state, int64_t now_ms, Outbox& outbox);
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  // Sets what a GroupMetadataValue record says (replay), once the record's
  // members are add()ed.
  void restore(int32_t generation_id, std::optional<std::string> protocol_type,
               std::optional<std::string> protocol_name, const std::optional<std::string>& leader_id,
               std::optional<int64_t> current_state_timestamp_ms);

  const std::string& group_id() const { return group_id_; }
  int32_t partition() const { return partition_; }
  GroupState state() const { return state_; }
  GroupState previous_state() const { return previous_state_; }
  bool is(GroupState state) const { return state_ == state; }
  int32_t generation_id() const { return generation_id_; }
  const std::optional<std::string>& protocol_type() const { return protocol_type_; }
  const std::optional<std::string>& protocol_name() const { return protocol_name_; }
  const std::optional<std::string>& leader_id() const { return leader_id_; }
  bool is_leader(const std::string& member_id) const { return leader_id_ && *leader_id_ == member_id; }
  std::optional<int64_t> current_state_timestamp_ms() const { return current_state_timestamp_ms_; }
  bool uses_consumer_protocol() const { return protocol_type_ == "consumer"; }

  // --- members ---
  const std::map<std::string, Member>& members() const { return members_; }
  size_t num_members() const { return members_.size(); }
  bool has_member(const std::string& member_id) const { return members_.count(member_id) != 0; }
  Member* member(const std::string& member_id);
  // The member id currently holding `group_instance_id`, or nullptr.
  const std::string* static_member_id(const std::string& group_instance_id) const;
  // Adds a member (the first one fixes the protocol type and becomes leader).
  // Requires supports_protocols() for its protocols.
  void add(Member member, JoinCallback awaiting_join);
  // Removes a member (or pending member); its parked requests are answered
  // UNKNOWN_MEMBER_ID, and a removed leader is replaced by another member.
  void remove(const std::string& member_id);
  // Static member rejoining with a new member id: the old id's parked join
  // and sync are answered FENCED_INSTANCE_ID; everything else carries over.
  Member& replace_static_member(const std::string& group_instance_id, const std::string& old_member_id,
                               const std::string& new_member_id);
  void update_member(Member& member, std::vector<MemberProtocol> protocols, int32_t rebalance_timeout_ms,
                     int32_t session_timeout_ms, JoinCallback awaiting_join);
  // UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID unless `member_id` is a member and
  // holds `group_instance_id` (when given).
  protocol::ErrorCode validate_member(const std::string& member_id,
                                      const std::optional<std::string>& group_instance_id) const;

  // --- KIP-394 pending members (given an id, not yet joined) ---
  bool is_pending_member(const std::string& member_id) const { return pending_join_members_.count(member_id) != 0; }
  void add_pending_member(const std::string& member_id) { pending_join_members_.insert(member_id); }

  // --- the join phase ---
  size_t num_awaiting_join() const { return num_awaiting_join_; }
  bool has_all_members_joined() const {
    return members_.size() == num_awaiting_join_ && pending_join_members_.empty();
  }
  std::vector<std::string> not_yet_rejoined_members() const;
  // Keeps the leader if it rejoined, else picks a member that did; false if
  // there is no leader or nobody rejoined.
  bool maybe_elect_new_joined_leader();
  // The largest rebalance timeout of the members.
  int32_t rebalance_timeout_ms() const;
  bool new_member_added() const { return new_member_added_; }
  void set_new_member_added(bool added) { new_member_added_ = added; }
  // Posts `response` to the member's parked JoinGroup; false if none is parked.
  bool complete_join(Member& member, protocol::JoinGroupResponse response);
  // The current generation as a JoinGroup answer to `member_id`; with the
  // members and their metadata if `with_members` (the leader's answer).
  protocol::JoinGroupResponse join_response(const std::string& member_id, bool with_members) const;

  // --- the sync phase ---
  void add_pending_sync_member(const std::string& member_id) { pending_sync_members_.insert(member_id); }
  void remove_pending_sync_member(const std::string& member_id) { pending_sync_members_.erase(member_id); }
  bool has_received_sync_from_all_members() const { return pending_sync_members_.empty(); }
  const std::set<std::string>& pending_sync_members() const { return pending_sync_members_; }
  void clear_pending_sync_members() { pending_sync_members_.clear(); }
  // Parks the member's SyncGroup until the assignment is known. One parked
  // before (the client gave up on it) is answered REBALANCE_IN_PROGRESS.
  void park_sync(Member& member, SyncCallback done);
  // Posts `response` to the member's parked SyncGroup; false if none is parked.
  bool complete_sync(Member& member, protocol::SyncGroupResponse response);

  // --- protocols ---
  // Whether a member with this protocol type and these protocols may join:
  // in Empty any non-empty type and list; otherwise the group's type and at
  // least one protocol every member supports.
  bool supports_protocols(const std::string& protocol_type, const std::vector<MemberProtocol>& protocols) const;
  // The protocol every member supports that most members prefer.
  std::string select_protocol() const;

  // --- state ---
  bool can_rebalance() const;
  void transition_to(GroupState state, int64_t now_ms);
  // generation + 1 and the next protocol: CompletingRebalance, or Empty
  // when no member is left.
  void init_next_generation(int64_t now_ms);
  // A deletion failed to persist: the Dead group is Empty again.
  void undo_delete(int64_t now_ms);

  // --- subscriptions (consumer protocol) ---
  // Recomputes the topics the members subscribe to (generation change, load).
  void refresh_subscribed_topics();
  // Whether offsets of `topic` are in use: known subscriptions decide; when
  // they could not be read, a consumer-protocol group counts as subscribed.
  bool is_subscribed_to_topic(const std::string& topic) const;
  bool knows_subscribed_topics() const { return subscribed_topics_.has_value(); }

  // Bookkeeping of the group's two timers (the coordinator schedules them).
  struct JoinTimer {
    bool initial = false;       // the initial rebalance delay (Kafka's InitialDelayedJoin)
    int32_t delay_ms = 0;       // its current delay
    int32_t remaining_ms = 0;   // how much more it may still be extended
  };
  JoinTimer join_timer;
  int32_t pending_sync_generation = 0;  // the generation the pending-sync timer was set for

 private:
  void count_protocols(const Member& member, int delta);
  std::set<std::string> candidate_protocols() const;

  std::string group_id_;
  int32_t partition_;
  Outbox* outbox_;
  GroupState state_;
  GroupState previous_state_ = GroupState::kDead;
  std::optional<int64_t> current_state_timestamp_ms_;
  int32_t generation_id_ = 0;
  std::optional<std::string> protocol_type_;
  std::optional<std::string> protocol_name_;
  std::optional<std::string> leader_id_;
  std::map<std::string, Member> members_;
  std::map<std::string, std::string> static_members_;  // instance id -> member id
  std::set<std::string> pending_join_members_;
  std::set<std::string> pending_sync_members_;
  size_t num_awaiting_join_ = 0;
  std::map<std::string, size_t> protocol_support_;  // protocol name -> members supporting it
  std::optional<std::set<std::string>> subscribed_topics_;
  bool new_member_added_ = false;
};

}  // namespace freshet::coordinator
