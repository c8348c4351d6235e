"""A cluster whose nodes live in network namespaces the test creates, so that links can be cut:
namespaces frt-n<i> (node i at 10.77.<net>.<i>), frt-c (clients at 10.77.<net>.100), and frt-hub
holding the bridge every one of them is plugged into by a veth pair. cut(i) takes node i's link
down (it can reach no one, no one reaches it), heal(i) brings it back. Root only; everything is
removed at close(). The nodes are real `freshet server` processes (`ip netns exec` execs them,
so their pid is theirs), ready once their log says so (their ports are not reachable from here).
"""
import os
import re
import shutil
import subprocess
import time

from freshet_broker import Broker, BrokerStartError, freshet_bin
from freshet_cluster import NodeSet, combined_node_settings

PREFIX = "frt"


def available():
    """Root, iproute2, and the right to create a namespace (a container may lack it)."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    probe = f"{PREFIX}-probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode == 0
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return made


def sh(*args):
    subprocess.run(list(args), check=True, capture_output=True, text=True)


class NetnsNode(Broker):
    def __init__(self, workdir, namespace, address, settings):
        super().__init__(workdir, settings=settings, port=9092, smp=1)
        self.namespace = namespace
        self.bootstrap = f"{address}:9092"

    def command(self):
        # The node listens on its own address (settings), inside its namespace.
        return ["ip", "netns", "exec", self.namespace] + super().command()

    def wait_ready(self, timeout_s=30):
        deadline = time.monotonic() + timeout_s
        marker = f"---- freshet start #{self.starts}:"
        while True:
            if self.proc.poll() is not None:
                raise BrokerStartError(f"freshet exited with {self.proc.returncode}; log:\n{self.log_tail()}")
            text = self.log_text()
            if re.search(r"freshet node \d+ ready in", text[text.rfind(marker):]):
                return self
            if time.monotonic() > deadline:
                raise BrokerStartError(f"node in {self.namespace} not ready after {timeout_s}s:\n{self.log_tail()}")
            time.sleep(0.02)


class NetnsCluster(NodeSet):
    def __init__(self, workdir, nodes=3, net=77):
        self.ids = list(range(1, nodes + 1))
        self.address = {i: f"10.{net}.0.{i}" for i in self.ids}
        self.namespaces = [f"{PREFIX}-hub", f"{PREFIX}-c"] + [f"{PREFIX}-n{i}" for i in self.ids]
        self.closed = False
        self._build_network(net)
        voters = ",".join(f"{i}@{self.address[i]}:9093" for i in self.ids)
        cluster_id = subprocess.run([freshet_bin(), "storage", "random-uuid"], check=True, capture_output=True,
                                    text=True).stdout.strip()
        self.nodes = {}
        for i in self.ids:
            node_dir = os.path.join(workdir, f"node{i}")
            os.makedirs(node_dir, exist_ok=True)
            settings = combined_node_settings(i, {"controller.quorum.voters": voters}, f"{self.address[i]}:9092",
                                              f"{self.address[i]}:9093")
            node = NetnsNode(node_dir, f"{PREFIX}-n{i}", self.address[i], settings)
            subprocess.run([freshet_bin(), "storage", "format", "--cluster-id", cluster_id, "--set",
                            f"log.dirs={node.data_dir}", "--set", f"node.id={i}"], check=True, capture_output=True)
            self.nodes[i] = node

    def _build_network(self, net):
        self.close_network()
        hub = f"{PREFIX}-hub"
        for ns in self.namespaces:
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", hub, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", hub, "link", "set", "br0", "up")
        ends = {f"{PREFIX}-c": (f"10.{net}.0.100", "hc")}
        ends.update({f"{PREFIX}-n{i}": (self.address[i], f"h{i}") for i in self.ids})
        for ns, (address, hub_end) in ends.items():
            sh("ip", "-n", hub, "link", "add", hub_end, "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "-n", hub, "link", "set", hub_end, "master", "br0", "up")
            sh("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")

    def cut(self, i):
        sh("ip", "-n", f"{PREFIX}-hub", "link", "set", f"h{i}", "down")

    def heal(self, i):
        sh("ip", "-n", f"{PREFIX}-hub", "link", "set", f"h{i}", "up")

    def freshet(self, *args, namespace=None, timeout=40):
        """The freshet CLI run in the clients' namespace (or `namespace`)."""
        return subprocess.run(["ip", "netns", "exec", namespace or f"{PREFIX}-c", freshet_bin(), *args],
                              capture_output=True, text=True, timeout=timeout)

    def close_network(self):
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def close(self):
        super().close()
        self.close_network()
