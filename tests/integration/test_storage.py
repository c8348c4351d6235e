"""Kafka's on-disk layout, and start-up recovery of a torn write at the tail of the log."""
import os
import re

import pytest

from helpers import (SMP_1_AND_2, consume, create_topic, data_files, offsets_for_times, produce_ok,
                     watermarks)

SEGMENT_NAME = re.compile(r"^(\d{20})\.(log|index|timeindex)$")


def partition_files(broker, topic, partition):
    prefix = f"{topic}-{partition}/"
    return [f[len(prefix):] for f in data_files(broker) if f.startswith(prefix)]


def segments(broker, topic, partition):
    """Base offsets of the partition's segments, from the .log file names, ascending."""
    names = partition_files(broker, topic, partition)
    return sorted(int(m.group(1)) for m in map(SEGMENT_NAME.match, names)
                  if m and m.group(2) == "log")


def test_kafka_layout(broker):
    name = create_topic(broker, partitions=2, config={"segment.bytes": "2048"})
    produce_ok(broker, name, [{"value": b"v" * 100, "partition": 1} for _ in range(60)],
               acks="all", linger_ms=0, batch_num_messages=3)
    files = partition_files(broker, name, 1)
    assert "partition.metadata" in files and "leader-epoch-checkpoint" in files
    bases = segments(broker, name, 1)
    assert len(bases) >= 3 and bases[0] == 0
    for base in bases:
        for ext in ("log", "index", "timeindex"):
            assert f"{base:020d}.{ext}" in files
    offsets = [r.offset for r in consume(broker, name, 1, 0)]
    assert offsets == list(range(60))
    assert set(bases) <= set(offsets), "segments are named by the base offset of their first batch"
    with open(os.path.join(broker.data_dir, f"{name}-1", "partition.metadata")) as f:
        metadata = f.read()
    assert "version: 0" in metadata and re.search(r"topic_id: \S{22}", metadata)
    assert segments(broker, name, 0) == [0]


def torn_tail(valid_log_bytes):
    """Byte strings that a crash can leave after the last complete batch."""
    first_batch_size = 12 + int.from_bytes(valid_log_bytes[8:12], "big")
    return {
        "half_batch": valid_log_bytes[:first_batch_size // 2],
        "header_only": valid_log_bytes[:20],
        "zeros": b"\x00" * 300,
        "garbage": bytes(range(256)) * 2,
    }


@SMP_1_AND_2
@pytest.mark.parametrize("tail", ["half_batch", "header_only", "zeros", "garbage"])
def test_recovery_truncates_a_torn_tail(broker, tail):
    name = create_topic(broker)
    produce_ok(broker, name, [{"value": f"r{i}".encode() * 10, "key": b"k"} for i in range(40)],
               acks="all", linger_ms=0, batch_num_messages=4)
    broker.kill()
    log_path = os.path.join(broker.data_dir, f"{name}-0", f"{segments(broker, name, 0)[-1]:020d}.log")
    with open(log_path, "rb") as f:
        valid = f.read()
    with open(log_path, "ab") as f:
        f.write(torn_tail(valid)[tail])
    broker.start()
    assert watermarks(broker, name, 0) == (0, 40)
    records = consume(broker, name, 0, 0)
    assert [(r.offset, r.value) for r in records] == \
        [(i, f"r{i}".encode() * 10) for i in range(40)]
    assert produce_ok(broker, name, [{"value": b"after"}], acks="all") == [(0, 40)]
    assert [r.value for r in consume(broker, name, 0, 40)] == [b"after"]
    with open(log_path, "rb") as f:
        assert f.read(len(valid)) == valid, "the valid prefix must be untouched"


def damage(path, how):
    """Damages one file the way a failing disk or an interrupted write may."""
    with open(path, "rb") as f:
        data = f.read()
    if how == "cut":
        data = data[:max(len(data) - 7, 0)]
    elif how == "flip":
        data = data[:len(data) - 5] + bytes([data[-5] ^ 0xFF]) + data[len(data) - 4:]
    elif how == "garbage":
        data = bytes((i * 37 + 11) % 256 for i in range(len(data) or 64))
    elif how == "empty":
        data = b""
    with open(path, "wb") as f:
        f.write(data)


# (file, damage, whether the last batch of the damaged segment is lost)
DAMAGES = [
    ("log", "cut", True), ("log", "flip", True),
    ("index", "cut", False), ("index", "garbage", False), ("index", "empty", False),
    ("timeindex", "cut", False), ("timeindex", "garbage", False),
    ("snapshot", "garbage", False), ("snapshot", "cut", False),
]


@pytest.mark.parametrize("kind,how,loses_last_batch", DAMAGES, ids=[f"{k}-{h}" for k, h, _ in DAMAGES])
def test_recovery_repairs_damaged_segment_index_and_snapshot_files(broker, kind, how, loses_last_batch):
    """The .log, .index, .timeindex or .snapshot of a sealed segment (or the newest snapshot) is
    cut, garbled or emptied after a kill -9: the broker starts, rebuilds what it needs, serves
    every batch that is still whole at its offset (lookups by offset and timestamp included),
    and appends after the last one."""
    name = create_topic(broker, config={"segment.bytes": "4096", "index.interval.bytes": "256"})
    ts = 1_700_000_000_000
    produce_ok(broker, name, [{"value": f"r{i}".encode() * 20, "key": b"k", "timestamp": ts + i} for i in range(120)],
               acks="all", linger_ms=0, batch_num_messages=4, **{"enable.idempotence": True})
    broker.kill()
    bases = segments(broker, name, 0)
    assert len(bases) >= 3
    directory = os.path.join(broker.data_dir, f"{name}-0")
    if kind == "snapshot":
        snapshots = sorted(f for f in os.listdir(directory) if f.endswith(".snapshot"))
        assert snapshots, "no producer snapshot was written at a roll"
        path = os.path.join(directory, snapshots[-1])
    else:
        path = os.path.join(directory, f"{bases[1]:020d}.{kind}")
    damage(path, how)
    broker.start()

    records = consume(broker, name, 0, 0)
    offsets = [r.offset for r in records]
    if loses_last_batch:
        # Recovery cuts the damaged segment at its last whole batch and drops the segments
        # after it (as Kafka does): a prefix of the records survives, nothing is invented.
        assert offsets == list(range(len(offsets))) and len(offsets) < 120
    else:
        assert offsets == list(range(120))
    assert all(r.value == f"r{r.offset}".encode() * 20 for r in records)
    # Lookups from the middle of the damaged segment still land right.
    middle = bases[1] + 2
    if middle < len(offsets):
        assert consume(broker, name, 0, middle, count=1)[0].offset == middle
        found = offsets_for_times(broker, name, {0: ts + middle})
        assert found[0] == middle
    end = watermarks(broker, name, 0)[1]
    assert produce_ok(broker, name, [{"value": b"after"}], acks="all") == [(0, end)]
