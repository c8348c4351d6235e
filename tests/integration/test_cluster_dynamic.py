"""A dynamic quorum (KIP-853), as Kafka 4's quick start makes one: controllers name each other in
controller.quorum.bootstrap.servers and are formatted with their first voters
(`freshet storage format --initial-controllers id@host:port:directory-id,...` or `--standalone`,
as kafka-storage.sh); the voters and their endpoints then live in the metadata log (its first
leader writes them there) and its snapshots, and a broker that knows only the bootstrap servers
finds the leader through them.
"""
import os
import subprocess

from helpers import consume_all, create_topic, produce_ok, wait_until
from freshet_broker import Broker, free_port, freshet_bin
from freshet_cluster import metadata, quorum_status, random_uuid
from kafka_tools import kafka_tool


def test_three_controllers_formatted_with_their_initial_voters_serve_one_cluster(cluster_factory):
    cluster = cluster_factory(nodes=3, dynamic=True)
    status = quorum_status(cluster.nodes[1])
    assert status["leader"] in (1, 2, 3)
    assert sorted(v["id"] for v in status["voters"]) == [1, 2, 3]
    # kafka-metadata-quorum.sh shows the voters with their directory ids and endpoints.
    out = kafka_tool(cluster.nodes[1], "MetadataQuorumCommand", "describe", "--status").stdout
    for node_id, directory_id in cluster.directory_ids.items():
        assert f'"id": {node_id}, "directoryId": "{directory_id}"' in out, out

    topic = create_topic(cluster.nodes[2], partitions=3)
    produce_ok(cluster, topic, [{"value": b"kept"}], acks="all")
    # The active controller dies: the others elect one of themselves from the voters the log holds.
    leader = status["leader"]
    cluster.nodes[leader].kill()
    alive = [i for i in cluster.nodes if i != leader]
    wait_until(lambda: (quorum_status(cluster.nodes[alive[0]]) or {}).get("leader") in alive,
               what="a new leader among the survivors")
    second = create_topic(cluster.nodes[alive[0]], partitions=1)
    cluster.nodes[leader].start()
    for node in cluster.nodes.values():
        wait_until(lambda: {topic, second} <= set(metadata(node).topics), what=f"both topics on {node}")
    assert [r.value for r in consume_all(cluster, topic, 3)] == [b"kept"]


def test_a_standalone_controller_and_a_broker_that_knows_only_the_bootstrap_server(tmp_path):
    """kafka-storage.sh format --standalone: one controller is the whole quorum; a broker-only
    node formatted without voters finds its leader through controller.quorum.bootstrap.servers."""
    cluster_id = random_uuid()
    controller_port = free_port()
    bootstrap = {"controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
                 "controller.listener.names": "CONTROLLER",
                 "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"}
    controller = Broker(str(tmp_path / "controller"), port=controller_port, smp=1, settings={
        **bootstrap, "process.roles": "controller", "node.id": 1,
        "listeners": f"CONTROLLER://127.0.0.1:{controller_port}"})
    broker_port = free_port()
    broker = Broker(str(tmp_path / "broker"), port=broker_port, smp=1, settings={
        **bootstrap, "process.roles": "broker", "node.id": 2, "listeners": f"PLAINTEXT://127.0.0.1:{broker_port}"})
    format_cmd = [freshet_bin(), "storage", "format", "--cluster-id", cluster_id]
    # A controller of a dynamic quorum must say who its first voters are.
    refused = subprocess.run(format_cmd + controller.format_settings(), capture_output=True, text=True)
    assert refused.returncode != 0
    assert "--standalone, --initial-controllers, or --no-initial-controllers" in refused.stderr, refused.stderr
    subprocess.run(format_cmd + ["--standalone"] + controller.format_settings(), check=True, capture_output=True)
    subprocess.run(format_cmd + broker.format_settings(), check=True, capture_output=True)
    try:
        controller.start()
        broker.start()
        topic = create_topic(broker, partitions=2)
        produce_ok(broker, topic, [{"value": b"v"}], acks="all")
        assert [r.value for r in consume_all(broker, topic, 2)] == [b"v"]
        status = quorum_status(broker)
        assert status["leader"] == 1 and [v["id"] for v in status["voters"]] == [1]
        assert [o["id"] for o in status["observers"]] == [2]
        # Both restart: the voters are in the log now (the leader wrote them), not only in the
        # controller's bootstrap checkpoint.
        broker.stop()
        controller.stop()
        controller.start()
        broker.start()
        assert topic in metadata(broker).topics
    finally:
        broker.close()
        controller.close()


