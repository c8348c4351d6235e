"""A full disk (issue 10): the broker's log dir is a small tmpfs the test mounts (root only).
Once a balloon file takes the free space, produce gets KAFKA_STORAGE_ERROR (a retriable error:
clients back off and retry), fetches of stored data keep working, the broker neither exits nor
takes the dir offline, and nothing stored is damaged. When the balloon goes, produce resumes by
itself: an idempotent producer that was retrying gets every record in exactly once, and the
log reads back whole after a restart; partitions that could not be created while the disk was
full (those of __consumer_offsets) are created once it is not, and groups work."""
import os
import subprocess
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

from freshet_broker import Broker
from helpers import consume, create_topic, produce_ok, rdkafka_conf, raw_produce, record_batch, wait_until

DISK_BYTES = 48 << 20
KAFKA_STORAGE_ERROR = 56


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(path):
    """Writes zeros to `path` until the file system has no byte left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


def commit_works(consumer, topic):
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, 7)], asynchronous=False)
    except KafkaException:
        return False
    return consumer.committed([TopicPartition(topic, 0)], timeout=5)[0].offset == 7


@pytest.fixture
def disk_broker(small_disk, tmp_path):
    # Partitions that could not be created on the full disk are tried again every 200 ms.
    b = Broker(str(tmp_path), data_dir=str(small_disk / "data"),
               settings={"log.flush.offset.checkpoint.interval.ms": 200})
    b.start()
    yield b
    crashed = b.crashed()
    b.close()
    assert not crashed, f"the broker died on a full disk:\n{b.log_tail()}"


def test_a_full_disk_fails_produce_retriably_and_produce_resumes_when_space_returns(disk_broker, small_disk):
    broker = disk_broker
    topic = create_topic(broker, partitions=1, config={"segment.bytes": str(1 << 20)})
    before = produce_ok(broker, topic, [{"value": f"before-{i}".encode().ljust(1000, b".")} for i in range(2000)],
                        acks="all")
    balloon = small_disk / "balloon"
    fill(balloon)

    # What still fits the disk blocks the segment reserved ahead of its end is written; after
    # that, produce gets KAFKA_STORAGE_ERROR.
    batch = record_batch([(None, b"x" * 1000, [])])
    wait_until(lambda: raw_produce(broker, {(topic, 0): batch}, acks=-1)[(topic, 0)][0] == KAFKA_STORAGE_ERROR,
               timeout_s=60, interval_s=0, what="produce refused with KAFKA_STORAGE_ERROR")
    assert "No space left on device" in broker.log_text()
    # Reads of what is stored go on.
    stored = consume(broker, topic, offset=OFFSET_BEGINNING)
    assert [r.offset for r in stored[:len(before)]] == [o for _, o in before]

    # An idempotent producer retries through it ...
    delivered, failed = [], []
    p = Producer(rdkafka_conf(broker, **{"enable.idempotence": True, "message.timeout.ms": 120000,
                                         "retry.backoff.max.ms": 500}))

    def report(err, msg):
        (failed if err else delivered).append(err or msg.offset())

    tag = uuid.uuid4().hex[:8]
    for i in range(500):
        p.produce(topic, value=f"{tag}-{i}".encode(), on_delivery=report)
    p.poll(2)
    assert not delivered, "records were written to a full disk?"
    # ... and gets through once space is back.
    os.remove(balloon)
    assert p.flush(60) == 0
    assert not failed, failed[:3]
    assert len(delivered) == 500

    # __consumer_offsets was created while the disk was full (the consumers above looked for
    # their coordinator): its partitions open now, and groups work.
    c = Consumer(rdkafka_conf(broker, **{"group.id": f"g-{tag}", "enable.auto.commit": False}))
    try:
        wait_until(lambda: commit_works(c, topic), timeout_s=30, interval_s=0.2, what="a group commit")
    finally:
        c.close()

    broker.restart()
    values = [r.value for r in consume(broker, topic, offset=OFFSET_BEGINNING)]
    assert values[:len(before)] == [f"before-{i}".encode().ljust(1000, b".") for i in range(2000)]
    mine = [v for v in values if v.startswith(tag.encode())]
    assert mine == [f"{tag}-{i}".encode() for i in range(500)], "lost, duplicated or reordered records"
