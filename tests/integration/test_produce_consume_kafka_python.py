"""Produce and fetch with kafka-python 2.0.2: acks, keys, headers, timestamps, null values,
every codec, assign()+seek() without a group. Each test runs with one and two shards."""
import pytest
from kafka import TopicPartition
from kafka.errors import OffsetOutOfRangeError

from helpers import (CODECS, SMP_1_AND_2, consume, create_topic, kp_consume, kp_consumer,
                     kp_poll, kp_producer, produce_ok, watermarks)

pytestmark = SMP_1_AND_2


def kp_send_all(broker, topic, messages, **producer_conf):
    """Sends every message (dicts of KafkaProducer.send kwargs); returns RecordMetadata list."""
    p = kp_producer(broker, **producer_conf)
    try:
        futures = [p.send(topic, **m) for m in messages]
        p.flush(timeout=15)
        return [f.get(timeout=15) for f in futures]
    finally:
        p.close(timeout=5)


@pytest.mark.parametrize("acks", [0, 1, "all"])
def test_produce_with_each_acks(broker, acks):
    name = create_topic(broker, partitions=2)
    messages = [{"value": f"v{i}".encode(), "key": f"k{i}".encode() if i % 3 else None,
                 "partition": i % 2} for i in range(60)]
    metadata = kp_send_all(broker, name, messages, acks=acks)
    if acks != 0:
        assert sorted((m.partition, m.offset) for m in metadata) == \
            [(p, o) for p in range(2) for o in range(30)]
    for p in range(2):
        records = kp_consume(broker, name, p, 0, count=30)
        assert [(r.offset, r.key, r.value) for r in records] == \
            [(i, m["key"], m["value"]) for i, m in
             enumerate(m for m in messages if m["partition"] == p)]
        assert watermarks(broker, name, p) == (0, 30)


def test_keys_headers_timestamps_and_null_values(broker):
    name = create_topic(broker)
    messages = [
        {"value": b"a", "key": b"k"},
        {"value": None, "key": b"k"},  # tombstone
        {"value": b"h", "headers": [("x", b"1"), ("y", b""), ("x", b"2")]},
        {"value": b"t", "timestamp_ms": 1_500_000_000_123},
    ]
    metadata = kp_send_all(broker, name, messages, acks="all")
    assert [m.offset for m in metadata] == [0, 1, 2, 3]
    for reader in (lambda: kp_consume(broker, name, 0, "beginning", count=4),
                   lambda: consume(broker, name, 0, 0)):
        records = reader()
        assert [(r.key, r.value) for r in records] == \
            [(m.get("key"), m["value"]) for m in messages]
        assert records[2].headers == (("x", b"1"), ("y", b""), ("x", b"2"))
        assert records[3].timestamp == 1_500_000_000_123
        assert not any(r.log_append_time for r in records)


@pytest.mark.parametrize("codec", CODECS)
def test_each_compression_codec(broker, codec):
    name = create_topic(broker)
    messages = [{"value": (f"payload {i} " * 30).encode(), "key": str(i).encode()}
                for i in range(300)]
    kp_send_all(broker, name, messages, acks=1,
                compression_type=None if codec == "none" else codec, linger_ms=50)
    records = kp_consume(broker, name, 0, 0, count=300)
    assert [(r.offset, r.key, r.value) for r in records] == \
        [(i, m["key"], m["value"]) for i, m in enumerate(messages)]
    # librdkafka reads what kafka-python compressed.
    assert [r.value for r in consume(broker, name, 0, 250)] == [m["value"] for m in messages[250:]]


def test_assign_and_seek_anywhere(broker):
    name = create_topic(broker)
    produce_ok(broker, name, [{"value": f"v{i}".encode()} for i in range(50)], linger_ms=20)
    assert [r.offset for r in kp_consume(broker, name, 0, 42, count=8)] == list(range(42, 50))
    assert [r.value for r in kp_consume(broker, name, 0, "beginning", count=2)] == [b"v0", b"v1"]
    c = kp_consumer(broker)
    try:
        tp = TopicPartition(name, 0)
        c.assign([tp])
        c.seek_to_end(tp)
        assert c.position(tp) == 50
        produce_ok(broker, name, [{"value": b"later"}])
        assert [(r.offset, r.value) for r in kp_poll(c, 1)] == [(50, b"later")]
        c.seek(tp, 7)
        assert [r.offset for r in kp_poll(c, 2)][:2] == [7, 8]
    finally:
        c.close()


def test_offset_out_of_range_is_reported(broker):
    name = create_topic(broker)
    produce_ok(broker, name, [{"value": b"only"}])
    c = kp_consumer(broker, auto_offset_reset="none")
    try:
        tp = TopicPartition(name, 0)
        c.assign([tp])
        c.seek(tp, 1000)
        with pytest.raises(OffsetOutOfRangeError):
            for _ in range(50):
                c.poll(timeout_ms=200)
    finally:
        c.close()
