"""Offsets retention (KIP-211): once a group is empty, its committed offsets expire
offsets.retention.minutes later (then the group itself goes away); a group with members keeps
its offsets however old they are. offsets.retention.minutes cannot go below 1, so this test
waits about a minute."""
import threading

import pytest
from confluent_kafka import TopicPartition

from helpers import (GROUP_BROKER_SETTINGS, OP_TIMEOUT_S, GroupConsumer, committed_offsets,
                     create_topic, describe_group, listed_groups, poll_until, produce_ok,
                     unique_topic, wait_until)

RETENTION_SETTINGS = {**GROUP_BROKER_SETTINGS, "offsets.retention.minutes": 1,
                      "offsets.retention.check.interval.ms": 500}
NO_OFFSET = -1001


class KeepPolling:
    """Polls `member` on a thread of its own until the block exits, as a live application's
    poll loop does: without it the member would be evicted after max.poll.interval.ms.
    The member must not be touched from another thread meanwhile."""

    def __init__(self, member):
        self.member = member
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self.stopped.is_set():
            self.member.poll(0.1)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(timeout=OP_TIMEOUT_S)
        assert not self.thread.is_alive(), "poll thread did not stop"


@pytest.mark.parametrize("broker", [{"settings": RETENTION_SETTINGS}], indirect=True)
def test_offsets_of_an_empty_group_expire_and_active_groups_keep_theirs(broker):
    topic = create_topic(broker, partitions=1)
    produce_ok(broker, topic, [{"value": b"v%d" % i} for i in range(3)])
    gone, kept = unique_topic("gone"), unique_topic("kept")
    leaving = GroupConsumer(broker, gone, [topic], auto_offset_reset="earliest", enable_auto_commit=False)
    staying = GroupConsumer(broker, kept, [topic], auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        for member in (leaving, staying):
            poll_until([member], lambda m=member: len(m.records) == 3, what="three records")
            member.consumer.commit(offsets=[TopicPartition(topic, 0, 3)], asynchronous=False)
        leaving.close()  # its group is now Empty: the retention clock starts
        assert committed_offsets(broker, gone, topic, [0]) == {0: 3}

        with KeepPolling(staying):
            wait_until(lambda: committed_offsets(broker, gone, topic, [0]) == {0: NO_OFFSET},
                       timeout_s=120, interval_s=1, what="the empty group's offsets to expire")
            wait_until(lambda: gone not in listed_groups(broker), timeout_s=10,
                       what="the expired group to disappear")
            group = describe_group(broker, kept)
            assert group.state == "Stable", group.state
            assert len(group.members) == 1, [m.id for m in group.members]
            assert committed_offsets(broker, kept, topic, [0]) == {0: 3}
        # One assignment and never a revocation or loss: the same member all along.
        assert staying.kinds() == ["assign"], staying.events
        assert not staying.errors, staying.errors
    finally:
        leaving.close()
        staying.close()
