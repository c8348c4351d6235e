"""Separate roles: three process.roles=controller nodes hold the metadata quorum and two
process.roles=broker nodes follow it as observers, register, host every partition and serve the
clients; admin requests go to a broker, which forwards them to the active controller. Kill -9 of
the active controller elects another while the brokers keep serving.
"""
import collections

from helpers import consume_all, create_topic, produce_ok, wait_until
from freshet_cluster import metadata, quorum_status
from kafka_tools import kafka_tool


def test_three_controllers_and_two_brokers_serve_one_cluster(cluster_factory):
    cluster = cluster_factory(nodes=3, separate_brokers=2, settings={"broker.heartbeat.interval.ms": 200,
                                                                     "broker.session.timeout.ms": 1500})
    brokers = cluster.brokers
    assert sorted(brokers) == [4, 5]
    for node in brokers.values():
        md = metadata(node)
        assert sorted(md.brokers) == [4, 5]
        assert md.controller_id in (4, 5)  # a broker, which forwards admin requests

    # The quorum as a broker sees it: controllers vote, brokers observe.
    wait_until(lambda: sorted(o["id"] for o in quorum_status(brokers[4])["observers"]) == [4, 5],
               what="both brokers observing the quorum")
    status = quorum_status(brokers[4])
    assert status["leader"] in (1, 2, 3)
    assert sorted(v["id"] for v in status["voters"]) == [1, 2, 3]
    # kafka-metadata-quorum.sh --bootstrap-controller: the admin client finds the controllers
    # with DescribeCluster for controller endpoints (KIP-919), then asks one of them.
    for controller in (1, 2, 3):
        out = kafka_tool(cluster.nodes[controller], "MetadataQuorumCommand", "describe", "--status",
                         bootstrap_flag="--bootstrap-controller").stdout
        assert f"LeaderId:               {status['leader']}" in out, out
        assert "CurrentVoters:          [" in out and "CurrentObservers:       [" in out, out
    # A broker's listener is no controller endpoint: Kafka's MISMATCHED_ENDPOINT_TYPE.
    refused = kafka_tool(brokers[4], "MetadataQuorumCommand", "describe", "--status",
                         bootstrap_flag="--bootstrap-controller", expect_rc=1)
    assert "MismatchedEndpointTypeException" in refused.stderr + refused.stdout, refused.stderr

    topic = create_topic(brokers[5], partitions=4)
    for node in brokers.values():
        wait_until(lambda: topic in metadata(node).topics, what=f"{topic} on {node}")
    leaders = [p.leader for p in metadata(brokers[4]).topics[topic].partitions.values()]
    assert sorted(collections.Counter(leaders).values()) == [2, 2], leaders
    messages = [{"key": f"k{i}".encode(), "value": f"v{i}".encode()} for i in range(200)]
    produce_ok(cluster, topic, messages, acks="all")
    assert sorted(r.value for r in consume_all(cluster, topic, 4)) == sorted(m["value"] for m in messages)

    # The active controller dies: another controller leads, and creation goes on through the brokers.
    old_leader = status["leader"]
    cluster.nodes[old_leader].kill()
    wait_until(lambda: (quorum_status(brokers[4]) or {}).get("leader") not in (None, -1, old_leader),
               what="a new active controller")
    # (With a session timeout this short, the brokers may be fenced for a moment while their
    # heartbeats find the new controller.)
    wait_until(lambda: sorted(metadata(brokers[4]).brokers) == [4, 5], what="both brokers live again")
    second = create_topic(brokers[4], partitions=2)
    for node in brokers.values():
        wait_until(lambda: second in metadata(node).topics, what=f"{second} on {node}")
    cluster.nodes[old_leader].start()
    wait_until(lambda: all(v["lag"] == 0 for v in quorum_status(brokers[5])["voters"]),
               what="the restarted controller caught up")

    # A broker that dies is fenced by the active controller, a controller-only node.
    cluster.nodes[5].kill()
    wait_until(lambda: sorted(metadata(brokers[4]).brokers) == [4], what="broker 5 fenced after its session timeout")
