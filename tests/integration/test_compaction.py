"""Log compaction (issue 10): a cleanup.policy=compact topic read from the start shows one
value per key, the latest, at its original offset (confluent-kafka and kafka-python consumers);
tombstones stay delete.retention.ms, then go; aborted transactions' records go, committed ones
stay for read_committed consumers; compressed batches keep their codec; "compact,delete" does
both; min.cleanable.dirty.ratio holds a cleaning back; the cleaner offset survives a restart.
Every broker here looks for dirty logs every 100 ms (log.cleaner.backoff.ms)."""
import glob
import os

import pytest
from confluent_kafka import OFFSET_BEGINNING, KafkaException

from helpers import (consume, create_topic, incremental_alter_topic_configs, kp_consume, produce_ok, wait_until,
                     watermarks)

SETTINGS = {"log.cleaner.backoff.ms": 100, "log.retention.check.interval.ms": 100}
# About 10 records of 100 B to a 1 KiB segment; any dirty segment is worth cleaning.
COMPACTED = {"cleanup.policy": "compact", "segment.bytes": "1024", "min.cleanable.dirty.ratio": "0.01",
             "file.delete.delay.ms": "0"}

cleaning = pytest.mark.parametrize("broker", [{"settings": SETTINGS}], indirect=True)


def value(key, version):
    return f"{key}={version}".encode().ljust(100, b".")


def produce_versions(broker, topic, keys, versions, **conf):
    """Every key's versions 0..versions-1, round after round, each record a batch of its own."""
    acked = {}
    for version in range(versions):
        for key in keys:
            [(_, offset)] = produce_ok(broker, topic, [{"key": key.encode(), "value": value(key, version)}],
                                       acks="all", **conf)
            acked[key] = offset
    return acked  # key -> offset of its latest version


def seal(broker, topic, count=12):
    """Records of keys of their own, so that what came before leaves the active segment."""
    for i in range(count):
        produce_ok(broker, topic, [{"key": f"filler-{i}".encode(), "value": b"f" * 100}])


def by_key(records):
    found = {}
    for r in records:
        found.setdefault(r.key.decode(), []).append(r)
    return found


def fully_compacted(broker, topic, keys):
    """The records of the topic once every key in `keys` is down to one."""
    records = consume(broker, topic, offset=OFFSET_BEGINNING)
    groups = by_key(records)
    return records if all(len(groups.get(k, [])) == 1 for k in keys) else None


@cleaning
def test_a_compacted_topic_keeps_the_latest_value_of_each_key_at_its_offset(broker):
    topic = create_topic(broker, config=COMPACTED)
    keys = [f"user-{i}" for i in range(8)]
    latest = produce_versions(broker, topic, keys, versions=6)
    seal(broker, topic)
    end_before = watermarks(broker, topic, 0)[1]

    records = wait_until(lambda: fully_compacted(broker, topic, keys), timeout_s=30, what="one value per key")
    groups = by_key(records)
    for key in keys:
        [r] = groups[key]
        assert r.value == value(key, 5)
        assert r.offset == latest[key], "compaction moved a record"
    assert [r.offset for r in records] == sorted(r.offset for r in records)
    assert watermarks(broker, topic, 0) == (0, end_before), "compaction changed the watermarks"
    assert len(records) < end_before

    # kafka-python reads the same compacted log, gaps and all.
    kp = kp_consume(broker, topic, offset="beginning", count=len(records))
    assert [(r.offset, r.key, r.value) for r in kp] == [(r.offset, r.key, r.value) for r in records]
    # A consumer asked for an offset compaction removed starts at the next record.
    gap = next(o for o in range(end_before) if o not in {r.offset for r in records})
    [first] = consume(broker, topic, offset=gap, count=1)
    assert first.offset == min(r.offset for r in records if r.offset > gap)


