"""Offsets retention (KIP-211): once a group is empty, its committed offsets expire
offsets.retention.minutes later (then the group itself goes away); a group with members keeps
its offsets however old they are. offsets.retention.minutes cannot go below 1, so this test
waits about a minute."""
import pytest
from confluent_kafka import TopicPartition

from helpers import (GROUP_BROKER_SETTINGS, GroupConsumer, committed_offsets, create_topic,
                     listed_groups, poll_until, produce_ok, unique_topic, wait_until)

RETENTION_SETTINGS = {**GROUP_BROKER_SETTINGS, "offsets.retention.minutes": 1,
                      "offsets.retention.check.interval.ms": 500}
NO_OFFSET = -1001


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

        wait_until(lambda: committed_offsets(broker, gone, topic, [0]) == {0: NO_OFFSET},
                   timeout_s=120, interval_s=1, what="the empty group's offsets to expire")
        wait_until(lambda: gone not in listed_groups(broker), timeout_s=10,
                   what="the expired group to disappear")
        staying.poll()  # keeps heartbeating and polling: still a member
        assert committed_offsets(broker, kept, topic, [0]) == {0: 3}
    finally:
        leaving.close()
        staying.close()
