"""The group coordinator's protocol edge cases, pinned with raw requests at old and flexible
versions (clients only use a few versions: librdkafka JoinGroup v5, kafka-python v2, kafkajs
v5): FindCoordinator (single and batched keys), the JoinGroup member-id-required flow (KIP-394),
Heartbeat/SyncGroup errors, a member that does not rejoin within the rebalance timeout, static
member fencing, LeaveGroup by batch and instance id, OffsetCommit/OffsetFetch (simple consumer
with generation -1, generation checks, metadata, require_stable, batched groups), DescribeGroups,
ListGroups filters, DeleteGroups and OffsetDelete errors, the initial rebalance delay and
group.max.size.

Every request is encoded by helpers' wire codec from Kafka's message definitions. All tests
share one broker (no initial rebalance delay) and use their own groups."""
import time
import uuid

import pytest

from helpers import (COORDINATOR_NOT_AVAILABLE, DELETE_GROUPS, DESCRIBE_GROUPS,
                     FENCED_INSTANCE_ID, FIND_COORDINATOR, GROUP_BROKER_SETTINGS,
                     GROUP_ID_NOT_FOUND, GROUP_SUBSCRIBED_TO_TOPIC, HEARTBEAT,
                     ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT,
                     JOIN_GROUP, LEAVE_GROUP, LIST_GROUPS, MEMBER_ID_REQUIRED, NON_EMPTY_GROUP,
                     OFFSET_COMMIT, OFFSET_DELETE, OFFSET_FETCH, OFFSET_METADATA_TOO_LARGE,
                     REBALANCE_IN_PROGRESS, SYNC_GROUP, UNKNOWN_MEMBER_ID, WireConnection,
                     admin, assignment_bytes, call, create_topic, decode_assignment,
                     coordinated_group, shared_broker_fixture, subscription_metadata,
                     unique_topic, wait_until)

GROUP_MAX_SIZE_REACHED = 81
shared_broker, attach_shared_broker = shared_broker_fixture(GROUP_BROKER_SETTINGS, smp=2)

CLIENT_ID = "itest-wire"
NO_AUTHORIZED_OPERATIONS = -2147483648


def committable_topic(broker):
    """A new topic with 4 partitions: commits need an existing partition (Kafka answers
    UNKNOWN_TOPIC_OR_PARTITION otherwise)."""
    return create_topic(broker, partitions=4)


@pytest.fixture(scope="module", autouse=True)
def topic_t(shared_broker):
    """The topic "t" that most membership tests subscribe to and commit to."""
    create_topic(shared_broker, "t", partitions=4)


def new_group(broker):
    return coordinated_group(broker, "rawgroup")


def protocols(topics, names=("range",)):
    return [{"name": n, "metadata": subscription_metadata(topics)} for n in names]


def join(conn, group, version=5, member_id="", instance=None, topics=("t",), session_ms=10000,
         rebalance_ms=5000, protocol_type="consumer", names=("range",)):
    return conn.call(JOIN_GROUP, version, group_id=group, session_timeout_ms=session_ms,
                     rebalance_timeout_ms=rebalance_ms, member_id=member_id,
                     group_instance_id=instance, protocol_type=protocol_type,
                     protocols=protocols(topics, names))


def join_known(conn, group, version=5, **kwargs):
    """JoinGroup, repeated with the member id the broker hands out (KIP-394); returns the
    successful response."""
    r = join(conn, group, version, **kwargs)
    if r["error_code"] == MEMBER_ID_REQUIRED:
        r = join(conn, group, version, **{**kwargs, "member_id": r["member_id"]})
    assert r["error_code"] == 0, r
    return r


def sync(conn, group, joined, assignments=None, version=3, instance=None):
    """SyncGroup for a JoinGroup response; the leader sends `assignments` {member: bytes}."""
    return conn.call(SYNC_GROUP, version, group_id=group, generation_id=joined["generation_id"],
                     member_id=joined["member_id"], group_instance_id=instance,
                     protocol_type="consumer", protocol_name=joined["protocol_name"],
                     assignments=[{"member_id": m, "assignment": a}
                                  for m, a in (assignments or {}).items()])


