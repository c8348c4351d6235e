"""Idempotent producers: InitProducerId hands out producer ids that never repeat (not even
across a kill -9), and librdkafka's idempotent producer (enable.idempotence) runs against
Freshet unmodified."""
import pytest

from helpers import INIT_PRODUCER_ID, WireConnection, consume_all, create_topic, produce_ok

INVALID_REQUEST = 42


def init_producer_ids(broker, count, version=4, **fields):
    """`count` InitProducerId answers for idempotent producers (no transactional id)."""
    fields = {"transactional_id": None, "transaction_timeout_ms": 60000, **fields}
    with WireConnection(broker) as conn:
        return [conn.call(INIT_PRODUCER_ID, version, **fields) for _ in range(count)]


@pytest.mark.parametrize("version", range(0, 6))
def test_every_version_hands_out_a_fresh_id_at_epoch_zero(broker, version):
    answers = init_producer_ids(broker, 3, version=version)
    assert [a["error_code"] for a in answers] == [0, 0, 0]
    assert [a["producer_epoch"] for a in answers] == [0, 0, 0]
    ids = [a["producer_id"] for a in answers]
    assert len(set(ids)) == 3 and min(ids) >= 0


def test_an_idempotent_producer_asking_again_gets_a_new_id(broker):
    """KIP-360: an idempotent producer that sends its old id and epoch starts over with a new
    id (Kafka ignores them for producers without a transactional id)."""
    (first,) = init_producer_ids(broker, 1)
    (second,) = init_producer_ids(broker, 1, producer_id=first["producer_id"],
                                  producer_epoch=first["producer_epoch"])
    assert second["error_code"] == 0
    assert second["producer_id"] != first["producer_id"]
    assert second["producer_epoch"] == 0


def test_an_empty_transactional_id_is_an_invalid_request(broker):
    (answer,) = init_producer_ids(broker, 1, transactional_id="")
    assert answer["error_code"] == INVALID_REQUEST


def test_producer_ids_never_repeat_across_kill_and_restart(broker):
    before = {a["producer_id"] for a in init_producer_ids(broker, 20)}
    broker.kill()
    broker.start()
    after = {a["producer_id"] for a in init_producer_ids(broker, 20)}
    assert not before & after
    assert min(after) > max(before)


def test_librdkafka_idempotent_producer_writes_every_record_once_in_order(broker):
    topic = create_topic(broker, partitions=3)
    messages = [{"value": f"v{i}".encode(), "key": f"k{i % 7}".encode()} for i in range(3000)]
    produce_ok(broker, topic, messages, acks="all", **{"enable.idempotence": True,
                                                      "max.in.flight.requests.per.connection": 5,
                                                      "linger.ms": 2})
    records = consume_all(broker, topic, 3)
    values = sorted(r.value for r in records)
    assert values == sorted(m["value"] for m in messages)
    # Per key (so per partition), in production order.
    for key in {m["key"] for m in messages}:
        got = [r.value for r in records if r.key == key]
        assert got == [m["value"] for m in messages if m["key"] == key]

