"""Produce and fetch with confluent-kafka (librdkafka): acks, keys, headers, timestamps, null
values, every codec, reading from any offset via assign()+seek(). Each test runs against a
one-shard and a two-shard broker."""
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, TopicPartition

from helpers import (CODECS, SMP_1_AND_2, consume, consume_all, consumer, create_topic,
                     poll_records, produce_ok, wait_until, watermarks)

pytestmark = [SMP_1_AND_2, pytest.mark.librdkafka]


@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_produce_with_each_acks_to_several_partitions(broker, acks):
    name = create_topic(broker, partitions=3)
    messages = [{"value": f"value-{i}".encode(), "key": f"key-{i % 7}".encode() if i % 2 else None,
                 "partition": i % 3} for i in range(90)]
    delivered = produce_ok(broker, name, messages, acks=acks)
    records = consume_all(broker, name, 3)
    assert len(records) == 90
    for p in range(3):
        got = [(r.key, r.value) for r in records if r.partition == p]
        sent = [(m["key"], m["value"]) for m in messages if m["partition"] == p]
        assert got == sent
        assert [r.offset for r in records if r.partition == p] == list(range(30))
        assert watermarks(broker, name, p) == (0, 30)
    if acks != "0":  # acks=0 gets no offsets back
        assert sorted(delivered) == [(r.partition, r.offset) for r in records]


def test_keys_headers_timestamps_and_null_values(broker):
    name = create_topic(broker)
    base_ts = 1_600_000_000_000
    messages = [
        {"value": b"plain"},
        {"value": b"with-key", "key": b"k1"},
        {"value": None, "key": b"k1"},  # tombstone
        {"value": b"", "key": b""},  # empty, not null
        {"value": b"hdrs", "headers": [("h1", b"v1"), ("h1", b"v1-again"), ("empty", b""),
                                       ("null", None)]},
        {"value": b"ts", "timestamp": base_ts},
        {"value": b"\x00\xff binary \x01", "key": b"\xfe\x00", "timestamp": base_ts + 5,
         "headers": [("bin", b"\x00\x01\x02")]},
    ]
    before_ms = int(time.time() * 1000)
    offsets = produce_ok(broker, name, messages, acks="all")
    after_ms = int(time.time() * 1000)
    assert offsets == [(0, i) for i in range(len(messages))]
    records = consume(broker, name, 0, 0)
    assert [r.offset for r in records] == list(range(len(messages)))
    assert [r.value for r in records] == [m.get("value") for m in messages]
    assert [r.key for r in records] == [m.get("key") for m in messages]
    assert records[4].headers == (("h1", b"v1"), ("h1", b"v1-again"), ("empty", b""),
                                  ("null", None))
    assert records[6].headers == (("bin", b"\x00\x01\x02"),)
    assert all(r.headers == () for i, r in enumerate(records) if i not in (4, 6))
    assert records[5].timestamp == base_ts and records[6].timestamp == base_ts + 5
    for r in records[:5]:  # client-assigned CreateTime
        assert not r.log_append_time
        assert before_ms - 1000 <= r.timestamp <= after_ms + 1000


@pytest.mark.parametrize("codec", CODECS)
def test_each_compression_codec(broker, codec):
    name = create_topic(broker, partitions=2)
    messages = [{"value": (f"record {i} " * (1 + i % 20)).encode(), "key": str(i).encode(),
                 "partition": i % 2, "headers": [("i", str(i).encode())]} for i in range(400)]
    delivered = produce_ok(broker, name, messages, acks="all", compression_type=codec,
                           linger_ms=50, batch_num_messages=100)
    records = consume_all(broker, name, 2)
    assert len(records) == 400
    by_key = {r.key: r for r in records}
    for m, (partition, offset) in zip(messages, delivered):
        r = by_key[m["key"]]
        assert (r.partition, r.offset, r.value) == (partition, offset, m["value"])
        assert r.headers == (("i", m["key"]),)
    for p in range(2):
        assert [r.offset for r in records if r.partition == p] == list(range(200))


