"""The confluent-kafka driver's transactional commands (confluent_driver.py), with the options
and JSON lines of the Java driver's (java/src/main/java/io/freshet/testclient/
TransactionalProduceCommand.java, ConsumeTransformProduceCommand.java):

- transactional-produce: transactions of --records records "TAG:t:j" spread over the --topic
  options' partitions, each ended as --outcomes says; "flushed", "open" (--hold-last),
  "committed"/"aborted" per transaction, then "done"; with --recreate a producer that can
  only be closed is replaced ("restarted") and the run goes on.
- consume-transform-produce: the read_committed group consumer's polls copied to --output in
  one transaction each, with send_offsets_to_transaction; back to the committed offsets after
  an abort, a new producer after a failure that leaves only closing; "committed"/"aborted"
  per transaction, "restarted", then "done".

Calls follow confluent-kafka's documented error handling: an error that is retriable() is
retried (for at most --retry-ms), one that txn_requires_abort() asks for abort_transaction(),
any other (fatal() ones among them) leaves only closing the producer. Each failure is printed
as {"type":"error","txn","operation","error": its name,"code","message","next"} with next
"retry", "abort" or "close".
"""
import time

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaException, Producer,
                             TopicPartition)

from confluent_common import print_line, settings, stdin_closed

CALL_TIMEOUT_S = 10
POLL_TIMEOUT_S = 0.1


class TxnCalls:
    def __init__(self, retry_ms):
        self.retry_s = retry_ms / 1000

    def retrying(self, operation, txn, call):
        """Runs call(), again while it fails retriably; None when it succeeded, else what to
        do next ("abort" or "close")."""
        deadline = time.monotonic() + self.retry_s
        while True:
            try:
                call()
                return None
            except KafkaException as e:
                err = e.args[0]
                retry = (err.retriable() and not err.txn_requires_abort()
                         and time.monotonic() < deadline)
                next_step = "retry" if retry else next_after(err)
                print_error(operation, txn, err, next_step)
                if not retry:
                    return next_step

    def once(self, operation, txn, call):
        """Runs call() once (it sends: a retry would duplicate); None when it succeeded."""
        try:
            call()
            return None
        except KafkaException as e:
            err = e.args[0]
            next_step = "abort" if err.retriable() and not err.fatal() else next_after(err)
            print_error(operation, txn, err, next_step)
            return next_step


def next_after(err):
    return "abort" if err.txn_requires_abort() and not err.fatal() else "close"


def print_error(operation, txn, err, next_step):
    print_line(type="error", txn=txn, operation=operation, error=err.name(), code=err.code(),
               message=err.str(), next=next_step)


def outcome_of(args, txn):
    """True when transaction `txn` is to commit (--outcomes)."""
    return args.outcomes[txn % len(args.outcomes)] == "c"


def produce_one(producer, topic, partition, key, value, on_delivery=None):
    while True:
        try:
            producer.produce(topic, key=key, value=value, partition=partition,
                             on_delivery=on_delivery)
            return
        except BufferError:  # the local queue is full: serve delivery reports, then retry
            producer.poll(0.1)


def start_producer(args, calls, txn):
    """A new transactional producer, initialized; None when init keeps failing. `txn` >= 0
    says it replaces one that failed in that transaction: {"type":"restarted","txn":txn}."""
    producer = Producer(settings(args, **{"transactional.id": args.transactional_id}))
    if calls.retrying("init", txn, lambda: producer.init_transactions(CALL_TIMEOUT_S)):
        return None
    if txn >= 0:
        print_line(type="restarted", txn=txn)
    return producer


