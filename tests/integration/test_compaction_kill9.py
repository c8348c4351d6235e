"""Compaction and retention through kill -9 (issue 10): an idempotent acks=all producer (the
Java client, librdkafka) writes keyed records (50 keys) at a steady rate to 3 partitions of a
"compact,delete" topic with small segments, cleaned every 100 ms and cut by retention.bytes,
while the broker is killed with SIGKILL and restarted KILL_CYCLES times, so kills land amid
appends, cleanings, segment swaps and deletions. Afterwards, in every partition, each key's
latest acknowledged record at or above the log start is stored, every stored record sits at the
offset its ack gave, once and in order, and the cleaner did remove superseded records."""
import pytest
from confluent_kafka import OFFSET_BEGINNING

from client_drivers import client_drivers  # noqa: F401 (a fixture)
from delivery_audit import audit_compacted
from helpers import consume, create_topic, watermarks

KILL_CYCLES = 10
ACKS_PER_CYCLE = 600
THROUGHPUT_PER_S = 3000
CYCLE_TIMEOUT_S = 60
PARTITIONS = 3
KEYS = 50
TOPIC_CONFIG = {"cleanup.policy": "compact,delete", "segment.bytes": "4096", "retention.bytes": "65536",
                "min.cleanable.dirty.ratio": "0.01", "file.delete.delay.ms": "0"}
SETTINGS = {"log.retention.check.interval.ms": 100, "log.cleaner.backoff.ms": 100}
CLIENT_SETTINGS = {
    "java": [],
    "confluent": ["--property", "reconnect.backoff.max.ms=500"],
}


@pytest.mark.parametrize("broker", [{"settings": SETTINGS}], indirect=True)
@pytest.mark.parametrize("client", ["java", pytest.param("confluent", marks=pytest.mark.librdkafka)])
def test_compaction_through_kill9_cycles_keeps_every_latest_acknowledged_record(broker, client_drivers,
                                                                                client):
    topic = create_topic(broker, partitions=PARTITIONS, config=TOPIC_CONFIG)
    producer = client_drivers.start(client, "produce", "--bootstrap", broker.bootstrap, "--topic", topic,
                                    "--partitions", PARTITIONS, "--keys", KEYS, "--throughput",
                                    THROUGHPUT_PER_S, "--idempotent", "--acks", "all", "--max-in-flight", "5",
                                    *CLIENT_SETTINGS[client])

    done = producer.produce_through_kill9_cycles(broker, KILL_CYCLES, ACKS_PER_CYCLE, CYCLE_TIMEOUT_S)
    assert not producer.of_type("error"), producer.of_type("error")[:3]
    assert done["acked"] == done["sent"], done

    records, lows = [], {}
    for p in range(PARTITIONS):
        lows[p] = watermarks(broker, topic, p)[0]
        records += consume(broker, topic, partition=p, offset=OFFSET_BEGINNING)
    acks = producer.of_type("ack")
    problems = audit_compacted(acks, records, KEYS, lows).problems()
    if problems:
        pytest.fail(f"of {len(acks)} acknowledged records (log starts {lows}):\n{problems}", pytrace=False)
    retained = [a for a in acks if a["offset"] >= lows[a["partition"]]]
    assert len(records) < len(retained) // 2, \
        f"the cleaner removed little: {len(records)} records stored of {len(retained)} retained"
