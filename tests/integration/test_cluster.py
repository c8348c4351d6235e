"""A KRaft cluster of three real nodes (process.roles=broker,controller) on loopback ports:
the metadata quorum elects one leader per epoch, every node follows the metadata log, brokers
register, topics created through any node are spread over the brokers, clients produce to and
consume from each partition's leader, and the quorum survives kill -9 of its active controller
(a new one is elected, nothing committed is lost, a restarted node catches up) but refuses
changes while no majority lives.
"""
import collections
import json
import os
import subprocess
import time

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import ConfigResource, NewTopic

from helpers import (INVALID_REQUEST, OP_SET, OP_TIMEOUT_S, RESOURCE_BROKER, RESOURCE_TOPIC, RawConnection, admin,
                     consume_all, create_topic, incremental_alter_configs_request, produce_ok, unique_topic,
                     wait_until)
from freshet_broker import freshet_bin
from freshet_cluster import metadata
from kafka_tools import kafka_tool

ELECTION_BOUND_S = 15  # election timeout (1-2 s randomized) + fetch timeout (2 s), with slack


def described_cluster(node):
    """`freshet cluster brokers --format json` against this node alone (DescribeCluster)."""
    proc = subprocess.run([freshet_bin(), "cluster", "brokers", "-b", node.bootstrap, "--format", "json"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def active_controller(cluster, among=None):
    """The node the live nodes agree leads the quorum (DescribeCluster's controller id)."""
    alive = [n for i, n in cluster.nodes.items() if among is None or i in among]
    ids = {described_cluster(n)["controller"] for n in alive}
    return ids.pop() if len(ids) == 1 and -1 not in ids else None


def assert_one_leader_per_epoch(cluster):
    leaders = collections.defaultdict(set)
    for epoch, node in cluster.leaderships():
        leaders[epoch].add(node)
    assert leaders, "no node ever led"
    assert all(len(nodes) == 1 for nodes in leaders.values()), dict(leaders)


def test_three_nodes_serve_one_cluster(cluster_factory):
    cluster = cluster_factory(nodes=3)
    md = metadata(cluster.nodes[1])
    assert sorted(md.brokers) == [1, 2, 3]
    assert md.cluster_id == cluster.cluster_id
    assert md.controller_id in (1, 2, 3)  # the broker asked: it forwards admin requests
    controller = active_controller(cluster)
    assert controller in (1, 2, 3)

    # Created through a node that is not the controller, which forwards the request.
    other_id, other = next((i, n) for i, n in cluster.nodes.items() if i != controller)
    topic = create_topic(other, partitions=6)
    for node in cluster.nodes.values():
        wait_until(lambda: topic in metadata(node).topics, what=f"{topic} on {node}")
        leaders = {p.id: p.leader for p in metadata(node).topics[topic].partitions.values()}
        assert sorted(collections.Counter(leaders.values()).values()) == [2, 2, 2], leaders

    messages = [{"key": f"k{i}".encode(), "value": f"v{i}".encode()} for i in range(300)]
    delivered = produce_ok(cluster, topic, messages, acks="all")
    records = consume_all(cluster, topic, 6)
    assert sorted(r.value for r in records) == sorted(m["value"] for m in messages)
    assert len({p for p, _ in delivered}) == 6

    # Each partition lives on its leader only.
    for node_id, node in cluster.nodes.items():
        hosted = {d.name for d in os.scandir(node.data_dir) if d.name.startswith(topic + "-")}
        led = {f"{topic}-{p.id}" for p in metadata(node).topics[topic].partitions.values()
               if p.leader == node_id}
        assert hosted == led, (node_id, hosted, led)

    # A broker asked for a partition another one leads points the client at the leader.
    from kafka.protocol.offset import OffsetRequest
    wrong = next(p for p in metadata(other).topics[topic].partitions.values() if p.leader != other_id)
    with RawConnection(other) as conn:
        answer = conn.request(OffsetRequest[1](replica_id=-1, topics=[(topic, [(wrong.id, -1)])]))
    assert answer.topics[0][1][0][1] == KafkaError.NOT_LEADER_FOR_PARTITION, answer

    # kafka-metadata-quorum.sh describe --status, against a broker.
    status = kafka_tool(cluster.nodes[1], "MetadataQuorumCommand", "describe", "--status").stdout
    assert f"LeaderId:               {controller}" in status, status
    assert "CurrentVoters:          [" in status, status
    assert_one_leader_per_epoch(cluster)


def test_the_quorum_survives_the_loss_of_its_active_controller(cluster_factory):
    cluster = cluster_factory(nodes=3)
    before = create_topic(cluster, partitions=3)
    for _ in range(2):
        leader = active_controller(cluster)
        assert leader is not None
        cluster.nodes[leader].kill()
        alive = [i for i in cluster.nodes if i != leader]
        started = time.monotonic()
        wait_until(lambda: active_controller(cluster, alive) not in (None, leader),
                   timeout_s=ELECTION_BOUND_S, what="a new active controller")
        elected_s = time.monotonic() - started
        # Topic creation works through the survivors; nothing committed is lost.
        survivor = cluster.nodes[alive[0]]
        new_leader = active_controller(cluster, alive)
        # Metadata names a live broker (the one asked), which forwards admin requests.
        assert metadata(survivor).controller_id in alive
        after = create_topic(survivor, partitions=1)
        for i in alive:
            wait_until(lambda: {before, after} <= set(metadata(cluster.nodes[i]).topics),
                       what=f"both topics on node {i}")
        # The dead node comes back and catches up from the log.
        cluster.nodes[leader].start()
        wait_until(lambda: after in metadata(cluster.nodes[leader]).topics,
                   what="the restarted node catching up")
        assert elected_s < ELECTION_BOUND_S
    assert_one_leader_per_epoch(cluster)


def test_without_a_majority_no_change_commits(cluster_factory):
    cluster = cluster_factory(nodes=3)
    leader = active_controller(cluster)
    followers = [i for i in cluster.nodes if i != leader]
    cluster.nodes[followers[0]].kill()
    cluster.nodes[followers[1]].kill()
    name = unique_topic()
    futures = admin(cluster.nodes[leader]).create_topics(
        [NewTopic(name, num_partitions=1, replication_factor=1)], operation_timeout=3,
        request_timeout=8)
    with pytest.raises(KafkaException):
        futures[name].result(timeout=OP_TIMEOUT_S)
    # A majority again: the quorum works on.
    cluster.nodes[followers[0]].start()
    created = create_topic(cluster.nodes[followers[0]], partitions=1)
    assert created in metadata(cluster.nodes[leader]).topics
    assert_one_leader_per_epoch(cluster)


def leader_epochs(cluster, topic, leaders):
    """{partition: leader epoch} as each partition's leader answers ListOffsets v5 (KIP-320)."""
    from kafka.protocol.offset import OffsetRequest
    epochs = {}
    for partition, leader in leaders.items():
        with RawConnection(cluster.nodes[leader]) as conn:
            answer = conn.request(OffsetRequest[5](replica_id=-1, isolation_level=0,
                                                   topics=[(topic, [(partition, -1, -1)])]))
        (_, error, _, _, epoch), = answer.topics[0][1]
        assert error == 0, answer
        epochs[partition] = epoch
    return epochs


def test_a_dead_broker_is_fenced_and_comes_back(cluster_factory):
    cluster = cluster_factory(nodes=3, settings={"broker.heartbeat.interval.ms": 200,
                                                 "broker.session.timeout.ms": 1500})
    topic = create_topic(cluster, partitions=3)
    controller = active_controller(cluster)
    victim = next(i for i in cluster.nodes if i != controller)
    watcher = cluster.nodes[controller]

    def listed(node_id):
        return node_id in {b["id"] for b in described_cluster(watcher)["brokers"]}

    def leaders():
        return {p.id: p.leader for p in metadata(watcher).topics[topic].partitions.values()}

    led = [p for p, leader in leaders().items() if leader == victim]
    assert led, leaders()
    epochs_before = leader_epochs(cluster, topic, leaders())
    cluster.nodes[victim].kill()
    wait_until(lambda: not listed(victim), what=f"broker {victim} fenced after its session timeout")
    # Its partitions have no leader now (one replica each until replication).
    wait_until(lambda: all(leaders()[p] == -1 for p in led), what="its partitions without a leader")
    # New partitions avoid it.
    spread = create_topic(watcher, partitions=4)
    assert victim not in {p.leader for p in metadata(watcher).topics[spread].partitions.values()}

    cluster.nodes[victim].start()
    wait_until(lambda: listed(victim), what=f"broker {victim} unfenced after its restart")
    wait_until(lambda: all(leaders()[p] == victim for p in led), what="its partitions led again")
    # Each leadership change starts a new leader epoch; the others' partitions keep theirs.
    epochs_after = leader_epochs(cluster, topic, leaders())
    for p, epoch in epochs_before.items():
        assert (epochs_after[p] > epoch) == (p in led), (epochs_before, epochs_after, led)

    # A clean stop fences at once (controlled shutdown), well before the session timeout.
    cluster.nodes[victim].stop()
    assert not listed(victim)


def test_the_whole_cluster_restarts_with_its_metadata(cluster_factory):
    cluster = cluster_factory(nodes=3)
    topics = {create_topic(cluster, partitions=2) for _ in range(3)}
    produce_ok(cluster, sorted(topics)[0], [{"value": b"kept"}], acks="all")
    for node in cluster.nodes.values():
        node.kill()
    cluster.start()  # all at once: no node serves before a leader is elected and it caught up
    for node_id, node in cluster.nodes.items():
        assert topics <= set(metadata(node).topics), node_id
    assert [r.value for r in consume_all(cluster, sorted(topics)[0], 2)] == [b"kept"]
    assert sorted(metadata(cluster.nodes[1]).brokers) == [1, 2, 3]
    assert_one_leader_per_epoch(cluster)


def test_admin_requests_to_any_node_are_forwarded_to_the_active_controller(cluster_factory):
    """KIP-590: a node that is not the active controller forwards CreateTopics, CreatePartitions,
    IncrementalAlterConfigs and DeleteTopics there, and answers with the controller's answer."""
    from kafka.protocol.admin import CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest
    cluster = cluster_factory(nodes=3)
    controller = active_controller(cluster)
    other_id, other = next((i, n) for i, n in cluster.nodes.items() if i != controller)
    topic = unique_topic()
    with RawConnection(other) as conn:
        created = conn.request(CreateTopicsRequest[1](
            create_topic_requests=[(topic, 3, 1, [], [])], timeout=30000, validate_only=False))
        assert created.topic_errors == [(topic, 0, None)]
        grown = conn.request(CreatePartitionsRequest[0](
            topic_partitions=[(topic, (5, None))], timeout=30000, validate_only=False))
        assert grown.topic_errors == [(topic, 0, None)]
        alter = incremental_alter_configs_request()
        altered = conn.request(alter(resources=[(RESOURCE_TOPIC, topic, [("retention.ms", OP_SET, "123456")]),
                                                (RESOURCE_BROKER, str(other_id),
                                                 [("log.retention.ms", OP_SET, "654321")])],
                                     validate_only=False))
        assert [r[0] for r in altered.responses] == [0, 0], altered.responses
        # A broker resource is for the broker it names: sent elsewhere, it is refused there.
        misdirected = conn.request(alter(resources=[(RESOURCE_BROKER, str(controller),
                                                     [("log.retention.ms", OP_SET, "1")])], validate_only=False))
        (code, message, _, _), = misdirected.responses
        assert (code, message) == (INVALID_REQUEST,
                                   f"Unexpected broker id, expected {other_id}, but received {controller}")
    for node in cluster.nodes.values():
        wait_until(lambda: topic in metadata(node).topics and len(metadata(node).topics[topic].partitions) == 5,
                   what=f"{topic} with 5 partitions on {node}")
    resource = ConfigResource("TOPIC", topic)
    configs = admin(cluster.nodes[controller]).describe_configs([resource])[resource].result(timeout=OP_TIMEOUT_S)
    assert configs["retention.ms"].value == "123456"
    broker_resource = ConfigResource("BROKER", str(other_id))
    configs = admin(other).describe_configs([broker_resource])[broker_resource].result(timeout=OP_TIMEOUT_S)
    assert configs["log.retention.ms"].value == "654321"
    with RawConnection(other) as conn:
        deleted = conn.request(DeleteTopicsRequest[1](topics=[topic], timeout=30000))
        assert deleted.topic_error_codes == [(topic, 0)]
    for node in cluster.nodes.values():
        wait_until(lambda: topic not in metadata(node).topics, what=f"{topic} gone from {node}")


def forwarded_create_topics(topic):
    from kafka.protocol.admin import CreateTopicsRequest
    return CreateTopicsRequest[1](create_topic_requests=[(topic, 1, 1, [], [])], timeout=30000, validate_only=False)


def test_a_forwarded_request_follows_the_controller_when_it_dies(cluster_factory):
    """The forwarding node sends the Envelope again to the new controller when the one it went
    to dies with it unanswered: the client gets the creation, not a closed connection."""
    cluster = cluster_factory(nodes=3)
    controller = active_controller(cluster)
    other = next(n for i, n in cluster.nodes.items() if i != controller)
    topic = unique_topic()
    cluster.nodes[controller].pause()  # the forward reaches a node that answers nothing
    with RawConnection(other, timeout_s=ELECTION_BOUND_S + OP_TIMEOUT_S) as conn:
        request = forwarded_create_topics(topic)
        conn.send(request)
        cluster.nodes[controller].kill()
        assert conn.receive(request).topic_errors == [(topic, 0, None)]
    alive = [n for i, n in cluster.nodes.items() if i != controller]
    for node in alive:
        wait_until(lambda: topic in metadata(node).topics, what=f"{topic} on {node}")


def test_a_forwarded_request_no_controller_answers_times_out(cluster_factory):
    """With no controller answering within request.timeout.ms, the forwarding node answers
    REQUEST_TIMED_OUT (the client may retry) instead of leaving the client waiting."""
    cluster = cluster_factory(nodes=3, settings={"request.timeout.ms": 3000})
    controller = active_controller(cluster)
    other_id, third_id = [i for i in cluster.nodes if i != controller]
    cluster.nodes[third_id].kill()
    cluster.nodes[controller].pause()
    try:
        with RawConnection(cluster.nodes[other_id]) as conn:
            request = forwarded_create_topics(unique_topic())
            started = time.monotonic()
            (_, code, message), = conn.request(request).topic_errors
            assert code == 7, message  # REQUEST_TIMED_OUT
            assert time.monotonic() - started < OP_TIMEOUT_S
    finally:
        cluster.nodes[controller].resume()


def test_a_cleanly_stopped_active_controller_resigns_first(cluster_factory):
    """SIGTERM of the active controller: it steps down (EndQuorumEpoch to the voters) before it
    stops, and the others elect one of themselves; then it rejoins as a follower."""
    cluster = cluster_factory(nodes=3)
    leader = active_controller(cluster)
    assert cluster.nodes[leader].stop() == 0
    log = cluster.nodes[leader].log_text()
    assert log.rfind("no longer leads") < log.rfind("stopped cleanly"), log[-2000:]
    assert "no longer leads" in log
    alive = [i for i in cluster.nodes if i != leader]
    wait_until(lambda: active_controller(cluster, alive) in alive, timeout_s=ELECTION_BOUND_S,
               what="a new active controller")
    created = create_topic(cluster.nodes[alive[0]], partitions=1)
    cluster.nodes[leader].start()
    wait_until(lambda: created in metadata(cluster.nodes[leader]).topics, what="the stopped node catching up")
    assert_one_leader_per_epoch(cluster)
