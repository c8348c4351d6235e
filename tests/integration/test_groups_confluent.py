"""Consumer groups with confluent-kafka (librdkafka 2.0.2), as applications use them: members
split a topic's partitions and take over each other's on join, close, death (SIGKILL: after
session.timeout.ms) and a stalled poll loop (max.poll.interval.ms); rebalance callbacks; two
groups reading independently; manual commits (sync, async, per message, specific offsets) and
auto-commit, read back with committed(); a restarted consumer continuing exactly after its
commit; range, roundrobin and cooperative-sticky assignment (incremental: partitions that stay
are never revoked); static membership (restart without rebalance, duplicate instance fenced);
the groups as the admin client lists and describes them.

Debian's python3-confluent-kafka 1.7.0 exposes only AdminClient.list_groups (librdkafka's
ListGroups + DescribeGroups): group deletion and offset listing by admin are covered with
kafka-python (test_groups_kafka_python.py), commit metadata with kafka-python and raw requests.

Every test shares one broker (two shards, no initial rebalance delay) and uses its own topics
and groups."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
from confluent_kafka import KafkaError, TopicPartition

from helpers import (GROUP_BROKER_SETTINGS, OP_TIMEOUT_S, balanced, commit_positions,
                     committed_offsets, create_topic, decode_assignment, describe_group,
                     listed_groups, poll_until, produce_ok, shared_broker_fixture,
                     topic_partitions, unique_topic, wait_until)
from helpers import group_consumers  # noqa: F401 (a fixture)

pytestmark = pytest.mark.librdkafka
shared_broker, attach_shared_broker = shared_broker_fixture(GROUP_BROKER_SETTINGS, smp=2)


def new_group():
    return unique_topic("group")


def produce_round(broker, topic, partitions, count, tag):
    """Produces `count` records spread over the partitions; returns {(partition, offset)}."""
    return set(produce_ok(broker, topic, [{"value": f"{tag}-{i}".encode(),
                                           "partition": i % partitions}
                                          for i in range(count)]))


def read_by_group(members):
    """[(partition, offset)] of every record the members polled (duplicates kept)."""
    return [(r.partition, r.offset) for m in members for r in m.records]


def test_members_split_partitions_and_follow_joins_and_closes(shared_broker, group_consumers):
    """One member owns all partitions; a second and third join and each gets its share; a
    member that closes hands its partitions to the others. Members commit on revoke, so the
    group reads every record exactly once, each from a partition it owned at the time."""
    b = shared_broker
    topic = create_topic(b, partitions=6)
    everything = topic_partitions(topic, 6)
    group = new_group()
    produced = set()

    def read_round(members, tag):
        produced.update(produce_round(b, topic, 6, 60, tag))
        poll_until(members, lambda: set(read_by_group(all_members)) >= produced,
                   what=f"the group reading round {tag}")
        for m in members:
            owned = {p for _, p in m.assignment()}
            assert {r.partition for r in m.records[m.seen:]} <= owned, \
                "a member read a partition it was not assigned"
            m.seen = len(m.records)

    first = group_consumers(b, group, [topic], on_revoke_commit=True)
    first.seen = 0
    all_members = [first]
    poll_until([first], balanced([first], everything), what="one member owning 6 partitions")
    assert first.events == [("assign", frozenset(everything))]
    read_round([first], "one")

    second = group_consumers(b, group, [topic], on_revoke_commit=True)
    second.seen = 0
    all_members.append(second)
    poll_until(all_members, balanced(all_members, everything), what="two members, 3 each")
    assert sorted(len(m.assignment()) for m in all_members) == [3, 3]
    # Eager (range): the first member revoked everything, then got its half.
    assert first.kinds()[:3] == ["assign", "revoke", "assign"]
    assert second.kinds() == ["assign"]
    read_round(all_members, "two")

    third = group_consumers(b, group, [topic], on_revoke_commit=True)
    third.seen = 0
    all_members.append(third)
    poll_until(all_members, balanced(all_members, everything), what="three members, 2 each")
    assert sorted(len(m.assignment()) for m in all_members) == [2, 2, 2]
    read_round(all_members, "three")

    # The second member commits what it read and closes (LeaveGroup): the others take over.
    commit_positions(second.consumer)
    second.close()
    survivors = [first, third]
    poll_until(survivors, balanced(survivors, everything), what="two survivors, 3 each")
    assert sorted(len(m.assignment()) for m in survivors) == [3, 3]
    read_round(survivors, "four")

    read = read_by_group(all_members)
    assert len(read) == len(set(read)), "a record was read twice"
    assert set(read) == produced


def test_two_groups_read_the_same_topic_independently(shared_broker, group_consumers):
    b = shared_broker
    topic = create_topic(b, partitions=2)
    produced = produce_round(b, topic, 2, 40, "x")
    g1, g2 = new_group(), new_group()
    c1 = group_consumers(b, g1, [topic])
    c2 = group_consumers(b, g2, [topic])
    poll_until([c1, c2], lambda: len(c1.records) == 40 and len(c2.records) == 40,
               what="both groups reading all 40 records")
    assert set(read_by_group([c1])) == produced == set(read_by_group([c2]))
    assert c1.assignment() == c2.assignment() == topic_partitions(topic, 2)
    # A commit in one group is not seen by the other.
    c1.consumer.commit(asynchronous=False)
    assert committed_offsets(b, g1, topic, [0, 1]) == {0: 20, 1: 20}
    assert committed_offsets(b, g2, topic, [0, 1]) == {0: -1001, 1: -1001}


def test_manual_commits_sync_async_and_specific_offsets(shared_broker, group_consumers):
    b = shared_broker
    topic = create_topic(b, partitions=3)
    produce_round(b, topic, 3, 30, "m")
    group = new_group()
    commits = []
    c = group_consumers(b, group, [topic],
                        on_commit=lambda err, partitions: commits.append((err, partitions)))
    poll_until([c], lambda: len(c.records) == 30, what="30 records")

    # Synchronous commit of the consumed positions.
    result = c.consumer.commit(asynchronous=False)
    assert sorted((tp.partition, tp.offset) for tp in result) == [(0, 10), (1, 10), (2, 10)]
    assert committed_offsets(b, group, topic, [0, 1, 2]) == {0: 10, 1: 10, 2: 10}

    # Specific offsets, synchronously (going back is allowed); partition 2 keeps its offset.
    c.consumer.commit(offsets=[TopicPartition(topic, 0, 3), TopicPartition(topic, 1, 7)],
                      asynchronous=False)
    assert committed_offsets(b, group, topic, [0, 1, 2]) == {0: 3, 1: 7, 2: 10}

    # Asynchronous commit: the on_commit callback reports success from poll().
    commits.clear()
    c.consumer.commit(offsets=[TopicPartition(topic, 2, 5)], asynchronous=True)
    poll_until([c], lambda: commits, what="the async commit's callback")
    (err, partitions), = commits
    assert err is None
    assert [(tp.partition, tp.offset, tp.error) for tp in partitions] == [(2, 5, None)]
    # The member reads them back itself (OffsetFetch v7 with require_stable, since
    # isolation.level is read_committed by default), and so does a reader that does not
    # ask for stable offsets.
    mine = c.consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=OP_TIMEOUT_S)
    assert [(tp.partition, tp.offset) for tp in mine] == [(0, 3), (1, 7), (2, 5)]
    assert committed_offsets(b, group, topic, [0, 1, 2],
                             isolation_level="read_uncommitted") == {0: 3, 1: 7, 2: 5}


def test_thousands_of_pipelined_async_commits_are_all_answered(shared_broker, group_consumers):
    """More commits in flight on one connection than the broker reads ahead (it pauses reading
    while each waits for its fsync): every one is answered in order, none is lost, the
    connection stays. The member commits once it owns its partitions, as an application does:
    commits racing its own join may be refused (ILLEGAL_GENERATION) and librdkafka re-sends
    deferred ones after later ones, which would test the client, not the broker."""
    b = shared_broker
    topic = create_topic(b, partitions=2)
    group = new_group()
    commits = []
    c = group_consumers(b, group, [topic],
                        on_commit=lambda err, partitions: commits.append(
                            (err, [(tp.partition, tp.offset, tp.error) for tp in partitions])))
    poll_until([c], lambda: c.assignment() == topic_partitions(topic, 2), what="the assignment")
    total = 3000
    for i in range(total):
        c.consumer.commit(offsets=[TopicPartition(topic, 0, i), TopicPartition(topic, 1, i)],
                          asynchronous=True)
    poll_until([c], lambda: len(commits) == total, what=f"{total} commit callbacks")
    assert commits == [(None, [(0, i, None), (1, i, None)]) for i in range(total)]
    assert committed_offsets(b, group, topic, [0, 1]) == {0: total - 1, 1: total - 1}


def test_commit_per_message_then_restart_continues_after_commit(shared_broker, group_consumers):
    b = shared_broker
    topic = create_topic(b, partitions=1)
    produce_round(b, topic, 1, 30, "r")
    group = new_group()
    c = group_consumers(b, group, [topic])
    while len(c.records) < 15:
        c.next_message()
        if len(c.records) <= 12:
            # Each of the first 12 records is committed as soon as it is processed.
            offset = c.records[-1].offset + 1
            result = c.consumer.commit(offsets=[TopicPartition(topic, 0, offset)],
                                       asynchronous=False)
            assert [(tp.offset, tp.error) for tp in result] == [(offset, None)]
    c.close()  # the last three records were read but never committed
    assert committed_offsets(b, group, topic, [0]) == {0: 12}

    again = group_consumers(b, group, [topic])
    poll_until([again], lambda: len(again.records) >= 18, what="the rest of the partition")
    assert [r.offset for r in again.records] == list(range(12, 30))


def test_commit_of_a_message_object(shared_broker, group_consumers):
    b = shared_broker
    topic = create_topic(b, partitions=2)
    produce_round(b, topic, 2, 10, "o")
    group = new_group()
    c = group_consumers(b, group, [topic])
    for _ in range(10):
        msg = c.next_message()
        result = c.consumer.commit(message=msg, asynchronous=False)
        assert [(tp.partition, tp.offset) for tp in result] == [(msg.partition(), msg.offset() + 1)]
    assert committed_offsets(b, group, topic, [0, 1]) == {0: 5, 1: 5}


def test_auto_commit_then_restart_continues_after_commit(shared_broker, group_consumers):
    b = shared_broker
    topic = create_topic(b, partitions=2)
    produce_round(b, topic, 2, 20, "a")
    group = new_group()
    c = group_consumers(b, group, [topic], enable_auto_commit=True, auto_commit_interval_ms=100)
    poll_until([c], lambda: len(c.records) == 20, what="20 records")
    # Keep polling (auto-commit runs from the background thread; offsets are stored on poll)
    # until the broker has the offsets.
    poll_until([c], lambda: committed_offsets(b, group, topic, [0, 1]) == {0: 10, 1: 10},
               what="auto-committed offsets 10/10")
    c.close()
    fresh = produce_round(b, topic, 2, 6, "after")
    again = group_consumers(b, group, [topic])
    poll_until([again], lambda: len(again.records) >= 6, what="the 6 new records")
    assert set(read_by_group([again])) == fresh


CHILD_CONSUMER = r"""
import json, sys
from confluent_kafka import Consumer
conf, topic = json.loads(sys.argv[1]), sys.argv[2]
c = Consumer(conf)
def on_assign(consumer, partitions):
    print(json.dumps(sorted(tp.partition for tp in partitions)), flush=True)
