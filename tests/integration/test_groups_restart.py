"""Consumer groups across broker restarts (SIGTERM and kill -9): committed offsets, group
membership and deletions are state in __consumer_offsets, reloaded at start-up. Consumers that
stay up through the restart carry on after their commits without reading anything twice; new
consumers of a group continue exactly after the committed offsets. That state is kept as
Kafka's own records, in the partition Kafka would use."""
import struct
import time

import pytest
from confluent_kafka import TopicPartition

from helpers import (DELETE_GROUPS, GROUP_BROKER_SETTINGS, OP_TIMEOUT_S, Array, WireReader,
                     balanced, call, committed_offsets, consume, create_topic, decode_assignment,
                     describe_group, listed_groups, poll_until, produce_ok, topic_partitions,
                     unique_topic, wait_until)
from helpers import group_consumers  # noqa: F401 (a fixture)

pytestmark = pytest.mark.librdkafka
RESTARTS = pytest.mark.parametrize("how", ["sigterm", "kill9"])


def restart(broker, how):
    if how == "sigterm":
        assert broker.stop() == 0
    else:
        broker.kill()
    broker.start()


def read_by(members):
    return [(r.partition, r.offset) for m in members for r in m.records]


@RESTARTS
def test_group_and_offsets_survive_a_restart_under_running_consumers(broker_factory,
                                                                     group_consumers, how):
    b = broker_factory(settings=GROUP_BROKER_SETTINGS, smp=2)
    topic = create_topic(b, partitions=4)
    everything = topic_partitions(topic, 4)
    produced = set(produce_ok(b, topic, [{"value": b"before", "partition": i % 4}
                                         for i in range(40)], acks="all"))
    group = unique_topic("restart-group")
    members = [group_consumers(b, group, [topic], on_revoke_commit=True, session_timeout_ms=10000)
               for _ in range(2)]
    poll_until(members, lambda: balanced(members, everything)() and
               set(read_by(members)) == produced, what="two members reading all 40 records")
    for m in members:
        m.consumer.commit(asynchronous=False)
    assert committed_offsets(b, group, topic, range(4)) == {p: 10 for p in range(4)}
    before = describe_group(b, group)
    assert before.state == "Stable"

    restart(b, how)

    # (Right after start-up the coordinator may still be loading: wait for an answer.)
    wait_until(lambda: committed_offsets(b, group, topic, range(4)) == {p: 10 for p in range(4)},
               timeout_s=OP_TIMEOUT_S, what="the committed offsets after the restart")
    # The group is back as it was: Stable, with the same members (they reconnect and carry on
    # heartbeating in the same generation).
    after = wait_until(lambda: describe_group(b, group), timeout_s=OP_TIMEOUT_S,
                       what="the group described after the restart")
    assert (after.state, after.protocol_type, after.protocol) == \
        (before.state, before.protocol_type, before.protocol)
    assert sorted(m.id for m in after.members) == sorted(m.id for m in before.members)

    more = set(produce_ok(b, topic, [{"value": b"after", "partition": i % 4} for i in range(20)],
                          acks="all"))
    poll_until(members, lambda: set(read_by(members)) >= produced | more,
               what="the consumers reading the records produced after the restart")
    read = read_by(members)
    assert len(read) == len(set(read)), "a record was read twice across the restart"
    assert not any(m.errors for m in members), [str(e) for m in members for e in m.errors]


@RESTARTS
def test_new_consumers_continue_after_commits_made_before_a_restart(broker_factory,
                                                                    group_consumers, how):
    b = broker_factory(settings=GROUP_BROKER_SETTINGS, smp=2)
    topic = create_topic(b, partitions=2)
    produce_ok(b, topic, [{"value": str(i).encode(), "partition": i % 2} for i in range(30)],
               acks="all")
    group, deleted = unique_topic("restart-group"), unique_topic("restart-deleted")
    c = group_consumers(b, group, [topic])
    poll_until([c], lambda: len(c.records) == 30, what="30 records")
    # Committed: 12 of partition 0, 7 of partition 1 (with several commits each).
    for offset in (3, 9, 12):
        c.consumer.commit(offsets=[TopicPartition(topic, 0, offset)], asynchronous=False)
    c.consumer.commit(offsets=[TopicPartition(topic, 1, 7)], asynchronous=False)
    c.close()
    # Another group's offsets, then the group deleted: it must stay deleted.
    gone = group_consumers.assign_only(b, deleted)
    gone.commit(offsets=[TopicPartition(topic, 0, 5)], asynchronous=False)
    (result,) = call(b, DELETE_GROUPS, 1, groups_names=[deleted])["results"]
    assert result["error_code"] == 0

    restart(b, how)

    wait_until(lambda: group in listed_groups(b), timeout_s=OP_TIMEOUT_S,
               what="the group listed after the restart")
    described = describe_group(b, group)
    assert (described.state, described.protocol_type, described.members) == \
        ("Empty", "consumer", [])
    assert deleted not in listed_groups(b)
    assert committed_offsets(b, deleted, topic, [0]) == {0: -1001}
    assert committed_offsets(b, group, topic, [0, 1]) == {0: 12, 1: 7}

    again = group_consumers(b, group, [topic])
    poll_until([again], lambda: len(again.records) == (15 - 12) + (15 - 7),
               what="the records after the committed offsets")
    by_partition = {p: [r.offset for r in again.records if r.partition == p] for p in (0, 1)}
    assert by_partition == {0: list(range(12, 15)), 1: list(range(7, 15))}


