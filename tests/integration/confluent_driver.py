"""confluent-kafka (librdkafka) as a command-line client speaking the same options and JSON
lines as the Java driver (java/src/main/java/io/freshet/testclient/):

    python confluent_driver.py produce --bootstrap HOST:PORT --topic T [--count N]
        [--throughput RECORDS_PER_S] [--partitions P] [--keys K] [--acks 0|1|all] [--idempotent]
        [--max-in-flight N] [--property key=value]...
    python confluent_driver.py transactional-produce --bootstrap HOST:PORT --transactional-id ID
        --topic T [--topic T2]... [--partitions P] [--transactions N] [--records M]
        [--outcomes c|a...] [--tag TAG] [--hold-last] [--recreate] [--retry-ms MS]
        [--property key=value]...
    python confluent_driver.py consume-transform-produce --bootstrap HOST:PORT --group G
        --input T --output T2 --transactional-id ID [--max-records-per-txn N]
        [--outcomes c|a...] [--retry-ms MS] [--property key=value]...

`produce`: record i has the value "i" and no key (with --keys K, the key "k<i % K>"), goes to partition i % P (or librdkafka's
partitioner without --partitions); production stops after --count records or, without it, when
standard input closes. One line per delivery report ({"type":"ack","seq","partition","offset"}
or {"type":"error","seq","error"}), then {"type":"done","sent","acked","failed"} after flush.
Exit status 0 when every record was acknowledged. The transactional commands are in
confluent_txn.py. Runs under whichever confluent-kafka the interpreter has (the suite starts it
with its own sys.executable).
"""
import argparse
import sys
import time

from confluent_kafka import Producer

import confluent_txn
from confluent_common import print_line, settings, stdin_closed


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="confluent_driver.py")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name):
        sub = commands.add_parser(name)
        sub.add_argument("--bootstrap", required=True)
        sub.add_argument("--client-id", default="freshet-confluent-driver")
        sub.add_argument("--property", action="append", default=[], metavar="KEY=VALUE")
        return sub

    produce = command("produce")
    produce.add_argument("--topic", required=True)
    produce.add_argument("--count", type=int)
    produce.add_argument("--throughput", type=int)
    produce.add_argument("--partitions", type=int)
    produce.add_argument("--keys", type=int)
    produce.add_argument("--acks")
    produce.add_argument("--idempotent", action="store_true")
    produce.add_argument("--max-in-flight")

    for name in ("transactional-produce", "consume-transform-produce"):
        sub = command(name)
        sub.add_argument("--transactional-id", required=True)
        sub.add_argument("--outcomes", default="c")
        sub.add_argument("--retry-ms", type=int, default=60000)
    txn_produce = commands.choices["transactional-produce"]
    txn_produce.add_argument("--topic", action="append", required=True)
    txn_produce.add_argument("--partitions", type=int, default=1)
    txn_produce.add_argument("--transactions", type=int)
    txn_produce.add_argument("--records", type=int, default=10)
    txn_produce.add_argument("--tag")
    txn_produce.add_argument("--hold-last", action="store_true")
    txn_produce.add_argument("--recreate", action="store_true")
    transform = commands.choices["consume-transform-produce"]
    transform.add_argument("--group", required=True)
    transform.add_argument("--input", required=True)
    transform.add_argument("--output", required=True)
    transform.add_argument("--max-records-per-txn", type=int, default=50)
    args = parser.parse_args(argv)
    if getattr(args, "outcomes", "c").strip("ca"):
        parser.error(f"--outcomes takes letters c (commit) and a (abort), got: {args.outcomes}")
    if getattr(args, "hold_last", False) and not args.transactions:
        parser.error("--hold-last needs --transactions N")
    return args


def produce(args):
    own = {}
    if args.acks is not None:
        own["acks"] = args.acks
    if args.idempotent:
        own["enable.idempotence"] = True
    if args.max_in_flight is not None:
        own["max.in.flight.requests.per.connection"] = args.max_in_flight
    producer = Producer(settings(args, **own))
    counts = {"acked": 0, "failed": 0}

    def report(seq):
        def on_delivery(err, msg):
            if err is None:
                counts["acked"] += 1
                print_line(type="ack", seq=seq, partition=msg.partition(), offset=msg.offset())
            else:
                counts["failed"] += 1
                print_line(type="error", seq=seq, error=str(err))
        return on_delivery

    stop = None if args.count else stdin_closed()
    start = time.monotonic()
    sent = 0
    while (sent < args.count) if args.count else not stop.is_set():
        if args.throughput:
            time.sleep(max(0.0, start + sent / args.throughput - time.monotonic()))
        extra = {"partition": sent % args.partitions} if args.partitions else {}
        if args.keys:
            extra["key"] = f"k{sent % args.keys}".encode()
        while True:
            try:
                producer.produce(args.topic, value=str(sent).encode(), on_delivery=report(sent),
                                 **extra)
                break
            except BufferError:  # the local queue is full: serve delivery reports, then retry
                producer.poll(0.1)
        producer.poll(0)
        sent += 1
    producer.flush()  # serves the delivery report of every record produced
    print_line(type="done", sent=sent, **counts)
    return 0 if counts["acked"] == sent else 1


def main(argv):
    args = parse_args(argv)
    if args.command == "produce":
        return produce(args)
    if args.command == "transactional-produce":
        return confluent_txn.transactional_produce(args)
    return confluent_txn.consume_transform_produce(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