c.subscribe([topic], on_assign=on_assign)
while True:
    c.poll(0.05)
"""


def child_consumer(broker, group, topic, **conf):
    """A group member in another process; returns (process, latest) where latest[0] is the
    set of partitions its last on_assign reported (eager: its whole assignment)."""
    settings = {"bootstrap.servers": broker.bootstrap, "broker.address.family": "v4",
                "group.id": group, "heartbeat.interval.ms": 100, "session.timeout.ms": 1500,
                "max.poll.interval.ms": 10000, "auto.offset.reset": "earliest"}
    settings.update({k.replace("_", "."): v for k, v in conf.items()})
    proc = subprocess.Popen([sys.executable, "-c", CHILD_CONSUMER, json.dumps(settings), topic],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    latest = [None]

    def reader():
        for line in proc.stdout:
            latest[0] = set(json.loads(line))
    threading.Thread(target=reader, daemon=True).start()
    return proc, latest


def test_sigkilled_member_loses_its_partitions_after_session_timeout(shared_broker,
                                                                     group_consumers):
    b = shared_broker
    topic = create_topic(b, partitions=6)
    group = new_group()
    session_timeout_ms, heartbeat_ms = 1500, 100
    proc, child_owns = child_consumer(b, group, topic, session_timeout_ms=session_timeout_ms,
                                      heartbeat_interval_ms=heartbeat_ms)
    try:
        wait_until(lambda: child_owns[0] == set(range(6)), timeout_s=OP_TIMEOUT_S,
                   what="the child process owning all 6 partitions")
        survivor = group_consumers(b, group, [topic])
        poll_until([survivor], lambda: len(survivor.assignment()) == 3 and child_owns[0] ==
                   set(range(6)) - {p for _, p in survivor.assignment()},
                   what="the survivor and the child owning 3 partitions each")

        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_at = time.monotonic()
        poll_until([survivor], lambda: survivor.assignment() == topic_partitions(topic, 6),
                   timeout_s=session_timeout_ms / 1000 + 10,
                   what="the survivor taking over the dead member's partitions")
        elapsed_s = time.monotonic() - killed_at
        # The broker notices a dead member by its missing heartbeats only (Kafka ignores the
        # closed connection): not before session.timeout.ms after its last heartbeat.
        assert elapsed_s >= (session_timeout_ms - heartbeat_ms) / 1000 - 0.2, \
            f"partitions moved {elapsed_s:.2f}s after the kill, before the session timeout"
        fresh = produce_round(b, topic, 6, 12, "after-kill")
        poll_until([survivor], lambda: set(read_by_group([survivor])) >= fresh,
                   what="the survivor reading every partition")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_member_that_stops_polling_loses_its_partitions(shared_broker, group_consumers):
    """max.poll.interval.ms exceeded: librdkafka leaves the group, the others take over, and
    the stalled consumer's next poll reports _MAX_POLL_EXCEEDED."""
    b = shared_broker
    topic = create_topic(b, partitions=4)
    group = new_group()
    stalled = group_consumers(b, group, [topic], max_poll_interval_ms=1500,
                              session_timeout_ms=1000)
    active = group_consumers(b, group, [topic])
    members = [stalled, active]
    everything = topic_partitions(topic, 4)
    poll_until(members, balanced(members, everything), what="two members, 2 each")
    poll_until([active], lambda: active.assignment() == everything, timeout_s=15,
               what="the active member taking over from the stalled one")
    poll_until([stalled], lambda: any(e.code() == KafkaError._MAX_POLL_EXCEEDED
                                      for e in stalled.errors),
               what="the stalled consumer's _MAX_POLL_EXCEEDED")