def single_member_group(conn, group, topic="t", partitions=(0,), **kwargs):
    """A Stable group of one member owning `partitions` of `topic`; returns its JoinGroup
    response."""
    joined = join_known(conn, group, topics=(topic,), **kwargs)
    assert joined["leader"] == joined["member_id"]
    synced = sync(conn, group, joined, {joined["member_id"]: assignment_bytes({topic: partitions})},
                  instance=kwargs.get("instance"))
    assert synced["error_code"] == 0, synced
    return joined


def heartbeat(conn, group, member_id, generation, version=3, instance=None):
    return conn.call(HEARTBEAT, version, group_id=group, generation_id=generation,
                     member_id=member_id, group_instance_id=instance)["error_code"]


def describe(broker, group, version=5):
    (g,) = call(broker, DESCRIBE_GROUPS, version, groups=[group])["groups"]
    return g


def commit(broker, group, offsets, version=8, generation=-1, member_id="", instance=None,
           conn=None):
    """OffsetCommit of {(topic, partition): (offset, metadata)}; returns {(topic, p): error}."""
    by_topic = {}
    for (topic, partition), (offset, metadata) in offsets.items():
        by_topic.setdefault(topic, []).append({"partition_index": partition,
                                               "committed_offset": offset,
                                               "committed_leader_epoch": 0,
                                               "committed_metadata": metadata})
    fields = dict(group_id=group, generation_id=generation, member_id=member_id,
                  group_instance_id=instance,
                  topics=[{"name": t, "partitions": ps} for t, ps in by_topic.items()])
    r = (conn.call(OFFSET_COMMIT, version, **fields) if conn
         else call(broker, OFFSET_COMMIT, version, **fields))
    return {(t["name"], p["partition_index"]): p["error_code"]
            for t in r["topics"] for p in t["partitions"]}


def fetch(broker, group, topics, version=7, require_stable=False):
    """OffsetFetch v1-7 of {topic: [partitions]} (None: every committed offset); returns
    {(topic, p): (offset, leader epoch or None, metadata, error)} and the top-level error."""
    r = call(broker, OFFSET_FETCH, version, group_id=group, require_stable=require_stable,
             topics=None if topics is None else [{"name": t, "partition_indexes": ps}
                                                 for t, ps in topics.items()])
    offsets = {(t["name"], p["partition_index"]): (p["committed_offset"],
                                                   p.get("committed_leader_epoch"),
                                                   p["metadata"], p["error_code"])
               for t in r["topics"] for p in t["partitions"]}
    return offsets, r.get("error_code", 0)


def broker_node(broker):
    md = admin(broker).list_topics(timeout=15)
    (node_id,) = md.brokers
    return node_id


@pytest.mark.parametrize("version", range(0, 7))
def test_find_coordinator(shared_broker, version):
    """Every group is coordinated by the single node (after COORDINATOR_NOT_AVAILABLE while
    __consumer_offsets is being created, as Kafka may answer on a fresh cluster)."""
    b = shared_broker
    node_id = broker_node(b)
    expected = (0, node_id, "127.0.0.1", b.port)
    if version <= 3:
        key = unique_topic("rawgroup")
        r = wait_until(lambda: answered(call(b, FIND_COORDINATOR, version, key=key, key_type=0)),
                       what="FindCoordinator without COORDINATOR_NOT_AVAILABLE")
        assert (r["error_code"], r["node_id"], r["host"], r["port"]) == expected
    else:
        keys = [unique_topic("rawgroup") for _ in range(3)]
        r = wait_until(lambda: answered(call(b, FIND_COORDINATOR, version, key_type=0,
                                             coordinator_keys=keys)),
                       what="FindCoordinator without COORDINATOR_NOT_AVAILABLE")
        assert [(c["key"], c["error_code"], c["node_id"], c["host"], c["port"])
                for c in r["coordinators"]] == [(k, *expected) for k in keys]


