"""Partition replication on a cluster of three real nodes (process.roles=broker,controller):
followers copy each partition's log from its leader with the Fetch API, acks=all waits until
every in-sync replica has the records (the high watermark), consumers read only below it, a
killed leader's partitions are led by an in-sync follower, and the dead broker, restarted,
truncates what it alone had and catches up. Checked record by record with confluent-kafka."""
import filecmp
import os
import threading

from confluent_kafka import TopicPartition

from freshet_cluster import metadata
from helpers import (OP_TIMEOUT_S, consume_all, consumer, create_topic, poll_records, produce_ok, producer,
                     raw_produce, record_batch, wait_until)

NOT_ENOUGH_REPLICAS = 19
# A dead broker is fenced (and leaves the ISRs) after the session timeout; short ones keep the test quick.
SETTINGS = {"broker.session.timeout.ms": 2000, "broker.heartbeat.interval.ms": 200,
            "replica.lag.time.max.ms": 3000, "min.insync.replicas": 2}
FAILOVER_TIMEOUT_S = 30


def partitions_of(node, topic):
    """{partition: (leader, replicas, isr)} as `node`'s Metadata answer has it."""
    t = metadata(node).topics.get(topic)
    if t is None or t.error is not None:
        return {}
    return {p.id: (p.leader, sorted(p.replicas), sorted(p.isrs)) for p in t.partitions.values()}


def wait_fully_replicated(cluster, topic, partitions, among=None):
    """Until every partition has a leader and all its replicas in sync, as a live node sees it."""
    node = cluster.nodes[among[0]] if among else next(iter(cluster.brokers.values()))

    def replicated():
        state = partitions_of(node, topic)
        return len(state) == partitions and all(leader >= 0 and isr == replicas and len(replicas) == 3
                                                for leader, replicas, isr in state.values())
    wait_until(replicated, timeout_s=FAILOVER_TIMEOUT_S, what=f"{topic} fully replicated")


def segment_files(cluster, topic, partition):
    """Each node's first .log segment of the partition."""
    return [os.path.join(n.data_dir, f"{topic}-{partition}", "00000000000000000000.log") for n in cluster.brokers.values()]


def wait_identical_replicas(cluster, topic, partitions):
    """Until every replica's log file is byte for byte the leader's (followers append the
    leader's batches as they are)."""
    def identical():
        for p in range(partitions):
            files = segment_files(cluster, topic, p)
            if not all(os.path.exists(f) for f in files):
                return False
            if not all(filecmp.cmp(files[0], f, shallow=False) for f in files[1:]):
                return False
        return True
    wait_until(identical, timeout_s=FAILOVER_TIMEOUT_S, what="identical replicas")


def test_every_replica_gets_every_record(cluster_factory):
    cluster = cluster_factory(nodes=3, settings=SETTINGS)
    topic = create_topic(cluster, partitions=3, replication_factor=3)
    wait_fully_replicated(cluster, topic, 3)
    messages = [{"key": f"k{i}".encode(), "value": f"v{i}".encode()} for i in range(300)]
    produce_ok(cluster, topic, messages, acks="all")
    assert sorted(r.value for r in consume_all(cluster, topic, 3)) == sorted(m["value"] for m in messages)
    wait_identical_replicas(cluster, topic, 3)
    assert not cluster.crashed()


class AcksAllLoad:
    """An idempotent acks=all producer writing distinct values round-robin over the partitions
    from a background thread; acknowledged values are kept with their (partition, offset)."""

    def __init__(self, cluster, topic, partitions):
        self.topic, self.partitions = topic, partitions
        self.lock = threading.Lock()
        self.acked, self.failed, self.sent = {}, [], 0
        self.producer = producer(cluster, acks="all", enable_idempotence=True, linger_ms=5,
                                 message_timeout_ms=60000, **{"queue.buffering.max.messages": 2000})
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def report(self, err, msg):
        with self.lock:
            if err is None:
                self.acked[msg.value()] = (msg.partition(), msg.offset())
            else:
                self.failed.append(err)

    def run(self):
        while not self.stopping.is_set():
            try:
                self.producer.produce(self.topic, value=f"v{self.sent:08d}".encode(),
                                      partition=self.sent % self.partitions, on_delivery=self.report)
                self.sent += 1
            except BufferError:
                pass
            self.producer.poll(0.001)

    def acked_count(self):
        with self.lock:
            return len(self.acked)

    def wait_for_more_acks(self, more=200):
        target = self.acked_count() + more
        wait_until(lambda: self.acked_count() >= target, timeout_s=FAILOVER_TIMEOUT_S, interval_s=0.01,
                   what=f"{more} more acknowledgements")

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(OP_TIMEOUT_S)
        assert self.producer.flush(FAILOVER_TIMEOUT_S * 2) == 0, "records still undelivered"