@pytest.mark.parametrize("strategy", ["range", "roundrobin"])
def test_eager_assignment_strategies(shared_broker, group_consumers, strategy):
    b = shared_broker
    t1, t2 = create_topic(b, partitions=3), create_topic(b, partitions=3)
    everything = topic_partitions(t1, 3) | topic_partitions(t2, 3)
    group = new_group()
    members = [group_consumers(b, group, [t1, t2], partition_assignment_strategy=strategy)
               for _ in range(2)]
    poll_until(members, balanced(members, everything), what="two members splitting 6")
    big, small = sorted((m.assignment() for m in members), key=len, reverse=True)
    if strategy == "range":
        # Per topic: partitions 0-1 to the first member, 2 to the second.
        assert len(big) == 4 and len(small) == 2
        assert {p for t, p in big if t == t1} == {p for t, p in big if t == t2} == {0, 1}
    else:
        # Round robin over all six partitions: 3 each, alternating.
        assert len(big) == len(small) == 3
    described = describe_group(b, group)
    assert (described.state, described.protocol_type, described.protocol) == \
        ("Stable", "consumer", strategy)
    assert sorted(len(decode_assignment(m.assignment)) for m in described.members) == \
        [len(small), len(big)]
    assert {frozenset(decode_assignment(m.assignment)) for m in described.members} == \
        {m.assignment() for m in members}


