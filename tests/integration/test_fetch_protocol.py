"""Fetch semantics the clients rely on without showing them: OFFSET_OUT_OF_RANGE, partition and
response byte limits (at least one batch always comes back, KIP-74), long-poll max.wait and
min.bytes, the wake-up of a parked long poll, and incremental fetch sessions (KIP-227) — sent
with kafka-python's Fetch v7 codec. The brokers log at debug level: a test waits for the line
saying a fetch is parked."""
import time
import uuid

from kafka.protocol.fetch import FetchRequest
from kafka.record import MemoryRecords

from helpers import (OFFSET_OUT_OF_RANGE, RawConnection, create_topic, produce_ok, smp_1_and_2,
                     wait_fetch_parked)

FETCH_SESSION_ID_NOT_FOUND = 70
INVALID_FETCH_SESSION_EPOCH = 71
FINAL_EPOCH = -1

pytestmark = smp_1_and_2(log_level="debug")


def fetch_request(partitions, max_wait_ms=0, min_bytes=0, max_bytes=50 * 1024 * 1024,
                  session_id=0, session_epoch=FINAL_EPOCH):
    """Fetch v7; partitions: [(topic, partition, fetch_offset, partition_max_bytes)]."""
    by_topic = {}
    for topic, partition, offset, partition_max_bytes in partitions:
        by_topic.setdefault(topic, []).append((partition, offset, -1, partition_max_bytes))
    return FetchRequest[7](replica_id=-1, max_wait_time=max_wait_ms, min_bytes=min_bytes,
                           max_bytes=max_bytes, isolation_level=0, session_id=session_id,
                           session_epoch=session_epoch, topics=list(by_topic.items()),
                           forgotten_topics_data=[])


def partitions_of(response):
    """{(topic, partition): (error_code, high_watermark, record_set_bytes)}."""
    return {(topic, p[0]): (p[1], p[2], p[6]) for topic, parts in response.topics for p in parts}


def complete_batches(record_set):
    """[(base_offset, [record offsets])] of the complete batches in a fetched record set."""
    records = MemoryRecords(record_set)
    batches = []
    while True:
        batch = records.next_batch()
        if batch is None:
            return batches
        batches.append((batch.base_offset, [r.offset for r in batch]))


def produce_batches(broker, topic, partition, count, value_size_bytes):
    """`count` batches of one record each."""
    for i in range(count):
        produce_ok(broker, topic, [{"value": bytes([65 + i % 26]) * value_size_bytes,
                                    "partition": partition}], acks="1", linger_ms=0)


def test_fetch_beyond_high_watermark_is_offset_out_of_range(broker):
    name = create_topic(broker)
    produce_ok(broker, name, [{"value": b"v"}] * 3)
    with RawConnection(broker) as conn:
        parts = partitions_of(conn.request(fetch_request([(name, 0, 100, 1 << 20)])))
        assert parts[(name, 0)][:2] == (OFFSET_OUT_OF_RANGE, 3)
        parts = partitions_of(conn.request(fetch_request([(name, 0, 3, 1 << 20)])))
        assert parts[(name, 0)][:2] == (0, 3)  # fetching at the end is fine: no records
        assert complete_batches(parts[(name, 0)][2]) == []


def test_partition_max_bytes_limits_but_first_batch_always_comes_back(broker):
    name = create_topic(broker)
    produce_batches(broker, name, 0, 10, 1000)
    with RawConnection(broker) as conn:
        (error, hw, data), = partitions_of(conn.request(fetch_request([(name, 0, 0, 100)]))).values()
        assert (error, hw) == (0, 10)
        assert [b[0] for b in complete_batches(data)] == [0], "one oversized batch, whole"
        (_, _, data), = partitions_of(conn.request(fetch_request([(name, 0, 0, 2500)]))).values()
        assert len(data) <= 2500
        assert [b[0] for b in complete_batches(data)] == [0, 1]
        (_, _, data), = partitions_of(conn.request(fetch_request([(name, 0, 4, 1 << 20)]))).values()
        assert [b[0] for b in complete_batches(data)] == list(range(4, 10))


def test_response_max_bytes_spans_partitions(broker):
    # Batches of one 1000-byte record (~1070 bytes): a partition limit of 1500 bytes gives one
    # batch per partition, and a response limit of 2500 bytes room for two partitions' worth.
    name = create_topic(broker, partitions=3)
    for p in range(3):
        produce_batches(broker, name, p, 3, 1000)
    with RawConnection(broker) as conn:
        response = conn.request(fetch_request([(name, p, 0, 1500) for p in range(3)],
                                              max_bytes=2500))
    parts = partitions_of(response)
    assert {key: part[:2] for key, part in parts.items()} == {(name, p): (0, 3) for p in range(3)}
    batches = {p: [b[0] for b in complete_batches(parts[(name, p)][2])] for p in range(3)}
    assert batches == {0: [0], 1: [0], 2: []}, "two partitions' records in one response, then full"
    assert sum(len(data) for _, _, data in parts.values()) <= 2500


