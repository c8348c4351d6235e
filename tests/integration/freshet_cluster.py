"""A cluster of real `freshet server` processes on loopback ports: N nodes with
process.roles=broker,controller, each with a client listener and a CONTROLLER listener (or, with
separate_brokers=B, N process.roles=controller nodes and B process.roles=broker ones), one
controller.quorum.voters list, log dirs formatted with one cluster id by `freshet storage format`
(as kafka-storage.sh does); or, with dynamic=True, a dynamic quorum (KIP-853): every node names the
controllers in controller.quorum.bootstrap.servers and the controllers are formatted with
--initial-controllers (each with its own metadata directory id). Each node is a freshet_broker.Broker, so tests kill -9, stop and
start nodes one by one; a node is ready once it serves clients, which it does only after the
quorum has a leader and the node has caught up and registered.
"""
import json
import os
import re
import subprocess

from freshet_broker import Broker, free_port, freshet_bin
from helpers import OP_TIMEOUT_S, admin


def quorum_status(node):
    """`freshet cluster quorum --format json` against this node alone (DescribeQuorum), or None
    when it fails."""
    proc = subprocess.run([freshet_bin(), "cluster", "quorum", "-b", node.bootstrap, "--format", "json"],
                          capture_output=True, text=True, timeout=30)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def metadata(node):
    """The node's Metadata answer, as confluent-kafka's admin lists it."""
    return admin(node).list_topics(timeout=OP_TIMEOUT_S)


def combined_node_settings(node_id, quorum, client_address, controller_address):
    """A broker,controller node's settings, as Kafka's KRaft quick start writes them."""
    return {
        "process.roles": "broker,controller",
        "node.id": node_id,
        **quorum,
        "listeners": f"PLAINTEXT://{client_address},CONTROLLER://{controller_address}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    }


def controller_node_settings(node_id, quorum, controller_address):
    """A controller-only node: the quorum's listener alone."""
    return {
        "process.roles": "controller",
        "node.id": node_id,
        **quorum,
        "listeners": f"CONTROLLER://{controller_address}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT",
    }


def broker_node_settings(node_id, quorum, client_address):
    """A broker-only node: clients' listener; it follows the controllers named in the voters."""
    return {
        "process.roles": "broker",
        "node.id": node_id,
        **quorum,
        "listeners": f"PLAINTEXT://{client_address}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    }


class NodeSet:
    """What every cluster of nodes (self.nodes: id -> Broker) does alike."""

    def start(self):
        for node in self.nodes.values():
            node.launch()
        for node in self.nodes.values():
            node.wait_ready()
        return self

    def close(self):
        for node in self.nodes.values():
            node.close()

    def crashed(self):
        return [n for n in self.nodes.values() if n.crashed()]

    def leaderships(self):
        """(epoch, node id) for every "leads epoch" line in the nodes' logs."""
        seen = []
        for node_id, node in self.nodes.items():
            for epoch in re.findall(r"metadata quorum: node \d+ leads epoch (\d+)", node.log_text()):
                seen.append((int(epoch), node_id))
        return seen


def random_uuid():
    return subprocess.run([freshet_bin(), "storage", "random-uuid"], check=True, capture_output=True,
                          text=True).stdout.strip()


class Cluster(NodeSet):
    def __init__(self, workdir, nodes=3, settings=None, separate_brokers=0, dynamic=False):
        self.workdir = workdir
        voter_ids = list(range(1, nodes + 1))
        controller_ports = {i: free_port() for i in voter_ids}
        self.voters = ",".join(f"{i}@127.0.0.1:{controller_ports[i]}" for i in voter_ids)
        if dynamic:
            self.directory_ids = {i: random_uuid() for i in voter_ids}
            self.initial_controllers = ",".join(f"{i}@127.0.0.1:{controller_ports[i]}:{self.directory_ids[i]}"
                                                for i in voter_ids)
            quorum = {"controller.quorum.bootstrap.servers": ",".join(f"127.0.0.1:{controller_ports[i]}"
                                                                      for i in voter_ids)}
        else:
            quorum = {"controller.quorum.voters": self.voters}
        self.dynamic = dynamic
        self.cluster_id = random_uuid()
        self.nodes = {}
        self.broker_ids = []
        for i in range(1, nodes + separate_brokers + 1):
            port = free_port()
            if not separate_brokers:
                role_settings = combined_node_settings(i, quorum, f"127.0.0.1:{port}",
                                                       f"127.0.0.1:{controller_ports[i]}")
            elif i in controller_ports:
                port = controller_ports[i]  # ready once the quorum's listener accepts
                role_settings = controller_node_settings(i, quorum, f"127.0.0.1:{port}")
            else:
                role_settings = broker_node_settings(i, quorum, f"127.0.0.1:{port}")
            if role_settings["process.roles"] != "controller":
                self.broker_ids.append(i)
            self.nodes[i] = self.format_node(i, port, {**role_settings, **(settings or {})})

    def format_node(self, node_id, port, node_settings):
        node_dir = os.path.join(self.workdir, f"node{node_id}")
        os.makedirs(node_dir, exist_ok=True)
        node = Broker(node_dir, settings=node_settings, port=port, smp=1)
        initial = ["--initial-controllers", self.initial_controllers] \
            if self.dynamic and node_settings["process.roles"] != "broker" else []
        subprocess.run([freshet_bin(), "storage", "format", "--cluster-id", self.cluster_id, *initial,
                        *node.format_settings()], check=True, capture_output=True, text=True)
        return node

    @property
    def brokers(self):
        return {i: self.nodes[i] for i in self.broker_ids}

    @property
    def bootstrap(self):
        return ",".join(n.bootstrap for n in self.brokers.values())
