#!/usr/bin/python3
"""Consumer-group benchmark against a running broker (bench/run_group_bench.sh starts one).

rebalance: for each assignment strategy (range = eager, cooperative-sticky = incremental), a
  group of --members consumers (threads of this process, confluent-kafka/librdkafka) subscribes
  to a --partitions topic. Reported: the first join (the group's initial rebalance, which
  waits group.initial.rebalance.delay.ms on the broker), then --rounds times: an extra member
  joins (time from its subscribe() until every member holds its final assignment, i.e. the
  assignments are disjoint, cover every partition and none is empty) and leaves again (time
  from its close() until the others cover every partition).
rebalance-raw: the same join of one more member with raw protocol requests that answer at once
  (heartbeat, JoinGroup, SyncGroup pipelined on one socket per member, no client think time):
  from the new member's JoinGroup until every member has its SyncGroup answer. This is the
  broker's share of a rejoin rebalance plus loopback round trips, without the clients'
  heartbeat interval and internal timers that dominate the times above.
commit: synchronous OffsetCommit requests (one partition each, rotating over the member's
  partitions) for --commit-seconds by 1 and by --members group members (one process each);
  reported: commits/s in total and the per-commit latency (p50/p99) seen by the client.
With --broker-log, also the broker's own join-phase time of each rebalance, from its log lines
"Preparing to rebalance group G" to "Stabilized group G generation N" (millisecond timestamps).

Prints one `key=value ...` line per measurement and a summary table at the end; exits non-zero
when a phase fails (an exception, a member process that crashed, or failed commits).
"""
import argparse
import datetime
import multiprocessing
import os
import re
import statistics
import sys
import threading
import time
import uuid

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

# The integration tests' wire codec (any version of the group APIs).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import helpers as wire  # noqa: E402


def client_conf(args, group, **extra):
    conf = {
        "bootstrap.servers": args.bootstrap,
        "broker.address.family": "v4",
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": args.heartbeat_ms,
        "max.poll.interval.ms": 30000,
    }
    conf.update(extra)
    return conf


def create_topic(args, partitions):
    name = f"group-bench-{uuid.uuid4().hex[:8]}"
    a = AdminClient({"bootstrap.servers": args.bootstrap, "broker.address.family": "v4"})
    a.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])[name].result(30)
    deadline = time.monotonic() + 30
    while True:
        t = a.list_topics(name, timeout=10).topics.get(name)
        if t is not None and t.error is None and len(t.partitions) == partitions:
            return name
        if time.monotonic() > deadline:
            raise RuntimeError(f"topic {name} not ready")
        time.sleep(0.05)


class Member:
    """A consumer polled by its own thread; `owned` follows the rebalance callbacks and
    `changed_at` is the time of the last change (time.monotonic())."""

    def __init__(self, args, group, topic, strategy):
        self.incremental = strategy == "cooperative-sticky"
        self.owned = set()
        self.changed_at = None
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.consumer = Consumer(client_conf(args, group, **{
            "partition.assignment.strategy": strategy}))
        self.consumer.subscribe([topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _on_assign(self, consumer, partitions):
        with self.lock:
            ps = {tp.partition for tp in partitions}
            self.owned = self.owned | ps if self.incremental else ps
            self.changed_at = time.monotonic()

    def _on_revoke(self, consumer, partitions):
        with self.lock:
            self.owned = self.owned - {tp.partition for tp in partitions}
            self.changed_at = time.monotonic()

    def _loop(self):
        while not self.stop.is_set():
            self.consumer.poll(0.01)

    def snapshot(self):
        with self.lock:
            return set(self.owned), self.changed_at

    def close(self):
        self.stop.set()
        self.thread.join()
        self.consumer.close()


BROKER_LOG_LINE = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\] \[info\] "
    r"(?:Preparing to rebalance group (?P<prepare>\S+) |Stabilized group (?P<stable>\S+) )")


def broker_join_phases_ms(log_path, group, since, until):
    """Join phases (ms, broker clock) of `group` that started between the wall-clock times
    `since` and `until`: each "Preparing to rebalance" to the next "Stabilized" line."""
    if not log_path:
        return []
    phases, started = [], None
    with open(log_path, errors="replace") as log:
        for line in log:
            m = BROKER_LOG_LINE.match(line)
            if not m or group not in (m.group("prepare"), m.group("stable")):
                continue
            at = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            if m.group("prepare") and since - 0.01 <= at <= until + 0.01:
                started = at
            elif m.group("stable") and started is not None:
                phases.append((at - started) * 1000)
                started = None
    return phases


