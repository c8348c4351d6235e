"""Transactions with the Java client, librdkafka (confluent-kafka) and kafkajs (issue 9), each
through its `transactional-produce` driver (client_drivers.py, txn_helpers.py): what
read_committed and read_uncommitted readers see of committed, aborted and open transactions,
the last stable offset, fencing by a second producer with the same transactional id, the
broker aborting a transaction past its timeout, and a producer killed mid-transaction.

The Java client runs transaction version 2 (KIP-890 part 2: no AddPartitionsToTxn or
AddOffsetsToTxn, the broker adds each partition for its Produce v12 / TxnOffsetCommit v5, and
every EndTxn v5 bumps the epoch); librdkafka and kafkajs run version 0. Errors each client
reports are Kafka's for these clients' protocol versions: EndTxn v2+
(Java, librdkafka) answers PRODUCER_FENCED to a fenced producer, EndTxn v0-1 (kafkajs)
INVALID_PRODUCER_EPOCH."""
from collections import Counter

import pytest

from client_drivers import client_drivers  # noqa: F401 (a fixture)
from helpers import create_topic, unique_topic
from txn_helpers import (READ_COMMITTED, READ_UNCOMMITTED, describe_transaction, errors_of,
                         latest_offsets, outcomes_of, read_topics, start_transactional_producer,
                         txn_values, values_of, wait_stable, wait_transaction_state)

CLIENTS = ["java", pytest.param("confluent", marks=pytest.mark.librdkafka), "kafkajs"]
# A driver's whole run, JVM start included.
DRIVER_TIMEOUT_S = 60
# The error each client reports when its transaction's EndTxn finds it fenced.
FENCED_ERROR = {"java": "ProducerFencedException", "confluent": "_FENCED",
                "kafkajs": "INVALID_PRODUCER_EPOCH"}


def committed_values(tag, txns, records):
    return [v for t in txns for v in txn_values(tag, t, records)]


