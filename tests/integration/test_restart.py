"""Durability across restarts: SIGTERM or kill -9, then start again on the same port and data
dir — every topic, partition count, config and acknowledged record is still there with the
same offsets; and a kill -9 in the middle of an acks=all load loses no acknowledged record."""
import threading
import time

import pytest
from confluent_kafka.admin import ConfigResource, NewPartitions

from helpers import (SMP_1_AND_2, admin, consume_all, create_topic, produce_ok, producer,
                     topic_metadata, wait_for_partitions, wait_until, watermarks)


def snapshot(broker, topics):
    """Everything a restart must keep: partitions, config overrides, records, watermarks."""
    state = {}
    for name in topics:
        partitions = len(topic_metadata(broker, name).partitions)
        futures = admin(broker).describe_configs([ConfigResource("topic", name)],
                                                 request_timeout=15)
        (entries,) = [f.result(timeout=15) for f in futures.values()]
        configs = {k: e.value for k, e in entries.items() if not e.is_default}
        state[name] = {
            "partitions": partitions,
            "configs": configs,
            "records": consume_all(broker, name, partitions),
            "watermarks": [watermarks(broker, name, p) for p in range(partitions)],
        }
    return state


def fill(broker):
    """Topics with overrides and records of every shape, acks=1 and acks=all."""
    a = create_topic(broker, partitions=3, config={"retention.ms": "86400000",
                                                   "cleanup.policy": "delete",
                                                   "max.message.bytes": "500000"})
    b = create_topic(broker, partitions=1, config={"segment.bytes": "2048"})
    grown = create_topic(broker, partitions=1)
    admin(broker).create_partitions([NewPartitions(grown, 3)])[grown].result(timeout=15)
    wait_for_partitions(broker, grown, 3)
    messages = [{"value": f"a{i}".encode() * (1 + i % 9), "key": f"k{i % 4}".encode(),
                 "partition": i % 3, "headers": [("n", str(i).encode())],
                 "timestamp": 1_700_000_000_000 + i} for i in range(150)]
    produce_ok(broker, a, messages[:100], acks="all", compression_type="lz4")
    produce_ok(broker, a, messages[100:], acks="1")
    produce_ok(broker, a, [{"value": None, "key": b"k1", "partition": 0}], acks="all")
    produce_ok(broker, b, [{"value": f"b{i}".encode() * 20} for i in range(200)], acks="all",
               linger_ms=0, batch_num_messages=5)
    produce_ok(broker, grown, [{"value": b"g", "partition": p} for p in range(3)], acks="all")
    deleted = create_topic(broker)
    admin(broker).delete_topics([deleted])[deleted].result(timeout=15)
    wait_until(lambda: topic_metadata(broker, deleted) is None, what="topic deletion")
    return [a, b, grown], deleted


@SMP_1_AND_2
@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_restart_keeps_topics_configs_and_records(broker, how):
    topics, deleted = fill(broker)
    before = snapshot(broker, topics)
    assert before[topics[0]]["watermarks"] == [(0, 51), (0, 50), (0, 50)]
    assert before[topics[1]]["watermarks"] == [(0, 200)]
    if how == "sigterm":
        assert broker.stop() == 0, "SIGTERM must shut down cleanly with exit code 0"
    else:
        broker.kill()
    broker.start()
    assert snapshot(broker, topics) == before
    assert topic_metadata(broker, deleted) is None, "a deleted topic came back after restart"
    # Appends continue at the old end.
    assert produce_ok(broker, topics[0], [{"value": b"after", "partition": 0}]) == [(0, 51)]
    # And a second restart still sees everything.
    assert broker.stop() == 0, "SIGTERM must shut down cleanly with exit code 0"
    broker.start()
    assert [r.value for r in consume_all(broker, topics[0], 3) if r.offset == 51] == [b"after"]


@SMP_1_AND_2
def test_kill9_during_acks_all_load_loses_no_acknowledged_record(broker):
    partitions = 4
    name = create_topic(broker, partitions=partitions)
    acked = {}  # value -> (partition, offset)
    failed = []
    lock = threading.Lock()

    def on_delivery(err, msg):
        with lock:
            if err is None:
                acked[msg.value()] = (msg.partition(), msg.offset())
            else:
                failed.append(err)

    p = producer(broker, acks="all", linger_ms=2, message_timeout_ms=3000,
                 socket_timeout_ms=1000, **{"queue.buffering.max.messages": 20000})
    sent = 0
    killed_at = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            p.produce(name, value=f"m{sent:08d}".encode(), partition=sent % partitions,
                      on_delivery=on_delivery)
            sent += 1
        except BufferError:
            p.poll(0.01)
        p.poll(0)
        with lock:
            n_acked = len(acked)
        if killed_at is None and n_acked >= 20000:
            broker.kill()
            killed_at = sent
        if killed_at is not None and sent >= killed_at + 2000:
            break
    assert killed_at is not None, f"only {len(acked)} records acknowledged within 60 s"
    p.flush(15)
    assert len(acked) >= 20000
    assert failed, "records sent after the kill must fail: the kill did not interrupt the load"
    broker.start()
    records = consume_all(broker, name, partitions, timeout_s=60)
    stored = {(r.partition, r.offset): r.value for r in records}
    lost = [(v, po) for v, po in acked.items() if stored.get(po) != v]
    assert not lost, (f"{len(lost)} of {len(acked)} acknowledged records lost or moved, "
                      f"e.g. {lost[:5]}")
    # Offsets stay dense: no holes in any partition.
    for part in range(partitions):
        offsets = [r.offset for r in records if r.partition == part]
        assert offsets == list(range(len(offsets)))