def wait_stable(members, partitions, timeout_s=60):
    """Waits until the members' assignments are disjoint, cover range(partitions) and none is
    empty; returns the time of the last assignment change that led there."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        snaps = [m.snapshot() for m in members]
        owned = [s[0] for s in snaps]
        union = set().union(*owned)
        if (len(union) == partitions and sum(map(len, owned)) == partitions
                and all(owned)):
            return max(s[1] for s in snaps)
        time.sleep(0.001)
    raise RuntimeError(f"group not stable after {timeout_s}s: "
                       f"{[len(m.snapshot()[0]) for m in members]}")


def bench_rebalance(args, strategy):
    topic = create_topic(args, args.partitions)
    group = f"rebalance-{strategy}-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    members = [Member(args, group, topic, strategy) for _ in range(args.members)]
    first_join_ms = (wait_stable(members, args.partitions) - started) * 1000
    print(f"rebalance strategy={strategy} phase=first_join members={args.members} "
          f"ms={first_join_ms:.1f}", flush=True)
    joins, leaves, broker_joins = [], [], []
    try:
        for _ in range(args.rounds):
            time.sleep(0.5)  # an idle, stable group
            joined_at, joined_wall = time.monotonic(), time.time()
            extra = Member(args, group, topic, strategy)
            joins.append((wait_stable(members + [extra], args.partitions) - joined_at) * 1000)
            time.sleep(0.5)  # lets the broker log the last phase before it is read
            phases = broker_join_phases_ms(args.broker_log, group, joined_wall, time.time())
            broker_joins.append(sum(phases))
            left_at = time.monotonic()
            extra.close()
            leaves.append((wait_stable(members, args.partitions) - left_at) * 1000)
            print(f"rebalance strategy={strategy} phase=join ms={joins[-1]:.1f} "
                  f"broker_join_phases_ms={'+'.join(f'{p:.0f}' for p in phases) or '-'} "
                  f"phase=leave ms={leaves[-1]:.1f}", flush=True)
    finally:
        for m in members:
            m.close()
    return first_join_ms, joins, leaves, broker_joins


class RawMember:
    """A group member speaking the protocol itself on its own connection (JoinGroup v5)."""

    def __init__(self, broker, group, topic):
        self.conn = wire.WireConnection(broker, client_id="bench-raw")
        self.group, self.topic = group, topic
        self.member_id, self.generation = "", -1

    def send_join(self):
        self.conn.send(wire.JOIN_GROUP, 5, group_id=self.group, session_timeout_ms=30000,
                       rebalance_timeout_ms=30000, member_id=self.member_id,
                       group_instance_id=None, protocol_type="consumer",
                       protocols=[{"name": "range",
                                   "metadata": wire.subscription_metadata([self.topic])}])

    def join_response(self):
        r = self.conn.receive()
        if r["error_code"] == wire.MEMBER_ID_REQUIRED:
            self.member_id = r["member_id"]
            return None
        assert r["error_code"] == 0, r
        self.member_id, self.generation = r["member_id"], r["generation_id"]
        return r

    def send_sync(self, assignments=None):
        self.conn.send(wire.SYNC_GROUP, 3, group_id=self.group, generation_id=self.generation,
                       member_id=self.member_id, group_instance_id=None,
                       assignments=[{"member_id": m, "assignment": a}
                                    for m, a in (assignments or {}).items()])

    def heartbeat(self):
        return self.conn.call(wire.HEARTBEAT, 3, group_id=self.group,
                              generation_id=self.generation, member_id=self.member_id,
                              group_instance_id=None)["error_code"]


def raw_rebalance(members, partitions, already_joining=()):
    """One generation: `members` (re)join at once (`already_joining` have sent JoinGroup),
    the leader assigns `partitions` in contiguous ranges, everyone syncs."""
    for m in members:
        m.send_join()
    everyone = list(members) + list(already_joining)
    responses = [m.join_response() for m in everyone]
    (leader,) = [r for r in responses if r["members"]]
    ids = sorted(x["member_id"] for x in leader["members"])
    share = -(-partitions // len(ids))
    assignments = {mid: wire.assignment_bytes({everyone[0].topic: list(
        range(i * share, min(partitions, (i + 1) * share)))}) for i, mid in enumerate(ids)}
    for m, r in zip(everyone, responses):
        m.send_sync(assignments if r["members"] else None)
    for m in everyone:
        assert m.conn.receive()["error_code"] == 0


def wait_rebalancing(members):
    """Each member learns of the rebalance from its next heartbeat."""
    for m in members:
        while m.heartbeat() != wire.REBALANCE_IN_PROGRESS:
            pass


def bench_raw_rebalance(args):
    topic = create_topic(args, args.partitions)
    broker = argparse.Namespace(port=int(args.bootstrap.rsplit(":", 1)[1]))
    group = wire.coordinated_group(broker, "rebalance-raw")  # FindCoordinator first
    members = [RawMember(broker, group, topic) for _ in range(args.members)]
    for m in members:  # KIP-394: the first JoinGroup only hands out a member id
        m.send_join()
        assert m.join_response() is None
    raw_rebalance(members, args.partitions)  # waits group.initial.rebalance.delay.ms
    joins, leaves = [], []
    for _ in range(args.rounds):
        started = time.monotonic()
        extra = RawMember(broker, group, topic)
        extra.send_join()
        assert extra.join_response() is None
        extra.send_join()
        wait_rebalancing(members)
        raw_rebalance(members, args.partitions, [extra])
        joins.append((time.monotonic() - started) * 1000)

        started = time.monotonic()
        extra.conn.call(wire.LEAVE_GROUP, 1, group_id=group, member_id=extra.member_id)
        wait_rebalancing(members)
        raw_rebalance(members, args.partitions)
        leaves.append((time.monotonic() - started) * 1000)
        extra.conn.close()
        print(f"rebalance-raw phase=join ms={joins[-1]:.1f} phase=leave ms={leaves[-1]:.1f}",
              flush=True)
    for m in members:
        m.conn.close()
    return joins, leaves


def commit_worker(args, group, topic, index, members, ready, start, results):
    """One committing group member (a process): waits for its share of the partitions and
    for every other member, then commits synchronously until the time is up."""
    c = Consumer(client_conf(args, group))
    c.subscribe([topic])
    share = args.partitions // members
    deadline = time.monotonic() + 60
    while len(c.assignment()) != share:
        c.poll(0.01)
        if time.monotonic() > deadline:
            raise RuntimeError(f"member {index} got {len(c.assignment())} partitions, not {share}")
    owned = [tp.partition for tp in c.assignment()]
    ready.wait()
    start.wait()
    latencies = []
    errors = 0
    end = time.monotonic() + args.commit_seconds
    n = 0
    while time.monotonic() < end:
        n += 1
        t0 = time.monotonic()
        try:
            c.commit(offsets=[TopicPartition(topic, owned[n % len(owned)], n)], asynchronous=False)
        except KafkaException:
            errors += 1
        latencies.append(time.monotonic() - t0)
    # Heartbeats go on while the others finish, so nobody is rebalanced mid-measurement.
    ready.wait()
    c.close()
    results.put((len(latencies), errors, latencies))


def bench_commits(args, members):
    topic = create_topic(args, args.partitions)
    group = f"commit-{members}-{uuid.uuid4().hex[:6]}"
    ctx = multiprocessing.get_context("spawn")
    ready, start = ctx.Barrier(members + 1), ctx.Barrier(members + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=commit_worker,
                         args=(args, group, topic, i, members, ready, start, results))
             for i in range(members)]
    for p in procs:
        p.start()
    # A member holds exactly partitions/members partitions only once all have joined.
    ready.wait(timeout=120)
    start.wait(timeout=30)
    ready.wait(timeout=args.commit_seconds + 60)
    outcome = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    crashed = [p.exitcode for p in procs if p.exitcode != 0]
    assert not crashed, f"commit members exited with {crashed}"
    commits = sum(o[0] for o in outcome)
    errors = sum(o[1] for o in outcome)
    latencies = sorted(x for o in outcome for x in o[2])
    rate = commits / args.commit_seconds
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"commit members={members} commits={commits} errors={errors} "
          f"commits_per_s={rate:.0f} p50_ms={p50:.3f} p99_ms={p99:.3f}", flush=True)
    return rate, p50, p99, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--partitions", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--heartbeat-ms", type=int, default=100)
    parser.add_argument("--commit-seconds", type=float, default=5)
    parser.add_argument("--broker-log", help="the broker's log, for broker-side rebalance times")
    args = parser.parse_args()

    raw = bench_raw_rebalance(args)
    rebalance = {s: bench_rebalance(args, s) for s in ("range", "cooperative-sticky")}
    commits = {n: bench_commits(args, n) for n in (1, args.members)}

    print(f"\n== consumer groups: {args.members} members, {args.partitions} partitions, "
          f"heartbeat.interval.ms={args.heartbeat_ms}")
    extra = args.members + 1
    print(f"| strategy | first join (ms) | member {extra} joins: median / max (ms) "
          f"| broker join phases per join: median / max (ms) "
          f"| member {extra} leaves: median / max (ms) |")
    print("|---|---|---|---|---|")
    for s, (first, joins, leaves, broker) in rebalance.items():
        broker_text = (f"{statistics.median(broker):.1f} / {max(broker):.1f}"
                       if args.broker_log else "-")
        print(f"| {s} | {first:.0f} | {statistics.median(joins):.0f} / {max(joins):.0f} "
              f"| {broker_text} | {statistics.median(leaves):.0f} / {max(leaves):.0f} |")
    joins, leaves = raw
    print(f"| raw protocol, no client delays | - | {statistics.median(joins):.1f} / "
          f"{max(joins):.1f} | - | {statistics.median(leaves):.1f} / {max(leaves):.1f} |")
    print("\n| committing members | commits/s | p50 (ms) | p99 (ms) | errors |")
    print("|---|---|---|---|---|")
    for n, (rate, p50, p99, errors) in commits.items():
        print(f"| {n} | {rate:.0f} | {p50:.2f} | {p99:.2f} | {errors} |")
    failed = [f"{errors} failed commits with {n} members" for n, (_, _, _, errors) in commits.items() if errors]
    if failed:
        print("FAILED: " + "; ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
