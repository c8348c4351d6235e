"""Consumer groups with kafka-python 2.0.2 (JoinGroup v2, OffsetCommit v2, OffsetFetch v3...):
members split partitions and follow each other's joins and closes with a rebalance listener;
commits (sync, async, with metadata) read back with committed(); a restarted consumer
continues after its commit; KafkaAdminClient lists, describes, reads offsets of and deletes
groups. kafka-python joins inside poll() and blocks there until the group is stable, so every
member runs its poll loop in its own thread (KpGroupMember)."""
import concurrent.futures
import queue
import threading

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import GroupIdNotFoundError, NoError, NonEmptyGroupError
from kafka.structs import OffsetAndMetadata

from helpers import (GROUP_BROKER_SETTINGS, OP_TIMEOUT_S, create_topic, kp_admin, kp_conf,
                     produce_ok, shared_broker_fixture, unique_topic, wait_until)

shared_broker, attach_shared_broker = shared_broker_fixture(GROUP_BROKER_SETTINGS, smp=2)


class KpGroupMember:
    """A subscribed kafka-python KafkaConsumer polled by its own thread. `events` holds
    ("assigned"|"revoked", frozenset of (topic, partition)) from the rebalance listener,
    `owned` the current assignment, `records` every (partition, offset) polled. run(fn) runs
    fn(consumer) on the poll thread (kafka-python is not thread-safe) and returns its result."""

    def __init__(self, broker, group, topics, commit_on_revoke=False, **conf):
        self.events = []
        self.owned = frozenset()
        self.records = []
        self.errors = []
        self.calls = queue.Queue()
        self.stopped = threading.Event()
        self.consumer = KafkaConsumer(**kp_conf(broker, **{
            "group_id": group, "enable_auto_commit": False, "auto_offset_reset": "earliest",
            "session_timeout_ms": 6000, "heartbeat_interval_ms": 100,
            "max_poll_interval_ms": 10000, "fetch_max_wait_ms": 100, **conf}))
        member = self

        class Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked):
                if not revoked:
                    return  # kafka-python also calls it before its first join
                if commit_on_revoke:
                    member.consumer.commit()
                member.events.append(("revoked", frozenset((tp.topic, tp.partition)
                                                           for tp in revoked)))
                member.owned = frozenset()

            def on_partitions_assigned(self, assigned):
                member.owned = frozenset((tp.topic, tp.partition) for tp in assigned)
                member.events.append(("assigned", member.owned))

        self.consumer.subscribe(topics=list(topics), listener=Listener())
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopped.is_set():
            while not self.calls.empty():
                fn, future = self.calls.get()
                try:
                    future.set_result(fn(self.consumer))
                except Exception as e:  # handed to the caller
                    future.set_exception(e)
            if self.stopped.is_set():
                return
            try:
                for batch in self.consumer.poll(timeout_ms=50).values():
                    self.records.extend((r.partition, r.offset) for r in batch)
            except Exception as e:  # reported by the test's assertions
                self.errors.append(e)

    def run(self, fn, timeout_s=OP_TIMEOUT_S):
        future = concurrent.futures.Future()
        self.calls.put((fn, future))
        return future.result(timeout=timeout_s)

    def close(self):
        if not self.stopped.is_set():
            def close(consumer):
                consumer.close()
                self.stopped.set()
            self.run(close)
            self.thread.join(timeout=OP_TIMEOUT_S)


@pytest.fixture
def kp_members():
    made = []

    def make(*args, **kwargs):
        m = KpGroupMember(*args, **kwargs)
        made.append(m)
        return m
    yield make
    for m in made:
        m.close()


def committed_by_kafka_python(broker, group, topic, partitions):
    """{partition: OffsetAndMetadata or None} through committed() of a consumer of `group`
    that never subscribes (so every read is an OffsetFetch)."""
    c = KafkaConsumer(**kp_conf(broker, group_id=group, enable_auto_commit=False,
                                session_timeout_ms=6000))
    try:
        return {p: c.committed(TopicPartition(topic, p), metadata=True) for p in partitions}
    finally:
        c.close()


def test_members_split_partitions_and_follow_joins_and_closes(shared_broker, kp_members):
    b = shared_broker
    topic = create_topic(b, partitions=4)
    everything = {(topic, p) for p in range(4)}
    produced = set(produce_ok(b, topic, [{"value": b"x", "partition": i % 4} for i in range(40)]))
    group = unique_topic("kp-group")
    first = kp_members(b, group, [topic], commit_on_revoke=True)
    wait_until(lambda: first.owned == everything, timeout_s=OP_TIMEOUT_S,
               what="the first member owning 4 partitions")
    second = kp_members(b, group, [topic], commit_on_revoke=True)
    members = [first, second]
    wait_until(lambda: {len(m.owned) for m in members} == {2} and
               first.owned | second.owned == everything, timeout_s=OP_TIMEOUT_S,
               what="two members with 2 partitions each")
    assert [kind for kind, _ in first.events][:3] == ["assigned", "revoked", "assigned"]
    wait_until(lambda: set(first.records) | set(second.records) == produced,
               timeout_s=OP_TIMEOUT_S, what="the group reading all 40 records")

    second.run(lambda c: c.commit())
    second.close()
    wait_until(lambda: first.owned == everything, timeout_s=OP_TIMEOUT_S,
               what="the first member taking the closed member's partitions")
    more = set(produce_ok(b, topic, [{"value": b"y", "partition": i % 4} for i in range(8)]))
    wait_until(lambda: set(first.records) >= more, timeout_s=OP_TIMEOUT_S,
               what="the remaining member reading every partition")
    read = first.records + second.records
    assert len(read) == len(set(read)), "a record was read twice"
    assert not first.errors and not second.errors, first.errors + second.errors


