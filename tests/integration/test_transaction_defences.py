"""KIP-890 part 1, at the wire: a transactional batch or a TxnOffsetCommit is stored only while
the transaction coordinator has the partition in the producer's ongoing transaction, so a write
delayed past its transaction's end (Jepsen's Bufstream and Kafka findings) cannot land in a
later one. Raw requests, so each step is exactly the one under test. Also WriteTxnMarkers' own checks."""
import time

from kafka.record.default_records import DefaultRecordBatchBuilder

from helpers import (ADD_OFFSETS_TO_TXN, ADD_PARTITIONS_TO_TXN, END_TXN, FIND_COORDINATOR,
                     INIT_PRODUCER_ID, PRODUCE, TXN_OFFSET_COMMIT, WRITE_TXN_MARKERS,
                     WireConnection, create_topic, wait_until)
from txn_helpers import READ_COMMITTED, describe_transaction, latest_offsets, wait_stable

NOT_ENOUGH_REPLICAS = 19
COORDINATOR_LOAD_IN_PROGRESS = 14
CONCURRENT_TRANSACTIONS = 51
INVALID_TXN_STATE = 48
UNKNOWN_TOPIC_OR_PARTITION = 3
INVALID_PRODUCER_EPOCH = 47
TRANSACTION_COORDINATOR_FENCED = 52
TRANSACTION_ABORTABLE = 120
RETRIABLE = {NOT_ENOUGH_REPLICAS, COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS, 15, 16}


def until_settled(call, what):
    """Repeats `call` while it answers a retriable error (a coordinator loading, markers still
    being written); returns the first other answer's error code."""
    return wait_until(lambda: (lambda code: None if code in RETRIABLE else (code,))(call()),
                      timeout_s=15, what=what)[0]


class TransactionalProducer:
    """A transactional producer driven by hand, one raw request at a time."""

    def __init__(self, broker, transactional_id):
        self.broker = broker
        self.id = transactional_id
        self.conn = WireConnection(broker)
        assert self.conn.call(FIND_COORDINATOR, 3, key=transactional_id, key_type=1)["error_code"] == 0
        answer = wait_until(lambda: (lambda a: a if a["error_code"] == 0 else None)(
            self.conn.call(INIT_PRODUCER_ID, 2, transactional_id=transactional_id,
                           transaction_timeout_ms=60000)), what="InitProducerId")
        self.producer_id = answer["producer_id"]
        self.epoch = answer["producer_epoch"]
        self.sequence = {}

    def ids(self):
        return dict(transactional_id=self.id, producer_id=self.producer_id,
                    producer_epoch=self.epoch)

    def add_partition(self, topic, partition):
        answer = self.conn.call(ADD_PARTITIONS_TO_TXN, 3, topics=[{"name": topic,
                                                                 "partitions": [partition]}],
                                **self.ids())
        return answer["results"][0]["results"][0]["error_code"]

    def produce(self, topic, partition, values, version=3, epoch=None):
        """One transactional batch with Produce `version` (at `epoch`, default the producer's);
        returns the partition's error code (sequences advance only when it was stored)."""
        seq = self.sequence.get((topic, partition), 0)
        builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=True,
                                            producer_id=self.producer_id,
                                            producer_epoch=self.epoch if epoch is None else epoch,
                                            base_sequence=seq, batch_size=1 << 20)
        for delta, v in enumerate(values):
            builder.append(delta, timestamp=int(time.time() * 1000), key=None, value=v, headers=[])
        answer = self.conn.call(PRODUCE, version, transactional_id=self.id, acks=-1,
                                timeout_ms=5000, topic_data=[{"name": topic, "partition_data": [
                                    {"index": partition, "records": bytes(builder.build())}]}])
        code = answer["responses"][0]["partition_responses"][0]["error_code"]
        if code == 0:
            self.sequence[(topic, partition)] = seq + len(values)
        return code

    def commit_offset(self, group, topic, offset, version=3):
        answer = self.conn.call(TXN_OFFSET_COMMIT, version, group_id=group, member_id="",
                                group_instance_id=None,
                                topics=[{"name": topic, "partitions": [{
                                    "partition_index": 0, "committed_offset": offset,
                                    "committed_metadata": ""}]}],
                                transactional_id=self.id, producer_id=self.producer_id,
                                producer_epoch=self.epoch)
        return answer["topics"][0]["partitions"][0]["error_code"]

    def end(self, commit):
        return self.conn.call(END_TXN, 3, committed=commit, **self.ids())["error_code"]

    def end_v5(self, commit):
        """EndTxn v5 (transaction version 2): takes the producer id and epoch it answers."""
        answer = self.conn.call(END_TXN, 5, committed=commit, **self.ids())
        if answer["error_code"] == 0:
            self.producer_id, self.epoch = answer["producer_id"], answer["producer_epoch"]
            self.sequence = {}
        return answer["error_code"]


