#!/usr/bin/env python3
"""Metadata throughput of a 3-node Freshet cluster (scripts/run-cluster.sh, loopback ports):
single-partition topic creations per second through the controller quorum, then the same
through a 3-node Apache Kafka KRaft cluster (Maven Central, bench/kafka/pom.xml), and the ratio.
One admin client (confluent-kafka, from the integration tests' venv) sends CreateTopics
requests of --per-request topics, --in-flight of them outstanding (to a Freshet node that is
not the active controller, so that each request is forwarded, as most clients' are), until
--topics topics exist; a creation counts once its future succeeds (the controller answers once
the records are committed by a majority and applied, and the partitions exist). Issue 11's
target: 5 000/s. Creating each partition's files (a directory, the first segment's log and
indexes, partition.metadata) is part of the work; --data-root /dev/shm leaves the file
system's share out.

  bench/metadata_bench.py [--topics 20000] [--per-request 100] [--in-flight 16] [--data-root DIR]
                          [--no-kafka] [--freshet build/freshet]

A failed creation, or none within 60 s, fails the script.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from confluent_kafka.admin import AdminClient, NewTopic

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from freshet_broker import free_port  # noqa: E402  (one port picker for tests and benches)

STALL_TIMEOUT_S = 60


def create_topics(bootstrap, args, label):
    """Creates args.topics topics through `bootstrap`; returns creations per second."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    print(f"== {label}: creating {args.topics} single-partition topics through {bootstrap}, "
          f"{args.per_request} per request, {args.in_flight} requests in flight", flush=True)
    pending, created, next_topic = [], 0, 0
    started_at = last_progress = time.monotonic()
    while created < args.topics:
        while len(pending) < args.in_flight and next_topic < args.topics:
            count = min(args.per_request, args.topics - next_topic)
            topics = [NewTopic(f"meta-{next_topic + k}", num_partitions=1, replication_factor=1) for k in range(count)]
            next_topic += count
            pending.append(admin.create_topics(topics, operation_timeout=30, request_timeout=60))
        still = []
        for futures in pending:
            if all(f.done() for f in futures.values()):
                for f in futures.values():
                    f.result()  # raises on a failed creation: the script fails
                created += len(futures)
                last_progress = time.monotonic()
            else:
                still.append(futures)
        pending = still
        if time.monotonic() - last_progress > STALL_TIMEOUT_S:
            sys.exit(f"{label}: no creation finished for {STALL_TIMEOUT_S} s ({created} created)")
        time.sleep(0.001)
    rate = created / (time.monotonic() - started_at)
    print(f"{label}: {created} topics, {rate:.0f} creations/s", flush=True)
    return rate


def freshet_phase(args):
    workdir = tempfile.mkdtemp(prefix="freshet-metadata-", dir=args.data_root)
    env = dict(os.environ, FRESHET_BUILD_DIR=os.path.dirname(os.path.abspath(args.freshet)))
    script = os.path.join(REPO, "scripts", "run-cluster.sh")
    started = subprocess.run(["bash", script, "start", "3", workdir], capture_output=True, text=True, env=env,
                             timeout=120)
    if started.returncode != 0:
        sys.exit(f"cluster start failed:\n{started.stdout}{started.stderr}")
    try:
        brokers = subprocess.run([args.freshet, "cluster", "brokers", "-b", "127.0.0.1:19092", "--format", "json"],
                                 capture_output=True, text=True, timeout=30, check=True)
        controller = json.loads(brokers.stdout)["controller"]
        # A node that is not the active controller: each request is forwarded, as most clients' are.
        node = next(i for i in (1, 2, 3) if i != controller)
        return create_topics(f"127.0.0.1:{19090 + 2 * node}", args, "Freshet")
    except BaseException:
        for i in (1, 2, 3):  # what the nodes said, before their directory goes
            subprocess.run(["tail", "-n", "30", os.path.join(workdir, f"node{i}", "freshet.log")])
        raise
    finally:
        subprocess.run(["bash", script, "stop", workdir], capture_output=True, timeout=120)
        shutil.rmtree(workdir, ignore_errors=True)


