"""Produce validation over the wire: hand-built batches with valid CRCs that break one rule each,
sent in raw Produce v8 requests. Each test asserts the exact error code, record errors (KIP-467)
and message, and that a consumer afterwards reads every good record of the partition and
nothing of the bad batch."""
import gzip
import struct
import time

import lz4.frame
import pytest
import snappy
import zstandard
from kafka.record.util import calc_crc32c

from helpers import (INVALID_RECORD, INVALID_TIMESTAMP, Api, Array, WireConnection, consume,
                     create_topic, uvarint)

PRODUCE_VERSION = 8
PRODUCE = Api(0, 9, request=[
    ("transactional_id", "nstring", "3+"), ("acks", "int16"), ("timeout_ms", "int32"),
    ("topic_data", Array([("name", "string"),
                          ("partition_data", Array([("index", "int32"), ("records", "nbytes")]))])),
], response=[
    ("responses", Array([
        ("name", "string"),
        ("partition_responses", Array([
            ("index", "int32"), ("error_code", "int16"), ("base_offset", "int64"),
            ("log_append_time_ms", "int64", "2+"), ("log_start_offset", "int64", "5+"),
            ("record_errors", Array([("batch_index", "int32"),
                                     ("batch_index_error_message", "nstring")]), "8+"),
            ("error_message", "nstring", "8+"),
        ])),
    ])),
    ("throttle_time_ms", "int32", "1+"),
])

GZIP, SNAPPY, LZ4, ZSTD = 1, 2, 3, 4
COMPRESS = {
    0: lambda b: b,
    GZIP: gzip.compress,
    SNAPPY: snappy.compress,  # a raw snappy block, which Kafka's brokers accept too
    LZ4: lz4.frame.compress,
    ZSTD: lambda b: zstandard.ZstdCompressor().compress(b),
}


# ---------------------------------------------------------------- RecordBatch v2 by hand

def varint(n):
    return uvarint(((n << 1) ^ (n >> 63)) & 0xFFFFFFFFFFFFFFFF)


def nullable(b):
    return varint(-1) if b is None else varint(len(b)) + b


def record(offset_delta, timestamp_delta=0, key=b"k", value=b"v"):
    body = (b"\0" + varint(timestamp_delta) + varint(offset_delta) + nullable(key) + nullable(value)
            + varint(0))
    return varint(len(body)) + body


def records(values):
    """Keyed records at offset deltas 0..n-1 with timestamp deltas 0..n-1."""
    return b"".join(record(i, i, key=b"key-%d" % i, value=v) for i, v in enumerate(values))


def batch(record_bytes, count, codec=0, last_offset_delta=None, payload=None, base_ts=None):
    """A batch of `record_bytes` compressed with `codec` (or `payload` as given), valid CRC."""
    base_ts = int(time.time() * 1000) if base_ts is None else base_ts
    payload = COMPRESS[codec](record_bytes) if payload is None else payload
    last_offset_delta = count - 1 if last_offset_delta is None else last_offset_delta
    after_crc = struct.pack(">hiqqqhii", codec, last_offset_delta, base_ts, base_ts + max(count - 1, 0),
                            -1, -1, -1, count) + payload
    batch_length = 4 + 1 + 4 + len(after_crc)  # leader epoch, magic, crc, then the rest
    return struct.pack(">qiibI", 0, batch_length, -1, 2, calc_crc32c(after_crc)) + after_crc


def good_batch(values, codec=0):
    return batch(records(values), len(values), codec)


def produce(broker, topic, data):
    """One raw Produce request for partition 0; returns its partition response."""
    with WireConnection(broker) as conn:
        body = conn.call(PRODUCE, PRODUCE_VERSION, transactional_id=None, acks=1, timeout_ms=5000,
                         topic_data=[{"name": topic,
                                      "partition_data": [{"index": 0, "records": data}]}])
    return body["responses"][0]["partition_responses"][0]


def record_error_indexes(response):
    return [e["batch_index"] for e in response["record_errors"]]


# ---------------------------------------------------------------- the rules

def bomb():
    """zstd of a good record followed by 1 GiB of zeros, claiming that one record."""
    zeros = zstandard.ZstdCompressor().compress(bytes(1 << 20))
    return (zstandard.ZstdCompressor().compress(record(0)) + zeros * 1024)


def bad_record_length():
    good = record(1, key=b"kk", value=b"vvvv")
    return record(0) + varint(len(good) + 4) + good[1:]  # claims 4 bytes past the batch end


GARBAGE = bytes([0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66])

