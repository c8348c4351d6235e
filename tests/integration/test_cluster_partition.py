"""A network partition of a 3-node cluster, in network namespaces the test creates (root only):
the active controller is cut off from the others; the majority elects a new one and keeps
committing, the cut-off node commits nothing, and once the link is back it follows the new
leader and holds exactly what the majority committed. Never two leaders in one epoch.
"""
import collections
import json

import pytest

import netns_cluster
from helpers import unique_topic, wait_until

pytestmark = pytest.mark.skipif(not netns_cluster.available(), reason="needs root, iproute2 and the right to create network namespaces")


@pytest.fixture
def netns(request, tmp_path):
    cluster = netns_cluster.NetnsCluster(str(tmp_path))
    request.node.freshet_brokers = list(cluster.nodes.values())
    try:
        yield cluster.start()
    finally:
        cluster.close()


def controller_seen(cluster, node_id, namespace=None):
    proc = cluster.freshet("cluster", "brokers", "-b", cluster.nodes[node_id].bootstrap, "--format", "json",
                           namespace=namespace, timeout=20)
    return json.loads(proc.stdout)["controller"] if proc.returncode == 0 else None


def topics_on(cluster, node_id, namespace=None):
    proc = cluster.freshet("topic", "list", "-b", cluster.nodes[node_id].bootstrap, namespace=namespace, timeout=20)
    assert proc.returncode == 0, proc.stderr
    return {line.split()[0] for line in proc.stdout.splitlines()[1:] if line.strip()}


def test_the_majority_side_commits_and_the_cut_off_leader_does_not(netns):
    cluster = netns
    leader = controller_seen(cluster, 1)
    assert leader in cluster.ids
    majority = [i for i in cluster.ids if i != leader]
    before = unique_topic()
    created = cluster.freshet("topic", "create", before, "-b", cluster.nodes[leader].bootstrap)
    assert created.returncode == 0, created.stderr

    cluster.cut(leader)
    wait_until(lambda: all(controller_seen(cluster, i) not in (None, -1, leader) for i in majority),
               timeout_s=20, what="the majority electing a new controller")
    new_leader = controller_seen(cluster, majority[0])
    during = unique_topic()
    created = cluster.freshet("topic", "create", during, "-b", cluster.nodes[new_leader].bootstrap)
    assert created.returncode == 0, created.stderr

    # The cut-off node, asked from its own side, cannot commit a thing.
    lost = unique_topic()
    refused = cluster.freshet("topic", "create", lost, "-b", cluster.nodes[leader].bootstrap,
                              namespace=f"{netns_cluster.PREFIX}-n{leader}")
    assert refused.returncode != 0, refused.stdout

    cluster.heal(leader)
    wait_until(lambda: controller_seen(cluster, leader) == new_leader, timeout_s=20,
               what="the healed node following the new controller")
    wait_until(lambda: during in topics_on(cluster, leader), what="the healed node catching up")
    for i in cluster.ids:
        topics = topics_on(cluster, i)
        assert before in topics and during in topics and lost not in topics, (i, topics)

    leaders = collections.defaultdict(set)
    for epoch, node in cluster.leaderships():
        leaders[epoch].add(node)
    assert all(len(nodes) == 1 for nodes in leaders.values()), dict(leaders)