def answered(response):
    """The FindCoordinator response, unless some key got COORDINATOR_NOT_AVAILABLE."""
    errors = [c["error_code"] for c in response.get("coordinators") or [response]]
    return None if COORDINATOR_NOT_AVAILABLE in errors else response


@pytest.mark.parametrize("version", [0, 3, 4, 5, 6, 7, 9])
def test_join_sync_heartbeat_leave_at_each_version(shared_broker, version):
    """v4+ first answers MEMBER_ID_REQUIRED with a member id (client id + "-" + uuid) and
    accepts the rejoin with it; v0-3 join at once. Then a single-member group goes Stable
    with the leader's assignment, heartbeats and leaves."""
    b = shared_broker
    group = new_group(b)
    metadata = subscription_metadata(["t"])
    with WireConnection(b, client_id=CLIENT_ID) as conn:
        first = join(conn, group, version)
        if version >= 4:
            assert first["error_code"] == MEMBER_ID_REQUIRED, first
            assert first["member_id"].startswith(CLIENT_ID + "-"), first
            assert first["generation_id"] == -1
            joined = join(conn, group, version, member_id=first["member_id"])
            assert joined["member_id"] == first["member_id"]
        else:
            joined = first
        assert joined["error_code"] == 0, joined
        member = joined["member_id"]
        assert member.startswith(CLIENT_ID + "-")
        assert (joined["generation_id"], joined["leader"], joined["protocol_name"]) == \
            (1, member, "range")
        if version >= 7:
            assert joined["protocol_type"] == "consumer"
        if version >= 9:
            assert joined["skip_assignment"] is False
        assert [(m["member_id"], m["metadata"]) for m in joined["members"]] == [(member, metadata)]

        sync_version = {0: 0, 3: 2, 4: 3, 5: 3, 6: 4, 7: 5, 9: 5}[version]
        assignment = assignment_bytes({"t": [0, 1]})
        synced = sync(conn, group, joined, {member: assignment}, version=sync_version)
        assert synced["error_code"] == 0
        assert synced["assignment"] == assignment
        if sync_version >= 5:
            assert (synced["protocol_type"], synced["protocol_name"]) == ("consumer", "range")
        assert describe(b, group)["group_state"] == "Stable"

        heartbeat_version = min(version, 4)
        assert heartbeat(conn, group, member, 1, heartbeat_version) == 0
        leave_version = {0: 0, 3: 1, 4: 2, 5: 3, 6: 4, 7: 4, 9: 5}[version]
        if leave_version <= 2:
            left = conn.call(LEAVE_GROUP, leave_version, group_id=group, member_id=member)
        else:
            left = conn.call(LEAVE_GROUP, leave_version, group_id=group,
                             members=[{"member_id": member, "group_instance_id": None,
                                       "reason": "test over"}])
            assert [(m["member_id"], m["error_code"]) for m in left["members"]] == [(member, 0)]
        assert left["error_code"] == 0
    g = describe(b, group)
    assert (g["group_state"], g["members"]) == ("Empty", [])


