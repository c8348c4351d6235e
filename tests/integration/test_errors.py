"""Kafka error codes that users meet: unknown topic, record too large, replication factor and
min.insync.replicas above one broker, corrupt or old-format batches, bad timestamps,
out-of-range fetches — each checked through a real client and, where the client hides the
code, through the exact Produce response (kafka-python's protocol codec)."""
import pytest
from confluent_kafka import KafkaError, TopicPartition

from helpers import (CORRUPT_MESSAGE, INVALID_RECORD, INVALID_TIMESTAMP, MESSAGE_TOO_LARGE, NOT_ENOUGH_REPLICAS,
                     UNKNOWN_TOPIC_OR_PARTITION, consume, consumer, create_topic, kcat,
                     produce, produce_ok, raw_produce, record_batch, topic_metadata,
                     unique_topic, wait_until, watermarks)

NO_AUTO_CREATE = {"settings": {"auto.create.topics.enable": "false"}}


def error_code(err):
    """The code of a delivery report's error; fails on a delivered record."""
    assert err is not None, "the record was delivered"
    return err.code()


@pytest.mark.parametrize("broker", [NO_AUTO_CREATE], indirect=True)
def test_produce_to_unknown_topic_without_auto_create(broker):
    name = unique_topic()
    result = raw_produce(broker, {(name, 0): record_batch([(b"k", b"v", [])])})
    assert result[(name, 0)][0] == UNKNOWN_TOPIC_OR_PARTITION
    reports = produce(broker, name, [{"value": b"v"}],
                      **{"topic.metadata.propagation.max.ms": 1000, "message.timeout.ms": 5000})
    assert error_code(reports[0][0]) == KafkaError.UNKNOWN_TOPIC_OR_PART
    proc = kcat(broker, "-P", "-t", name, "-X", "topic.metadata.propagation.max.ms=1000",
                "-X", "message.timeout.ms=5000", input="x\n", check=False)
    assert proc.returncode == 1, proc.stderr
    assert "Broker: Unknown topic or partition" in proc.stderr  # librdkafka's text for code 3
    assert topic_metadata(broker, name) is None, "a failed produce must not create the topic"


def test_bad_partition_fails_alone(broker):
    name = create_topic(broker, partitions=2)
    result = raw_produce(broker, {(name, 1): record_batch([(None, b"good", [])]),
                                  (name, 7): record_batch([(None, b"bad", [])])})
    assert result[(name, 7)][0] == UNKNOWN_TOPIC_OR_PARTITION
    assert result[(name, 1)] == (0, 0)
    assert [r.value for r in consume(broker, name, 1, 0)] == [b"good"]


def test_record_larger_than_max_message_bytes(broker):
    name = create_topic(broker, partitions=2, config={"max.message.bytes": "1024"})
    reports = produce(broker, name, [{"value": b"x" * 4000, "partition": 0}], acks="all",
                      retries=0)
    assert error_code(reports[0][0]) == KafkaError.MSG_SIZE_TOO_LARGE
    result = raw_produce(broker, {(name, 0): record_batch([(None, b"y" * 4000, [])]),
                                  (name, 1): record_batch([(None, b"small", [])])})
    assert result[(name, 0)][0] == MESSAGE_TOO_LARGE
    assert result[(name, 1)] == (0, 0)
    assert produce_ok(broker, name, [{"value": b"z" * 500, "partition": 0}]) == [(0, 0)]
    assert watermarks(broker, name, 0) == (0, 1)


def test_min_insync_replicas_above_one_broker_refuses_acks_all(broker):
    name = create_topic(broker, config={"min.insync.replicas": "2"})
    reports = produce(broker, name, [{"value": b"v"}], acks="all", retries=0)
    assert error_code(reports[0][0]) == KafkaError.NOT_ENOUGH_REPLICAS
    result = raw_produce(broker, {(name, 0): record_batch([(None, b"v", [])])}, acks=-1)
    assert result[(name, 0)][0] == NOT_ENOUGH_REPLICAS
    # acks=1 does not wait for replicas and succeeds.
    assert produce_ok(broker, name, [{"value": b"one"}], acks="1") == [(0, 0)]
    assert [r.value for r in consume(broker, name, 0, 0)] == [b"one"]


@pytest.mark.parametrize("broker", [{"settings": {"min.insync.replicas": "2"}}], indirect=True)
def test_broker_level_min_insync_replicas(broker):
    name = create_topic(broker)
    result = raw_produce(broker, {(name, 0): record_batch([(None, b"v", [])])}, acks=-1)
    assert result[(name, 0)][0] == NOT_ENOUGH_REPLICAS


def test_corrupt_batch_is_refused(broker):
    name = create_topic(broker, partitions=2)
    batch = bytearray(record_batch([(b"k", b"some value", [])]))
    batch[-3] ^= 0xFF  # inside the records: the CRC no longer matches
    result = raw_produce(broker, {(name, 0): bytes(batch),
                                  (name, 1): record_batch([(None, b"fine", [])])})
    assert result[(name, 0)][0] == CORRUPT_MESSAGE
    assert result[(name, 1)] == (0, 0)
    assert watermarks(broker, name, 0) == (0, 0)


@pytest.mark.parametrize("magic", [0, 1])
def test_old_message_format_is_refused(broker, magic):
    name = create_topic(broker)
    old = record_batch([(b"k", b"v", [])], magic=magic)
    result = raw_produce(broker, {(name, 0): old}, version=3)
    assert result[(name, 0)][0] == INVALID_RECORD, "magic 0/1 message sets are not stored"
    assert watermarks(broker, name, 0) == (0, 0)


def test_timestamp_outside_allowed_range_is_refused(broker):
    name = create_topic(broker, config={"message.timestamp.before.max.ms": "3600000"})
    reports = produce(broker, name, [{"value": b"old", "timestamp": 1_000_000_000_000}],
                      retries=0)
    assert error_code(reports[0][0]) == INVALID_TIMESTAMP
    assert produce_ok(broker, name, [{"value": b"now"}]) == [(0, 0)]


def test_fetch_beyond_the_end_is_offset_out_of_range(broker):
    name = create_topic(broker)
    produce_ok(broker, name, [{"value": b"v"}] * 3)
    c = consumer(broker)  # auto.offset.reset=error
    try:
        c.assign([TopicPartition(name, 0, 1000)])

        def polled_error():
            msg = c.poll(0.2)
            return msg is not None and msg.error()
        err = wait_until(polled_error, timeout_s=10, what="a consumer error")
        # librdkafka reports the broker's OFFSET_OUT_OF_RANGE (1) as an auto-reset failure
        # carrying the broker's error text; the raw code is checked in test_fetch_protocol.
        assert err.code() == KafkaError._AUTO_OFFSET_RESET, err
        assert "Broker: Offset out of range" in err.str(), err
    finally:
        c.close()
