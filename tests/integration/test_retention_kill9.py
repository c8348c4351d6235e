"""Retention through kill -9 (issue 10): an idempotent acks=all producer (the Java client,
librdkafka) writes at a steady rate to a topic whose small segments retention.bytes deletes
every 100 ms, while the broker is killed with SIGKILL and restarted KILL_CYCLES times (each
kill once ACKS_PER_CYCLE more records were acknowledged, so kills land amid appends, rolls and
segment deletions). Afterwards every acknowledged record at or above the final log start
offset is stored exactly once, in order, at the offset its ack gave; the log start only moved
forward, to segment boundaries, and the partition is cut to retention.bytes by Kafka's rule."""
import glob
import os

import pytest
from confluent_kafka import OFFSET_BEGINNING

from client_drivers import client_drivers  # noqa: F401 (a fixture)
from delivery_audit import audit
from helpers import consume, create_topic, wait_until, watermarks

KILL_CYCLES = 6
ACKS_PER_CYCLE = 400
THROUGHPUT_PER_S = 2000
CYCLE_TIMEOUT_S = 60
SEGMENT_BYTES = 4096
RETENTION_BYTES = 16384
TOPIC_CONFIG = {"segment.bytes": str(SEGMENT_BYTES), "retention.bytes": str(RETENTION_BYTES),
                "file.delete.delay.ms": "0"}
SETTINGS = {"log.retention.check.interval.ms": 100}
CLIENT_SETTINGS = {
    "java": [],
    "confluent": ["--property", "reconnect.backoff.max.ms=500"],
}


@pytest.mark.parametrize("broker", [{"settings": SETTINGS}], indirect=True)
@pytest.mark.parametrize("client", ["java", pytest.param("confluent", marks=pytest.mark.librdkafka)])
def test_retention_deletes_through_kill9_cycles_without_losing_retained_records(broker, client_drivers,
                                                                                client):
    topic = create_topic(broker, config=TOPIC_CONFIG)
    producer = client_drivers.start(client, "produce", "--bootstrap", broker.bootstrap, "--topic", topic,
                                    "--partitions", 1, "--throughput", THROUGHPUT_PER_S, "--idempotent",
                                    "--acks", "all", "--max-in-flight", "5", *CLIENT_SETTINGS[client])

    log_starts = []
    done = producer.produce_through_kill9_cycles(broker, KILL_CYCLES, ACKS_PER_CYCLE, CYCLE_TIMEOUT_S,
                                                 lambda: log_starts.append(watermarks(broker, topic, 0)[0]))
    assert not producer.of_type("error"), producer.of_type("error")[:3]
    assert done["acked"] == done["sent"], done

    records = consume(broker, topic, offset=OFFSET_BEGINNING)
    low = records[0].offset
    assert low > 0, f"retention never deleted anything: watermarks {watermarks(broker, topic, 0)}, " \
                    f"log starts after restarts {log_starts}"
    assert low >= max(log_starts), f"the log start moved back after a restart: {log_starts} then {low}"
    retained = [a for a in producer.of_type("ack") if a["offset"] >= low]
    problems = audit(retained, records).problems()
    if problems:
        pytest.fail(f"of {len(retained)} acknowledged records at or after offset {low}:\n{problems}",
                    pytrace=False)
    segments = sorted(glob.glob(os.path.join(broker.data_dir, f"{topic}-0", "*.log")))
    assert os.path.basename(segments[0]) == f"{low:020d}.log", "the log start is not a segment's base"

    def cut_to_retention_bytes():
        # Kafka's rule: the oldest segment goes while the rest still holds retention.bytes.
        sizes = [os.path.getsize(f) for f in sorted(glob.glob(os.path.join(broker.data_dir, f"{topic}-0",
                                                                          "*.log")))]
        return sum(sizes) - sizes[0] < RETENTION_BYTES
    wait_until(cut_to_retention_bytes, what=f"the partition cut to retention.bytes {RETENTION_BYTES}")