def test_heartbeat_and_sync_errors(shared_broker):
    b = shared_broker
    group = new_group(b)
    with WireConnection(b) as a, WireConnection(b) as c:
        joined = single_member_group(a, group)
        member, generation = joined["member_id"], joined["generation_id"]
        assert heartbeat(a, group, "no-such-member", generation) == UNKNOWN_MEMBER_ID
        assert heartbeat(a, group, member, generation + 1) == ILLEGAL_GENERATION
        assert sync(a, group, {**joined, "generation_id": generation + 1})["error_code"] == \
            ILLEGAL_GENERATION
        assert sync(a, group, {**joined, "member_id": "no-such-member"})["error_code"] == \
            UNKNOWN_MEMBER_ID

        # A second member joins: the first one's heartbeat says REBALANCE_IN_PROGRESS.
        first = join(c, group)
        assert first["error_code"] == MEMBER_ID_REQUIRED
        c.send(JOIN_GROUP, 5, group_id=group, session_timeout_ms=10000, rebalance_timeout_ms=5000,
               member_id=first["member_id"], group_instance_id=None, protocol_type="consumer",
               protocols=protocols(["t"]))
        deadline = time.monotonic() + 10
        while heartbeat(a, group, member, generation) != REBALANCE_IN_PROGRESS:
            assert time.monotonic() < deadline, "no REBALANCE_IN_PROGRESS after a member joined"
        assert describe(b, group)["group_state"] == "PreparingRebalance"
        # The first member rejoins; both get generation 2, the first stays leader.
        rejoined = join(a, group, member_id=member)
        other = c.receive()
        assert (rejoined["error_code"], other["error_code"]) == (0, 0)
        assert rejoined["generation_id"] == other["generation_id"] == generation + 1
        assert rejoined["leader"] == other["leader"] == member
        assert sorted(m["member_id"] for m in rejoined["members"]) == \
            sorted([member, other["member_id"]])
        assert other["members"] == []  # followers get no member list
        assert describe(b, group)["group_state"] == "CompletingRebalance"
        # The follower's SyncGroup waits for the leader's.
        c.send(SYNC_GROUP, 3, group_id=group, generation_id=other["generation_id"],
               member_id=other["member_id"], group_instance_id=None, assignments=[])
        leader_sync = sync(a, group, rejoined, {member: assignment_bytes({"t": [0]}),
                                                other["member_id"]: assignment_bytes({"t": [1]})})
        follower_sync = c.receive()
        assert decode_assignment(leader_sync["assignment"]) == {("t", 0)}
        assert decode_assignment(follower_sync["assignment"]) == {("t", 1)}
        assert describe(b, group)["group_state"] == "Stable"


def test_member_that_does_not_rejoin_is_removed_after_rebalance_timeout(shared_broker):
    b = shared_broker
    group = new_group(b)
    rebalance_ms = 1000
    with WireConnection(b) as a, WireConnection(b) as c:
        joined = single_member_group(a, group, rebalance_ms=rebalance_ms)
        first = join(c, group, rebalance_ms=rebalance_ms)
        started = time.monotonic()
        other = join(c, group, member_id=first["member_id"], rebalance_ms=rebalance_ms)
        waited_s = time.monotonic() - started
        # The join completes without the silent member once the rebalance timeout is over.
        assert other["error_code"] == 0
        assert other["leader"] == other["member_id"]
        assert [m["member_id"] for m in other["members"]] == [other["member_id"]]
        assert other["generation_id"] == joined["generation_id"] + 1
        assert waited_s >= rebalance_ms / 1000 - 0.1, f"join completed after {waited_s:.2f}s"
        assert heartbeat(a, group, joined["member_id"], joined["generation_id"]) == \
            UNKNOWN_MEMBER_ID


def test_join_errors(shared_broker):
    b = shared_broker
    with WireConnection(b) as conn:
        low = join(conn, new_group(b), session_ms=100)  # below group.min.session.timeout.ms
        assert low["error_code"] == INVALID_SESSION_TIMEOUT
        high = join(conn, new_group(b), session_ms=1800001)  # above the default maximum
        assert high["error_code"] == INVALID_SESSION_TIMEOUT
        assert join(conn, new_group(b), protocol_type="")["error_code"] == \
            INCONSISTENT_GROUP_PROTOCOL

        group = new_group(b)
        single_member_group(conn, group)
    with WireConnection(b) as other:
        # Another protocol type, or no protocol in common, is refused.
        assert join_known_error(other, group, protocol_type="connect") == \
            INCONSISTENT_GROUP_PROTOCOL
        assert join_known_error(other, group, names=("roundrobin",)) == \
            INCONSISTENT_GROUP_PROTOCOL


def join_known_error(conn, group, **kwargs):
    r = join(conn, group, **kwargs)
    if r["error_code"] == MEMBER_ID_REQUIRED:
        r = join(conn, group, **{**kwargs, "member_id": r["member_id"]})
    return r["error_code"]


