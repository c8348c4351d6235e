"""Inspecting transactions (issue 9): `freshet txn list|describe` and `freshet topic producers`
(the CLI, over ListTransactions, FindCoordinator + DescribeTransactions and DescribeProducers),
and Apache Kafka's own kafka-transactions.sh (org.apache.kafka.tools.TransactionsCommand from
kafka-tools, kafka-tools/pom.xml) against Freshet, with a transaction held open by a
librdkafka producer and then committed."""
import json

import pytest

from client_drivers import client_drivers  # noqa: F401 (a fixture)
from helpers import create_topic, unique_topic
from kafka_tools import kafka_tool
from test_cli import cli, table
from txn_helpers import (READ_COMMITTED, READ_UNCOMMITTED, describe_transaction, latest_offsets,
                         read_topics, start_transactional_producer, wait_stable)

PARTITIONS = 2


def kafka_transactions(broker, *args, expect_rc=0):
    """kafka-transactions.sh --bootstrap-server <broker> <args>; returns the CompletedProcess."""
    return kafka_tool(broker, "TransactionsCommand", *args, expect_rc=expect_rc)


def tool_rows(text):
    """kafka-transactions' tab-separated table as dicts keyed by its header."""
    lines = [line.rstrip().split("\t") for line in text.splitlines() if line.strip()]
    header = [h.strip() for h in lines[0]]
    return [dict(zip(header, (cell.strip() for cell in line))) for line in lines[1:]]


@pytest.fixture
def open_transaction(broker, client_drivers):
    """(topic, transactional id, producer driver) of a transaction holding 4 records on each
    of the topic's 2 partitions; the driver commits it once its stdin closes."""
    topic = create_topic(broker, partitions=PARTITIONS)
    txn_id = unique_topic("inspected")
    held = start_transactional_producer(client_drivers, "confluent", broker, txn_id, [topic],
                                        PARTITIONS, transactions=1, records=8, hold_last=True)
    held.wait_for(lambda: held.count("open") == 1, what="an open transaction")
    return topic, txn_id, held


def test_freshet_txn_list_describe_and_topic_producers(broker, open_transaction):
    topic, txn_id, held = open_transaction
    producer_id = describe_transaction(broker, txn_id)["producer_id"]

    listed = json.loads(cli(broker, "txn", "list", "--format", "json").stdout)
    assert {"transactional_id": txn_id, "producer_id": producer_id, "state": "Ongoing"} in listed
    assert txn_id in cli(broker, "txn", "list", "--state", "Ongoing").stdout
    assert txn_id not in cli(broker, "txn", "list", "--state", "CompleteCommit").stdout
    assert txn_id in cli(broker, "txn", "list", "--producer-id", str(producer_id)).stdout
    assert txn_id not in cli(broker, "txn", "list", "--producer-id", str(producer_id + 1)).stdout
    unknown = cli(broker, "txn", "list", "--state", "Sleeping", expect_rc=1)
    assert "unknown --state 'Sleeping'" in unknown.stderr

    (described,) = json.loads(cli(broker, "txn", "describe", txn_id, "--format", "json").stdout)
    assert described["state"] == "Ongoing" and described["producer_id"] == producer_id
    assert sorted((p["topic"], p["partition"]) for p in described["partitions"]) == \
        [(topic, 0), (topic, 1)]
    rows = table(cli(broker, "txn", "describe", txn_id).stdout)
    assert rows[0][0] == "TRANSACTIONAL-ID" and rows[1][0] == txn_id and rows[1][4] == "Ongoing"

    producers = json.loads(cli(broker, "topic", "producers", topic, "--format", "json").stdout)
    assert [(p["partition"], p["producer_id"], p["current_transaction_start_offset"])
            for p in producers] == [(0, producer_id, 0), (1, producer_id, 0)]

    held.finish()
    (described,) = json.loads(cli(broker, "txn", "describe", txn_id, "--format", "json").stdout)
    assert described["state"] == "CompleteCommit" and described["partitions"] == []
    producers = json.loads(cli(broker, "topic", "producers", topic, "-p", "1",
                               "--format", "json").stdout)
    assert [(p["partition"], p["current_transaction_start_offset"]) for p in producers] == [(1, -1)]
    missing = cli(broker, "txn", "describe", unique_topic("never"), expect_rc=1)
    assert "TRANSACTIONAL_ID_NOT_FOUND" in missing.stderr


