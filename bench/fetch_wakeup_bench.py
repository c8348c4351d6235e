#!/usr/bin/python3
"""Long-poll wake-up benchmark against a running broker (bench/run_fetch_wakeup_bench.sh starts
one): what an append costs the broker when many fetches wait on other partitions.

A --partitions topic; --consumers raw Fetch v7 long polls (one thread and connection each, on
partitions 0, 1, ... of it, max_wait 30 s, min_bytes 1, each re-fetching from its next offset
when answered); then --records single-record Produce requests (acks=1, one at a time) to
partition 0, until consumer 0 has read them all. Reported over that produce phase: the
broker's CPU time (utime + stime from /proc/<pid>/stat) per record and, with --broker-log of a
broker at --log-level debug, the "fetch parked" lines per record. They count wake-ups: every
consumer is parked when the phase starts and ends, and each park ends in exactly one wake-up
(30 s do not pass during the phase), so the parks logged during the phase equal the wake-ups
(a woken fetch that finds nothing parks again; one answered with data is followed by a new
fetch, which parks unless data is already there).
Without --broker-log the produce phase starts once every consumer has sent its first fetch
(the broker's log cannot say that it is parked).

Prints one `key=value ...` line.
"""
import argparse
import os
import re
import socket
import sys
import threading
import time
import types

from kafka.protocol.fetch import FetchRequest
from kafka.protocol.produce import ProduceRequest
from kafka.record import MemoryRecords

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import helpers  # noqa: E402

CLIENT_ID = "wakeup-bench"
MAX_WAIT_MS = 30000
PARKED = re.compile(r"fetch parked: correlation id \d+, client id '" + CLIENT_ID + "'")


def cpu_ms(pid):
    """utime + stime of process `pid` in milliseconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def parked_lines(log_path):
    with open(log_path, errors="replace") as f:
        return len(PARKED.findall(f.read()))


class LongPoller(threading.Thread):
    """Fetches one partition again and again, counting the records it is answered with."""

    def __init__(self, broker, topic, partition):
        super().__init__(daemon=True)
        self.conn = helpers.RawConnection(broker, client_id=CLIENT_ID, timeout_s=MAX_WAIT_MS / 1000 + 10)
        self.topic, self.partition = topic, partition
        self.offset = 0
        self.responses = 0
        self.sent_first = threading.Event()
        self.stopped = False
        self.error = None  # what ended the thread early

    def run(self):
        try:
            while not self.stopped:
                request = FetchRequest[7](
                    replica_id=-1, max_wait_time=MAX_WAIT_MS, min_bytes=1, max_bytes=1 << 20,
                    isolation_level=0, session_id=0, session_epoch=-1,
                    topics=[(self.topic, [(self.partition, self.offset, -1, 1 << 20)])],
                    forgotten_topics_data=[])
                self.conn.send(request)
                self.sent_first.set()
                response = self.conn.receive(request)
                self.responses += 1
                for _, partitions in response.topics:
                    for p in partitions:
                        assert p[1] == 0, f"fetch error {p[1]}"
                        records = MemoryRecords(p[6])
                        while (batch := records.next_batch()) is not None:
                            self.offset = batch.base_offset + len(list(batch))
        except Exception as e:  # noqa: BLE001 - reported by main()
            if not self.stopped:
                self.error = e

    def stop(self):
        self.stopped = True
        self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--broker-pid", type=int, required=True)
    parser.add_argument("--broker-log", help="log of a broker at --log-level debug: count parks")
    parser.add_argument("--partitions", type=int, default=1000)
    parser.add_argument("--consumers", type=int, default=100)
    parser.add_argument("--records", type=int, default=2000)
    args = parser.parse_args()
    host, port = args.bootstrap.rsplit(":", 1)
    broker = types.SimpleNamespace(bootstrap=args.bootstrap, port=int(port))

    topic = helpers.create_topic(broker, partitions=args.partitions)
    pollers = [LongPoller(broker, topic, p) for p in range(args.consumers)]
    for poller in pollers:
        poller.start()
    for poller in pollers:
        assert poller.sent_first.wait(30), "a consumer could not send its first fetch"
    if args.broker_log:
        helpers.wait_until(lambda: parked_lines(args.broker_log) >= args.consumers, timeout_s=30,
                           what="every consumer's fetch to park")

    parks_before = parked_lines(args.broker_log) if args.broker_log else 0
    cpu_before = cpu_ms(args.broker_pid)
    started = time.monotonic()
    batch = helpers.record_batch([(None, b"x" * 100, [])])
    with helpers.RawConnection(broker, client_id="wakeup-bench-producer") as producer:
        for _ in range(args.records):
            response = producer.request(ProduceRequest[3](
                transactional_id=None, required_acks=1, timeout=5000,
                topics=[(topic, [(0, batch)])]))
            assert response.topics[0][1][0][1] == 0, f"produce error {response.topics[0][1][0][1]}"
    helpers.wait_until(lambda: pollers[0].offset >= args.records, timeout_s=60,
                       what="consumer 0 to read every record")
    elapsed_s = time.monotonic() - started
    cpu_used = cpu_ms(args.broker_pid) - cpu_before
    parks = parked_lines(args.broker_log) - parks_before if args.broker_log else None
    for poller in pollers:
        poller.stop()
    failures = [f"partition {p.partition}: {p.error!r}" for p in pollers if p.error]
    assert not failures, "long polls failed: " + "; ".join(failures)

    line = (f"records={args.records} partitions={args.partitions} consumers={args.consumers} "
            f"seconds={elapsed_s:.2f} broker_cpu_ms={cpu_used:.0f} "
            f"broker_cpu_us_per_record={cpu_used * 1000 / args.records:.1f} "
            f"consumer0_responses={pollers[0].responses} "
            f"other_responses={sum(p.responses for p in pollers[1:])}")
    if parks is not None:
        line += f" fetch_parks={parks} parks_per_record={parks / args.records:.2f}"
    print(line)


if __name__ == "__main__":
    main()