def test_cooperative_sticky_revokes_only_moving_partitions(shared_broker, group_consumers):
    b = shared_broker
    topic = create_topic(b, partitions=6)
    everything = topic_partitions(topic, 6)
    group = new_group()
    conf = {"partition_assignment_strategy": "cooperative-sticky"}

    def revoked(m, since=0):
        return set().union(*[ps for kind, ps in m.events[since:] if kind in ("revoke", "lost")])

    def assigned(m, since=0):
        return set().union(*[ps for kind, ps in m.events[since:] if kind == "assign"])

    first = group_consumers(b, group, [topic], **conf)
    poll_until([first], balanced([first], everything), what="one member owning 6")
    second = group_consumers(b, group, [topic], **conf)
    members = [first, second]
    poll_until(members, balanced(members, everything), what="two members, 3 each")
    assert sorted(len(m.assignment()) for m in members) == [3, 3]
    # The first member gave up exactly what moved and never revoked what it kept.
    assert revoked(first) == second.assignment()
    assert not revoked(first) & first.assignment()
    assert assigned(second) == second.assignment() and not revoked(second)

    mark = {id(m): len(m.events) for m in members}
    third = group_consumers(b, group, [topic], **conf)
    members.append(third)
    poll_until(members, balanced(members, everything), what="three members, 2 each")
    assert sorted(len(m.assignment()) for m in members) == [2, 2, 2]
    for m in (first, second):
        assert not revoked(m, mark[id(m)]) & m.assignment(), "a partition that stayed was revoked"
    assert revoked(first, mark[id(first)]) | revoked(second, mark[id(second)]) == third.assignment()

    # A member leaves: the others only gain partitions, nothing is revoked from them.
    leaving = second.assignment()
    mark = {id(m): len(m.events) for m in members}
    second.close()
    survivors = [first, third]
    poll_until(survivors, balanced(survivors, everything), what="two survivors, 3 each")
    for m in survivors:
        assert not revoked(m, mark[id(m)]), f"a survivor revoked {revoked(m, mark[id(m)])}"
    assert assigned(first, mark[id(first)]) | assigned(third, mark[id(third)]) == leaving
    assert describe_group(b, group).protocol == "cooperative-sticky"


