"""Helpers for the transaction tests: what the transactional drivers write (client_drivers.py:
`transactional-produce` gives record j of transaction t the value "TAG:t:j"), reading topics
at an isolation level, the last stable offset through ListOffsets, and a transactional id's
state through DescribeTransactions."""
import collections

import confluent_kafka
from confluent_kafka import TopicPartition

from helpers import (OP_TIMEOUT_S, Api, Array, WireConnection, consumer, poll_records,
                     wait_until)

# Since 2.10 librdkafka re-bootstraps when every broker is down and decommissions the old
# broker handles; a group coordinator cached on one of those makes send_offsets_to_transaction()
# hang past its timeout after a broker restart (librdkafka issues #5511 and #5456, open).
# Without re-bootstrap it reconnects to the same handle. Older librdkafka has no such setting.
NO_REBOOTSTRAP = ({"metadata.recovery.strategy": "none"}
                  if confluent_kafka.libversion()[1] >= 0x020a0000 else {})

READ_COMMITTED = 1
READ_UNCOMMITTED = 0
LATEST_TIMESTAMP = -1

LIST_OFFSETS = Api(2, 6, request=[
    ("replica_id", "int32"), ("isolation_level", "int8", "2+"),
    ("topics", Array([("name", "string"), ("partitions", Array([
        ("partition_index", "int32"), ("current_leader_epoch", "int32", "4+", -1),
        ("timestamp", "int64")]))])),
], response=[
    ("throttle_time_ms", "int32", "2+"),
    ("topics", Array([("name", "string"), ("partitions", Array([
        ("partition_index", "int32"), ("error_code", "int16"), ("timestamp", "int64", "1+"),
        ("offset", "int64", "1+"), ("leader_epoch", "int32", "4+")]))])),
])

DESCRIBE_TRANSACTIONS = Api(65, 0, request=[("transactional_ids", Array("string"))], response=[
    ("throttle_time_ms", "int32"),
    ("transaction_states", Array([
        ("error_code", "int16"), ("transactional_id", "string"), ("transaction_state", "string"),
        ("transaction_timeout_ms", "int32"), ("transaction_start_time_ms", "int64"),
        ("producer_id", "int64"), ("producer_epoch", "int16"),
        ("topics", Array([("topic", "string"), ("partitions", Array("int32"))]))])),
])


def latest_offsets(broker, topic, partitions, isolation_level):
    """{partition: offset} of ListOffsets v5 "latest" at `isolation_level`: the high watermark
    (READ_UNCOMMITTED) or the last stable offset (READ_COMMITTED)."""
    with WireConnection(broker) as conn:
        answer = conn.call(LIST_OFFSETS, 5, replica_id=-1, isolation_level=isolation_level,
                           topics=[{"name": topic, "partitions": [
                               {"partition_index": p, "timestamp": LATEST_TIMESTAMP}
                               for p in range(partitions)]}])
    (found,) = answer["topics"]
    assert all(p["error_code"] == 0 for p in found["partitions"]), found
    return {p["partition_index"]: p["offset"] for p in found["partitions"]}


def wait_stable(broker, topics, partitions, timeout_s=OP_TIMEOUT_S):
    """Waits until no transaction is open on any partition of `topics` (the last stable offset
    is the high watermark everywhere); returns {topic: {partition: high watermark}}."""
    def stable():
        ends = {}
        for topic in topics:
            hw = latest_offsets(broker, topic, partitions, READ_UNCOMMITTED)
            if latest_offsets(broker, topic, partitions, READ_COMMITTED) != hw:
                return None
            ends[topic] = hw
        return ends
    return wait_until(stable, timeout_s, what=f"the last stable offset of {topics} at the "
                                              "high watermark")


def read_topics(broker, topics, partitions, isolation_level, timeout_s=OP_TIMEOUT_S):
    """{topic: [Record]} of every partition of `topics` from the start up to its end (the last
    stable offset under read_committed), read by a confluent consumer at `isolation_level`
    ("read_committed" or "read_uncommitted")."""
    c = consumer(broker, **{"isolation.level": isolation_level})
    try:
        by_topic = {}
        # poll_records tracks EOF by partition number only: one topic at a time.
        for topic in topics:
            c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
            by_topic[topic] = sorted(poll_records(c, None, list(range(partitions)), timeout_s,
                                                  until_eof=True),
                                     key=lambda r: (r.partition, r.offset))
        return by_topic
    finally:
        c.close()


def values_of(records_by_topic):
    """The multiset (Counter) of every record value read, as text."""
    return collections.Counter(r.value.decode() for records in records_by_topic.values()
                               for r in records)


def txn_values(tag, txn, records):
    """The values transactional-produce gives transaction `txn`'s `records` records."""
    return [f"{tag}:{txn}:{j}" for j in range(records)]


def describe_transaction(broker, transactional_id):
    """DescribeTransactions' answer for one id (the single broker coordinates them all)."""
    with WireConnection(broker) as conn:
        answer = conn.call(DESCRIBE_TRANSACTIONS, 0, transactional_ids=[transactional_id])
    (state,) = answer["transaction_states"]
    return state


def wait_transaction_state(broker, transactional_id, state, timeout_s=OP_TIMEOUT_S):
    """Waits until DescribeTransactions shows `transactional_id` in `state`; returns it."""
    def in_state():
        found = describe_transaction(broker, transactional_id)
        return found if found["transaction_state"] == state else None
    return wait_until(in_state, timeout_s, what=f"{transactional_id} in state {state}")


def start_transactional_producer(drivers, client, broker, transactional_id, topics, partitions,
                                 transactions=None, records=10, outcomes="c", hold_last=False,
                                 recreate=False, tag=None, properties=()):
    """A `transactional-produce` driver of `client` (client_drivers.py); see the Java
    driver's TransactionalProduceCommand for the options and the JSON lines."""
    args = ["transactional-produce", "--bootstrap", broker.bootstrap,
            "--transactional-id", transactional_id, "--partitions", partitions,
            "--records", records, "--outcomes", outcomes]
    for topic in topics:
        args += ["--topic", topic]
    if transactions:
        args += ["--transactions", transactions]
    if hold_last:
        args.append("--hold-last")
    if recreate:
        args.append("--recreate")
    if tag:
        args += ["--tag", tag]
    for setting in properties:
        args += ["--property", setting]
    return drivers.start(client, *args)


def outcomes_of(driver):
    """[(txn, "committed"|"aborted")] in the order the driver's client reported them."""
    return [(e["txn"], e["type"]) for e in driver.events if e["type"] in ("committed", "aborted")]


def errors_of(driver, operation=None):
    return [e for e in driver.of_type("error") if operation is None or e["operation"] == operation]


def start_transform(drivers, client, broker, group, source, sink, transactional_id,
                    outcomes="c", max_records_per_txn=10, properties=()):
    """A `consume-transform-produce` driver of `client` copying `source` to `sink` (same
    partition) in transactions; see the Java driver's ConsumeTransformProduceCommand."""
    args = ["consume-transform-produce", "--bootstrap", broker.bootstrap, "--group", group,
            "--input", source, "--output", sink, "--transactional-id", transactional_id,
            "--max-records-per-txn", max_records_per_txn, "--outcomes", outcomes]
    for setting in properties:
        args += ["--property", setting]
    return drivers.start(client, *args)
