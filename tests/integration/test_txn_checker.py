"""The transaction checker (txn_checker.py) for a few seconds: a Java, a librdkafka and a
kafkajs transactional producer committing and aborting at random through three broker
kill -9 cycles; no aborted read, lost write, torn transaction, duplicate, reordering or
hanging transaction, and every producer survives the restarts. FRESHET_TXN_CHECKER_SEED
replays a seed; bench/txn_soak.sh runs a long soak."""
import os
import random

import pytest

from client_drivers import client_drivers  # noqa: F401 (a fixture)
from helpers import create_topic
from txn_checker import BROKER_SETTINGS, Plan, run

KILLS = 3
PARTITIONS = 2
RECORDS_PER_TXN = 8


# Two shards: the transaction coordinator's markers cross shards to reach their partitions.
@pytest.mark.parametrize("broker", [{"settings": BROKER_SETTINGS, "smp": 2}], indirect=True)
def test_random_commits_and_aborts_through_broker_kill9_cycles(broker, client_drivers):
    seed = int(os.environ.get("FRESHET_TXN_CHECKER_SEED") or random.randrange(1 << 32))
    print(f"txn checker seed {seed}")  # shown with a failure, whatever fails
    plan = Plan.of(seed, ["confluent", "java", "kafkajs"], KILLS)
    topics = [create_topic(broker, partitions=PARTITIONS) for _ in range(2)]
    report = run(broker, client_drivers, plan, topics, PARTITIONS, RECORDS_PER_TXN)
    print(report.summary())
    assert report.ok(), report.summary()
    assert not report.failed_producers, report.summary()
    assert report.transactions.get("committed", 0) >= KILLS, report.summary()