def test_long_poll_waits_for_max_wait_or_min_bytes(broker):
    name = create_topic(broker)
    with RawConnection(broker) as conn:
        started = time.monotonic()
        parts = partitions_of(conn.request(fetch_request([(name, 0, 0, 1 << 20)], max_wait_ms=400,
                                                         min_bytes=1)))
        waited = time.monotonic() - started
        assert 0.35 <= waited < 3.0, f"empty long-poll returned after {waited:.3f}s"
        assert complete_batches(parts[(name, 0)][2]) == []

        produce_batches(broker, name, 0, 1, 1000)
        started = time.monotonic()
        parts = partitions_of(conn.request(fetch_request([(name, 0, 0, 1 << 20)], max_wait_ms=5000,
                                                         min_bytes=1)))
        assert time.monotonic() - started < 1.0, "data was there: no wait"
        assert len(complete_batches(parts[(name, 0)][2])) == 1

        started = time.monotonic()
        parts = partitions_of(conn.request(fetch_request([(name, 0, 0, 1 << 20)], max_wait_ms=500,
                                                         min_bytes=100_000)))
        waited = time.monotonic() - started
        assert 0.45 <= waited < 3.0, f"min.bytes not reached, yet answered after {waited:.3f}s"
        assert len(complete_batches(parts[(name, 0)][2])) == 1


def test_parked_long_poll_is_answered_when_data_arrives(broker):
    # Two partitions: with two shards, the produced one may live on another shard than the
    # connection, so the wake-up crosses shards.
    name = create_topic(broker, partitions=2)
    max_wait_s = 30
    client_id = f"itest-wakeup-{uuid.uuid4().hex[:8]}"
    with RawConnection(broker, client_id=client_id, timeout_s=max_wait_s + 5) as conn:
        request = fetch_request([(name, 0, 0, 1 << 20), (name, 1, 0, 1 << 20)],
                                max_wait_ms=max_wait_s * 1000, min_bytes=1)
        wait_fetch_parked(broker, client_id, conn.send(request))
        assert not conn.has_answer(), "a parked fetch has no answer yet"
        started = time.monotonic()
        produce_ok(broker, name, [{"value": b"late", "partition": 1}], acks="1")
        parts = partitions_of(conn.receive(request))
        answered_s = time.monotonic() - started
    assert answered_s < 3, f"answered {answered_s:.3f}s after the produce began (max wait {max_wait_s}s)"
    assert {key: part[:2] for key, part in parts.items()} == {(name, 0): (0, 0), (name, 1): (0, 1)}
    assert [offsets for _, offsets in complete_batches(parts[(name, 1)][2])] == [[0]]


def test_incremental_fetch_session(broker):
    name = create_topic(broker, partitions=2)
    produce_ok(broker, name, [{"value": b"first", "partition": 0}])
    with RawConnection(broker) as conn:
        full = conn.request(fetch_request([(name, 0, 0, 1 << 20), (name, 1, 0, 1 << 20)],
                                          session_epoch=0))
        assert full.error_code == 0
        session = full.session_id
        assert session != 0, "a full fetch with epoch 0 opens a session"
        assert set(partitions_of(full)) == {(name, 0), (name, 1)}

        # Nothing changed: the incremental answer lists no partition. p0 moves on to offset 1.
        quiet = conn.request(fetch_request([(name, 0, 1, 1 << 20)], session_id=session,
                                           session_epoch=1))
        assert (quiet.error_code, quiet.session_id) == (0, session)
        assert partitions_of(quiet) == {}

        produce_ok(broker, name, [{"value": b"second", "partition": 1}])
        changed = conn.request(fetch_request([], session_id=session, session_epoch=2))
        parts = partitions_of(changed)
        assert set(parts) == {(name, 1)}, "only the partition with new data"
        assert [offs for _, offs in complete_batches(parts[(name, 1)][2])] == [[0]]

        stale = conn.request(fetch_request([], session_id=session, session_epoch=2))
        assert stale.error_code == INVALID_FETCH_SESSION_EPOCH

        closed = conn.request(fetch_request([(name, 0, 0, 1 << 20)], session_id=session,
                                            session_epoch=FINAL_EPOCH))
        assert closed.error_code == 0 and closed.session_id == 0
        unknown = conn.request(fetch_request([], session_id=session, session_epoch=3))
        assert unknown.error_code == FETCH_SESSION_ID_NOT_FOUND