def kafka_phase(args):
    """The same through a 3-node Apache Kafka KRaft cluster (bench/kafka/pom.xml's version, each node
    broker and controller, kafka_broker.sh's JVM options)."""
    build_dir = os.path.dirname(os.path.abspath(args.freshet))
    resolved = subprocess.run(["bash", "-c", f'source "{REPO}/bench/lib.sh"; source "{REPO}/bench/kafka_broker.sh"; '
                               'kafka_classpath "$0" >&2; printf "%s\\n%s" "$kafka_version" "$kafka_cp"', build_dir],
                              capture_output=True, text=True, timeout=1800)
    if resolved.returncode != 0:
        sys.exit(f"resolving Kafka failed:\n{resolved.stderr}")
    version, classpath = resolved.stdout.split("\n", 1)
    log4j = os.path.join(REPO, "bench", "kafka", "log4j2.properties")
    jvm = ["-Xmx1G", "-Xms1G", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
           "-XX:InitiatingHeapOccupancyPercent=35", "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={log4j}"]
    workdir = tempfile.mkdtemp(prefix="kafka-metadata-", dir=args.data_root)
    ports = {i: (free_port(), free_port()) for i in (1, 2, 3)}
    voters = ",".join(f"{i}@127.0.0.1:{c}" for i, (_, c) in ports.items())
    cluster_id = subprocess.run(["java", "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"],
                                capture_output=True, text=True, check=True).stdout.strip()
    processes = []
    try:
        for i, (port, controller_port) in ports.items():
            properties = os.path.join(workdir, f"node{i}.properties")
            with open(properties, "w") as f:
                f.write(f"process.roles=broker,controller\nnode.id={i}\ncontroller.quorum.voters={voters}\n"
                        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}\n"
                        f"controller.listener.names=CONTROLLER\nlog.dirs={workdir}/data{i}\n")
            subprocess.run(["java", f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath, "kafka.tools.StorageTool",
                            "format", "-t", cluster_id, "-c", properties], capture_output=True, check=True)
            log = open(os.path.join(workdir, f"node{i}.log"), "wb")
            processes.append(subprocess.Popen(["java", *jvm, "-cp", classpath, "kafka.Kafka", properties],
                                              stdout=log, stderr=log))
        bootstrap = f"127.0.0.1:{ports[1][0]}"
        admin = AdminClient({"bootstrap.servers": bootstrap})
        deadline = time.monotonic() + 120
        while True:
            try:
                if len(admin.list_topics(timeout=5).brokers) == 3:
                    break
            except Exception:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                sys.exit(f"Kafka's 3 nodes did not all serve within 120 s (logs in {workdir})")
            time.sleep(0.2)
        return create_topics(bootstrap, args, f"Apache Kafka {version}")
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=120)
            except subprocess.TimeoutExpired:  # a clean stop of many partitions may take long
                p.kill()
                p.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--topics", type=int, default=20000)
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--freshet", default=os.path.join(REPO, "build", "freshet"))
    parser.add_argument("--data-root", default=None,
                        help="where the nodes' data dirs go (default: the system's temp dir; /dev/shm "
                             "leaves out the file system's cost of creating each partition's files)")
    parser.add_argument("--no-kafka", action="store_true", help="Freshet only")
    args = parser.parse_args()
    freshet = freshet_phase(args)
    if args.no_kafka:
        return
    kafka = kafka_phase(args)
    print(f"creations/s: Freshet {freshet:.0f}, Kafka {kafka:.0f}, ratio {freshet / kafka:.2f} "
          f"({args.topics} topics, 3 nodes each, {args.per_request} per request, {args.in_flight} in flight, "
          f"data in {args.data_root or tempfile.gettempdir()})")


if __name__ == "__main__":
    main()
