"""Power loss under load, which kill -9 cannot show (the page cache outlives a killed process).

The broker's log.dirs is a tools/lazyfs mount; mid-load the file system "loses power" (only
fsynced data and fsynced directory entries stay in its backing dir) and the broker is killed
at the same moment; the broker then restarts on the backing dir. Every record acknowledged
with acks=all must be there at its offset, and the topic (the metadata log lives in the same
dir) with it. acks=1 promises nothing, but what survives must be, per partition, a dense
prefix of the log - whole, CRC-valid batches holding what was acknowledged at those offsets -
and it must reach at least the last offset an acks=all producer had acknowledged."""
import re
import threading
import time

import pytest

from freshet_broker import Broker
from helpers import (consumer, create_topic, poll_records, producer, topic_metadata, unique_topic,
                     wait_until)
from lazyfs_mount import LazyFsMount, skip_reason
from confluent_kafka import TopicPartition

PARTITIONS = 4
LOAD_TIMEOUT_S = 20
# Small segments, so that the load rolls segments (new files, directory fsyncs) many times.
BROKER_SETTINGS = {"log.segment.bytes": 64 * 1024, "num.partitions": PARTITIONS}
# What start-up recovery logs about the files it finds (storage/segment.cc, partition_log_open.cc).
RECOVERY_LINE = re.compile(r"dropping .* bytes|rebuilding the indexes|removing .* segments|"
                           r"removing stray|not in the cluster metadata|\[error\]|\[critical\]")


