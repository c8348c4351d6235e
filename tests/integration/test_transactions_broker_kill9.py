"""A broker killed with SIGKILL in the middle of a commit (issue 9): the commit must complete
after the restart and never be half visible. The transaction coordinator answers EndTxn once
PrepareCommit is durable in __transaction_state and only then writes the markers and
CompleteCommit, so killing the broker as soon as commit_transaction() returns lands between
the answer and the markers; killing it while the commit is in flight lands before or during
the PrepareCommit write. librdkafka (in this process, for the tightest timing) writes each
transaction to six partitions of two topics."""
import collections
import random
import re
import threading

from confluent_kafka import KafkaException, Producer

from helpers import OP_TIMEOUT_S, create_topic, rdkafka_conf, unique_topic
from txn_helpers import NO_REBOOTSTRAP, read_topics, values_of, wait_stable

PARTITIONS = 3
RECORDS = 12
ROUNDS = 6
# The coordinator's line after loading a __transaction_state partition at start-up.
COMPLETING = re.compile(r"Loaded \d+ transactional ids of __transaction_state-\d+ .*; completing (\d+)")


def transactional_producer(broker, transactional_id):
    return Producer(rdkafka_conf(broker, **{
        "transactional.id": transactional_id, "transaction.timeout.ms": 60000, "linger.ms": 0,
        **NO_REBOOTSTRAP}))


def produce_transaction(producer, topics, round_):
    producer.begin_transaction()
    for j in range(RECORDS):
        producer.produce(topics[j % 2], value=f"{round_}:{j}".encode(),
                         partition=(j // 2) % PARTITIONS)
    producer.flush(OP_TIMEOUT_S)


def aborted(producer):
    try:
        producer.abort_transaction(OP_TIMEOUT_S)
        return True
    except KafkaException:
        return False


def values_of_rounds(rounds):
    return collections.Counter(f"{r}:{j}" for r in rounds for j in range(RECORDS))


def unfinished_at_start(broker):
    """How many transactions the restarts found prepared but not complete."""
    return sum(int(m.group(1)) for m in COMPLETING.finditer(broker.log_text()))


def test_a_commit_answered_just_before_kill9_completes_after_restart(broker):
    topics = [create_topic(broker, partitions=PARTITIONS) for _ in range(2)]
    producer = transactional_producer(broker, unique_topic("txn"))
    producer.init_transactions(OP_TIMEOUT_S)
    for round_ in range(ROUNDS):
        produce_transaction(producer, topics, round_)
        producer.commit_transaction(OP_TIMEOUT_S)
        broker.kill()
        broker.start()
        wait_stable(broker, topics, PARTITIONS)
        assert values_of(read_topics(broker, topics, PARTITIONS, "read_committed")) == \
            values_of_rounds(range(round_ + 1))
    assert unfinished_at_start(broker) >= 1, "no restart found a prepared commit: the kills " \
        "all came after the markers, the window this test is about was never hit"


def test_a_commit_in_flight_at_kill9_is_all_or_nothing(broker):
    """commit_transaction() runs in a thread while the broker is killed after a seeded random
    delay; after the restart the client's commit either succeeds (it retries) or fails, and
    the transaction is then all there or not there at all, and all there if it succeeded."""
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    topics = [create_topic(broker, partitions=PARTITIONS) for _ in range(2)]
    txn_id = unique_topic("txn")
    producer = transactional_producer(broker, txn_id)
    producer.init_transactions(OP_TIMEOUT_S)
    committed = []
    for round_ in range(ROUNDS):
        produce_transaction(producer, topics, round_)
        outcome = {}

        def commit():
            try:
                producer.commit_transaction(OP_TIMEOUT_S)
                outcome["ok"] = True
            except KafkaException as e:
                outcome["error"] = e.args[0]

        committing = threading.Thread(target=commit)
        committing.start()
        threading.Event().wait(rng.uniform(0, 0.004))
        broker.kill()
        broker.start()
        committing.join(OP_TIMEOUT_S + 5)
        assert outcome, f"seed {seed}: commit_transaction() of round {round_} never returned"
        wait_stable(broker, topics, PARTITIONS)
        seen = values_of(read_topics(broker, topics, PARTITIONS, "read_committed"))
        mine = seen - values_of_rounds(committed)
        assert mine in (collections.Counter(), values_of_rounds([round_])), \
            f"seed {seed}: round {round_} is torn: {sorted(mine)}"
        if outcome.get("ok"):
            assert mine == values_of_rounds([round_]), f"seed {seed}: acknowledged commit lost"
        if mine:
            committed.append(round_)
        # A failed commit, as the client's docs say: abort, else a new producer.
        if "error" in outcome and not (outcome["error"].txn_requires_abort() and aborted(producer)):
            producer = transactional_producer(broker, txn_id)
            producer.init_transactions(OP_TIMEOUT_S)
    assert values_of(read_topics(broker, topics, PARTITIONS, "read_committed")) == \
        values_of_rounds(committed)
