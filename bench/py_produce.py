#!/usr/bin/env python3
"""Produce load that freshet_load cannot send (it writes partition 0 only, without keys):
records spread over a topic's partitions, and keyed records for compacted topics.

  py_produce.py --brokers B --topic T --records N --size BYTES [--acks 1|all]
                [--partitions P] [--keys K] [--linger-ms 100] [--batch-size 1000000]
                [-X librdkafka.property=value]...

confluent-kafka's Producer (librdkafka), run with the integration tests' venv
(tests/integration/.venv/bin/python) by the bench scripts.

--partitions P: records go to partitions 0..P-1 in turn, one batch's worth at a time
  (batch-size / size records to a partition, then the next), so every partition gets
  full batches and an equal share. Without it, partition 0.
--keys K: record i has key "k" + (i mod K), zero-padded to the width of K - 1: every
  key is written once every K records (N / K versions of each). Without it, no key.
Every record has the same payload of BYTES bytes ('x').

Delivery reports are asked for failed records only (delivery.report.only.error), so the
callback costs nothing on the fast path; the clock runs from the first produce() to the
return of flush(), i.e. the last acknowledgement. Prints one line as freshet_load does:
  mode=produce client=... topic=T records=N size_bytes=BYTES keys=K partitions=P acks=A
  linger_ms=L seconds=S msgs_per_s=X mb_per_s=Y delivered=D delivery_errors=E
(MB = 10^6 bytes of payload; keys and batch overhead not counted). Exits 1 on any
delivery error or if flush() times out.
"""
import argparse
import sys
import time

import confluent_kafka
from confluent_kafka import Producer


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--acks", default="1")
    parser.add_argument("--partitions", type=int, default=0)
    parser.add_argument("--keys", type=int, default=0)
    parser.add_argument("--linger-ms", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=1000000)
    parser.add_argument("-X", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()

    errors = []

    def on_error(err, msg):
        if err is not None:
            errors.append(str(err))

    config = {
        "bootstrap.servers": args.brokers,
        "acks": args.acks,
        "linger.ms": args.linger_ms,
        "batch.size": args.batch_size,
        "message.timeout.ms": 120000,
        "delivery.report.only.error": True,
        "on_delivery": on_error,
    }
    for setting in args.X:
        key, _, value = setting.partition("=")
        config[key] = value
    producer = Producer(config)

    payload = b"x" * args.size
    topic = args.topic
    keys = [None]
    if args.keys > 0:
        width = len(str(args.keys - 1))
        keys = [b"k%0*d" % (width, k) for k in range(args.keys)]
    key_count = len(keys)
    partitions = max(args.partitions, 1)
    chunk = max(args.batch_size // max(args.size, 1), 1)  # records to a partition before the next

    produce = producer.produce
    poll = producer.poll
    start = time.monotonic()
    i = 0
    partition = 0
    while i < args.records:
        end = min(i + chunk, args.records)
        while i < end:
            try:
                produce(topic, payload, keys[i % key_count], partition)
                i += 1
            except BufferError:  # the local queue is full: serve the reports
                poll(0.001)
        poll(0)
        partition = (partition + 1) % partitions
    remaining = producer.flush(180)
    seconds = time.monotonic() - start

    failed = len(errors) + remaining
    delivered = args.records - failed
    print(f"mode=produce client=confluent-kafka-{confluent_kafka.version()[0]}/librdkafka-"
          f"{confluent_kafka.libversion()[0]} topic={topic} records={args.records} size_bytes={args.size} "
          f"keys={args.keys} partitions={partitions} acks={args.acks} linger_ms={args.linger_ms} "
          f"seconds={seconds:.3f} msgs_per_s={delivered / seconds:.0f} "
          f"mb_per_s={delivered * args.size / 1e6 / seconds:.1f} delivered={delivered} delivery_errors={failed}",
          flush=True)
    if errors:
        print(f"py_produce: first delivery error: {errors[0]}", file=sys.stderr)
    if remaining:
        print(f"py_produce: flush timed out with {remaining} records in flight", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