def write_properties(path, settings):
    with open(path, "w") as f:
        for key, value in settings.items():
            f.write(f"{key}={value}\n")
    return str(path)


def test_controllers_join_and_leave_a_running_quorum_with_kafkas_tool(tmp_path):
    """kafka-metadata-quorum.sh add-controller / remove-controller (AddRaftVoter, RemoveRaftVoter):
    a standalone quorum grows to three controllers that joined as observers, then its first
    controller, the leader, removes itself and the other two carry on without it."""
    cluster_id = random_uuid()
    controller_ports = {i: free_port() for i in (1, 2, 3)}
    bootstrap = {"controller.quorum.bootstrap.servers": ",".join(f"127.0.0.1:{p}" for p in controller_ports.values()),
                 "controller.listener.names": "CONTROLLER",
                 "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"}
    controllers = {i: Broker(str(tmp_path / f"controller{i}"), port=port, smp=1, settings={
        **bootstrap, "process.roles": "controller", "node.id": i, "listeners": f"CONTROLLER://127.0.0.1:{port}"})
        for i, port in controller_ports.items()}
    broker_port = free_port()
    broker = Broker(str(tmp_path / "broker"), port=broker_port, smp=1, settings={
        **bootstrap, "process.roles": "broker", "node.id": 4, "listeners": f"PLAINTEXT://127.0.0.1:{broker_port}"})
    format_cmd = [freshet_bin(), "storage", "format", "--cluster-id", cluster_id]
    subprocess.run(format_cmd + ["--standalone"] + controllers[1].format_settings(), check=True, capture_output=True)
    for i in (2, 3):
        subprocess.run(format_cmd + ["--no-initial-controllers"] + controllers[i].format_settings(), check=True,
                       capture_output=True)
    subprocess.run(format_cmd + broker.format_settings(), check=True, capture_output=True)
    nodes = [*controllers.values(), broker]
    try:
        controllers[1].start()
        broker.start()
        for i in (2, 3):
            controllers[i].start()  # an observer of the quorum until added
        first = create_topic(broker, partitions=1)

        def quorum_tool(node, *args, expect_rc=0):
            return kafka_tool(node, "MetadataQuorumCommand", *args, expect_rc=expect_rc,
                              bootstrap_flag="--bootstrap-controller")

        for i in (2, 3):
            config = write_properties(tmp_path / f"controller{i}.properties",
                                      {**controllers[i].settings, "log.dirs": controllers[i].data_dir})
            quorum_tool(controllers[1], "--command-config", config, "add-controller")
        status = quorum_status(broker)
        assert sorted(v["id"] for v in status["voters"]) == [1, 2, 3], status
        # Adding a voter twice: Kafka's DUPLICATE_VOTER.
        again = quorum_tool(controllers[1], "--command-config", config, "add-controller", expect_rc=1)
        assert "DuplicateVoterException" in again.stdout + again.stderr, again.stderr

        # The leader removes itself: once that commits it resigns, and 2 and 3 elect one of them.
        directory_id = next(line.split("=", 1)[1] for line in
                            open(os.path.join(controllers[1].data_dir, "meta.properties")).read().splitlines()
                            if line.startswith("directory.id="))
        quorum_tool(controllers[2], "remove-controller", "--controller-id", "1",
                    "--controller-directory-id", directory_id)
        wait_until(lambda: (quorum_status(broker) or {}).get("leader") in (2, 3),
                   what="a leader among the two voters left")
        assert sorted(v["id"] for v in quorum_status(broker)["voters"]) == [2, 3]
        controllers[1].kill()
        second = create_topic(broker, partitions=1)
        assert {first, second} <= set(metadata(broker).topics)
        # And they survive a restart without the first controller.
        for node in (controllers[2], controllers[3], broker):
            node.stop()
        for node in (controllers[2], controllers[3], broker):
            node.start()
        assert {first, second} <= set(metadata(broker).topics)
    finally:
        for node in nodes:
            node.close()