def test_a_batch_for_a_partition_outside_the_transaction_is_refused(broker):
    topic = create_topic(broker)
    producer = TransactionalProducer(broker, "outside")
    assert until_settled(lambda: producer.produce(topic, 0, [b"never"]),
                         "the unverified produce to settle") == INVALID_TXN_STATE
    assert producer.add_partition(topic, 0) == 0
    assert producer.produce(topic, 0, [b"inside"]) == 0
    assert producer.end(True) == 0


def test_a_write_delayed_past_its_transactions_end_is_refused(broker):
    topic = create_topic(broker)
    producer = TransactionalProducer(broker, "zombie")
    assert producer.add_partition(topic, 0) == 0
    assert producer.produce(topic, 0, [b"committed"]) == 0
    assert producer.end(True) == 0
    # The same producer, same epoch, next sequence: a retry or a late write of the ended
    # transaction. It must not open a new transaction on its own.
    assert until_settled(lambda: producer.produce(topic, 0, [b"late"]),
                         "the late produce to settle") == INVALID_TXN_STATE


def test_a_txn_offset_commit_delayed_past_its_transactions_end_is_refused(broker):
    topic = create_topic(broker)
    producer = TransactionalProducer(broker, "late-offsets")
    conn = WireConnection(broker)
    assert conn.call(FIND_COORDINATOR, 3, key="g-late", key_type=0)["error_code"] == 0
    assert producer.conn.call(ADD_OFFSETS_TO_TXN, 3, group_id="g-late",
                              **producer.ids())["error_code"] == 0
    assert until_settled(lambda: producer.commit_offset("g-late", topic, 7),
                         "the offset commit") == 0
    assert producer.end(True) == 0
    assert until_settled(lambda: producer.commit_offset("g-late", topic, 99),
                         "the late offset commit to settle") == INVALID_TXN_STATE


def write_marker(broker, topic, producer_id, epoch, coordinator_epoch, commit=False, partition=0):
    """One WriteTxnMarkers marker for `topic`-`partition`; returns its error code."""
    with WireConnection(broker) as conn:
        answer = conn.call(WRITE_TXN_MARKERS, 1, markers=[{
            "producer_id": producer_id, "producer_epoch": epoch, "transaction_result": commit,
            "coordinator_epoch": coordinator_epoch,
            "topics": [{"name": topic, "partition_indexes": [partition]}]}])
    (marker,) = answer["markers"]
    assert marker["producer_id"] == producer_id
    ((result,),) = [t["partitions"] for t in marker["topics"]]
    assert result["partition_index"] == partition
    return result["error_code"]


