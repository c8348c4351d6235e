"""DeleteRecords (issue 10): confluent-kafka's AdminClient.delete_records, `freshet topic trim`
and Apache Kafka's kafka-delete-records.sh (DeleteRecordsCommand) move the log start offset;
the low watermark shows it, reads before it reset, whole segments below it are deleted, and it
survives kill -9. Errors as Kafka gives them."""
import glob
import json
import os

import pytest
from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, TopicPartition

from helpers import (OP_TIMEOUT_S, admin, consume, consumer, create_topic, poll_records, produce_ok,
                     watermarks)
from kafka_tools import kafka_tool
from test_cli import cli, table


def fill(broker, topic, count, partition=0, one_by_one=False):
    messages = [{"value": f"r{i}".encode().ljust(100, b"."), "partition": partition} for i in range(count)]
    if one_by_one:
        for message in messages:
            produce_ok(broker, topic, [message], acks="all")
    else:
        produce_ok(broker, topic, messages, acks="all")


def delete_records(broker, partition_offsets):
    """confluent AdminClient.delete_records; {(topic, partition): low watermark or KafkaError}."""
    futures = admin(broker).delete_records([TopicPartition(t, p, o) for t, p, o in partition_offsets],
                                           request_timeout=OP_TIMEOUT_S)
    out = {}
    for tp, future in futures.items():
        try:
            out[(tp.topic, tp.partition)] = future.result(timeout=OP_TIMEOUT_S).low_watermark
        except KafkaException as e:
            out[(tp.topic, tp.partition)] = e.args[0]
    return out


def test_admin_client_delete_records_moves_the_low_watermark(broker):
    topic = create_topic(broker, partitions=2)
    fill(broker, topic, 10, partition=0)
    fill(broker, topic, 4, partition=1)
    answers = delete_records(broker, [(topic, 0, 6), (topic, 1, -1)])  # -1: the high watermark
    assert answers == {(topic, 0): 6, (topic, 1): 4}
    assert watermarks(broker, topic, 0) == (6, 10)
    assert watermarks(broker, topic, 1) == (4, 4)
    assert [r.offset for r in consume(broker, topic, 0, offset=OFFSET_BEGINNING)] == [6, 7, 8, 9]
    # Beginning means the log start now.
    c = consumer(broker, auto_offset_reset="earliest")
    try:
        c.assign([TopicPartition(topic, 0, 2)])  # out of range: reset to the earliest
        assert poll_records(c, 1, [0])[0].offset == 6
    finally:
        c.close()
    # The log start never moves back.
    assert delete_records(broker, [(topic, 0, 3)]) == {(topic, 0): 6}


def test_delete_records_errors(broker):
    topic = create_topic(broker)
    compacted = create_topic(broker, config={"cleanup.policy": "compact"})
    fill(broker, topic, 3)
    committer = consumer(broker, group_id=f"g-{topic}")  # creates __consumer_offsets
    committer.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)
    committer.close()
    answers = delete_records(broker, [(topic, 0, 4), (compacted, 0, 0), ("__consumer_offsets", 0, 0)])
    assert answers[(topic, 0)].code() == KafkaError.OFFSET_OUT_OF_RANGE
    assert answers[(compacted, 0)].code() == KafkaError.POLICY_VIOLATION
    assert answers[("__consumer_offsets", 0)].code() == KafkaError.TOPIC_EXCEPTION
    assert watermarks(broker, topic, 0) == (0, 3)


def test_freshet_topic_trim(broker):
    topic = create_topic(broker, partitions=2, config={"segment.bytes": "1024"})
    fill(broker, topic, 30, one_by_one=True)
    fill(broker, topic, 5, partition=1)
    segments = glob.glob(os.path.join(broker.data_dir, f"{topic}-0", "*.log"))
    assert len(segments) > 3
    out = cli(broker, "topic", "trim", topic, "-p", "0", "--before", "25")
    assert table(out.stdout) == [["PARTITION", "LOW-WATERMARK"], ["0", "25"]]
    # Whole segments below the new start are gone (after file.delete.delay.ms, renamed at once).
    left = glob.glob(os.path.join(broker.data_dir, f"{topic}-0", "*.log"))
    assert len(left) < len(segments)
    assert all(int(os.path.basename(f)[:20]) <= 25 for f in left)
    out = cli(broker, "topic", "trim", topic, "-p", "1", "--before", "end")
    assert table(out.stdout) == [["PARTITION", "LOW-WATERMARK"], ["1", "5"]]
    failed = cli(broker, "topic", "trim", topic, "-p", "0", "--before", "99", expect_rc=1)
    assert "OFFSET_OUT_OF_RANGE" in failed.stderr
    bad = cli(broker, "topic", "trim", topic, "-p", "0", "--before", "soon", expect_rc=1)
    assert "--before 'soon'" in bad.stderr


def test_kafka_delete_records_tool(broker, tmp_path):
    topic = create_topic(broker)
    fill(broker, topic, 8)
    offsets = tmp_path / "offsets.json"
    offsets.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": topic, "partition": 0, "offset": 5}]}))
    proc = kafka_tool(broker, "DeleteRecordsCommand", "--offset-json-file", str(offsets))
    assert f"partition: {topic}-0\tlow_watermark: 5" in proc.stdout, proc.stdout
    assert watermarks(broker, topic, 0) == (5, 8)


def test_the_log_start_survives_kill_9(broker):
    topic = create_topic(broker, config={"segment.bytes": "1024"})
    fill(broker, topic, 20, one_by_one=True)
    assert delete_records(broker, [(topic, 0, 13)]) == {(topic, 0): 13}
    broker.kill()
    broker.start()
    assert watermarks(broker, topic, 0) == (13, 20)
    assert [r.offset for r in consume(broker, topic, offset=OFFSET_BEGINNING)] == list(range(13, 20))
