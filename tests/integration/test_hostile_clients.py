"""A hostile client cannot crash, wedge or exhaust the broker (issue 8): client strings are cut
in error messages, internal topics are written by the broker only, request memory is bounded
(a frame's buffer grows with the bytes that arrived, a broker-wide pool pauses reading, the
decoder's allocations are bounded by the frame's size), Fetch responses honour fetch.max.bytes,
and connections are limited and reaped when idle. Every test checks the broker still serves."""
import socket
import struct
import time

import pytest
from kafka.protocol.admin import CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest
from kafka.protocol.fetch import FetchRequest

from helpers import (FIND_COORDINATOR, RawConnection, call, create_topic, produce_ok, raw_produce,
                     recv_exact, unique_topic, uvarint, wait_until)

INVALID_TOPIC_EXCEPTION = 17
INVALID_PARTITIONS = 37
INVALID_CONFIG = 40
MAX_MESSAGE_BYTES = 1024 + 64  # codec::kMaxMessageBytes plus the "...(N more bytes)" mark


def rss_kib(broker, field="VmRSS"):
    with open(f"/proc/{broker.proc.pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} missing from /proc/{broker.proc.pid}/status")


def api_versions_frame(correlation_id=1):
    body = struct.pack(">hhih", 18, 0, correlation_id, 5) + b"itest"
    return struct.pack(">i", len(body)) + body


def answers_api_versions(broker, timeout_s=10):
    """A fresh connection gets its ApiVersions answered: the broker still serves."""
    with socket.create_connection(("127.0.0.1", broker.port), timeout=timeout_s) as sock:
        sock.sendall(api_versions_frame())
        size = struct.unpack(">i", recv_exact(sock, 4))[0]
        return struct.unpack(">i", recv_exact(sock, size)[:4])[0] == 1


def closed_by_broker(sock, timeout_s=10):
    sock.settimeout(timeout_s)
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def no_answer_within(sock, seconds):
    """True when nothing arrives on `sock` for `seconds` (the broker is holding the request)."""
    sock.settimeout(seconds)
    try:
        data = sock.recv(1)
    except socket.timeout:
        return True
    raise AssertionError(f"expected the request to wait, got {data!r}")


def test_a_32767_character_topic_name_is_refused_with_a_cut_message(broker):
    name = "x" * 32767
    with RawConnection(broker) as conn:
        response = conn.request(CreateTopicsRequest[1](
            create_topic_requests=[(name, 1, 1, [], [])], timeout=5000, validate_only=False))
    (topic, error_code, message), = response.topic_errors
    assert topic == name
    assert error_code == INVALID_TOPIC_EXCEPTION
    assert "can't be longer than 249 characters" in message
    assert len(message) <= MAX_MESSAGE_BYTES and message.endswith("more bytes)")
    assert answers_api_versions(broker)


def test_an_unknown_config_with_a_huge_name_is_refused_with_a_cut_message(broker):
    key = "k" * 30000
    with RawConnection(broker) as conn:
        response = conn.request(CreateTopicsRequest[1](
            create_topic_requests=[(unique_topic(), 1, 1, [], [(key, "v")])], timeout=5000,
            validate_only=False))
    (_, error_code, message), = response.topic_errors
    assert error_code == INVALID_CONFIG
    assert message.startswith("Unknown topic config name: kkkk") and len(message) <= MAX_MESSAGE_BYTES
    assert answers_api_versions(broker)


def test_topics_colliding_in_metric_names_are_refused(broker):
    base = unique_topic("collide")
    create_topic(broker, f"{base}.a")
    with RawConnection(broker) as conn:
        response = conn.request(CreateTopicsRequest[1](
            create_topic_requests=[(f"{base}_a", 1, 1, [], [])], timeout=5000, validate_only=False))
    (_, error_code, message), = response.topic_errors
    assert error_code == INVALID_TOPIC_EXCEPTION
    assert message == f"Topic '{base}_a' collides with existing topic: {base}.a"


