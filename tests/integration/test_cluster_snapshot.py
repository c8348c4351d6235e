"""Metadata snapshots in a real 3-node KRaft cluster: every node snapshots its image each
metadata.log.max.record.bytes.between.snapshots bytes of committed records and lets its
metadata log start at the snapshot before; a node that was down (kill -9) while 10 000 metadata
records were committed finds the leader's log starting past its own, so it fetches the leader's
snapshot (FetchSnapshot), installs it and follows the log from there, with every config the
others hold.
"""
import json
import os
import re
import subprocess

from helpers import OP_TIMEOUT_S, admin, create_topic, wait_until
from freshet_broker import freshet_bin

SNAPSHOT_EVERY_BYTES = 64 * 1024
TOPICS = 10
KEYS = ("retention.ms", "segment.ms", "max.message.bytes", "flush.ms", "delete.retention.ms")
RECORDS_BEHIND = 10_000


def quorum_status(node):
    proc = subprocess.run([freshet_bin(), "cluster", "quorum", "-b", node.bootstrap, "--format", "json"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def set_configs(node, topics, round_number):
    """One IncrementalAlterConfigs of every key of every topic: TOPICS * len(KEYS) ConfigRecords."""
    # Imported here: Debian's confluent-kafka 1.7 (which collects this file) has no AlterConfigOpType.
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource
    resources = [ConfigResource("TOPIC", t, incremental_configs=[
        ConfigEntry(key, str(100_000 + round_number), incremental_operation=AlterConfigOpType.SET)
        for key in KEYS]) for t in topics]
    for future in admin(node).incremental_alter_configs(resources).values():
        future.result(timeout=OP_TIMEOUT_S)


def topic_configs(node, topic):
    from confluent_kafka.admin import ConfigResource
    resource = ConfigResource("TOPIC", topic)
    configs = admin(node).describe_configs([resource])[resource].result(timeout=OP_TIMEOUT_S)
    return {key: configs[key].value for key in KEYS}


def snapshot_files(node):
    metadata_dir = os.path.join(node.data_dir, "__cluster_metadata-0")
    return sorted(f for f in os.listdir(metadata_dir) if f.endswith(".checkpoint"))


def test_a_node_far_behind_catches_up_from_the_leaders_snapshot(cluster_factory):
    cluster = cluster_factory(nodes=3, settings={
        "metadata.log.max.record.bytes.between.snapshots": SNAPSHOT_EVERY_BYTES})
    leader = quorum_status(cluster.nodes[1])["leader"]
    behind_id = next(i for i in cluster.nodes if i != leader)
    behind = cluster.nodes[behind_id]
    up = next(n for i, n in cluster.nodes.items() if i != behind_id)
    topics = [create_topic(up, partitions=1) for _ in range(TOPICS)]
    wait_until(lambda: all(t in admin(behind).list_topics(timeout=OP_TIMEOUT_S).topics for t in topics),
               what="the topics on the node about to go down")
    behind.kill()
    start_offset = quorum_status(up)["high_watermark"]

    rounds = RECORDS_BEHIND // (TOPICS * len(KEYS))
    for r in range(rounds):
        set_configs(up, topics, r)
    status = quorum_status(up)
    assert status["high_watermark"] - start_offset >= RECORDS_BEHIND, status
    expected = {key: str(100_000 + rounds - 1) for key in KEYS}
    assert topic_configs(up, topics[0]) == expected

    # The live nodes snapshot as they go; their logs start past where the dead one's ends.
    for node in cluster.nodes.values():
        if node is not behind:
            wait_until(lambda: len(snapshot_files(node)) == 2, what=f"two snapshots kept on {node}")
            assert "metadata quorum: snapshot at offset" in node.log_text()

    behind.start()
    installed = re.findall(r"installed the leader's snapshot at offset (\d+)", behind.log_text())
    assert installed, "the restarted node caught up without a snapshot"
    assert int(installed[-1]) > start_offset
    wait_until(lambda: all(topic_configs(behind, t) == expected for t in topics),
               what="every config on the node that caught up")
    # It follows the log after the snapshot: a change made now reaches it too.
    set_configs(up, topics, rounds)
    wait_until(lambda: topic_configs(behind, topics[-1])["retention.ms"] == str(100_000 + rounds),
               what="a change after the snapshot on the node that caught up")
    assert snapshot_files(behind), "the installed snapshot is kept"
