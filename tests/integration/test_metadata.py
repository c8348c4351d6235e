"""Metadata listing with every client, and topic auto-creation."""
import json

import pytest
from confluent_kafka.admin import AdminClient
from kafka.protocol.metadata import MetadataRequest

from freshet_broker import free_port
from helpers import (FIND_COORDINATOR, SMP_1_AND_2, UNKNOWN_TOPIC_OR_PARTITION, RawConnection,
                     WireConnection, admin, create_topic, kcat, kp_admin, kp_consumer, produce_ok,
                     topic_metadata, unique_topic, wait_until)


@SMP_1_AND_2
def test_confluent_lists_broker_and_topics(broker):
    a = create_topic(broker, partitions=3)
    b = create_topic(broker, partitions=1)
    md = admin(broker).list_topics(timeout=10)
    assert len(md.brokers) == 1
    (node,) = md.brokers.values()
    assert (node.host, node.port) == ("127.0.0.1", broker.port)
    assert md.controller_id == node.id
    assert md.cluster_id, "metadata must carry a cluster id"
    assert {a, b} <= set(md.topics)
    for name, count in ((a, 3), (b, 1)):
        t = md.topics[name]
        assert t.error is None
        assert sorted(t.partitions) == list(range(count))
        for p in t.partitions.values():
            assert p.error is None
            assert p.leader == node.id
            assert p.replicas == [node.id]
            assert p.isrs == [node.id]


def test_confluent_metadata_for_one_unknown_topic_with_auto_create_off(broker_factory):
    broker = broker_factory(settings={"auto.create.topics.enable": "false"})
    name = unique_topic()
    md = admin(broker).list_topics(topic=name, timeout=10)
    assert md.topics[name].error is not None
    assert md.topics[name].error.code() == UNKNOWN_TOPIC_OR_PARTITION
    assert topic_metadata(broker, name) is None


def test_kafka_python_lists_topics_and_partitions(broker):
    a = create_topic(broker, partitions=4)
    c = kp_consumer(broker)
    try:
        assert a in c.topics()
        assert c.partitions_for_topic(a) == {0, 1, 2, 3}
    finally:
        c.close()
    ad = kp_admin(broker)
    try:
        assert a in ad.list_topics()
        (described,) = ad.describe_topics([a])
        assert described["error_code"] == 0
        assert sorted(p["partition"] for p in described["partitions"]) == [0, 1, 2, 3]
        cluster = ad.describe_cluster()
        assert [(b["host"], b["port"]) for b in cluster["brokers"]] == [("127.0.0.1", broker.port)]
        assert cluster["controller_id"] == cluster["brokers"][0]["node_id"]
    finally:
        ad.close()


def test_kafka_python_infers_a_modern_broker(broker):
    """kafka-python picks its protocol from the ApiVersions answer: Produce v8 (Kafka 3.9 serves
    0..11) makes it infer at least 2.4."""
    c = kp_consumer(broker)
    try:
        assert c.config["api_version"] >= (2, 4, 0), c.config["api_version"]
    finally:
        c.close()


def test_kcat_lists_metadata_as_json(broker):
    a = create_topic(broker, partitions=2)
    md = json.loads(kcat(broker, "-L", "-J").stdout)
    assert [(b["name"]) for b in md["brokers"]] == [f"127.0.0.1:{broker.port}"]
    broker_id = md["brokers"][0]["id"]
    topics = {t["topic"]: t for t in md["topics"]}
    assert a in topics
    parts = sorted(topics[a]["partitions"], key=lambda p: p["partition"])
    assert [p["partition"] for p in parts] == [0, 1]
    assert all(p["leader"] == broker_id for p in parts)


def test_kcat_lists_one_topic_as_text(broker):
    a = create_topic(broker, partitions=2)
    out = kcat(broker, "-L", "-t", a).stdout
    assert f'topic "{a}" with 2 partitions' in out
    assert "partition 0, leader" in out and "partition 1, leader" in out


@pytest.mark.parametrize("broker", [{"settings": {"num.partitions": "3"}}], indirect=True)
def test_producing_to_a_new_topic_auto_creates_it_with_num_partitions(broker):
    name = unique_topic()
    produce_ok(broker, name, [{"value": b"hello", "partition": 2}],
               **{"topic.metadata.propagation.max.ms": 5000})
    t = wait_until(lambda: topic_metadata(broker, name), what="auto-created topic")
    assert len(t.partitions) == 3


def test_metadata_with_auto_create_on_creates_the_topic_for_kcat(broker):
    name = unique_topic()
    kcat(broker, "-P", "-t", name, input="a\nb\n")
    t = wait_until(lambda: topic_metadata(broker, name), what="auto-created topic")
    assert len(t.partitions) == 1  # num.partitions defaults to 1


def test_each_listener_advertises_itself(broker_factory):
    """A client connected through listener X learns the broker's X address (Metadata,
    FindCoordinator, DescribeCluster), as Kafka answers with the request's listener."""
    internal = free_port()
    broker = broker_factory(settings={
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT"})
    broker.stop()
    broker.settings["listeners"] = (f"PLAINTEXT://127.0.0.1:{broker.port},"
                                    f"INTERNAL://127.0.0.1:{internal}")
    broker.settings["advertised.listeners"] = f"INTERNAL://localhost:{internal}"
    broker.start()

    class Via:  # what RawConnection/WireConnection need of a broker: its port
        def __init__(self, port):
            self.port = port

    for port, host in ((broker.port, "127.0.0.1"), (internal, "localhost")):
        with RawConnection(Via(port)) as conn:
            brokers = conn.request(MetadataRequest[1](topics=[])).brokers
        assert [(b[1], b[2]) for b in brokers] == [(host, port)]
        with WireConnection(Via(port)) as conn:
            found = conn.call(FIND_COORDINATOR, 1, key="g", key_type=0)
        assert (found["error_code"], found["host"], found["port"]) == (0, host, port)
    md = AdminClient({"bootstrap.servers": f"localhost:{internal}"}).list_topics(timeout=10)
    assert [(b.host, b.port) for b in md.brokers.values()] == [("localhost", internal)]


def test_metadata_version_is_finalized_as_kafka_features_describes_it(broker):
    """kafka-features.sh describe: the cluster's first controller finalized metadata.version
    (a FeatureLevelRecord of 3.9-IV0, the record formats Freshet writes), and it stays so across a
    restart (it is in the metadata log)."""
    from kafka_tools import kafka_tool

    def metadata_version_line():
        out = kafka_tool(broker, "FeatureCommand", "describe").stdout
        return next((line for line in out.splitlines() if "Feature: metadata.version" in line), "")

    wait_until(lambda: "FinalizedVersionLevel: 3.9-IV0" in metadata_version_line(), what="metadata.version finalized")
    line = metadata_version_line()
    assert "SupportedMinVersion: 3.9-IV0" in line and "SupportedMaxVersion: 3.9-IV0" in line, line
    broker.restart()
    assert "FinalizedVersionLevel: 3.9-IV0" in metadata_version_line()