def test_write_txn_markers_checks_the_producer_and_coordinator_epochs(broker):
    """WriteTxnMarkers (what Admin.abortTransaction sends) ends an open transaction on a
    partition; a marker from an older producer epoch or an older coordinator is refused."""
    topic = create_topic(broker)
    TransactionalProducer(broker, "hanging")
    producer = TransactionalProducer(broker, "hanging")  # epoch 1: fences the first
    assert producer.epoch >= 1
    assert producer.add_partition(topic, 0) == 0
    assert producer.produce(topic, 0, [b"a", b"b"]) == 0
    pid, epoch = producer.producer_id, producer.epoch

    assert write_marker(broker, topic, pid, epoch - 1, 7) == INVALID_PRODUCER_EPOCH
    assert write_marker(broker, "no-such-topic", pid, epoch, 7) == UNKNOWN_TOPIC_OR_PARTITION
    assert write_marker(broker, topic, pid, epoch, 7, partition=5) == UNKNOWN_TOPIC_OR_PARTITION
    assert latest_offsets(broker, topic, 1, READ_COMMITTED) == {0: 0}
    assert write_marker(broker, topic, pid, epoch, 7) == 0
    # Aborted up to the marker at offset 2: nothing is held any more.
    assert latest_offsets(broker, topic, 1, READ_COMMITTED) == {0: 3}
    assert write_marker(broker, topic, pid, epoch, 6) == TRANSACTION_COORDINATOR_FENCED


def test_produce_v11_names_a_partition_outside_the_transaction_transaction_abortable(broker):
    """Produce v11 and TxnOffsetCommit v4 clients know TRANSACTION_ABORTABLE (KIP-890); older
    ones get INVALID_TXN_STATE for the same refusal."""
    topic = create_topic(broker)
    producer = TransactionalProducer(broker, "abortable")
    assert until_settled(lambda: producer.produce(topic, 0, [b"x"], version=11),
                         "the unverified produce") == TRANSACTION_ABORTABLE
    assert until_settled(lambda: producer.produce(topic, 0, [b"x"], version=10),
                         "the unverified produce") == INVALID_TXN_STATE
    assert producer.conn.call(FIND_COORDINATOR, 3, key="g-abortable", key_type=0)["error_code"] == 0
    assert until_settled(lambda: producer.commit_offset("g-abortable", topic, 1, version=4),
                         "the unverified offset commit") == TRANSACTION_ABORTABLE


def test_transaction_version_2_partitions_are_added_by_the_broker_and_each_end_bumps_the_epoch(
        broker):
    """KIP-890 part 2: a producer of transaction version 2 sends no AddPartitionsToTxn or
    AddOffsetsToTxn; Produce v12 and TxnOffsetCommit v5 have the broker add the partition.
    EndTxn v5 bumps the epoch, so a write of the ended transaction, arriving late at its old
    epoch, is refused even where no later transaction runs yet."""
    topic = create_topic(broker, partitions=2)
    producer = TransactionalProducer(broker, "version-2")
    assert producer.conn.call(FIND_COORDINATOR, 3, key="g-v2", key_type=0)["error_code"] == 0
    assert until_settled(lambda: producer.produce(topic, 0, [b"a", b"b"], version=12),
                         "the first produce") == 0
    assert until_settled(lambda: producer.commit_offset("g-v2", topic, 5, version=5),
                         "the offset commit") == 0
    described = describe_transaction(broker, "version-2")
    assert described["transaction_state"] == "Ongoing"
    added = {t["topic"]: t["partitions"] for t in described["topics"]}
    assert set(added) == {topic, "__consumer_offsets"} and added[topic] == [0]

    old_epoch = producer.epoch
    assert producer.end_v5(True) == 0
    assert producer.epoch == old_epoch + 1
    assert until_settled(lambda: producer.produce(topic, 1, [b"late"], version=12, epoch=old_epoch),
                         "the late produce") == INVALID_PRODUCER_EPOCH
    assert until_settled(lambda: producer.produce(topic, 0, [b"next"], version=12),
                         "the next transaction's produce") == 0
    assert producer.end_v5(False) == 0
    assert producer.epoch == old_epoch + 2
    assert wait_stable(broker, [topic], 2) == {topic: {0: 5, 1: 0}}  # a, b, marker, next, marker
