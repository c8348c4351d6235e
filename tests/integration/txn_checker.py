"""A transaction checker in the spirit of Jepsen (issue 9): several transactional producers
(client drivers, `transactional-produce`) commit and abort at random while the broker is killed
with SIGKILL and restarted; afterwards a read_committed reader checks the history:

- aborted read: a record of a transaction its client saw aborted is visible;
- lost write: a transaction its client saw committed is not wholly visible;
- torn transaction: a transaction whose outcome the client never learnt is partly visible;
- duplicate: a record is visible more than once;
- out of order: within a partition, a producer's transaction is visible after a later one;
- foreign: a visible record no producer wrote;
- hanging: a partition whose last stable offset never reaches its high watermark.

Everything random comes from one seed: each producer's commit/abort pattern and how many
transactions end between kills (the timing of the kills within a transaction is not). A run
prints its seed; `--seed S` (or FRESHET_TXN_CHECKER_SEED for the test) replays its choices.

    tests/integration/.venv/bin/python tests/integration/txn_checker.py --kills 50 \\
        --clients java,confluent,kafkajs [--seed S] [--smp 2]

(every producer's transaction.timeout.ms is TRANSACTION_TIMEOUT_MS, the broker's settings are
BROKER_SETTINGS) runs a soak against a broker of its own (build/freshet, or $FRESHET_BIN) and exits 1 on any
anomaly; bench/txn_soak.sh runs a long one.
"""
import argparse
import collections
import dataclasses
import json
import random
import sys
import tempfile

from txn_helpers import NO_REBOOTSTRAP, read_topics, start_transactional_producer, wait_stable

PATTERN_LENGTH = 64
# A producer that ends early (its client gave up) may leave its transaction open: the broker
# aborts it after TRANSACTION_TIMEOUT_MS, looking every 500 ms, before the check can read.
TRANSACTION_TIMEOUT_MS = 10000
BROKER_SETTINGS = {"transaction.abort.timed.out.transaction.cleanup.interval.ms": 500}
STABLE_TIMEOUT_S = 2 * TRANSACTION_TIMEOUT_MS / 1000
# librdkafka's reconnect backoff grows to 10 s by default; each kill would wait for it.
CLIENT_SETTINGS = {"java": [], "kafkajs": [],
                   "confluent": ["reconnect.backoff.max.ms=500",
                                 *(f"{k}={v}" for k, v in NO_REBOOTSTRAP.items())]}


@dataclasses.dataclass
class Plan:
    """What the seed decides: per producer (client, name, --outcomes pattern), and per kill how
    many transactions must end (in any producer) since the previous restart."""
    seed: int
    producers: list
    endings_before_kill: list

    @staticmethod
    def of(seed, clients, kills, abort_ratio=0.3):
        rng = random.Random(seed)
        producers = [(client, f"p{i}-{client}",
                      "".join("a" if rng.random() < abort_ratio else "c"
                              for _ in range(PATTERN_LENGTH)))
                     for i, client in enumerate(clients)]
        return Plan(seed, producers, [rng.randint(2, 8) for _ in range(kills)])


@dataclasses.dataclass
class Report:
    seed: int
    transactions: dict   # outcome -> how many transactions ended so by their clients
    anomalies: dict      # kind -> examples
    failed_producers: list  # (name, errors of its last transaction) of producers that ended early
    restarts: dict       # producer name -> {"operation error": times} that made it replace its client

    def ok(self):
        return not self.anomalies

    def summary(self):
        lines = [f"txn checker seed {self.seed}: {self.transactions}"]
        lines += [f"  {len(found)} {kind}: {found[:10]}" for kind, found in self.anomalies.items()]
        lines += [f"  producer {name} ended early: {error}" for name, error in self.failed_producers]
        if self.restarts:
            lines.append(f"  producers replaced (their client could only be closed): {self.restarts}")
        return "\n".join(lines)


def endings(driver):
    return sum(1 for e in driver.events if e["type"] in ("committed", "aborted"))


def run(broker, drivers, plan, topics, partitions, records_per_txn, cycle_timeout_s=60):
    """Runs the plan's producers through its kills, stops them and checks what the topics
    hold. Returns a Report."""
    producers = {}
    for client, name, pattern in plan.producers:
        producers[name] = start_transactional_producer(
            drivers, client, broker, f"checker-{plan.seed}-{name}", topics, partitions,
            records=records_per_txn, outcomes=pattern, tag=name, recreate=True,
            properties=[f"transaction.timeout.ms={TRANSACTION_TIMEOUT_MS}",
                        *CLIENT_SETTINGS[client]])
    running = list(producers.values())
    for cycle, needed in enumerate(plan.endings_before_kill, 1):
        target = sum(endings(d) for d in running) + needed
        running[0].wait_for(lambda: sum(endings(d) for d in running) >= target, cycle_timeout_s,
                            what=f"{needed} more transactions ended before kill -9 #{cycle}")
        broker.kill()
        broker.start()
    target = sum(endings(d) for d in running) + len(running)
    running[0].wait_for(lambda: sum(endings(d) for d in running) >= target, cycle_timeout_s,
                        what="transactions after the last restart")
    for driver in running:
        driver.finish(cycle_timeout_s)
    return check(broker, plan.seed, producers, topics, partitions, records_per_txn)


