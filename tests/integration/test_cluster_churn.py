"""A 5-node KRaft cluster under churn: a client creates topics without pause while the active
controller is killed with kill -9, again and again (and restarted). Every creation the client saw
acknowledged exists afterwards on every node, and the nodes' logs never show two leaders of one
epoch.
"""
import collections
import itertools
import re
import threading
import time

from confluent_kafka.admin import AdminClient, NewTopic

from helpers import OP_TIMEOUT_S, admin, unique_topic, wait_until

ROUNDS = 3
CREATIONS_PER_ROUND = 5


def leader_of_quorum(cluster, alive):
    """The leader the live nodes' logs last name (each node logs when it starts leading)."""
    latest = max(((int(epoch), i) for i in alive
                  for epoch in re.findall(r"node \d+ leads epoch (\d+)", cluster.nodes[i].log_text())),
                 default=None)
    return latest[1] if latest else None


class Creator(threading.Thread):
    """Creates topics one after another until stopped; remembers those acknowledged."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        self.client = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 3000})
        self.acked = []
        self.errors = []  # (time, name, error) of creations not acknowledged
        self.stopping = threading.Event()

    def run(self):
        prefix = unique_topic("churn")
        for n in itertools.count():
            if self.stopping.is_set():
                return
            name = f"{prefix}-{n}"
            future = self.client.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)],
                                               operation_timeout=5, request_timeout=6)[name]
            try:
                future.result(timeout=10)
                self.acked.append(name)
            except Exception as e:  # a creation cut off by a kill: not acknowledged, may or may not exist
                self.errors.append((time.strftime("%H:%M:%S"), name, str(e)))


def test_acknowledged_creations_survive_repeated_kills_of_the_active_controller(cluster_factory):
    cluster = cluster_factory(nodes=5)
    creator = Creator(cluster.bootstrap)
    creator.start()
    try:
        for _ in range(ROUNDS):
            before = len(creator.acked)
            wait_until(lambda: len(creator.acked) >= before + CREATIONS_PER_ROUND, what="creations going on")
            victim = leader_of_quorum(cluster, cluster.nodes)
            cluster.nodes[victim].kill()
            alive = [i for i in cluster.nodes if i != victim]
            wait_until(lambda: leader_of_quorum(cluster, alive) not in (None, victim), what="a new active controller")
            after_kill = len(creator.acked)
            try:
                wait_until(lambda: len(creator.acked) >= after_kill + CREATIONS_PER_ROUND,
                           what="creations acknowledged by the new controller")
            except AssertionError as e:
                raise AssertionError(f"{e}; the last refusals: {creator.errors[-4:]}") from None
            cluster.nodes[victim].start()
    finally:
        creator.stopping.set()
        creator.join(timeout=30)
    acked = set(creator.acked)
    assert len(acked) >= 2 * ROUNDS * CREATIONS_PER_ROUND
    for node_id, node in cluster.nodes.items():
        wait_until(lambda: acked <= set(admin(node).list_topics(timeout=OP_TIMEOUT_S).topics),
                   what=f"every acknowledged topic on node {node_id}")
    leaders = collections.defaultdict(set)
    for epoch, node_id in cluster.leaderships():
        leaders[epoch].add(node_id)
    assert all(len(nodes) == 1 for nodes in leaders.values()), dict(leaders)
