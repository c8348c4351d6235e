"""Log retention (issue 10): retention.ms and retention.bytes per topic, from the broker's
log.retention.* defaults and changed dynamically; segment.ms rolling a quiet partition so its
records age out; file.delete.delay.ms; consumers of deleted offsets reset per auto.offset.reset
(librdkafka and kafka-python); internal topics keep their records. Every broker here checks
retention every 100 ms (log.retention.check.interval.ms)."""
import glob
import os
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from helpers import (OP_TIMEOUT_S, admin, consume, consumer, create_topic, kp_consume, poll_records,
                     produce_ok, wait_until, watermarks)

CHECK_INTERVAL_MS = 100
RETENTION_SETTINGS = {"log.retention.check.interval.ms": CHECK_INTERVAL_MS}
HOUR_MS = 3600 * 1000
# Each record goes alone in a batch (flushed one by one): about 170 B, 5 to a segment.
SMALL_SEGMENTS = {"segment.bytes": "1024", "file.delete.delay.ms": "0"}

retention_checked = pytest.mark.parametrize("broker", [{"settings": RETENTION_SETTINGS}], indirect=True)


def now_ms():
    return int(time.time() * 1000)


def produce_one_by_one(broker, topic, count, timestamp_ms=None, first=0):
    """`count` 100-byte records, each flushed alone (a batch and a produce request each)."""
    offsets = []
    for i in range(first, first + count):
        message = {"value": f"{i:06d}".encode().ljust(100, b"."), "key": f"k{i}".encode()}
        if timestamp_ms is not None:
            message["timestamp"] = timestamp_ms
        offsets += [offset for _, offset in produce_ok(broker, topic, [message], acks="all")]
    return offsets


def segment_files(broker, topic, partition=0, suffix=".log"):
    return sorted(glob.glob(os.path.join(broker.data_dir, f"{topic}-{partition}", f"*{suffix}")))


def low_watermark(broker, topic, partition=0):
    return watermarks(broker, topic, partition)[0]


def wait_for_old_segments_deleted(broker, topic, old_records):
    """Waits until retention removed every segment holding only the first `old_records`
    (expired) records, whatever number of passes that took, and returns the log start."""
    def retention_done():
        # The second segment left (if any) starts after the old records, and the log start is
        # the first one's base.
        bases = [int(os.path.basename(f)[:20]) for f in segment_files(broker, topic)]
        done = bases and bases[0] > 0 and (len(bases) == 1 or bases[1] > old_records)
        return done and low_watermark(broker, topic) == bases[0] and bases[0]

    return wait_until(retention_done, what="the segments of old records deleted")


@retention_checked
def test_time_retention_deletes_only_segments_older_than_retention_ms(broker):
    topic = create_topic(broker, config={**SMALL_SEGMENTS, "retention.ms": str(HOUR_MS)})
    old = produce_one_by_one(broker, topic, 20, timestamp_ms=now_ms() - 2 * HOUR_MS)
    new = produce_one_by_one(broker, topic, 10, first=20)
    assert old == list(range(20)) and new == list(range(20, 30))

    low = wait_for_old_segments_deleted(broker, topic, 20)
    assert 0 < low <= 20, "a record younger than retention.ms was deleted"
    records = consume(broker, topic, offset=OFFSET_BEGINNING)
    assert [r.offset for r in records] == list(range(low, 30))
    assert records[-10:][0].value.startswith(b"000020")
    wait_until(lambda: not glob.glob(os.path.join(broker.data_dir, f"{topic}-0", "*.deleted")),
               what="deleted files removed (file.delete.delay.ms=0)")
    assert os.path.basename(segment_files(broker, topic)[0]) == f"{low:020d}.log"


@retention_checked
def test_consumers_of_deleted_offsets_reset_per_auto_offset_reset(broker):
    topic = create_topic(broker, config={**SMALL_SEGMENTS, "retention.ms": str(HOUR_MS)})
    produce_one_by_one(broker, topic, 12, timestamp_ms=now_ms() - 2 * HOUR_MS)
    produce_one_by_one(broker, topic, 3, first=12)
    low = wait_for_old_segments_deleted(broker, topic, 12)

    # librdkafka: offset 0 is out of range; "earliest" resets to the log start ...
    c = consumer(broker, auto_offset_reset="earliest")
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        assert poll_records(c, 1, [0])[0].offset == low
    finally:
        c.close()
    # ... "error" reports it.
    c = consumer(broker, auto_offset_reset="error")
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        deadline = time.monotonic() + OP_TIMEOUT_S
        error = None
        while error is None and time.monotonic() < deadline:
            msg = c.poll(0.2)
            if msg is not None and msg.error() and msg.error().code() != KafkaError._PARTITION_EOF:
                error = msg.error()
        assert error is not None and error.code() == KafkaError._AUTO_OFFSET_RESET, error
    finally:
        c.close()
    # kafka-python: its OffsetOutOfRange reset to the earliest offset.
    assert kp_consume(broker, topic, offset=0, count=1, auto_offset_reset="earliest")[0].offset == low


