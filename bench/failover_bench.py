#!/usr/bin/env python3
"""Controller failover on a 3-node Freshet cluster (scripts/run-cluster.sh, loopback ports):
each round kills -9 the active controller and measures, from the kill,
  - election: until every survivor's DescribeCluster names one new active controller
    (`freshet cluster brokers`, one connection to each node alone), and
  - first write: until a topic creation sent straight to that controller succeeds (a
    CreateTopics that it answers only once committed: the new quorum's first committed write,
    plus the client's own set-up);
then restarts the killed node and waits until it serves again. Prints each round and the
median and max of both. Issue 11's target: first write within the election timeout
(controller.quorum.election.timeout.ms, 1000 ms) + 100 ms after the followers notice the loss,
which with Kafka's defaults is controller.quorum.fetch.timeout.ms (2000 ms) after the kill.

  bench/failover_bench.py [--rounds 10] [--freshet build/freshet]

A failed round (no new controller, or no write, within 30 s) fails the script.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUND_TIMEOUT_S = 30


def run(cmd, timeout=30):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--freshet", default=os.path.join(REPO, "build", "freshet"))
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="freshet-failover-")
    env = dict(os.environ, FRESHET_BUILD_DIR=os.path.dirname(os.path.abspath(args.freshet)))
    script = os.path.join(REPO, "scripts", "run-cluster.sh")
    nodes = {i: f"127.0.0.1:{19090 + 2 * i}" for i in (1, 2, 3)}

    def controller_seen_by(node_id):
        proc = run([args.freshet, "cluster", "brokers", "-b", nodes[node_id], "--format", "json"], timeout=5)
        return json.loads(proc.stdout)["controller"] if proc.returncode == 0 else None

    def pid_of(node_id):
        with open(os.path.join(workdir, f"node{node_id}", "pid")) as f:
            return int(f.read())

    def restart(node_id):
        properties = os.path.join(workdir, f"node{node_id}", "server.properties")
        log = open(os.path.join(workdir, f"node{node_id}", "freshet.log"), "ab")
        proc = subprocess.Popen([args.freshet, "server", "--config", properties], stdout=log, stderr=log)
        with open(os.path.join(workdir, f"node{node_id}", "pid"), "w") as f:
            f.write(str(proc.pid))
        deadline = time.monotonic() + ROUND_TIMEOUT_S
        while controller_seen_by(node_id) in (None, -1):
            if time.monotonic() > deadline:
                sys.exit(f"node {node_id} did not serve again within {ROUND_TIMEOUT_S} s")
            time.sleep(0.05)
        return proc

    started = run(["bash", script, "start", "3", workdir], timeout=120)
    if started.returncode != 0:
        sys.exit(f"cluster start failed:\n{started.stdout}{started.stderr}")
    elections, writes, children = [], [], []
    try:
        for round_index in range(args.rounds):
            leader = controller_seen_by(1)
            if leader in (None, -1):
                sys.exit("no active controller before the kill")
            survivors = [i for i in nodes if i != leader]
            os.kill(pid_of(leader), 9)
            killed_at = time.monotonic()
            deadline = killed_at + ROUND_TIMEOUT_S
            while True:
                seen = {controller_seen_by(i) for i in survivors}
                if len(seen) == 1 and seen.pop() not in (None, -1, leader):
                    break
                if time.monotonic() > deadline:
                    sys.exit(f"round {round_index + 1}: no new controller within {ROUND_TIMEOUT_S} s")
                time.sleep(0.01)
            elected_ms = (time.monotonic() - killed_at) * 1000
            new_leader = controller_seen_by(survivors[0])
            while True:
                created = run([args.freshet, "topic", "create", f"failover-{round_index}", "-b", nodes[new_leader]],
                              timeout=10)
                if created.returncode == 0:
                    break
                if time.monotonic() > deadline:
                    sys.exit(f"round {round_index + 1}: no committed write within {ROUND_TIMEOUT_S} s:\n{created.stderr}")
            written_ms = (time.monotonic() - killed_at) * 1000
            elections.append(elected_ms)
            writes.append(written_ms)
            print(f"round {round_index + 1}: killed controller {leader}; node {new_leader} elected after "
                  f"{elected_ms:.0f} ms, first write committed after {written_ms:.0f} ms", flush=True)
            children = [c for c in children if c.poll() is None]  # reap the killed ones
            children.append(restart(leader))
    finally:
        # The nodes this script restarted are its children: it stops and reaps them itself.
        for child in children:
            if child.poll() is None:
                child.terminate()
            child.wait(timeout=30)
        run(["bash", script, "stop", workdir], timeout=120)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"election: median {statistics.median(elections):.0f} ms, max {max(elections):.0f} ms; "
          f"first write: median {statistics.median(writes):.0f} ms, max {max(writes):.0f} ms "
          f"({args.rounds} rounds, 3 nodes, default controller.quorum.* timeouts)")


if __name__ == "__main__":
    main()
