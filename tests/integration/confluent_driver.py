"""confluent-kafka (librdkafka) as a command-line producer speaking the same options and JSON
lines as the Java driver (java/src/main/java/io/freshet/testclient/ProduceCommand.java):

    python confluent_driver.py produce --bootstrap HOST:PORT --topic T [--count N]
        [--throughput RECORDS_PER_S] [--partitions P] [--acks 0|1|all] [--idempotent]
        [--max-in-flight N] [--property key=value]...

Record i has the value "i" and no key, goes to partition i % P (or librdkafka's partitioner
without --partitions); production stops after --count records or, without it, when standard
input closes. One line per delivery report ({"type":"ack","seq","partition","offset"} or
{"type":"error","seq","error"}), then {"type":"done","sent","acked","failed"} after flush.
Exit status 0 when every record was acknowledged. Runs under whichever confluent-kafka the
interpreter has (the suite starts it with its own sys.executable).
"""
import argparse
import json
import os
import sys
import threading
import time

from confluent_kafka import Producer


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="confluent_driver.py")
    commands = parser.add_subparsers(dest="command", required=True)
    produce = commands.add_parser("produce")
    produce.add_argument("--bootstrap", required=True)
    produce.add_argument("--topic", required=True)
    produce.add_argument("--client-id", default="freshet-confluent-driver")
    produce.add_argument("--count", type=int)
    produce.add_argument("--throughput", type=int)
    produce.add_argument("--partitions", type=int)
    produce.add_argument("--acks")
    produce.add_argument("--idempotent", action="store_true")
    produce.add_argument("--max-in-flight")
    produce.add_argument("--property", action="append", default=[], metavar="KEY=VALUE")
    return parser.parse_args(argv)


def settings(args):
    conf = {"bootstrap.servers": args.bootstrap, "client.id": args.client_id}
    if args.acks is not None:
        conf["acks"] = args.acks
    if args.idempotent:
        conf["enable.idempotence"] = True
    if args.max_in_flight is not None:
        conf["max.in.flight.requests.per.connection"] = args.max_in_flight
    for setting in args.property:
        key, eq, value = setting.partition("=")
        if not key or not eq:
            sys.exit(f"--property takes key=value, got: {setting}")
        conf[key] = value
    return conf


def print_line(**fields):
    print(json.dumps(fields), flush=True)


def stdin_open():
    """A threading.Event that stays clear until standard input reaches its end."""
    closed = threading.Event()

    def watch():  # raw reads: a buffered reader's lock would outlive the main thread's exit
        while os.read(sys.stdin.fileno(), 256):
            pass
        closed.set()

    threading.Thread(target=watch, daemon=True).start()
    return closed


def produce(args):
    producer = Producer(settings(args))
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

    stop = None if args.count else stdin_open()
    start = time.monotonic()
    sent = 0
    while (sent < args.count) if args.count else not stop.is_set():
        if args.throughput:
            time.sleep(max(0.0, start + sent / args.throughput - time.monotonic()))
        extra = {"partition": sent % args.partitions} if args.partitions else {}
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


if __name__ == "__main__":
    sys.exit(produce(parse_args(sys.argv[1:])))