def test_fetch_from_any_offset_and_seek_back(broker):
    name = create_topic(broker)
    produce_ok(broker, name, [{"value": f"v{i}".encode()} for i in range(100)], linger_ms=20)
    assert [r.offset for r in consume(broker, name, 0, 37)] == list(range(37, 100))
    assert [r.value for r in consume(broker, name, 0, 99)] == [b"v99"]
    assert [r.offset for r in consume(broker, name, 0, OFFSET_BEGINNING, count=3)] == [0, 1, 2]

    c = consumer(broker)
    try:
        c.assign([TopicPartition(name, 0, 10)])
        first = poll_records(c, 5, [0])
        assert [r.offset for r in first][:5] == [10, 11, 12, 13, 14]
        wait_until(lambda: c.seek(TopicPartition(name, 0, 3)) or True, what="seek")
        # librdkafka drops records fetched before the seek, so reading resumes at offset 3.
        assert [r.offset for r in poll_records(c, 3, [0])] == [3, 4, 5]
    finally:
        c.close()


def test_consume_from_end_gets_only_new_records(broker):
    name = create_topic(broker)
    produce_ok(broker, name, [{"value": b"old"}])
    c = consumer(broker)
    try:
        c.assign([TopicPartition(name, 0, OFFSET_END)])
        poll_records(c, 0, [0], until_eof=True)  # at the end: EOF, no records
        produce_ok(broker, name, [{"value": b"new1"}, {"value": b"new2"}])
        records = poll_records(c, 2, [0])
        assert [(r.offset, r.value) for r in records] == [(1, b"new1"), (2, b"new2")]
    finally:
        c.close()


def test_long_poll_fetch_is_woken_by_new_data(broker):
    name = create_topic(broker)
    c = consumer(broker, fetch_wait_max_ms=2500)
    try:
        c.assign([TopicPartition(name, 0, 0)])
        poll_records(c, 0, [0], until_eof=True)
        started = time.monotonic()
        produce_ok(broker, name, [{"value": b"wake"}], acks="1")
        (r,) = poll_records(c, 1, [0], timeout_s=10)
        assert r.value == b"wake"
        assert time.monotonic() - started < 1.5, "fetch waited for max.wait instead of data"
    finally:
        c.close()


def test_many_partitions_interleaved(broker):
    name = create_topic(broker, partitions=8)
    messages = [{"value": f"{i}".encode(), "partition": (i * 5) % 8} for i in range(800)]
    produce_ok(broker, name, messages, acks="all", linger_ms=10)
    records = consume_all(broker, name, 8)
    for p in range(8):
        got = [r.value for r in records if r.partition == p]
        assert got == [m["value"] for m in messages if m["partition"] == p]


def test_large_records(broker):
    name = create_topic(broker, config={"max.message.bytes": str(4 * 1024 * 1024)})
    big = bytes(range(256)) * 4096  # 1 MiB
    produce_ok(broker, name, [{"value": big}, {"value": big[::-1]}], acks="all",
               message_max_bytes=8 * 1024 * 1024)
    records = consume(broker, name, 0, 0)
    assert [r.value for r in records] == [big, big[::-1]]


def test_log_append_time_topic(broker):
    name = create_topic(broker, config={"message.timestamp.type": "LogAppendTime"})
    before_ms = int(time.time() * 1000)
    produce_ok(broker, name, [{"value": b"a", "timestamp": 1_000_000_000_000}], acks="all")
    after_ms = int(time.time() * 1000)
    (r,) = consume(broker, name, 0, 0)
    assert r.log_append_time
    assert before_ms - 1000 <= r.timestamp <= after_ms + 1000


@pytest.mark.parametrize("topic_codec,producer_codec", [("gzip", "none"), ("zstd", "lz4"),
                                                        ("uncompressed", "snappy")])
def test_topic_compression_type_recompresses(broker, topic_codec, producer_codec):
    name = create_topic(broker, config={"compression.type": topic_codec})
    messages = [{"value": f"r{i}".encode() * 50, "key": str(i).encode()} for i in range(50)]
    produce_ok(broker, name, messages, acks="all", compression_type=producer_codec,
               linger_ms=20)
    records = consume(broker, name, 0, 0)
    assert [(r.offset, r.key, r.value) for r in records] == \
        [(i, m["key"], m["value"]) for i, m in enumerate(messages)]