def test_clients_cannot_write_delete_or_repartition_internal_topics(broker):
    # The group coordinator creates __consumer_offsets on the first FindCoordinator.
    wait_until(lambda: call(broker, FIND_COORDINATOR, 1, key="g", key_type=0)["error_code"] == 0,
               what="__consumer_offsets created")
    batch = b"\x00" * 61  # never looked at: the topic is refused first
    for topic in ("__consumer_offsets", "__transaction_state", "__cluster_metadata"):
        assert raw_produce(broker, {(topic, 0): batch})[(topic, 0)][0] == INVALID_TOPIC_EXCEPTION
    with RawConnection(broker) as conn:
        deleted = conn.request(DeleteTopicsRequest[1](topics=["__consumer_offsets"], timeout=5000))
        assert deleted.topic_error_codes == [("__consumer_offsets", INVALID_TOPIC_EXCEPTION)]
        grown = conn.request(CreatePartitionsRequest[0](
            topic_partitions=[("__consumer_offsets", (60, None))], timeout=5000, validate_only=False))
        assert grown.topic_errors[0][1] == INVALID_PARTITIONS
        created = conn.request(CreateTopicsRequest[1](
            create_topic_requests=[("__cluster_metadata", 1, 1, [], [])], timeout=5000,
            validate_only=False))
        assert created.topic_errors[0][1] == INVALID_TOPIC_EXCEPTION
    assert call(broker, FIND_COORDINATOR, 1, key="g", key_type=0)["error_code"] == 0


@pytest.mark.parametrize("broker", [{"settings": {"queued.max.request.bytes": "-1"}}], indirect=True)
def test_announced_but_unsent_request_bytes_hold_no_memory(broker):
    """300 sockets each announce a 100 MiB request and send 1 KiB of it: buffers grow with the
    bytes that arrived, so the broker holds a few MiB, not 30 GB (pool unbounded here)."""
    before = rss_kib(broker)
    sockets = []
    try:
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", broker.port))
            s.sendall(struct.pack(">i", 100 * 1024 * 1024) + b"\x00" * 1024)
            sockets.append(s)
        assert answers_api_versions(broker)  # every announced frame has been seen by now
        grown_mib = (rss_kib(broker) - before) / 1024
        assert grown_mib < 100, f"broker grew by {grown_mib:.0f} MiB for 300 KiB of requests"
    finally:
        for s in sockets:
            s.close()
    assert answers_api_versions(broker)


@pytest.mark.parametrize("broker", [{"settings": {"queued.max.request.bytes": "104857600"}}],
                         indirect=True)
def test_reading_pauses_while_request_memory_is_in_use_and_nothing_fails(broker):
    hogs = []
    for _ in range(2):  # 2 x 60 MiB announced: the pool of 100 MiB is used up (one overshoot)
        s = socket.create_connection(("127.0.0.1", broker.port))
        s.sendall(struct.pack(">i", 60 * 1024 * 1024) + b"\x00" * 64)
        hogs.append(s)
    waiting = socket.create_connection(("127.0.0.1", broker.port))
    # The hogs' frames are reserved once their prefix is read; wait until that is so.
    wait_until(lambda: _request_waits(broker), what="request memory in use")
    waiting.sendall(api_versions_frame(7))
    assert no_answer_within(waiting, 1.0)
    for s in hogs:
        s.close()
    waiting.settimeout(10)
    size = struct.unpack(">i", recv_exact(waiting, 4))[0]
    assert struct.unpack(">i", recv_exact(waiting, size)[:4])[0] == 7, "answered once memory returned"
    waiting.close()
    assert answers_api_versions(broker)


def _request_waits(broker):
    with socket.create_connection(("127.0.0.1", broker.port)) as probe:
        probe.sendall(api_versions_frame())
        probe.settimeout(0.2)
        try:
            probe.recv(1)
            return False
        except socket.timeout:
            return True