def test_initial_rebalance_delay_and_group_max_size(broker_factory):
    """With group.initial.rebalance.delay.ms, members joining an Empty group one after the
    other end up in one generation; a member beyond group.max.size is refused."""
    delay_ms, max_size = 1000, 3
    b = broker_factory(settings={**GROUP_BROKER_SETTINGS, "group.max.size": max_size,
                                 "group.initial.rebalance.delay.ms": delay_ms})
    group = new_group(b)
    conns = [WireConnection(b) for _ in range(max_size + 1)]
    try:
        ids = []
        for conn in conns[:max_size]:
            first = join(conn, group, rebalance_ms=10000)
            assert first["error_code"] == MEMBER_ID_REQUIRED
            ids.append(first["member_id"])
        started = time.monotonic()
        for conn, member in zip(conns[:max_size], ids):
            conn.send(JOIN_GROUP, 5, group_id=group, session_timeout_ms=10000,
                      rebalance_timeout_ms=10000, member_id=member, group_instance_id=None,
                      protocol_type="consumer", protocols=protocols(["t"]))
        responses = [conn.receive() for conn in conns[:max_size]]
        waited_s = time.monotonic() - started
        assert [r["error_code"] for r in responses] == [0] * max_size
        assert {r["generation_id"] for r in responses} == {1}
        (leader,) = {r["leader"] for r in responses}
        (leader_response,) = [r for r in responses if r["member_id"] == leader]
        assert sorted(m["member_id"] for m in leader_response["members"]) == sorted(ids)
        assert waited_s >= delay_ms / 1000 - 0.1, f"the join phase ended after {waited_s:.2f}s"
        # A fourth member is one too many.
        assert join_known_error(conns[max_size], group, rebalance_ms=10000) == \
            GROUP_MAX_SIZE_REACHED
    finally:
        for conn in conns:
            conn.close()


def test_static_member_replaced_and_old_one_fenced(shared_broker):
    b = shared_broker
    group = new_group(b)
    instance = f"instance-{uuid.uuid4().hex[:6]}"
    with WireConnection(b) as old_conn, WireConnection(b) as new_conn:
        # A static member (v5) gets a member id at once: no MEMBER_ID_REQUIRED round.
        old = join(old_conn, group, instance=instance)
        assert old["error_code"] == 0, old
        assert sync(old_conn, group, old, {old["member_id"]: assignment_bytes({"t": [0]})},
                    instance=instance)["error_code"] == 0
        # The same instance id with no member id: a new member id, same generation (no
        # rebalance in a Stable group), and the old leader stays the leader of record.
        new = join(new_conn, group, instance=instance)
        assert new["error_code"] == 0, new
        assert new["member_id"] != old["member_id"]
        assert new["generation_id"] == old["generation_id"]
        assert describe(b, group)["group_state"] == "Stable"
        synced = sync(new_conn, group, new, instance=instance)
        assert synced["error_code"] == 0
        assert decode_assignment(synced["assignment"]) == {("t", 0)}
        # The old member id is fenced everywhere it shows up with the instance id.
        assert heartbeat(old_conn, group, old["member_id"], old["generation_id"],
                         instance=instance) == FENCED_INSTANCE_ID
        assert sync(old_conn, group, old, instance=instance)["error_code"] == FENCED_INSTANCE_ID
        assert commit(b, group, {("t", 0): (5, None)}, version=7, generation=old["generation_id"],
                      member_id=old["member_id"], instance=instance) == \
            {("t", 0): FENCED_INSTANCE_ID}
        assert heartbeat(new_conn, group, new["member_id"], new["generation_id"],
                         instance=instance) == 0
        (member,) = describe(b, group, version=4)["members"]
        assert (member["member_id"], member["group_instance_id"]) == (new["member_id"], instance)