def test_kafka_transactions_tool_lists_describes_and_finds_no_hanging_transaction(
        broker, open_transaction):
    topic, txn_id, held = open_transaction
    producer_id = str(describe_transaction(broker, txn_id)["producer_id"])

    listed = tool_rows(kafka_transactions(broker, "list").stdout)
    assert {"TransactionalId": txn_id, "Coordinator": "1", "ProducerId": producer_id,
            "TransactionState": "Ongoing"} in listed

    (described,) = tool_rows(kafka_transactions(broker, "describe", "--transactional-id",
                                                txn_id).stdout)
    assert described["TransactionState"] == "Ongoing" and described["ProducerId"] == producer_id
    assert sorted(described["TopicPartitions"].split(",")) == [f"{topic}-0", f"{topic}-1"]

    (producer,) = tool_rows(kafka_transactions(broker, "describe-producers", "--topic", topic,
                                               "--partition", "1").stdout)
    assert producer["ProducerId"] == producer_id
    assert producer["CurrentTransactionStartOffset"] == "0"

    # Open for longer than 0 minutes, but its coordinator knows it: not hanging.
    hanging = kafka_transactions(broker, "find-hanging", "--broker-id", "1",
                                 "--max-transaction-timeout", "0").stdout
    assert tool_rows(hanging) == []

    held.finish()
    (described,) = tool_rows(kafka_transactions(broker, "describe", "--transactional-id",
                                                txn_id).stdout)
    assert described["TransactionState"] == "CompleteCommit"


def test_kafka_transactions_tool_aborts_a_transaction_on_a_partition(broker, open_transaction):
    """`abort` (Admin.abortTransaction: WriteTxnMarkers to the partition) ends the producer's
    open transaction on that partition only: its records there become aborted and the last
    stable offset moves past them, while the other partition stays held until the producer
    commits, which then makes only that partition's records visible (as in Kafka)."""
    topic, txn_id, held = open_transaction
    producer_id = describe_transaction(broker, txn_id)["producer_id"]
    hw = latest_offsets(broker, topic, PARTITIONS, READ_UNCOMMITTED)
    assert hw == {0: 4, 1: 4}
    assert latest_offsets(broker, topic, PARTITIONS, READ_COMMITTED) == {0: 0, 1: 0}

    kafka_transactions(broker, "abort", "--topic", topic, "--partition", "1", "--start-offset", "0")

    # The abort marker takes offset 4 of partition 1: stable up to its end.
    assert latest_offsets(broker, topic, PARTITIONS, READ_COMMITTED) == {0: 0, 1: 5}
    (producer,) = tool_rows(kafka_transactions(broker, "describe-producers", "--topic", topic,
                                               "--partition", "1").stdout)
    assert producer["ProducerId"] == str(producer_id)
    assert producer["CurrentTransactionStartOffset"] == "None"  # the tool prints no offset so
    # A second abort finds no open transaction at that offset.
    again = kafka_transactions(broker, "abort", "--topic", topic, "--partition", "1",
                               "--start-offset", "0", expect_rc=1)
    assert "Could not find any open transactions starting at offset 0" in again.stdout + again.stderr

    held.finish()
    wait_stable(broker, [topic], PARTITIONS)
    committed = read_topics(broker, [topic], PARTITIONS, "read_committed")[topic]
    assert sorted((r.partition, r.offset) for r in committed) == [(0, i) for i in range(4)]