@retention_checked
def test_a_group_whose_committed_offset_was_deleted_resets(broker):
    topic = create_topic(broker, config={**SMALL_SEGMENTS, "retention.ms": str(HOUR_MS)})
    group = f"g-{topic}"
    produce_one_by_one(broker, topic, 12, timestamp_ms=now_ms() - 2 * HOUR_MS)
    produce_one_by_one(broker, topic, 3, first=12)
    committer = consumer(broker, group_id=group)
    committer.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)
    committer.close()
    low = wait_for_old_segments_deleted(broker, topic, 12)

    member = consumer(broker, group_id=group, auto_offset_reset="earliest")
    try:
        member.subscribe([topic])
        assert poll_records(member, 1, [0])[0].offset == low
    finally:
        member.close()


@retention_checked
def test_size_retention_keeps_at_least_retention_bytes(broker):
    topic = create_topic(broker, config={**SMALL_SEGMENTS, "retention.bytes": "3000"})
    produce_one_by_one(broker, topic, 60)

    def trimmed():
        sizes = [os.path.getsize(f) for f in segment_files(broker, topic)]
        return low_watermark(broker, topic) > 0 and sum(sizes) <= 3000 + 1024 and sizes
    sizes = wait_until(trimmed, what="the log cut to retention.bytes")
    assert sum(sizes) >= 3000 - 1024, f"more than retention.bytes deleted: {sizes}"
    assert consume(broker, topic, offset=OFFSET_BEGINNING)[-1].offset == 59


def test_retention_follows_a_dynamic_change_and_the_broker_default(broker_factory):
    broker = broker_factory(settings={**RETENTION_SETTINGS, "log.retention.ms": str(3 * HOUR_MS)})
    by_default = create_topic(broker, config=SMALL_SEGMENTS)
    altered = create_topic(broker, config=SMALL_SEGMENTS)
    for topic in (by_default, altered):
        produce_one_by_one(broker, topic, 10, timestamp_ms=now_ms() - 4 * HOUR_MS)
        produce_one_by_one(broker, topic, 10, timestamp_ms=now_ms() - 2 * HOUR_MS, first=10)
        produce_one_by_one(broker, topic, 2, first=20)
    # The broker's log.retention.ms (3 h) deletes the 4-hour-old records ...
    low = wait_until(lambda: low_watermark(broker, by_default), what="the broker default applied")
    assert 5 <= low <= 10
    # ... and a topic lowered to 1 h at run time loses the 2-hour-old ones too.
    # (Imported here: Debian's confluent-kafka 1.7, which collects this module too, lacks it.)
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource
    resource = ConfigResource(ConfigResource.Type.TOPIC, altered,
                              incremental_configs=[ConfigEntry("retention.ms", str(HOUR_MS),
                                                               incremental_operation=AlterConfigOpType.SET)])
    admin(broker).incremental_alter_configs([resource])[resource].result(timeout=OP_TIMEOUT_S)
    low = wait_until(lambda: low_watermark(broker, altered) > 10 and low_watermark(broker, altered),
                     what="the dynamic retention.ms applied")
    assert low <= 20


@retention_checked
def test_a_quiet_partition_rolls_by_segment_ms_and_empties(broker):
    topic = create_topic(broker, config={"segment.ms": "300", "retention.ms": "600",
                                         "file.delete.delay.ms": "0"})
    produce_one_by_one(broker, topic, 5)
    wait_until(lambda: watermarks(broker, topic, 0) == (5, 5), timeout_s=OP_TIMEOUT_S,
               what="every record aged out of a partition without new appends")
    wait_until(lambda: [os.path.getsize(f) for f in segment_files(broker, topic)] == [0],
               what="one empty segment left")
    assert os.path.basename(segment_files(broker, topic)[0]) == f"{5:020d}.log"
    # The partition goes on from where it was.
    assert produce_one_by_one(broker, topic, 1, first=5) == [5]


def test_internal_topics_keep_their_records(broker_factory):
    broker = broker_factory(settings={**RETENTION_SETTINGS, "log.retention.ms": "1"})
    topic = create_topic(broker, config={"segment.ms": "1"})
    group = f"g-{topic}"
    produce_one_by_one(broker, topic, 3)
    committer = consumer(broker, group_id=group)
    committer.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
    committer.close()
    # Retention passes run (the user topic empties) while the offsets topic, compacted, keeps
    # the commit.
    wait_until(lambda: low_watermark(broker, topic) == 3, what="the user topic emptied")
    c = consumer(broker)
    try:
        lows = [c.get_watermark_offsets(TopicPartition("__consumer_offsets", p), timeout=OP_TIMEOUT_S,
                                        cached=False)[0] for p in range(50)]
    finally:
        c.close()
    assert lows == [0] * 50
    broker.restart()
    fetched = consumer(broker, group_id=group)
    try:
        (committed,) = fetched.committed([TopicPartition(topic, 0)], timeout=OP_TIMEOUT_S)
        assert committed.offset == 2
    finally:
        fetched.close()