def test_leave_group_batch_by_member_and_instance_id(shared_broker):
    b = shared_broker
    group = new_group(b)
    instance = f"leaver-{uuid.uuid4().hex[:6]}"
    with WireConnection(b) as a, WireConnection(b) as c:
        static = join(a, group, instance=instance)
        assert static["error_code"] == 0
        first = join(c, group)
        c.send(JOIN_GROUP, 5, group_id=group, session_timeout_ms=10000, rebalance_timeout_ms=5000,
               member_id=first["member_id"], group_instance_id=None, protocol_type="consumer",
               protocols=protocols(["t"]))
        # The static member learns of the rebalance and rejoins.
        deadline = time.monotonic() + 10
        while heartbeat(a, group, static["member_id"], static["generation_id"],
                        instance=instance) != REBALANCE_IN_PROGRESS:
            assert time.monotonic() < deadline
        rejoined = join(a, group, member_id=static["member_id"], instance=instance)
        dynamic = c.receive()
        assert (rejoined["error_code"], dynamic["error_code"]) == (0, 0)
        left = call(b, LEAVE_GROUP, 3, group_id=group, members=[
            {"member_id": "", "group_instance_id": instance},
            {"member_id": dynamic["member_id"], "group_instance_id": None},
            {"member_id": "no-such-member", "group_instance_id": None},
            {"member_id": "wrong-member", "group_instance_id": "no-such-instance"},
        ])
        assert left["error_code"] == 0
        assert [(m["member_id"], m["group_instance_id"], m["error_code"]) for m in left["members"]] \
            == [("", instance, 0), (dynamic["member_id"], None, 0),
                ("no-such-member", None, UNKNOWN_MEMBER_ID),
                ("wrong-member", "no-such-instance", UNKNOWN_MEMBER_ID)]
    assert describe(b, group)["group_state"] == "Empty"


@pytest.mark.parametrize("version", [0, 1, 2, 3, 5, 6, 7, 8, 9])
def test_simple_consumer_commits_with_generation_minus_one(shared_broker, version):
    """Commits without group membership (generation -1, no member id; v0 has neither) create
    an Empty group with no protocol; offsets and metadata read back at every OffsetFetch
    version, unknown partitions as -1."""
    b = shared_broker
    group, topic = new_group(b), committable_topic(b)
    errors = commit(b, group, {(topic, 0): (42, "meta-0"), (topic, 1): (7, None)},
                    version=version)
    assert errors == {(topic, 0): 0, (topic, 1): 0}
    for fetch_version in (1, 3, 5, 7):
        offsets, error = fetch(b, group, {topic: [0, 1, 2]}, version=fetch_version)
        assert error == 0
        epoch = 0 if version >= 6 else -1
        expected = {(topic, 0): (42, epoch, "meta-0"), (topic, 1): (7, epoch, None),
                    (topic, 2): (-1, -1, "")}
        got = {k: (o, e, m) for k, (o, e, m, err) in offsets.items()}
        if fetch_version < 5:
            expected = {k: (o, None, m) for k, (o, e, m) in expected.items()}
        # A null commit metadata reads back as "" (Kafka stores it as the empty string).
        expected[(topic, 1)] = (7, expected[(topic, 1)][1], "")
        assert got == expected
        assert all(err == 0 for *_, err in offsets.values())
    g = describe(b, group)
    assert (g["error_code"], g["group_state"], g["protocol_type"], g["members"]) == \
        (0, "Empty", "", [])


def test_offset_fetch_all_topics_batched_groups_and_require_stable(shared_broker):
    b = shared_broker
    g1, g2, unknown = new_group(b), new_group(b), new_group(b)
    t1, t2 = committable_topic(b), committable_topic(b)
    assert set(commit(b, g1, {(t1, 0): (1, "a"), (t2, 3): (2, "b")}).values()) == {0}
    assert set(commit(b, g2, {(t1, 1): (9, None)}).values()) == {0}
    # topics = null: every committed offset of the group (v2+).
    offsets, error = fetch(b, g1, None, version=2)
    assert error == 0
    assert {k: v[0] for k, v in offsets.items()} == {(t1, 0): 1, (t2, 3): 2}
    # require_stable (v7): no transaction is pending, so the offsets come back as they are.
    offsets, error = fetch(b, g1, {t1: [0]}, version=7, require_stable=True)
    assert (error, offsets[(t1, 0)][0]) == (0, 1)
    # v8: several groups in one request, each with its own result.
    r = call(b, OFFSET_FETCH, 8, require_stable=True, groups=[
        {"group_id": g1, "topics": None},
        {"group_id": g2, "topics": [{"name": t1, "partition_indexes": [0, 1]}]},
        {"group_id": unknown, "topics": [{"name": t1, "partition_indexes": [0]}]},
    ])
    by_group = {g["group_id"]: (g["error_code"], {(t["name"], p["partition_index"]):
                                                  (p["committed_offset"], p["metadata"])
                                                  for t in g["topics"] for p in t["partitions"]})
                for g in r["groups"]}
    assert by_group == {
        g1: (0, {(t1, 0): (1, "a"), (t2, 3): (2, "b")}),
        g2: (0, {(t1, 0): (-1, ""), (t1, 1): (9, "")}),
        unknown: (0, {(t1, 0): (-1, "")}),
    }