@pytest.fixture
def powered(request, tmp_path):
    """(LazyFsMount, Broker) with log.dirs on the mount; unmounts and kills at teardown."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    fs = LazyFsMount(str(tmp_path / "fs")).mount()
    broker = Broker(str(tmp_path), settings=BROKER_SETTINGS, smp=2, data_dir=fs.mountpoint)
    request.node.freshet_brokers = [broker]  # conftest attaches the log to a failing report
    try:
        broker.start()
        yield fs, broker
    finally:
        broker.close()
        fs.unmount()


class Load:
    """Producers writing distinct values `<producer>-<seq>` round-robin over the partitions
    from a background thread, as fast as their queues take them, `per_round` records each
    per round; delivery reports are recorded per producer as value -> (partition, offset)."""

    def __init__(self, broker, topic, producers):
        self.topic = topic
        self.per_round = {name: per_round for name, (_, per_round) in producers.items()}
        self.lock = threading.Lock()
        self.acked = {name: {} for name in producers}
        self.failed = {name: 0 for name in producers}
        self.sent = {name: 0 for name in producers}
        self.producers = {
            name: producer(broker, acks=acks, linger_ms=2, message_timeout_ms=3000,
                           socket_timeout_ms=1000, batch_num_messages=200,
                           **{"queue.buffering.max.messages": 20000})
            for name, (acks, _) in producers.items()}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def on_delivery(self, name):
        def report(err, msg):
            with self.lock:
                if err is None:
                    self.acked[name][msg.value()] = (msg.partition(), msg.offset())
                else:
                    self.failed[name] += 1
        return report

    def run(self):
        while not self.stopping.is_set():
            for name, p in self.producers.items():
                for _ in range(self.per_round[name]):
                    seq = self.sent[name]
                    try:
                        p.produce(self.topic, value=f"{name}-{seq:08d}".encode(),
                                  partition=seq % PARTITIONS, on_delivery=self.on_delivery(name))
                        self.sent[name] += 1
                    except BufferError:  # queue full: the broker is behind, as wanted
                        p.poll(0.005)
                        break
                p.poll(0)

    def acked_count(self, name):
        with self.lock:
            return len(self.acked[name])

    def unacknowledged(self):
        """Records produced whose delivery is not yet reported (queued or in flight)."""
        with self.lock:
            return sum(self.sent.values()) - sum(len(a) for a in self.acked.values()) - sum(self.failed.values())

    def wait_for_acks(self, counts):
        """Waits (bounded) until each producer named in `counts` has that many acks."""
        wait_until(lambda: all(self.acked_count(n) >= c for n, c in counts.items()),
                   timeout_s=LOAD_TIMEOUT_S, interval_s=0.01, what=f"acknowledgements {counts}")

    def start(self):
        self.thread.start()
        return self

    def stop_and_drain(self, timeout_s=10):
        """After the power loss: the load goes on until a record fails (the dead broker cannot
        acknowledge it), then every queued record fails (message.timeout.ms) or was acked.
        (Counting unreported records before the loss is not enough: their acknowledgements
        may already be in the client, waiting for the load thread to poll them.)"""
        wait_until(lambda: sum(self.failed.values()) > 0, timeout_s=timeout_s, interval_s=0.01,
                   what="a record the dead broker could not acknowledge")
        self.stopping.set()
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "the load thread did not stop"
        for p in self.producers.values():
            assert p.flush(timeout_s) == 0, "records still queued after the broker died"


def lose_power(fs, broker):
    fs.crash()
    broker.kill()
    fs.unmount()


def restart_on_backing_dir(fs, broker):
    """Starts the broker again on what the "disk" kept; returns its recovery log lines."""
    broker.data_dir = fs.backing
    log_before = len(broker.log_text())
    broker.start()
    return [line for line in broker.log_text()[log_before:].splitlines() if RECOVERY_LINE.search(line)]


def read_everything(broker, topic):
    """Every record of every partition, to the end, with CRCs checked by the client."""
    c = consumer(broker, check_crcs=True)
    try:
        c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        records = poll_records(c, None, list(range(PARTITIONS)), timeout_s=30, until_eof=True)
    finally:
        c.close()
    return {(r.partition, r.offset): r.value for r in records}


def log_ends(stored):
    """Per partition, the offset after the last stored record."""
    return {part: 1 + max((o for p, o in stored if p == part), default=-1)
            for part in range(PARTITIONS)}


def check_dense_prefix(stored, acked_by_position, sent_values):
    """Per partition the stored offsets are 0..n-1, each value was sent, appears once, and
    an offset that was acknowledged holds the acknowledged value."""
    for part in range(PARTITIONS):
        offsets = sorted(o for p, o in stored if p == part)
        assert offsets == list(range(len(offsets))), f"partition {part} has holes"
    values = list(stored.values())
    assert len(set(values)) == len(values), "a record is stored twice"
    unknown = [v for v in values if v not in sent_values]
    assert not unknown, f"{len(unknown)} stored values were never sent, e.g. {unknown[:3]}"
    moved = [(pos, v, stored[pos]) for pos, v in acked_by_position.items()
             if pos in stored and stored[pos] != v]
    assert not moved, f"{len(moved)} acknowledged offsets hold another value, e.g. {moved[:3]}"


def test_power_loss_during_acks_all_load_loses_no_acknowledged_record(powered):
    fs, broker = powered
    topic = create_topic(broker, partitions=PARTITIONS)
    load = Load(broker, topic, {"all-a": ("all", 100), "all-b": ("all", 100)}).start()
    load.wait_for_acks({"all-a": 2000, "all-b": 2000})
    # A topic created in the middle of the load: CreateTopics is answered after the
    # metadata log's fsync, so it must survive too.
    late_topic = create_topic(broker, name=unique_topic("late"), partitions=2)
    load.wait_for_acks({"all-a": load.acked_count("all-a") + 3000,
                        "all-b": load.acked_count("all-b") + 3000})
    # The producing thread runs ahead of the acks almost always; make sure it does now.
    wait_until(lambda: load.unacknowledged() >= 100, timeout_s=LOAD_TIMEOUT_S, interval_s=0.001,
               what="records queued or in flight")
    lose_power(fs, broker)  # with records queued and in flight
    load.stop_and_drain()
    acked = {**load.acked["all-a"], **load.acked["all-b"]}

    recovery = restart_on_backing_dir(fs, broker)
    stored = read_everything(broker, topic)
    lost = [(v, pos) for v, pos in acked.items() if stored.get(pos) != v]
    assert not lost, (f"{len(lost)} of {len(acked)} acknowledged records lost or moved, e.g. "
                      f"{lost[:5]}; log ends {log_ends(stored)}; recovery said: {recovery}")
    sent = {f"{n}-{s:08d}".encode() for n in load.sent for s in range(load.sent[n])}
    check_dense_prefix(stored, {pos: v for v, pos in acked.items()}, sent)
    late = topic_metadata(broker, late_topic)
    assert late is not None and len(late.partitions) == 2, "the acknowledged topic creation was lost"
    assert not [line for line in recovery if "[error]" in line or "[critical]" in line], recovery


def test_power_loss_during_acks_1_load_keeps_a_consistent_prefix(powered):
    fs, broker = powered
    topic = create_topic(broker, partitions=PARTITIONS)
    # Mostly acks=1, with an acks=all trickle on the same partitions: each acks=all
    # acknowledgement means the partition was fsynced up to that offset.
    load = Load(broker, topic, {"one": ("1", 100), "all": ("all", 4)}).start()
    load.wait_for_acks({"one": 20000, "all": 400})
    lose_power(fs, broker)
    load.stop_and_drain()

    recovery = restart_on_backing_dir(fs, broker)
    stored = read_everything(broker, topic)
    acked_by_position = {pos: v for name in load.acked for v, pos in load.acked[name].items()}
    sent = {f"{n}-{s:08d}".encode() for n in load.sent for s in range(load.sent[n])}
    check_dense_prefix(stored, acked_by_position, sent)
    lost_all = [(v, pos) for v, pos in load.acked["all"].items() if stored.get(pos) != v]
    assert not lost_all, (f"{len(lost_all)} acks=all records lost, e.g. {lost_all[:5]}; log ends "
                          f"{log_ends(stored)}; recovery said: {recovery}")
    # Everything below an fsynced offset survives, acks=1 records included.
    for part in range(PARTITIONS):
        synced = [o for p, o in load.acked["all"].values() if p == part]
        if synced:
            assert (part, max(synced)) in stored  # with dense offsets, so is all before it
    lost_one = sum(1 for pos in load.acked["one"].values() if pos not in stored)
    print(f"acks=1: {len(load.acked['one'])} acknowledged, {lost_one} lost with the unsynced "
          f"tail; recovery said: {recovery}")
    assert not [line for line in recovery if "[error]" in line or "[critical]" in line], recovery


def test_power_loss_with_flush_messages_1_keeps_every_acks_1_record(powered):
    """flush.messages=1: each acks=1 append is fsynced before it is answered (as Kafka flushes
    in its append path), so every acknowledged record survives the power loss."""
    fs, broker = powered
    topic = create_topic(broker, partitions=PARTITIONS, config={"flush.messages": "1"})
    load = Load(broker, topic, {"one": ("1", 100)}).start()
    load.wait_for_acks({"one": 3000})
    lose_power(fs, broker)
    load.stop_and_drain()
    acked = dict(load.acked["one"])

    restart_on_backing_dir(fs, broker)
    stored = read_everything(broker, topic)
    lost = [(v, pos) for v, pos in acked.items() if stored.get(pos) != v]
    assert not lost, f"{len(lost)} of {len(acked)} acknowledged records lost, e.g. {lost[:5]}"


def recovery_point(fs, topic, partition=0):
    """The partition's entry in the mount's recovery-point-offset-checkpoint (0 when none)."""
    with open(f"{fs.mountpoint}/recovery-point-offset-checkpoint") as f:
        for line in f.read().splitlines()[2:]:
            name, p, offset = line.split()
            if name == topic and int(p) == partition:
                return int(offset)
    return 0


def test_rolled_segments_are_flushed_even_for_acks_1(powered):
    """As in Kafka, a segment is fsynced when it rolls: with acks=1 alone, the recovery point
    follows the rolls, and what lies below it survives a power loss."""
    fs, broker = powered
    broker.settings.update({"log.flush.offset.checkpoint.interval.ms": 50})
    broker.restart()
    topic = create_topic(broker, partitions=1, config={"segment.bytes": "4096"})
    p = producer(broker, acks="1", linger_ms=0)
    for i in range(200):
        p.produce(topic, value=f"{i:04d}".encode().ljust(100, b"."), partition=0)
        if i % 10 == 9:
            assert p.flush(10) == 0  # batches of 10 records, about a kilobyte each
    flushed_to = wait_until(lambda: recovery_point(fs, topic), timeout_s=10, what="a roll's flush checkpointed")
    lose_power(fs, broker)
    restart_on_backing_dir(fs, broker)
    c = consumer(broker, check_crcs=True)
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        records = poll_records(c, flushed_to, [0], timeout_s=30)
    finally:
        c.close()
    assert [r.value for r in records[:flushed_to]] == [f"{i:04d}".encode().ljust(100, b".") for i in range(flushed_to)]


def test_flush_ms_flushes_acks_1_records_in_the_background(powered):
    """flush.ms: acks=1 records are fsynced once the last flush is flush.ms old (checked every
    log.flush.scheduler.interval.ms); once the recovery-point checkpoint shows a partition
    flushed, its records survive a power loss. Without flush.ms, acks=1 alone never flushes."""
    fs, broker = powered
    broker.settings.update({"log.flush.scheduler.interval.ms": 50, "log.flush.offset.checkpoint.interval.ms": 50})
    broker.restart()
    flushed = create_topic(broker, partitions=1, config={"flush.ms": "100"})
    unflushed = create_topic(broker, partitions=1)
    for topic in (flushed, unflushed):
        p = producer(broker, acks="1", linger_ms=0)
        for i in range(20):
            p.produce(topic, value=f"{topic}-{i}".encode(), partition=0)
        assert p.flush(10) == 0

    wait_until(lambda: recovery_point(fs, flushed) == 20, timeout_s=10, what="the flush.ms topic flushed")
    assert recovery_point(fs, unflushed) == 0, "acks=1 records were flushed without flush.ms"
    lose_power(fs, broker)
    restart_on_backing_dir(fs, broker)
    c = consumer(broker, check_crcs=True)
    try:
        c.assign([TopicPartition(flushed, 0, 0)])
        records = poll_records(c, 20, [0], timeout_s=30)
    finally:
        c.close()
    assert [r.value for r in records] == [f"{flushed}-{i}".encode() for i in range(20)]
