"""ListOffsets: by timestamp, earliest, latest, and the watermarks — with confluent-kafka and
kafka-python, on single- and multi-segment partitions."""
from confluent_kafka import OFFSET_BEGINNING, OFFSET_END
from kafka import TopicPartition as KpTopicPartition

from helpers import (SMP_1_AND_2, consume, create_topic, data_files, kp_consumer,
                     offsets_for_times, produce_ok, watermarks)

pytestmark = SMP_1_AND_2

BASE_TS = 1_690_000_000_000


def produce_timestamped(broker, name, partition, count, step_ms=100, batch=1):
    """`count` records with timestamps BASE_TS + i*step_ms, sent `batch` at a time."""
    for start in range(0, count, batch):
        produce_ok(broker, name, [{"value": f"r{i}".encode() * 8, "partition": partition,
                                   "timestamp": BASE_TS + i * step_ms}
                                  for i in range(start, min(count, start + batch))],
                   acks="all", linger_ms=0)


def test_offsets_for_times_earliest_latest_and_watermarks(broker):
    name = create_topic(broker, partitions=2)
    produce_timestamped(broker, name, 1, 20, batch=20)
    assert watermarks(broker, name, 1) == (0, 20)
    assert watermarks(broker, name, 0) == (0, 0)
    found = offsets_for_times(broker, name, {1: BASE_TS + 550})
    assert found == {1: 6}
    assert offsets_for_times(broker, name, {1: BASE_TS}) == {1: 0}
    assert offsets_for_times(broker, name, {1: 0}) == {1: 0}
    assert offsets_for_times(broker, name, {1: BASE_TS + 1900}) == {1: 19}
    assert offsets_for_times(broker, name, {1: BASE_TS + 1901}) == {1: OFFSET_END}  # none
    assert offsets_for_times(broker, name, {1: OFFSET_END, 0: OFFSET_END}) == {1: 20, 0: 0}
    assert offsets_for_times(broker, name, {1: OFFSET_BEGINNING}) == {1: 0}


def test_lookups_across_many_segments(broker):
    """Small segments and a dense index: every lookup must land on the exact record."""
    name = create_topic(broker, config={"segment.bytes": "4096", "index.interval.bytes": "256"})
    produce_timestamped(broker, name, 0, 300, step_ms=10, batch=10)
    logs = [f for f in data_files(broker) if f.startswith(f"{name}-0/") and f.endswith(".log")]
    assert len(logs) > 3, f"expected several segments with segment.bytes=4096, got {logs}"
    assert watermarks(broker, name, 0) == (0, 300)
    for i in (0, 1, 9, 10, 11, 137, 150, 299):
        assert offsets_for_times(broker, name, {0: BASE_TS + 10 * i}) == {0: i}
        assert offsets_for_times(broker, name, {0: BASE_TS + 10 * i - 5}) == {0: i}
    for start in (0, 5, 123, 250, 299):
        records = consume(broker, name, 0, start)
        assert [r.offset for r in records] == list(range(start, 300))
        assert records[0].value == f"r{start}".encode() * 8


def test_kafka_python_offset_lookups(broker):
    name = create_topic(broker, partitions=2)
    produce_timestamped(broker, name, 0, 10, step_ms=1000, batch=5)
    c = kp_consumer(broker)
    try:
        tp0, tp1 = KpTopicPartition(name, 0), KpTopicPartition(name, 1)
        assert c.beginning_offsets([tp0, tp1]) == {tp0: 0, tp1: 0}
        assert c.end_offsets([tp0, tp1]) == {tp0: 10, tp1: 0}
        found = c.offsets_for_times({tp0: BASE_TS + 2500, tp1: BASE_TS})
        assert found[tp0].offset == 3 and found[tp0].timestamp == BASE_TS + 3000
        assert found[tp1] is None  # empty partition: no such record
        assert c.offsets_for_times({tp0: BASE_TS + 60_000})[tp0] is None
    finally:
        c.close()
