#!/usr/bin/env python3
"""Partition failover on a Freshet cluster of one controller and three brokers
(scripts/run-cluster.sh start 1 DIR 3, loopback ports, default settings): a confluent-kafka
producer sends acks=all records at a fixed --rate to a partition with replication factor 3 and
min.insync.replicas=2; each round kills -9 the partition's leader and measures from the kill to
the first acknowledgement of a record sent after it (the new leader's first acknowledged
produce; Kafka notices a dead broker only after broker.session.timeout.ms, 9 s by default), and
until a Metadata answer names a new leader (the broker side of it: the rest is the client
finding the new leader).
Then it restarts the killed broker and waits until the ISR is whole again. Prints each round,
the median and max, and the latency of every record from its scheduled send time (no
coordinated omission) over the whole run.

  tests/integration/.venv/bin/python bench/partition_failover_bench.py [--rounds 5] [--rate 200] [--keep]

A round without an acknowledgement within 30 s, or a record that failed, fails the script.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUND_TIMEOUT_S = 30
BROKERS = {i: f"127.0.0.1:{19090 + 2 * i}" for i in (2, 3, 4)}  # node 1 is the controller
TOPIC = "failover"


class ScheduledLoad:
    """Record i is due at start + i / rate; each delivery keeps (due, acknowledged) times."""

    def __init__(self, bootstrap, rate):
        self.rate = rate
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                                  "linger.ms": 0, "message.timeout.ms": 120000})
        self.lock = threading.Lock()
        self.acked = []  # (due, acknowledged) monotonic seconds
        self.errors = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        start = time.monotonic()
        i = 0
        while not self.stopping.is_set():
            due = start + i / self.rate
            while time.monotonic() < due:
                self.producer.poll(max(0.0, min(0.001, due - time.monotonic())))
            self.producer.produce(TOPIC, value=str(i).encode(), partition=0, on_delivery=self.report(due))
            i += 1
            self.producer.poll(0)
        self.producer.flush(ROUND_TIMEOUT_S * 4)

    def report(self, due):
        def on_delivery(err, _msg):
            with self.lock:
                (self.errors.append(err) if err else self.acked.append((due, time.monotonic())))
        return on_delivery

    def first_ack_due_after(self, t):
        with self.lock:
            times = [acked for due, acked in self.acked if due > t]
        return min(times) if times else None


def leader_and_isr(admin):
    """Partition 0's leader and ISR as a live broker's Metadata answer has them."""
    partition = admin.list_topics(TOPIC, timeout=5).topics[TOPIC].partitions[0]
    return partition.leader, sorted(partition.isrs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--freshet", default=os.path.join(REPO, "build", "freshet"))
    parser.add_argument("--keep", action="store_true", help="keep the cluster's dir (node logs) and print where")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="freshet-partition-failover-")
    env = dict(os.environ, FRESHET_BUILD_DIR=os.path.dirname(os.path.abspath(args.freshet)))
    script = os.path.join(REPO, "scripts", "run-cluster.sh")
    started = subprocess.run(["bash", script, "start", "1", workdir, "3"], env=env, capture_output=True, text=True,
                             timeout=120)
    if started.returncode != 0:
        sys.exit(f"cluster start failed:\n{started.stdout}{started.stderr}")
    bootstrap = ",".join(BROKERS.values())
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(TOPIC, 1, 3, config={"min.insync.replicas": "2"})])[TOPIC].result(30)
    children, elections, failovers = [], [], []
    load = None

    def wait_for(condition, what):
        deadline = time.monotonic() + ROUND_TIMEOUT_S
        while not condition():
            if time.monotonic() > deadline:
                sys.exit(f"{what}: not within {ROUND_TIMEOUT_S} s")
            time.sleep(0.01)

    try:
        wait_for(lambda: leader_and_isr(admin)[1] == [2, 3, 4], "a whole ISR")
        load = ScheduledLoad(bootstrap, args.rate)
        load.thread.start()
        wait_for(lambda: load.first_ack_due_after(0) is not None, "a first acknowledgement")
        for round_index in range(args.rounds):
            leader = leader_and_isr(admin)[0]
            with open(os.path.join(workdir, f"node{leader}", "pid")) as f:
                os.kill(int(f.read()), 9)
            killed_at = time.monotonic()
            wait_for(lambda: leader_and_isr(admin)[0] not in (-1, leader), f"round {round_index + 1}: a new leader")
            elected_ms = (time.monotonic() - killed_at) * 1000
            wait_for(lambda: load.first_ack_due_after(killed_at) is not None, f"round {round_index + 1}: an ack")
            failover_ms = (load.first_ack_due_after(killed_at) - killed_at) * 1000
            elections.append(elected_ms)
            failovers.append(failover_ms)
            print(f"round {round_index + 1}: killed leader {leader}; a new leader in Metadata after {elected_ms:.0f} ms, "
                  f"first acknowledged produce after {failover_ms:.0f} ms", flush=True)
            properties = os.path.join(workdir, f"node{leader}", "server.properties")
            log = open(os.path.join(workdir, f"node{leader}", "freshet.log"), "ab")
            children = [c for c in children if c.poll() is None]
            children.append(subprocess.Popen([args.freshet, "server", "--config", properties], stdout=log, stderr=log))
            with open(os.path.join(workdir, f"node{leader}", "pid"), "w") as f:
                f.write(str(children[-1].pid))
            wait_for(lambda: leader_and_isr(admin)[1] == [2, 3, 4], f"round {round_index + 1}: the ISR whole again")
        load.stopping.set()
        load.thread.join(ROUND_TIMEOUT_S * 5)
    finally:
        if load:
            load.stopping.set()
        for child in children:
            if child.poll() is None:
                child.terminate()
            child.wait(timeout=30)
        subprocess.run(["bash", script, "stop", workdir], env=env, capture_output=True, timeout=120)
        if args.keep:
            print(f"node logs: {workdir}/node*/freshet.log")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if load.errors:
        sys.exit(f"{len(load.errors)} records failed, first: {load.errors[0]}")
    latencies = sorted((acked - due) * 1000 for due, acked in load.acked)
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"kill -9 -> new leader in Metadata: median {statistics.median(elections):.0f} ms, "
          f"max {max(elections):.0f} ms; -> first acknowledged produce: median {statistics.median(failovers):.0f} ms, "
          f"max {max(failovers):.0f} ms ({args.rounds} rounds)")
    print(f"latency from scheduled send over the run ({len(latencies)} records at {args.rate}/s, acks=all, RF=3): "
          f"p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {latencies[-1]:.0f} ms")


if __name__ == "__main__":
    main()
