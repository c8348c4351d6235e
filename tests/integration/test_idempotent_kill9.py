"""Idempotent producers through kill -9 of the broker (issue 9). The Java client, kafkajs and
confluent-kafka each produce at a steady rate to three partitions, idempotent with acks=all
and 5 requests in flight, while the broker is killed with SIGKILL and restarted KILL_CYCLES
times: each kill comes once the producer has had ACKS_PER_CYCLE acks since the restart before
(so every kill interrupts a running load). Afterwards every record sent must have been
acknowledged, and the log must hold each exactly once, in order per partition, at the offset
its ack gave (delivery_audit.py)."""
import pytest

from client_drivers import client_drivers  # noqa: F401 (a fixture)
from delivery_audit import audit
from helpers import consume_all, create_topic

PARTITIONS = 3
KILL_CYCLES = 10
ACKS_PER_CYCLE = 300
THROUGHPUT_PER_S = 1000
# From a kill to ACKS_PER_CYCLE new acks: the broker's restart, the client's reconnect
# backoff and its retries of what was in flight.
CYCLE_TIMEOUT_S = 60

IDEMPOTENT = ["--idempotent", "--acks", "all", "--max-in-flight", "5"]
# Each client's own settings beyond IDEMPOTENT: librdkafka's reconnect backoff grows to 10 s
# by default, which would make each cycle wait for it.
CLIENT_SETTINGS = {
    "java": [],
    "kafkajs": [],
    "confluent": ["--property", "reconnect.backoff.max.ms=500"],
}


@pytest.mark.parametrize("client", [
    "java",
    "kafkajs",
    pytest.param("confluent", marks=pytest.mark.librdkafka),
])
def test_idempotent_producer_through_kill9_cycles(broker, client_drivers, client):
    topic = create_topic(broker, partitions=PARTITIONS)
    producer = client_drivers.start(client, "produce", "--bootstrap", broker.bootstrap,
                                    "--topic", topic, "--partitions", PARTITIONS,
                                    "--throughput", THROUGHPUT_PER_S, *IDEMPOTENT,
                                    *CLIENT_SETTINGS[client])

    done = producer.produce_through_kill9_cycles(broker, KILL_CYCLES, ACKS_PER_CYCLE, CYCLE_TIMEOUT_S)

    errors = producer.of_type("error")
    assert not errors, f"{len(errors)} records failed, first: {errors[:3]}"
    assert done["acked"] == done["sent"], done
    problems = audit(producer.of_type("ack"), consume_all(broker, topic, PARTITIONS)).problems()
    if problems:
        pytest.fail(f"of {done['acked']} acknowledged records:\n{problems}", pytrace=False)
