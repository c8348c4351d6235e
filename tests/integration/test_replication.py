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
from helpers import (FIND_COORDINATOR, OP_SET, OP_TIMEOUT_S, Api, Array, call, consume_all, consumer, create_topic,
                     decode_tagged, incremental_alter_topic_configs, poll_records, produce_ok, producer, raw_produce,
                     record_batch, wait_until)

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


def coordinator_of(node, key, key_type=0):
    """The coordinator `node` names for a group (key_type 0) or transactional id (1), or None."""
    try:
        (found,) = call(node, FIND_COORDINATOR, 4, key_type=key_type, coordinator_keys=[key])["coordinators"]
    except OSError:
        return None
    return found["node_id"] if found["error_code"] == 0 else None


def test_a_consumer_group_resumes_after_its_coordinators_death(cluster_factory):
    """__consumer_offsets has three replicas on three brokers: kill -9 the group's coordinator
    and the leader of its partition elsewhere takes over, loaded from its replica, so the
    group's next member resumes at the committed offsets."""
    cluster = cluster_factory(nodes=3, settings=SETTINGS)
    topic = create_topic(cluster, partitions=3, replication_factor=3)
    values = [f"v{i}".encode() for i in range(300)]
    produce_ok(cluster, topic, [{"value": v, "partition": i % 3} for i, v in enumerate(values)], acks="all")
    group = "g-" + topic
    first = consumer(cluster, **{"group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    first.subscribe([topic])
    seen, next_offsets = [], {}
    while len(seen) < 150:
        msg = first.poll(1.0)
        if msg is not None and msg.error() is None:
            seen.append(msg.value())
            next_offsets[msg.partition()] = msg.offset() + 1
    first.commit(offsets=[TopicPartition(topic, p, o) for p, o in next_offsets.items()], asynchronous=False)
    committed = {p: next_offsets.get(p, -1001) for p in range(3)}
    first.close()
    coordinator = wait_until(lambda: coordinator_of(cluster.nodes[1], group), what="the group's coordinator")
    cluster.nodes[coordinator].kill()
    alive = [i for i in cluster.nodes if i != coordinator]
    wait_until(lambda: coordinator_of(cluster.nodes[alive[0]], group) in alive, timeout_s=FAILOVER_TIMEOUT_S,
               what="a new coordinator")
    second = consumer(cluster, **{"group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        assert {tp.partition: tp.offset for tp in second.committed(
            [TopicPartition(topic, p) for p in range(3)], timeout=OP_TIMEOUT_S)} == committed
        second.subscribe([topic])
        rest = []
        wait_until(lambda: rest.extend(m.value() for m in second.consume(100, 0.5) if m.error() is None)
                   or len(rest) >= 300 - sum(o for o in committed.values() if o >= 0), timeout_s=FAILOVER_TIMEOUT_S,
                   what="the rest of the records")
    finally:
        second.close()
    # Exactly the records after the committed offsets: none of the first member's again.
    assert len(rest) == 300 - sum(o for o in committed.values() if o >= 0)
    assert sorted(set(rest) | set(seen)) == sorted(values) and not set(rest) & set(seen)


def test_unclean_leader_election_only_when_the_topic_allows_it(cluster_factory):
    """The last in-sync replica dies with a record the others never got: the partition stays
    offline when another replica comes back (clean election only), until
    unclean.leader.election.enable is set on the topic; then that replica leads without the
    record, and the old leader, back, truncates it and follows (DivergingEpoch)."""
    cluster = cluster_factory(nodes=1, separate_brokers=3, settings=SETTINGS)
    topic = create_topic(cluster, partitions=1, replication_factor=3, config={"min.insync.replicas": "1"})
    wait_fully_replicated(cluster, topic, 1)
    brokers = cluster.brokers
    leader = partitions_of(next(iter(brokers.values())), topic)[0][0]
    produce_ok(brokers[leader], topic, [{"value": b"replicated"}], acks="all")
    followers = [i for i in brokers if i != leader]
    for i in followers:
        brokers[i].kill()
    wait_until(lambda: partitions_of(brokers[leader], topic)[0][2] == [leader], timeout_s=FAILOVER_TIMEOUT_S,
               what="the ISR down to the leader")
    produce_ok(brokers[leader], topic, [{"value": b"only-on-the-old-leader"}], acks="1")
    brokers[leader].kill()
    survivor = brokers[followers[0]]
    survivor.start()
    assert partitions_of(survivor, topic)[0][0] == -1, "a replica outside the ISR led without unclean election"
    assert incremental_alter_topic_configs(survivor, topic, [("unclean.leader.election.enable", OP_SET, "true")])[0] == 0
    wait_until(lambda: partitions_of(survivor, topic)[0][0] == followers[0], timeout_s=FAILOVER_TIMEOUT_S,
               what="the unclean election")
    assert [r.value for r in consume_all(survivor, topic, 1)] == [b"replicated"]
    produce_ok(survivor, topic, [{"value": b"after"}], acks="all")
    for i in (leader, followers[1]):
        brokers[i].start()
    wait_fully_replicated(cluster, topic, 1)
    wait_identical_replicas(cluster, topic, 1)
    assert [r.value for r in consume_all(survivor, topic, 1)] == [b"replicated", b"after"]


PRODUCE = Api(0, 9, request=[
    ("transactional_id", "nstring", "3+"), ("acks", "int16"), ("timeout_ms", "int32"),
    ("topic_data", Array([("name", "string"), ("partition_data", Array([("index", "int32"), ("records", "nbytes")]))])),
], response=[
    ("responses", Array([("name", "string"), ("partition_responses", Array([
        ("index", "int32"), ("error_code", "int16"), ("base_offset", "int64"), ("log_append_time_ms", "int64", "2+"),
        ("log_start_offset", "int64", "5+"),
        ("record_errors", Array([("batch_index", "int32"), ("batch_index_error_message", "nstring")]), "8+"),
        ("error_message", "nstring", "8+")]))])),
    ("throttle_time_ms", "int32", "1+"),
])
LEADER_ID_AND_EPOCH = [("leader_id", "int32"), ("leader_epoch", "int32")]
NODE_ENDPOINTS = Array([("node_id", "int32"), ("host", "string"), ("port", "int32"), ("rack", "nstring")])


def test_not_leader_answers_name_the_leader(cluster_factory):
    """KIP-951: Produce v10 to a broker that does not lead the partition answers
    NOT_LEADER_OR_FOLLOWER with the current leader, its epoch and where it listens."""
    cluster = cluster_factory(nodes=3, settings=SETTINGS)
    topic = create_topic(cluster, partitions=1, replication_factor=1)
    leader = partitions_of(cluster.nodes[1], topic)[0][0]
    other = next(n for i, n in cluster.nodes.items() if i != leader)
    answer = call(other, PRODUCE, 10, transactional_id=None, acks=1, timeout_ms=5000, topic_data=[
        {"name": topic, "partition_data": [{"index": 0, "records": record_batch([(None, b"v", [])])}]}])
    (partition,) = answer["responses"][0]["partition_responses"]
    assert partition["error_code"] == 6, partition  # NOT_LEADER_OR_FOLLOWER
    current = decode_tagged(partition["_tagged"][0], LEADER_ID_AND_EPOCH, 10)
    assert current["leader_id"] == leader and current["leader_epoch"] >= 0, current
    (endpoint,) = decode_tagged(answer["_tagged"][0], NODE_ENDPOINTS, 10)
    assert (endpoint["node_id"], f"{endpoint['host']}:{endpoint['port']}") == (leader, cluster.nodes[leader].bootstrap)