def java_string_hash(s):
    """Java's String.hashCode (UTF-16 code units, 32-bit overflow)."""
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


OFFSETS_PARTITIONS = 50  # offsets.topic.num.partitions
OFFSET_COMMIT_KEY = [("group", "string"), ("topic", "string"), ("partition", "int32")]
OFFSET_COMMIT_VALUE = [("offset", "int64"), ("leader_epoch", "int32", "3+"),
                       ("metadata", "string"), ("commit_timestamp", "int64"),
                       ("expire_timestamp", "int64", "1")]
GROUP_METADATA_KEY = [("group", "string")]
GROUP_METADATA_VALUE = [
    ("protocol_type", "string"), ("generation", "int32"), ("protocol", "nstring"),
    ("leader", "nstring"), ("current_state_timestamp", "int64", "2+"),
    ("members", Array([("member_id", "string"), ("group_instance_id", "nstring", "3+"),
                       ("client_id", "string"), ("client_host", "string"),
                       ("rebalance_timeout", "int32", "1+"), ("session_timeout", "int32"),
                       ("subscription", "bytes"), ("assignment", "bytes")]))]


def decode_versioned(data, fields):
    """(version, dict) of an int16-versioned record key or value (v4+ values are flexible)."""
    version = struct.unpack(">h", data[:2])[0]
    r = WireReader(data[2:], version, flexible=version >= 4 and fields is not OFFSET_COMMIT_KEY)
    return version, r.struct(fields)


def test_group_state_is_kept_as_kafka_records_in_consumer_offsets(broker_factory,
                                                                  group_consumers):
    """Offsets and group metadata are records in Kafka's formats (what kafka-consumer-groups,
    Burrow and the like read) in partition abs(hashCode(group)) % 50 of __consumer_offsets."""
    b = broker_factory(settings=GROUP_BROKER_SETTINGS)
    topic = create_topic(b, partitions=1)
    produce_ok(b, topic, [{"value": b"x"} for _ in range(3)])
    group = unique_topic("format-group")
    c = group_consumers(b, group, [topic], client_id="format-client")
    poll_until([c], lambda: len(c.records) == 3, what="3 records")
    c.consumer.commit(asynchronous=False)
    member_id = describe_group(b, group).members[0].id

    h = java_string_hash(group)
    partition = (0 if h == -2**31 else abs(h)) % OFFSETS_PARTITIONS  # Kafka's Utils.abs
    records = consume(b, "__consumer_offsets", partition)
    offsets, metadata = [], []
    for r in records:
        version = struct.unpack(">h", r.key[:2])[0]
        if version in (0, 1):
            _, key = decode_versioned(r.key, OFFSET_COMMIT_KEY)
            if key["group"] == group:
                offsets.append((key, decode_versioned(r.value, OFFSET_COMMIT_VALUE)))
        elif version == 2:
            _, key = decode_versioned(r.key, GROUP_METADATA_KEY)
            if key["group"] == group and r.value is not None:
                metadata.append(decode_versioned(r.value, GROUP_METADATA_VALUE))
    assert offsets, (f"no offset commit record of {group} in __consumer_offsets-{partition}: "
                     f"{[(r.offset, r.key, r.value) for r in records]}")
    key, (value_version, value) = offsets[-1]
    assert (key["topic"], key["partition"]) == (topic, 0)
    # Kafka 3.9 writes OffsetCommitValue v3 when the commit has no expiry time.
    assert value_version == 3
    assert (value["offset"], value["metadata"]) == (3, "")
    assert abs(value["commit_timestamp"] - time.time() * 1000) < 60_000
    assert metadata, f"no group metadata record of {group} in __consumer_offsets-{partition}"
    value_version, value = metadata[-1]
    assert value_version == 3  # what Kafka 3.9 writes
    assert (value["protocol_type"], value["protocol"], value["leader"]) == \
        ("consumer", "range", member_id)
    assert value["generation"] >= 1
    (member,) = value["members"]
    assert (member["member_id"], member["client_id"], member["session_timeout"]) == \
        (member_id, "format-client", 6000)
    assert decode_assignment(member["assignment"]) == {(topic, 0)}