# name: (topic config, bad batch, error code, record error indexes, message start)
CASES = {
    "count_not_last_offset_delta_plus_one": (
        {}, batch(records([b"a", b"b", b"c"]), 3, last_offset_delta=4), INVALID_RECORD, [],
        "Inconsistent batch offset range [0, 4] and count of records 3 in topic partition "),
    "fewer_records_than_count": (
        {}, batch(records([b"a", b"b"]), 3), INVALID_RECORD, [],
        "Record batch declares 3 records but holds 2 in topic partition "),
    "record_length_past_the_end": (
        {}, batch(bad_record_length(), 2), INVALID_RECORD, [1],
        "Corrupt record at batch index 1: record length "),
    "record_length_too_short": (
        {}, batch(record(0) + varint(len(record(1)) - 2) + record(1)[1:], 2), INVALID_RECORD, [1],
        "Corrupt record at batch index 1: "),
    "trailing_bytes": (
        {}, batch(records([b"a", b"b"]) + b"\0", 2), INVALID_RECORD, [],
        "Record batch has bytes after its 2 records in topic partition "),
    "bad_varint": (
        {}, batch(record(0) + bytes([0x80] * 5 + [0x01]) + bytes(12), 2), INVALID_RECORD, [1],
        "Corrupt record at batch index 1: varint"),
    "offset_delta_gap": (
        {}, batch(record(0) + record(2) + record(3), 3), INVALID_RECORD, [1, 2],
        "One or more records have been rejected due to 2 record errors in total"),
    "offset_delta_gap_zstd": (
        {}, batch(record(0) + record(2) + record(3), 3, ZSTD), INVALID_RECORD, [1, 2],
        "One or more records have been rejected due to 2 record errors in total"),
    "null_key_on_compacted_topic": (
        {"cleanup.policy": "compact"}, batch(record(0) + record(1, key=None) + record(2), 3, LZ4),
        INVALID_RECORD, [1],
        "One or more records have been rejected due to 1 record errors in total, and only showing "
        "the first three errors at most: [RecordError(batchIndex=1, message='Compacted topic cannot "
        "accept message without key in topic partition "),
    "record_timestamp_out_of_range": (
        {"message.timestamp.before.max.ms": "3600000"},
        batch(record(0) + record(1, timestamp_delta=-7_200_000) + record(2, 2), 3, GZIP),
        INVALID_TIMESTAMP, [1], "One or more records have been rejected due to invalid timestamp"),
    "gzip_garbage": ({}, batch(b"", 2, GZIP, payload=GARBAGE), INVALID_RECORD, [0], "Corrupt record"),
    "snappy_garbage": ({}, batch(b"", 2, SNAPPY, payload=GARBAGE), INVALID_RECORD, [0], "Corrupt record"),
    "lz4_garbage": ({}, batch(b"", 2, LZ4, payload=GARBAGE), INVALID_RECORD, [0], "Corrupt record"),
    "zstd_garbage": ({}, batch(b"", 2, ZSTD, payload=GARBAGE), INVALID_RECORD, [0], "Corrupt record"),
    "zstd_bomb": (
        {}, batch(b"", 1, ZSTD, payload=bomb()), INVALID_RECORD, [],
        "Record batch has bytes after its 1 records in topic partition "),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_batch_is_refused_and_nothing_of_it_is_stored(broker, case):
    config, bad, code, indexes, message = CASES[case]
    topic = create_topic(broker, config=config)
    before = produce(broker, topic, good_batch([b"first", b"second"], LZ4))
    assert (before["error_code"], before["base_offset"]) == (0, 0)

    started = time.monotonic()
    response = produce(broker, topic, bad)
    elapsed_s = time.monotonic() - started
    assert response["error_code"] == code, response
    assert record_error_indexes(response) == indexes, response
    assert response["error_message"].startswith(message), response
    assert response["base_offset"] == -1
    if case == "zstd_bomb":
        assert elapsed_s < 2, f"the bomb took {elapsed_s:.2f} s to refuse"

    after = produce(broker, topic, good_batch([b"third"]))
    assert (after["error_code"], after["base_offset"]) == (0, 2)
    got = consume(broker, topic)
    assert [(r.offset, r.key, r.value) for r in got] == [
        (0, b"key-0", b"first"), (1, b"key-1", b"second"), (2, b"key-0", b"third")]


def test_every_record_error_names_its_record(broker):
    topic = create_topic(broker, config={"cleanup.policy": "compact,delete"})
    bad = batch(b"".join(record(i, key=None if i % 2 else b"k") for i in range(6)), 6, SNAPPY)
    response = produce(broker, topic, bad)
    assert response["error_code"] == INVALID_RECORD
    why = f"Compacted topic cannot accept message without key in topic partition {topic}-0"
    assert response["record_errors"] == [
        {"batch_index": i, "batch_index_error_message": why} for i in (1, 3, 5)]
    assert response["error_message"].startswith(
        "One or more records have been rejected due to 3 record errors in total")
    assert consume(broker, topic) == []


def test_good_batches_of_every_codec_are_stored_as_sent(broker):
    topic = create_topic(broker)
    for i, codec in enumerate(COMPRESS):
        response = produce(broker, topic, good_batch([b"v%d" % codec] * 3, codec))
        assert (response["error_code"], response["base_offset"]) == (0, 3 * i), response
        assert response["record_errors"] == []
    assert [r.value for r in consume(broker, topic)] == [b"v%d" % c for c in COMPRESS for _ in range(3)]