@cleaning
def test_tombstones_delete_a_key_after_delete_retention_ms(broker):
    topic = create_topic(broker, config={**COMPACTED, "delete.retention.ms": "3000"})
    produce_versions(broker, topic, ["gone", "kept"], versions=3)
    produce_ok(broker, topic, [{"key": b"gone", "value": None}], acks="all")
    seal(broker, topic)

    def tombstone_only():
        groups = by_key(consume(broker, topic, offset=OFFSET_BEGINNING))
        return groups if len(groups.get("gone", [])) == 1 and len(groups["kept"]) == 1 else None

    # The first cleaning keeps the tombstone, so that consumers learn of the delete ...
    groups = wait_until(tombstone_only, timeout_s=30, what="the old values of 'gone' removed")
    assert groups["gone"][0].value is None
    assert groups["kept"][0].value == value("kept", 2)
    # ... and a cleaning after delete.retention.ms removes it (new data makes one due).
    def tombstone_gone():
        seal(broker, topic, count=1)
        return "gone" not in by_key(consume(broker, topic, offset=OFFSET_BEGINNING))

    wait_until(tombstone_gone, timeout_s=30, interval_s=0.5, what="the tombstone removed")


@cleaning
def test_compressed_batches_are_compacted_with_their_codec(broker):
    topic = create_topic(broker, config=COMPACTED)
    keys = [f"k{i}" for i in range(5)]
    conf = {"compression.type": "zstd", "linger.ms": 50, "batch.num.messages": 20}
    for version in range(4):
        produce_ok(broker, topic, [{"key": k.encode(), "value": value(k, version)} for k in keys], **conf)
    seal(broker, topic)
    records = wait_until(lambda: fully_compacted(broker, topic, keys), timeout_s=30, what="one value per key")
    assert {r.key.decode(): r.value for r in records if r.key.startswith(b"k")} == \
        {k: value(k, 3) for k in keys}
    # The data files hold zstd frames still (magic 28 b5 2f fd), never the plain values.
    data = b"".join(open(f, "rb").read() for f in glob.glob(os.path.join(broker.data_dir, f"{topic}-0", "*.log")))
    assert b"\x28\xb5\x2f\xfd" in data
    assert value("k0", 3) not in data


@cleaning
def test_aborted_transactions_are_removed_and_committed_ones_kept(broker):
    from confluent_kafka import Producer

    from helpers import rdkafka_conf
    topic = create_topic(broker, config=COMPACTED)
    p = Producer(rdkafka_conf(broker, **{"transactional.id": f"compaction-{topic}"}))
    p.init_transactions(30)
    for outcome, key in [("abort", "a"), ("commit", "c"), ("abort", "a"), ("commit", "c")]:
        p.begin_transaction()
        for i in range(5):
            p.produce(topic, key=f"{key}{i}".encode(), value=f"{outcome}-{key}{i}".encode().ljust(100, b"."))
        p.flush(30)
        (p.commit_transaction if outcome == "commit" else p.abort_transaction)(30)
    seal(broker, topic)

    def compacted():
        records = consume(broker, topic, offset=OFFSET_BEGINNING)  # read_uncommitted
        groups = by_key(records)
        if any(k.startswith("a") for k in groups) or any(len(v) > 1 for v in groups.values()):
            return None
        return groups

    groups = wait_until(compacted, timeout_s=30, what="aborted records and old versions removed")
    assert {k: g[0].value.rstrip(b".") for k, g in groups.items() if k.startswith("c")} == \
        {f"c{i}": f"commit-c{i}".encode() for i in range(5)}


@cleaning
def test_compact_delete_topics_do_both(broker):
    topic = create_topic(broker, config={**COMPACTED, "cleanup.policy": "compact,delete",
                                         "retention.bytes": "4096"})
    keys = [f"k{i}" for i in range(4)]
    produce_versions(broker, topic, keys, versions=10)
    seal(broker, topic, count=30)

    def both():
        low = watermarks(broker, topic, 0)[0]
        groups = by_key(consume(broker, topic, offset=OFFSET_BEGINNING))
        return low > 0 and all(len(groups[k]) == 1 for k in keys if k in groups)

    wait_until(both, timeout_s=30, what="old segments deleted and the rest compacted")