def test_offset_commit_membership_checks(shared_broker):
    b = shared_broker
    group, topic = new_group(b), committable_topic(b)
    with WireConnection(b) as conn:
        joined = single_member_group(conn, group, topic=topic)
        member, generation = joined["member_id"], joined["generation_id"]
        one = {(topic, 0): (3, "m")}
        assert commit(b, group, one, version=7, generation=generation, member_id=member) == \
            {(topic, 0): 0}
        assert commit(b, group, one, version=7, generation=generation + 1, member_id=member) == \
            {(topic, 0): ILLEGAL_GENERATION}
        assert commit(b, group, one, version=7, generation=generation, member_id="stranger") == \
            {(topic, 0): UNKNOWN_MEMBER_ID}
        # Without membership, commits are only accepted while the group is Empty.
        assert commit(b, group, one, version=7) == {(topic, 0): UNKNOWN_MEMBER_ID}
        # Metadata above offset.metadata.max.bytes (4096) fails that partition only.
        errors = commit(b, group, {(topic, 0): (4, "x" * 4097), (topic, 1): (5, "ok")},
                        version=7, generation=generation, member_id=member)
        assert errors == {(topic, 0): OFFSET_METADATA_TOO_LARGE, (topic, 1): 0}
        offsets, _ = fetch(b, group, {topic: [0, 1]})
        assert {k: v[:1] + v[2:3] for k, v in offsets.items()} == \
            {(topic, 0): (3, "m"), (topic, 1): (5, "ok")}


@pytest.mark.parametrize("version", [0, 3, 4, 5])
def test_describe_groups(shared_broker, version):
    b = shared_broker
    group = new_group(b)
    metadata = subscription_metadata(["t"])
    assignment = assignment_bytes({"t": [0]})
    with WireConnection(b, client_id="describe-me") as conn:
        joined = join_known(conn, group)
        assert sync(conn, group, joined, {joined["member_id"]: assignment})["error_code"] == 0
        (g,) = call(b, DESCRIBE_GROUPS, version, groups=[group],
                    include_authorized_operations=False)["groups"]
        assert (g["error_code"], g["group_id"], g["group_state"], g["protocol_type"],
                g["protocol_data"]) == (0, group, "Stable", "consumer", "range")
        (m,) = g["members"]
        assert (m["member_id"], m["client_id"], m["client_host"], m["member_metadata"],
                m["member_assignment"]) == (joined["member_id"], "describe-me", "/127.0.0.1",
                                            metadata, assignment)
        if version >= 4:
            assert m["group_instance_id"] is None
        if version >= 3:
            assert g["authorized_operations"] == NO_AUTHORIZED_OPERATIONS
    # An unknown group is described as Dead, without an error.
    (g,) = call(b, DESCRIBE_GROUPS, version, groups=[new_group(b)])["groups"]
    assert (g["error_code"], g["group_state"], g["members"]) == (0, "Dead", [])