def check(broker, seed, producers, topics, partitions, records_per_txn):
    anomalies = collections.defaultdict(list)
    outcome = {}  # (name, txn) -> "committed" | "aborted" | "unknown"
    failed = []
    restarts = {}
    for name, driver in producers.items():
        for e in driver.events:
            if e["type"] in ("committed", "aborted"):
                outcome[(name, e["txn"])] = e["type"]
            elif e["type"] in ("flushed", "error") and e.get("txn", -1) >= 0:
                outcome.setdefault((name, e["txn"]), "unknown")
        if driver.count("restarted"):
            restarts[name] = dict(collections.Counter(
                f"{e['operation']} {e['error']}" for e in driver.of_type("error")
                if e["next"] == "close"))
        closes = [i for i, e in enumerate(driver.events)
                  if e["type"] == "error" and e["next"] == "close"]
        if closes and not any(e["type"] == "restarted" for e in driver.events[closes[-1]:]):
            txn = driver.events[closes[-1]]["txn"]
            failed.append((name, [e for e in driver.of_type("error") if e["txn"] == txn]))
    try:
        wait_stable(broker, topics, partitions, STABLE_TIMEOUT_S)
    except AssertionError as e:
        anomalies["hanging"].append(str(e))
        return Report(seed, dict(collections.Counter(outcome.values())), dict(anomalies), failed,
                      restarts)

    visible = collections.defaultdict(list)  # (name, txn) -> [j]
    last_txn = {}  # (topic, partition, name) -> last txn visible
    for topic, records in read_topics(broker, topics, partitions, "read_committed").items():
        for r in records:
            try:
                name, txn, j = r.value.decode().split(":")
                key = (name, int(txn))
                j = int(j)
            except ValueError:
                anomalies["foreign"].append((topic, r.partition, r.offset, r.value))
                continue
            if key not in outcome:
                anomalies["foreign"].append((topic, r.partition, r.offset, r.value))
                continue
            visible[key].append(j)
            place = (topic, r.partition, name)
            if last_txn.get(place, -1) > key[1]:
                anomalies["out of order"].append((topic, r.partition, r.offset, r.value.decode()))
            last_txn[place] = key[1]
    whole = list(range(records_per_txn))
    for key, ended in sorted(outcome.items()):
        seen = visible.get(key, [])
        duplicated = [j for j, n in collections.Counter(seen).items() if n > 1]
        if duplicated:
            anomalies["duplicate"].append((key, duplicated))
        distinct = sorted(set(seen))
        if ended == "aborted" and distinct:
            anomalies["aborted read"].append((key, distinct))
        elif ended == "committed" and distinct != whole:
            anomalies["lost write"].append((key, distinct))
        elif ended == "unknown" and distinct not in ([], whole):
            anomalies["torn transaction"].append((key, distinct))
    return Report(seed, dict(collections.Counter(outcome.values())), dict(anomalies), failed,
                      restarts)


def main(argv):
    from client_drivers import DriverFactory
    from freshet_broker import Broker
    from helpers import create_topic

    parser = argparse.ArgumentParser(prog="txn_checker.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 32))
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clients", default="confluent,java,kafkajs")
    parser.add_argument("--records-per-txn", type=int, default=8)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--smp", type=int, default=1)
    args = parser.parse_args(argv)
    plan = Plan.of(args.seed, args.clients.split(","), args.kills)
    print(f"txn checker seed {plan.seed}", flush=True)
    with tempfile.TemporaryDirectory(prefix="freshet-txn-checker-") as workdir:
        broker = Broker(workdir, smp=args.smp, settings=BROKER_SETTINGS).start()
        drivers = DriverFactory(workdir)
        try:
            topics = [create_topic(broker, partitions=args.partitions) for _ in range(2)]
            report = run(broker, drivers, plan, topics, args.partitions, args.records_per_txn)
        finally:
            drivers.kill_all()
            broker.close()
    print(report.summary())
    print(json.dumps(dataclasses.asdict(report), default=str))
    return 0 if report.ok() and not report.failed_producers else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