def test_static_member_restart_gets_its_partitions_without_rebalance(shared_broker,
                                                                     group_consumers):
    b = shared_broker
    topic = create_topic(b, partitions=4)
    everything = topic_partitions(topic, 4)
    group = new_group()
    conf = {"session_timeout_ms": 10000}
    instance = f"static-a-{uuid.uuid4().hex[:6]}"
    a = group_consumers(b, group, [topic], group_instance_id=instance, **conf)
    other = group_consumers(b, group, [topic], group_instance_id=f"static-b-{uuid.uuid4().hex[:6]}",
                            **conf)
    poll_until([a, other], balanced([a, other], everything), what="two static members, 2 each")
    owned = a.assignment()
    other_events = list(other.events)

    # A static member's close sends no LeaveGroup: the group keeps its place.
    a.close()
    restarted = group_consumers(b, group, [topic], group_instance_id=instance, **conf)
    poll_until([restarted, other], lambda: restarted.assignment() == owned,
               what="the restarted static member getting its partitions back")
    # A second of the other member's heartbeats (librdkafka sends them every ~100-500 ms):
    # no rebalance reaches it.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        restarted.poll()
        other.poll()
    assert other.events == other_events, "the other member was rebalanced"
    assert restarted.events == [("assign", frozenset(owned))]
    described = describe_group(b, group)
    assert described.state == "Stable" and len(described.members) == 2


def test_duplicate_static_instance_is_fenced(shared_broker, group_consumers):
    b = shared_broker
    topic = create_topic(b, partitions=2)
    group = new_group()
    instance = f"static-dup-{uuid.uuid4().hex[:6]}"
    old = group_consumers(b, group, [topic], group_instance_id=instance, session_timeout_ms=10000)
    poll_until([old], lambda: old.assignment() == topic_partitions(topic, 2),
               what="the first instance owning both partitions")
    new = group_consumers(b, group, [topic], group_instance_id=instance, session_timeout_ms=10000)
    poll_until([old, new], lambda: new.assignment() == topic_partitions(topic, 2),
               what="the new instance taking the partitions")

    def fenced():
        return [e for e in old.errors if "fenced" in str(e).lower()]
    poll_until([old, new], fenced, what="FENCED_INSTANCE_ID reaching the old instance")
    error = fenced()[0]
    assert error.code() == KafkaError._FATAL, error
    # The new instance keeps consuming.
    fresh = produce_round(b, topic, 2, 4, "after-fence")
    poll_until([new], lambda: set(read_by_group([new])) >= fresh, what="the new instance reading")


def test_admin_lists_and_describes_groups(shared_broker, group_consumers):
    b = shared_broker
    topic = create_topic(b, partitions=2)
    produce_round(b, topic, 2, 4, "l")
    stable, empty, simple = new_group(), new_group(), new_group()
    members = [group_consumers(b, stable, [topic], client_id=f"member-{i}") for i in range(2)]
    poll_until(members, balanced(members, topic_partitions(topic, 2)), what="a stable group")
    gone = group_consumers(b, empty, [topic])
    poll_until([gone], lambda: len(gone.records) == 4, what="4 records")
    gone.consumer.commit(asynchronous=False)
    gone.close()
    # A consumer that only assign()s and commits (generation -1): a group without a protocol.
    committer = group_consumers.assign_only(b, simple)
    committer.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)

    def states():
        listed = listed_groups(b)
        return {g: (listed[g].state, listed[g].protocol_type)
                for g in (stable, empty, simple) if g in listed}
    wait_until(lambda: states() == {stable: ("Stable", "consumer"), empty: ("Empty", "consumer"),
                                    simple: ("Empty", "")},
               what="the three groups listed", timeout_s=OP_TIMEOUT_S)

    described = describe_group(b, stable)
    assert described.protocol == "range"
    assert sorted(m.client_id for m in described.members) == ["member-0", "member-1"]
    for m in described.members:
        assert m.client_host.endswith("127.0.0.1"), m.client_host
        assert m.id.startswith(m.client_id + "-"), m.id  # Kafka's client id + "-" + uuid
        assert len(decode_assignment(m.assignment)) == 1
    assert describe_group(b, empty).members == []