def test_list_groups_with_state_and_type_filters(shared_broker):
    b = shared_broker
    stable, empty = new_group(b), new_group(b)
    with WireConnection(b) as conn:
        single_member_group(conn, stable)
        assert set(commit(b, empty, {("t", 0): (1, None)}).values()) == {0}

        def listed(version, **filters):
            r = call(b, LIST_GROUPS, version, **filters)
            assert r["error_code"] == 0
            return {g["group_id"]: g for g in r["groups"] if g["group_id"] in (stable, empty)}

        assert {g: v["protocol_type"] for g, v in listed(0).items()} == \
            {stable: "consumer", empty: ""}
        assert {g: v["group_state"] for g, v in listed(4).items()} == \
            {stable: "Stable", empty: "Empty"}
        assert set(listed(4, states_filter=["Stable"])) == {stable}
        assert set(listed(4, states_filter=["empty"])) == {empty}  # case-insensitive
        assert set(listed(4, states_filter=["Stable", "Empty"])) == {stable, empty}
        assert set(listed(4, states_filter=["PreparingRebalance"])) == set()
        assert {g: v["group_type"] for g, v in listed(5).items()} == \
            {stable: "classic", empty: "classic"}
        assert set(listed(5, types_filter=["classic"])) == {stable, empty}
        assert set(listed(5, types_filter=["consumer"])) == set()


@pytest.mark.parametrize("version", [0, 1, 2])
def test_delete_groups(shared_broker, version):
    b = shared_broker
    active, empty, unknown = new_group(b), new_group(b), new_group(b)
    topic = committable_topic(b)
    with WireConnection(b) as conn:
        single_member_group(conn, active)
        assert set(commit(b, empty, {(topic, 0): (5, None)}).values()) == {0}
        r = call(b, DELETE_GROUPS, version, groups_names=[active, empty, unknown])
        assert {x["group_id"]: x["error_code"] for x in r["results"]} == \
            {active: NON_EMPTY_GROUP, empty: 0, unknown: GROUP_ID_NOT_FOUND}
    offsets, _ = fetch(b, empty, {topic: [0]})
    assert offsets[(topic, 0)][0] == -1
    assert describe(b, empty)["group_state"] == "Dead"
    assert empty not in {g["group_id"] for g in call(b, LIST_GROUPS, 0)["groups"]}
    # Deleting it again: it is gone.
    r = call(b, DELETE_GROUPS, version, groups_names=[empty])
    assert [x["error_code"] for x in r["results"]] == [GROUP_ID_NOT_FOUND]


def test_offset_delete(shared_broker):
    b = shared_broker
    group = new_group(b)
    subscribed, other = committable_topic(b), committable_topic(b)
    with WireConnection(b) as conn:
        joined = single_member_group(conn, group, topic=subscribed)
        gen, member = joined["generation_id"], joined["member_id"]
        assert set(commit(b, group, {(subscribed, 0): (3, None), (other, 0): (4, None),
                                     (other, 1): (5, None)},
                          version=7, generation=gen, member_id=member).values()) == {0}

        def offset_delete(grp, topics):
            r = call(b, OFFSET_DELETE, 0, group_id=grp, topics=[
                {"name": t, "partitions": [{"partition_index": p} for p in ps]}
                for t, ps in topics.items()])
            return r["error_code"], {(t["name"], p["partition_index"]): p["error_code"]
                                     for t in r["topics"] for p in t["partitions"]}

        # The Stable consumer group subscribes to `subscribed`: that offset stays.
        assert offset_delete(group, {subscribed: [0], other: [0]}) == \
            (0, {(subscribed, 0): GROUP_SUBSCRIBED_TO_TOPIC, (other, 0): 0})
        offsets, _ = fetch(b, group, {subscribed: [0], other: [0, 1]})
        assert {k: v[0] for k, v in offsets.items()} == \
            {(subscribed, 0): 3, (other, 0): -1, (other, 1): 5}
        assert offset_delete(new_group(b), {other: [1]})[0] == GROUP_ID_NOT_FOUND

    # A group of another protocol type with members: NON_EMPTY_GROUP for the whole request.
    connect_group = new_group(b)
    with WireConnection(b) as conn:
        joined = join_known(conn, connect_group, protocol_type="connect")
        assert sync(conn, connect_group, joined, {joined["member_id"]: b"opaque"})["error_code"] \
            == 0
        assert offset_delete(connect_group, {other: [0]})[0] == NON_EMPTY_GROUP