@cleaning
def test_the_dirty_ratio_holds_a_cleaning_back_and_the_cleaner_offset_survives_restart(broker):
    topic = create_topic(broker, config=COMPACTED)
    keys = [f"k{i}" for i in range(4)]
    produce_versions(broker, topic, keys, versions=5)
    seal(broker, topic)
    wait_until(lambda: fully_compacted(broker, topic, keys), timeout_s=30, what="the first cleanings")
    # From now on a cleaning needs 90 % of the cleanable bytes dirty (IncrementalAlterConfigs SET).
    assert incremental_alter_topic_configs(broker, topic, [("min.cleanable.dirty.ratio", 0, "0.9")])[0] == 0

    # A little new data: the dirty share stays under 0.9, nothing is cleaned.
    produce_versions(broker, topic, keys, versions=1)
    seal(broker, topic, count=8)
    broker.stop()
    checkpoint = os.path.join(broker.data_dir, "cleaner-offset-checkpoint")
    lines = open(checkpoint).read().split("\n")
    assert any(line.startswith(f"{topic} 0 ") for line in lines), lines
    broker.start()
    groups = by_key(consume(broker, topic, offset=OFFSET_BEGINNING))
    assert all(len(groups[k]) == 2 for k in keys), "a cleaning ran below min.cleanable.dirty.ratio"


INTERNAL_SMALL_SEGMENTS = {**SETTINGS, "offsets.topic.num.partitions": 1, "offsets.topic.segment.bytes": 4096,
                           "transaction.state.log.num.partitions": 1,
                           "transaction.state.log.segment.bytes": 4096}


@pytest.mark.parametrize("broker", [{"settings": INTERNAL_SMALL_SEGMENTS}], indirect=True)
def test_internal_topics_are_compacted_and_reload_after_a_restart(broker):
    from confluent_kafka import Consumer, Producer, TopicPartition

    from helpers import rdkafka_conf
    topic = create_topic(broker, partitions=2)
    group = f"g-{topic}"
    c = Consumer(rdkafka_conf(broker, **{"group.id": group, "enable.auto.commit": False}))
    commits = 600
    for i in range(commits):
        c.commit(offsets=[TopicPartition(topic, 0, i), TopicPartition(topic, 1, 2 * i)], asynchronous=False)
    c.close()
    txn_id = f"t-{topic}"
    p = Producer(rdkafka_conf(broker, **{"transactional.id": txn_id}))
    p.init_transactions(30)
    transactions = 60
    for i in range(transactions):
        p.begin_transaction()
        p.produce(topic, value=f"{i}".encode(), partition=i % 2)
        p.commit_transaction(30)
    p.flush(30)

    def internal_records(name):
        return len(consume(broker, name, offset=OFFSET_BEGINNING))

    # Each commit wrote a record per partition, each transaction 4 or more: the cleaner keeps
    # little more than the latest of each key (and what the active segment holds).
    wait_until(lambda: internal_records("__consumer_offsets") < commits // 4, timeout_s=30,
               what="__consumer_offsets compacted")
    wait_until(lambda: internal_records("__transaction_state") < transactions, timeout_s=30,
               what="__transaction_state compacted")

    broker.restart()
    c = Consumer(rdkafka_conf(broker, **{"group.id": group}))
    committed = c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=30)
    c.close()
    assert [(tp.partition, tp.offset) for tp in committed] == [(0, commits - 1), (1, 2 * (commits - 1))]
    # The transactional id kept its producer id: a new instance bumps its epoch, which fences
    # the old one, and carries on.
    p2 = Producer(rdkafka_conf(broker, **{"transactional.id": txn_id}))
    p2.init_transactions(30)
    p2.begin_transaction()
    p2.produce(topic, value=b"after-restart", partition=0)
    p2.commit_transaction(30)
    p.begin_transaction()
    p.produce(topic, value=b"zombie", partition=0)
    with pytest.raises(KafkaException) as fenced:
        p.commit_transaction(30)
    assert fenced.value.args[0].fatal(), fenced.value