def test_a_frame_of_empty_strings_cannot_decode_into_gigabytes(broker):
    """DescribeGroups v5: 40 M empty compact strings in a 40 MiB frame would be 1.3 GB of
    std::string; the decode budget refuses the frame and closes its connection."""
    count = 40 * 1024 * 1024
    body = struct.pack(">hhih", 15, 5, 1, 5) + b"itest" + b"\x00"  # header v2: no tagged fields
    body += uvarint(count + 1) + b"\x01" * count + b"\x00\x00"  # empty strings, include_authorized_operations, tags
    with socket.create_connection(("127.0.0.1", broker.port)) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        assert closed_by_broker(sock, timeout_s=30)
    peak_mib = rss_kib(broker, "VmHWM") / 1024
    assert peak_mib < 400, f"broker peaked at {peak_mib:.0f} MiB decoding a 40 MiB frame"
    assert answers_api_versions(broker)
    assert "too many objects for its size" in broker.log_tail()


@pytest.mark.parametrize("broker", [{"settings": {"fetch.max.bytes": "100000"}}], indirect=True)
def test_fetch_responses_honour_fetch_max_bytes(broker):
    topic = unique_topic("fetchcap")
    create_topic(broker, topic, partitions=4)
    produce_ok(broker, topic, [{"value": b"v" * 1000, "partition": p} for p in range(4) for _ in range(200)],
               **{"batch.size": 16384})
    with RawConnection(broker) as conn:
        response = conn.request(FetchRequest[4](
            replica_id=-1, max_wait_time=100, min_bytes=1, max_bytes=100 * 1024 * 1024,
            isolation_level=0, topics=[(topic, [(p, 0, 1024 * 1024) for p in range(4)])]))
    sizes = [len(p[-1]) for _, partitions in response.topics for p in partitions]
    assert sizes[0] > 0
    # The budget may be passed by the batch that crosses it (KIP-74), never by more.
    largest_batch = 16 * 1024 + 1024
    assert sum(sizes) <= 100000 + largest_batch, sizes


@pytest.mark.parametrize("broker", [{"settings": {"connections.max.idle.ms": "500"}}], indirect=True)
def test_idle_connections_are_closed(broker):
    with socket.create_connection(("127.0.0.1", broker.port)) as idle:
        started = time.monotonic()
        assert closed_by_broker(idle, timeout_s=10)
        assert time.monotonic() - started >= 0.4
    assert "connections.max.idle.ms=500" in broker.log_tail()
    assert answers_api_versions(broker)


@pytest.mark.parametrize("broker", [{"settings": {"max.connections.per.ip": "3"}}], indirect=True)
def test_connections_beyond_max_connections_per_ip_are_closed(broker):
    held = [socket.create_connection(("127.0.0.1", broker.port)) for _ in range(3)]
    for s in held:  # counted once accepted: an answer proves it
        s.sendall(api_versions_frame())
        recv_exact(s, struct.unpack(">i", recv_exact(s, 4))[0])
    extra = socket.create_connection(("127.0.0.1", broker.port))
    assert closed_by_broker(extra)
    extra.close()
    held.pop().close()
    wait_until(lambda: answers_api_versions(broker), what="a slot freed by a close")
    for s in held:
        s.close()


@pytest.mark.parametrize("broker", [{"settings": {"max.connections": "2"}}], indirect=True)
def test_accepting_pauses_at_max_connections(broker):
    held = [socket.create_connection(("127.0.0.1", broker.port)) for _ in range(2)]
    for s in held:
        s.sendall(api_versions_frame())
        recv_exact(s, struct.unpack(">i", recv_exact(s, 4))[0])
    third = socket.create_connection(("127.0.0.1", broker.port))  # waits in the backlog
    third.sendall(api_versions_frame(3))
    assert no_answer_within(third, 1.0)
    held.pop().close()
    third.settimeout(10)
    size = struct.unpack(">i", recv_exact(third, 4))[0]
    assert struct.unpack(">i", recv_exact(third, size)[:4])[0] == 3
    third.close()
    for s in held:
        s.close()