def read_all(cluster, topic, partitions):
    """{(partition, offset): value} of every record below the high watermarks."""
    c = consumer(cluster)
    try:
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        return {(r.partition, r.offset): r.value
                for r in poll_records(c, None, list(range(partitions)), OP_TIMEOUT_S, until_eof=True)}
    finally:
        c.close()


def test_acks_all_survives_kill_9_of_every_leader(cluster_factory):
    """kill -9 the leader of each partition in turn while an acks=all producer writes: the
    producer goes on on the new leaders, the dead broker comes back as a follower and catches
    up, and every acknowledged record is there, once, at its acknowledged offset."""
    cluster = cluster_factory(nodes=3, settings=SETTINGS)
    partitions = 3
    topic = create_topic(cluster, partitions=partitions, replication_factor=3)
    wait_fully_replicated(cluster, topic, partitions)
    load = AcksAllLoad(cluster, topic, partitions).start()
    load.wait_for_more_acks()
    for p in range(partitions):
        leader = partitions_of(next(iter(cluster.brokers.values())), topic)[p][0]
        cluster.nodes[leader].kill()
        alive = [i for i in cluster.nodes if i != leader]
        wait_until(lambda: partitions_of(cluster.nodes[alive[0]], topic).get(p, (leader,))[0] in alive,
                   timeout_s=FAILOVER_TIMEOUT_S, what=f"a new leader for partition {p}")
        load.wait_for_more_acks()
        cluster.nodes[leader].start()
        wait_fully_replicated(cluster, topic, partitions)
        load.wait_for_more_acks()
    load.stop()
    assert not load.failed, load.failed[:5]
    stored = read_all(cluster, topic, partitions)
    lost = [(v, pos) for v, pos in load.acked.items() if stored.get(pos) != v]
    assert not lost, f"{len(lost)} of {len(load.acked)} acknowledged records lost, e.g. {lost[:5]}"
    assert len(set(stored.values())) == len(stored), "a record was stored twice"
    wait_identical_replicas(cluster, topic, partitions)


def test_acks_all_needs_min_insync_replicas_while_acks_1_goes_on(cluster_factory):
    """Two of three replicas down: acks=all is refused with NOT_ENOUGH_REPLICAS, acks=1 still
    works. (A separate controller, so that the quorum lives on to shrink the ISR.)"""
    cluster = cluster_factory(nodes=1, separate_brokers=3, settings=SETTINGS)
    topic = create_topic(cluster, partitions=1, replication_factor=3)
    wait_fully_replicated(cluster, topic, 1)
    leader = partitions_of(next(iter(cluster.brokers.values())), topic)[0][0]
    for i in cluster.brokers:
        if i != leader:
            cluster.nodes[i].kill()
    survivor = cluster.nodes[leader]
    wait_until(lambda: partitions_of(survivor, topic)[0][2] == [leader], timeout_s=FAILOVER_TIMEOUT_S,
               what="the ISR down to the leader")
    batch = record_batch([(None, b"refused", [])])
    answer = raw_produce(survivor, {(topic, 0): batch}, acks=-1)
    assert answer[(topic, 0)][0] == NOT_ENOUGH_REPLICAS, answer
    produce_ok(survivor, topic, [{"value": b"accepted"}], acks="1")
    assert [r.value for r in consume_all(survivor, topic, 1)] == [b"accepted"]


def test_a_dead_broker_is_fenced_when_its_connection_closes(cluster_factory):
    """kill -9 of a leader's process: its host closes its connections, the active controller
    fences it at once and an in-sync follower leads, long before broker.session.timeout.ms
    (a minute here) would have fenced it; acks=all produce goes on there."""
    settings = {**SETTINGS, "broker.session.timeout.ms": 60000}
    cluster = cluster_factory(nodes=1, separate_brokers=3, settings=settings)
    topic = create_topic(cluster, partitions=1, replication_factor=3)
    wait_fully_replicated(cluster, topic, 1)
    observer = next(iter(cluster.brokers.values()))
    leader = partitions_of(observer, topic)[0][0]
    cluster.nodes[leader].kill()
    alive = [i for i in cluster.brokers if i != leader]
    wait_until(lambda: partitions_of(cluster.nodes[alive[0]], topic)[0][0] in alive, timeout_s=15,
               what="a new leader well within the session timeout")
    controller = next(n for i, n in cluster.nodes.items() if i not in cluster.brokers)
    assert f"fencing broker {leader}: the connection its heartbeats came over closed" in controller.log_text()
    produce_ok(cluster.nodes[alive[0]], topic, [{"value": b"after"}], acks="all")
