"""Message formats v0 and v1 (issue 10): clients speaking Kafka 0.9 / 0.10 (librdkafka with
api.version.request=false and broker.version.fallback=0.9.0, kafka-python with api_version (0, 9)
or (0, 10, 0); librdkafka takes any fallback from 0.10 on as a reason to ask for ApiVersions) produce
magic 0/1 message sets with Produce v0-2, which the broker up-converts to v2 batches as Kafka 3.x
does (magic 1 timestamps kept, magic 0 ones absent), and fetch with Fetch v0-3, answered by
down-converting (zstd batches cannot be: UNSUPPORTED_COMPRESSION_TYPE). New clients read what old
ones wrote and the other way round; topic config message.format.version is accepted and
ignored with Kafka's warning."""
import time

import pytest
from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from helpers import consume, consumer, create_topic, kp_consume, kp_producer, poll_records, produce_ok

CODECS = ["none", "gzip", "snappy", "lz4"]
# librdkafka as a Kafka 0.9.0 client: message format v0, Produce v1, Fetch v1.
OLD_LIBRDKAFKA = {"api.version.request": False, "broker.version.fallback": "0.9.0"}
# kafka-python as a 0.10.0 client: message format v1 (timestamps), Produce v2, Fetch v2.
KAFKA_PYTHON_0_10 = (0, 10, 0)


def messages(tag, count, timestamp_ms=None):
    out = []
    for i in range(count):
        m = {"key": f"{tag}-k{i}".encode(), "value": f"{tag}-v{i}".encode() * 3}
        if timestamp_ms is not None:
            m["timestamp"] = timestamp_ms + i
        out.append(m)
    return out


def old_consume(broker, topic, count):
    c = consumer(broker, **OLD_LIBRDKAFKA)
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        return poll_records(c, count, [0])
    finally:
        c.close()


def kafka_python_codecs():
    """The codecs kafka-python can use here (snappy and lz4 need their Python modules)."""
    codecs = ["none", "gzip"]
    for codec, module in (("snappy", "snappy"), ("lz4", "lz4")):
        try:
            __import__(module)
            codecs.append(codec)
        except ImportError:
            pass
    return codecs


@pytest.mark.parametrize("codec", CODECS)
def test_librdkafka_speaking_message_format_v0_round_trips_through_the_v2_log(broker, codec):
    topic = create_topic(broker)
    sent = messages(f"m0-{codec}", 20)
    offsets = produce_ok(broker, topic, sent, **OLD_LIBRDKAFKA, **{"compression.codec": codec, "linger.ms": 20})
    assert [o for _, o in offsets] == list(range(20))

    # A current client reads the v2 batch: magic 0 messages have no timestamp.
    stored = consume(broker, topic, offset=OFFSET_BEGINNING)
    assert [(r.key, r.value) for r in stored] == [(m["key"], m["value"]) for m in sent]
    assert all(r.timestamp in (None, -1) for r in stored), [r.timestamp for r in stored][:3]
    # The old client reads them back through down-conversion, at the same offsets.
    old = old_consume(broker, topic, 20)
    assert [(r.offset, r.key, r.value) for r in old] == [(i, m["key"], m["value"]) for i, m in enumerate(sent)]


@pytest.mark.parametrize("codec", kafka_python_codecs())
def test_kafka_python_speaking_message_format_v1_keeps_timestamps(broker, codec):
    topic = create_topic(broker)
    ts = int(time.time() * 1000) - 60000
    p = kp_producer(broker, api_version=KAFKA_PYTHON_0_10, compression_type=None if codec == "none" else codec,
                    linger_ms=20)
    for i in range(20):
        p.send(topic, key=f"k{i}".encode(), value=f"v{i}".encode() * 3, partition=0, timestamp_ms=ts + i)
    p.flush(30)
    p.close()
    expected = [(i, f"k{i}".encode(), f"v{i}".encode() * 3, ts + i) for i in range(20)]
    current = consume(broker, topic, offset=OFFSET_BEGINNING)
    assert [(r.offset, r.key, r.value, r.timestamp) for r in current] == expected
    old = kp_consume(broker, topic, offset="beginning", count=20, api_version=KAFKA_PYTHON_0_10)
    assert [(r.offset, r.key, r.value, r.timestamp) for r in old] == expected


@pytest.mark.parametrize("codec", ["none", "lz4", "gzip"])
def test_old_clients_read_what_current_ones_write(broker, codec):
    topic = create_topic(broker)
    ts = int(time.time() * 1000) - 5000
    sent = messages(f"new-{codec}", 30, timestamp_ms=ts)
    produce_ok(broker, topic, sent, **{"compression.codec": codec, "linger.ms": 20})
    old = old_consume(broker, topic, 30)
    assert [(r.key, r.value) for r in old] == [(m["key"], m["value"]) for m in sent]
    v1 = kp_consume(broker, topic, offset="beginning", count=30, api_version=KAFKA_PYTHON_0_10)
    assert [(r.key, r.value, r.timestamp) for r in v1] == [(m["key"], m["value"], m["timestamp"]) for m in sent]


def test_zstd_batches_cannot_be_down_converted(broker):
    topic = create_topic(broker)
    produce_ok(broker, topic, messages("z", 5), **{"compression.codec": "zstd"})
    c = consumer(broker, **OLD_LIBRDKAFKA)
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            msg = c.poll(0.5)
            if msg is None:
                continue
            assert msg.error(), "a zstd record reached a message format v0 reader"
            if msg.error().code() != KafkaError._PARTITION_EOF:
                assert msg.error().code() == KafkaError.UNSUPPORTED_COMPRESSION_TYPE, msg.error()
                return
        pytest.fail("the old consumer was never told it cannot read zstd")
    finally:
        c.close()


@pytest.mark.parametrize("api_version", [(0, 9), KAFKA_PYTHON_0_10])
def test_kafka_python_with_an_old_api_version(broker, api_version):
    topic = create_topic(broker)
    p = kp_producer(broker, api_version=api_version, compression_type="gzip")
    for i in range(10):
        p.send(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=0)
    p.flush(30)
    p.close()
    old = kp_consume(broker, topic, offset="beginning", count=10, api_version=api_version)
    assert [(r.offset, r.key, r.value) for r in old] == [(i, f"k{i}".encode(), f"v{i}".encode()) for i in range(10)]
    current = consume(broker, topic, offset=OFFSET_BEGINNING)
    assert [r.value for r in current] == [f"v{i}".encode() for i in range(10)]


def test_message_format_version_is_accepted_and_ignored_with_a_warning(broker):
    topic = create_topic(broker, config={"message.format.version": "0.10.2"})
    produce_ok(broker, topic, messages("f", 3))
    assert [r.value for r in consume(broker, topic, offset=OFFSET_BEGINNING)] == [m["value"] for m in messages("f", 3)]
    assert "message.format.version=0.10.2 has no effect: it is ignored because the inter-broker protocol" in \
        broker.log_text()
