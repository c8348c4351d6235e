"""A cluster of real `freshet server` processes on loopback ports: N nodes with
process.roles=broker,controller, each with a client listener and a CONTROLLER listener, one
controller.quorum.voters list, log dirs formatted with one cluster id by `freshet storage format`
(as kafka-storage.sh does). Each node is a freshet_broker.Broker, so tests kill -9, stop and
start nodes one by one; a node is ready once it serves clients, which it does only after the
quorum has a leader and the node has caught up and registered.
"""
import os
import re
import subprocess

from freshet_broker import Broker, free_port, freshet_bin


def combined_node_settings(node_id, voters, client_address, controller_address):
    """A broker,controller node's settings, as Kafka's KRaft quick start writes them."""
    return {
        "process.roles": "broker,controller",
        "node.id": node_id,
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://{client_address},CONTROLLER://{controller_address}",
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


class Cluster(NodeSet):
    def __init__(self, workdir, nodes=3, settings=None):
        self.workdir = workdir
        ids = list(range(1, nodes + 1))
        controller_ports = {i: free_port() for i in ids}
        self.voters = ",".join(f"{i}@127.0.0.1:{controller_ports[i]}" for i in ids)
        self.cluster_id = subprocess.run([freshet_bin(), "storage", "random-uuid"], check=True,
                                         capture_output=True, text=True).stdout.strip()
        self.nodes = {}
        for i in ids:
            node_dir = os.path.join(workdir, f"node{i}")
            os.makedirs(node_dir, exist_ok=True)
            port = free_port()
            node_settings = {**combined_node_settings(i, self.voters, f"127.0.0.1:{port}",
                                                      f"127.0.0.1:{controller_ports[i]}"), **(settings or {})}
            node = Broker(node_dir, settings=node_settings, port=port, smp=1)
            subprocess.run([freshet_bin(), "storage", "format", "--cluster-id", self.cluster_id,
                            "--set", f"log.dirs={node.data_dir}", "--set", f"node.id={i}"],
                           check=True, capture_output=True, text=True)
            self.nodes[i] = node

    @property
    def bootstrap(self):
        return ",".join(n.bootstrap for n in self.nodes.values())