def transactional_produce(args):
    stdin = stdin_closed()
    tag = args.tag or args.transactional_id
    calls = TxnCalls(args.retry_ms)
    counts = {"committed": 0, "aborted": 0}

    def produce_and_flush(producer, txn):
        producer.begin_transaction()
        failures = []

        def on_delivery(err, msg):
            if err is not None:
                failures.append(err)

        for j in range(args.records):
            topic = args.topic[j % len(args.topic)]
            partition = (j // len(args.topic)) % args.partitions
            produce_one(producer, topic, partition, None, f"{tag}:{txn}:{j}".encode(), on_delivery)
        producer.flush()
        if failures:
            raise KafkaException(failures[0])

    as_planned = True
    producer = start_producer(args, calls, -1)
    txn = 0
    while producer is not None and (txn < args.transactions if args.transactions
                                    else not stdin.is_set()):
        commit = outcome_of(args, txn)
        next_step = calls.once("produce", txn, lambda: produce_and_flush(producer, txn))
        if next_step is None:
            print_line(type="flushed", txn=txn, records=args.records)
            if args.hold_last and txn == args.transactions - 1:
                print_line(type="open", txn=txn)
                stdin.wait()
            end = producer.commit_transaction if commit else producer.abort_transaction
            next_step = calls.retrying("commit" if commit else "abort", txn,
                                       lambda: end(CALL_TIMEOUT_S))
        if next_step == "abort":
            commit = False
            next_step = calls.retrying("abort", txn,
                                       lambda: producer.abort_transaction(CALL_TIMEOUT_S))
        as_planned &= next_step is None and commit == outcome_of(args, txn)
        if next_step is None:
            print_line(type="committed" if commit else "aborted", txn=txn)
            counts["committed" if commit else "aborted"] += 1
        else:
            producer = start_producer(args, calls, txn) if args.recreate else None
        txn += 1
    print_line(type="done", **counts)
    return 0 if as_planned and producer is not None else 1


def consume_transform_produce(args):
    stdin = stdin_closed()
    calls = TxnCalls(args.retry_ms)
    consumer = Consumer(settings(args, **{
        "group.id": args.group, "enable.auto.commit": False, "auto.offset.reset": "earliest",
        "isolation.level": "read_committed"}))
    consumer.subscribe([args.input])
    counts = {"committed": 0, "aborted": 0, "restarts": 0}

    def transform(producer, messages, txn):
        """Transaction `txn` over `messages`: None when it committed as planned, else what
        to do next ("abort": go back to the committed offsets; "close": a new producer too)."""
        commit = outcome_of(args, txn)

        def produce():
            producer.begin_transaction()
            next_offsets = {}
            for m in messages:
                produce_one(producer, args.output, m.partition(), m.key(), m.value())
                next_offsets[(m.topic(), m.partition())] = m.offset() + 1
            producer.send_offsets_to_transaction(
                [TopicPartition(t, p, o) for (t, p), o in next_offsets.items()],
                consumer.consumer_group_metadata(), CALL_TIMEOUT_S)
            producer.flush()  # else abort_transaction() would purge what is still unsent

        next_step = calls.once("produce", txn, produce)
        if next_step is None:
            end = producer.commit_transaction if commit else producer.abort_transaction
            next_step = calls.retrying("commit" if commit else "abort", txn,
                                       lambda: end(CALL_TIMEOUT_S))
            if next_step is None and commit:
                counts["committed"] += 1
                print_line(type="committed", txn=txn, records=len(messages))
                return None
        if next_step == "abort":
            next_step = calls.retrying("abort", txn,
                                       lambda: producer.abort_transaction(CALL_TIMEOUT_S))
        if next_step is not None:
            return next_step
        counts["aborted"] += 1
        print_line(type="aborted", txn=txn, records=len(messages))
        return "abort"

    def rewind(txn):
        """Seeks every assigned partition back to the group's committed offset."""
        def seek_committed():
            for tp in consumer.committed(consumer.assignment(), timeout=CALL_TIMEOUT_S):
                consumer.seek(TopicPartition(tp.topic, tp.partition,
                                             tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))
        return calls.retrying("rewind", txn, seek_committed) is None

    ok = True
    producer = start_producer(args, calls, -1)
    txn = 0
    while producer is not None and not stdin.is_set():
        messages = consumer.consume(args.max_records_per_txn, POLL_TIMEOUT_S)
        for m in messages:
            if m.error() is not None and m.error().fatal():
                raise KafkaException(m.error())
        messages = [m for m in messages if m.error() is None]
        if not messages:
            continue
        next_step = transform(producer, messages, txn)
        if next_step == "close":
            producer = start_producer(args, calls, txn)
            counts["restarts"] += 1
        if next_step is not None and producer is not None:
            ok &= rewind(txn)
        txn += 1
    consumer.close()
    print_line(type="done", **counts)
    return 0 if ok and producer is not None else 1
