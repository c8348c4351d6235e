"""The Java client (kafka-clients 4.x, driven through java/) against Freshet: a producer with
the client's default settings (4.x: idempotence on, acks=all, so InitProducerId first) and one
with idempotence off, then a consumer group reading everything back with synchronous commits."""
import pytest

from client_drivers import client_drivers  # noqa: F401 (a fixture)
from helpers import GROUP_BROKER_SETTINGS, committed_offsets, create_topic, unique_topic

PARTITIONS = 3
COUNT = 300
# A producer that cannot start (say, InitProducerId refused) keeps retrying until its
# delivery timeout (120 s by default): the test fails well before.
CLIENT_TIMEOUT_S = 60


def java_produce(client_drivers, broker, topic, *settings):
    """Produces COUNT records with the Java driver; returns its ack events."""
    producer = client_drivers.start("java", "produce", "--bootstrap", broker.bootstrap,
                                    "--topic", topic, "--count", COUNT,
                                    "--partitions", PARTITIONS, *settings)
    done = producer.finish(timeout_s=CLIENT_TIMEOUT_S)
    assert done == {"type": "done", "sent": COUNT, "acked": COUNT, "failed": 0}, \
        f"first errors: {producer.of_type('error')[:3]}"
    return producer.of_type("ack")


@pytest.mark.parametrize("settings", [
    pytest.param([], id="defaults"),
    pytest.param(["--acks", "1", "--property", "enable.idempotence=false"], id="acks1-plain"),
])
def test_java_producer_then_group_consumer(broker_factory, client_drivers, settings):
    broker = broker_factory(settings=GROUP_BROKER_SETTINGS)
    topic = create_topic(broker, partitions=PARTITIONS)
    acks = java_produce(client_drivers, broker, topic, *settings)
    # Record i is the (i // PARTITIONS)-th record of partition i % PARTITIONS.
    assert sorted((a["seq"], a["partition"], a["offset"]) for a in acks) == \
        [(i, i % PARTITIONS, i // PARTITIONS) for i in range(COUNT)]

    group = unique_topic("java-group")
    consumer = client_drivers.start("java", "consume", "--bootstrap", broker.bootstrap,
                                    "--topic", topic, "--group", group, "--count", COUNT)
    done = consumer.finish(timeout_s=CLIENT_TIMEOUT_S)
    assert done == {"type": "done", "consumed": COUNT}
    records = consumer.of_type("record")
    for p in range(PARTITIONS):
        assert [(r["offset"], r["key"], r["value"]) for r in records if r["partition"] == p] == \
            [(i // PARTITIONS, None, str(i)) for i in range(p, COUNT, PARTITIONS)]
    last_commit = {c["partition"]: c["offset"] for c in consumer.of_type("committed")}
    assert last_commit == {p: COUNT // PARTITIONS for p in range(PARTITIONS)}
    assert committed_offsets(broker, group, topic, range(PARTITIONS)) == last_commit