@pytest.mark.parametrize("client", CLIENTS)
def test_committed_transactions_are_read_whole_and_aborted_ones_never(broker, client_drivers,
                                                                      client):
    partitions, transactions, records = 3, 6, 12
    topics = [create_topic(broker, partitions=partitions) for _ in range(2)]
    txn_id = unique_topic("txn")
    producer = start_transactional_producer(client_drivers, client, broker, txn_id, topics,
                                            partitions, transactions, records, outcomes="cca")
    assert producer.finish(DRIVER_TIMEOUT_S) == {"type": "done", "committed": 4, "aborted": 2}
    assert outcomes_of(producer) == [(0, "committed"), (1, "committed"), (2, "aborted"),
                                     (3, "committed"), (4, "committed"), (5, "aborted")]
    # Transaction version 2 (KIP-890 part 2, ApiVersions' finalized transaction.version): the
    # Java client 4.x ends each transaction with EndTxn v5, which bumps the producer's epoch;
    # librdkafka and kafkajs (version 0) keep the epoch InitProducerId gave them.
    assert describe_transaction(broker, txn_id)["producer_epoch"] == \
        (transactions if client == "java" else 0)

    wait_stable(broker, topics, partitions)
    committed = read_topics(broker, topics, partitions, "read_committed")
    assert values_of(committed) == Counter(committed_values(txn_id, [0, 1, 3, 4], records))
    for topic, found in committed.items():  # record j went to topic j % 2, partition (j // 2) % 3
        for r in found:
            j = int(r.value.decode().rsplit(":", 1)[1])
            assert (topic, r.partition) == (topics[j % 2], (j // 2) % partitions), r
    everything = read_topics(broker, topics, partitions, "read_uncommitted")
    assert values_of(everything) == Counter(committed_values(txn_id, range(6), records))


@pytest.mark.parametrize("client", CLIENTS)
def test_an_open_transaction_holds_read_committed_readers_at_its_first_offset(
        broker, client_drivers, client):
    """A transaction left open at offsets 0-4 and a later one committed at 5-9 (its marker at
    10): read_committed readers and ListOffsets read_committed stop at 0 until the first ends."""
    topic = create_topic(broker, partitions=1)
    held = start_transactional_producer(client_drivers, client, broker, unique_topic("held"),
                                        [topic], 1, transactions=1, records=5, hold_last=True,
                                        tag="held")
    held.wait_for(lambda: held.count("open") == 1, DRIVER_TIMEOUT_S, what="an open transaction")
    later = start_transactional_producer(client_drivers, client, broker, unique_topic("later"),
                                         [topic], 1, transactions=1, records=5, tag="later")
    assert later.finish(DRIVER_TIMEOUT_S) == {"type": "done", "committed": 1, "aborted": 0}

    assert latest_offsets(broker, topic, 1, READ_UNCOMMITTED) == {0: 11}
    assert latest_offsets(broker, topic, 1, READ_COMMITTED) == {0: 0}
    assert read_topics(broker, [topic], 1, "read_committed") == {topic: []}
    uncommitted = read_topics(broker, [topic], 1, "read_uncommitted")[topic]
    assert [r.value.decode() for r in uncommitted] == \
        txn_values("held", 0, 5) + txn_values("later", 0, 5)

    assert held.finish(DRIVER_TIMEOUT_S) == {"type": "done", "committed": 1, "aborted": 0}
    assert wait_stable(broker, [topic], 1) == {topic: {0: 12}}
    committed = read_topics(broker, [topic], 1, "read_committed")[topic]
    assert [(r.offset, r.value.decode()) for r in committed] == \
        list(zip(range(10), txn_values("held", 0, 5) + txn_values("later", 0, 5)))


@pytest.mark.parametrize("client", CLIENTS)
def test_a_second_producer_with_the_same_transactional_id_fences_the_first(
        broker, client_drivers, client):
    topic = create_topic(broker, partitions=2)
    txn_id = unique_topic("fenced")
    first = start_transactional_producer(client_drivers, client, broker, txn_id, [topic], 2,
                                         transactions=1, records=6, hold_last=True, tag="first")
    first.wait_for(lambda: first.count("open") == 1, DRIVER_TIMEOUT_S, what="an open transaction")
    first_epoch = describe_transaction(broker, txn_id)["producer_epoch"]
    second = start_transactional_producer(client_drivers, client, broker, txn_id, [topic], 2,
                                          transactions=1, records=6, tag="second")
    assert second.finish(DRIVER_TIMEOUT_S) == {"type": "done", "committed": 1, "aborted": 0}

    # The second producer's InitProducerId aborted the first one's transaction.
    assert wait_stable(broker, [topic], 2)
    assert values_of(read_topics(broker, [topic], 2, "read_committed")) == \
        Counter(txn_values("second", 0, 6))
    state = describe_transaction(broker, txn_id)
    assert state["transaction_state"] == "CompleteCommit"
    assert state["producer_epoch"] > first_epoch

    first.finish(DRIVER_TIMEOUT_S)  # now it commits: its client must refuse, fenced
    assert outcomes_of(first) == []
    (error,) = errors_of(first, "commit")
    assert error["error"] == FENCED_ERROR[client], error
    assert error["next"] in ("close", "abort"), error
    assert values_of(read_topics(broker, [topic], 2, "read_committed")) == \
        Counter(txn_values("second", 0, 6))


TIMEOUT_BROKER = {"settings": {"transaction.abort.timed.out.transaction.cleanup.interval.ms": 100}}


@pytest.mark.parametrize("broker", [TIMEOUT_BROKER], indirect=True)
@pytest.mark.parametrize("client", CLIENTS)
def test_a_transaction_open_past_its_timeout_is_aborted_by_the_broker(broker, client_drivers,
                                                                       client):
    topic = create_topic(broker, partitions=2)
    txn_id = unique_topic("slow")
    producer = start_transactional_producer(client_drivers, client, broker, txn_id, [topic], 2,
                                            transactions=2, records=6, hold_last=True,
                                            properties=["transaction.timeout.ms=1000"])
    producer.wait_for(lambda: producer.count("open") == 1, DRIVER_TIMEOUT_S,
                      what="an open transaction")
    open_epoch = describe_transaction(broker, txn_id)["producer_epoch"]
    aborted = wait_transaction_state(broker, txn_id, "CompleteAbort", timeout_s=10)
    assert aborted["producer_epoch"] > open_epoch  # Kafka fences the producer that timed out
    wait_stable(broker, [topic], 2)
    assert values_of(read_topics(broker, [topic], 2, "read_committed")) == \
        Counter(txn_values(txn_id, 0, 6))

    producer.finish(DRIVER_TIMEOUT_S)
    assert outcomes_of(producer) == [(0, "committed")]
    (error,) = errors_of(producer, "commit")
    assert error["txn"] == 1 and error["error"] == FENCED_ERROR[client], error
    assert values_of(read_topics(broker, [topic], 2, "read_committed")) == \
        Counter(txn_values(txn_id, 0, 6))


@pytest.mark.parametrize("client", CLIENTS)
def test_a_producer_killed_mid_transaction_is_aborted_when_its_successor_starts(
        broker, client_drivers, client):
    topic = create_topic(broker, partitions=2)
    txn_id = unique_topic("killed")
    killed = start_transactional_producer(client_drivers, client, broker, txn_id, [topic], 2,
                                          transactions=1, records=6, hold_last=True, tag="killed")
    killed.wait_for(lambda: killed.count("open") == 1, DRIVER_TIMEOUT_S,
                    what="an open transaction")
    killed.kill()  # SIGKILL
    assert latest_offsets(broker, topic, 2, READ_COMMITTED) == {0: 0, 1: 0}
    assert describe_transaction(broker, txn_id)["transaction_state"] == "Ongoing"

    successor = start_transactional_producer(client_drivers, client, broker, txn_id, [topic], 2,
                                             transactions=1, records=6, tag="successor")
    assert successor.finish(DRIVER_TIMEOUT_S) == {"type": "done", "committed": 1, "aborted": 0}
    ends = wait_stable(broker, [topic], 2)
    # Each partition: 3 records and an abort marker, 3 records and a commit marker.
    assert ends == {topic: {0: 8, 1: 8}}
    assert values_of(read_topics(broker, [topic], 2, "read_committed")) == \
        Counter(txn_values("successor", 0, 6))
    assert values_of(read_topics(broker, [topic], 2, "read_uncommitted")) == \
        Counter(txn_values("killed", 0, 6) + txn_values("successor", 0, 6))