def test_commits_and_committed(shared_broker, kp_members):
    b = shared_broker
    topic = create_topic(b, partitions=2)
    produce_ok(b, topic, [{"value": b"c", "partition": i % 2} for i in range(20)])
    group = unique_topic("kp-group")
    m = kp_members(b, group, [topic])
    wait_until(lambda: len(m.records) == 20, timeout_s=OP_TIMEOUT_S, what="20 records")

    m.run(lambda c: c.commit())  # synchronous, the consumed positions
    assert {p: o.offset for p, o in committed_by_kafka_python(b, group, topic, [0, 1]).items()} \
        == {0: 10, 1: 10}

    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    m.run(lambda c: c.commit({tp0: OffsetAndMetadata(4, "checkpoint-4")}))
    got = committed_by_kafka_python(b, group, topic, [0, 1])
    assert (got[0].offset, got[0].metadata) == (4, "checkpoint-4")
    assert got[1].offset == 10

    done = concurrent.futures.Future()
    m.run(lambda c: c.commit_async({tp1: OffsetAndMetadata(6, "async")},
                                   callback=lambda offsets, response: done.set_result(response)))
    response = done.result(timeout=OP_TIMEOUT_S)
    assert not isinstance(response, Exception), response
    got = committed_by_kafka_python(b, group, topic, [0, 1])
    assert (got[1].offset, got[1].metadata) == (6, "async")
    # The member itself reads them back too.
    assert m.run(lambda c: (c.committed(tp0), c.committed(tp1))) == (4, 6)


def test_restart_continues_after_commit(shared_broker, kp_members):
    b = shared_broker
    topic = create_topic(b, partitions=1)
    produce_ok(b, topic, [{"value": str(i).encode()} for i in range(20)])
    group = unique_topic("kp-group")
    m = kp_members(b, group, [topic], max_poll_records=1)
    wait_until(lambda: len(m.records) >= 8, timeout_s=OP_TIMEOUT_S, what="8 records")
    m.run(lambda c: c.commit({TopicPartition(topic, 0): OffsetAndMetadata(8, "")}))
    m.close()
    again = kp_members(b, group, [topic])
    wait_until(lambda: len(again.records) >= 12, timeout_s=OP_TIMEOUT_S, what="12 records")
    assert [o for _, o in again.records] == list(range(8, 20))


def test_admin_lists_describes_reads_offsets_and_deletes_groups(shared_broker, kp_members):
    b = shared_broker
    topic = create_topic(b, partitions=2)
    produce_ok(b, topic, [{"value": b"a", "partition": i % 2} for i in range(6)])
    group = unique_topic("kp-group")
    m = kp_members(b, group, [topic], client_id="kp-admin-test")
    wait_until(lambda: len(m.records) == 6, timeout_s=OP_TIMEOUT_S, what="6 records")
    m.run(lambda c: c.commit({TopicPartition(topic, 0): OffsetAndMetadata(3, "m0"),
                              TopicPartition(topic, 1): OffsetAndMetadata(2, "m1")}))
    a = kp_admin(b)
    try:
        assert (group, "consumer") in a.list_consumer_groups()
        (info,) = a.describe_consumer_groups([group])
        assert (info.error_code, info.group, info.state, info.protocol_type, info.protocol) == \
            (0, group, "Stable", "consumer", "range")
        (member,) = info.members
        assert member.client_id == "kp-admin-test"
        assert member.member_metadata.subscription == [topic]
        assert sorted(member.member_assignment.assignment) == [(topic, [0, 1])]

        offsets = a.list_consumer_group_offsets(group)
        assert {(tp.partition, om.offset, om.metadata) for tp, om in offsets.items()} == \
            {(0, 3, "m0"), (1, 2, "m1")}

        unknown = unique_topic("kp-group")
        results = dict(a.delete_consumer_groups([group, unknown]))
        assert results == {group: NonEmptyGroupError, unknown: GroupIdNotFoundError}
        m.close()
        wait_until(lambda: a.describe_consumer_groups([group])[0].state == "Empty",
                   what="the group empty after its member closed")
        assert dict(a.delete_consumer_groups([group])) == {group: NoError}
        assert group not in {g for g, _ in a.list_consumer_groups()}
        assert a.list_consumer_group_offsets(group) == {}
    finally:
        a.close()
