"""The wire itself: garbage, truncated and oversized requests close only their own connection
(with a log line naming the client) while other clients keep working; pipelined requests are
answered in order; ApiVersions of an unknown version gets the KIP-511 fallback answer."""
import socket
import struct

import pytest
from kafka.protocol.api import RequestHeader
from kafka.protocol.metadata import MetadataRequest

from helpers import (SMP_1_AND_2, UNSUPPORTED_VERSION, consume, create_topic, produce_ok,
                     producer, recv_exact, wait_until)


def header(api_key, api_version, correlation_id, client_id=b"itest-raw"):
    """Request header v1 (non-flexible): key, version, correlation id, client id."""
    return struct.pack(">hhih", api_key, api_version, correlation_id, len(client_id)) + client_id


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


BAD_REQUESTS = {
    "garbage": frame(b"\xde\xad\xbe\xef" * 25),
    "truncated_metadata": frame(header(3, 1, 1) + struct.pack(">i", 5)),  # 5 topics, none sent
    "shorter_than_header": frame(b"\x00\x03"),
    "negative_size": struct.pack(">i", -2) + b"\x00" * 16,
    "above_socket_request_max_bytes": struct.pack(">i", 0x7FFFFFF0) + header(0, 7, 1),
    "unknown_api_key": frame(header(9999, 0, 1)),
    "unsupported_metadata_version": frame(header(3, 999, 1) + struct.pack(">i", 0)),
}


def assert_closed_by_broker(sock, timeout_s=10):
    """The broker must close the connection (EOF or reset) rather than answer or hang."""
    sock.settimeout(timeout_s)
    try:
        data = sock.recv(65536)
    except ConnectionResetError:
        return
    except socket.timeout:
        raise AssertionError(f"broker kept the connection open for {timeout_s}s")
    assert data == b"", f"broker answered a bad request with {data[:64]!r}"


@SMP_1_AND_2
@pytest.mark.parametrize("bad", sorted(BAD_REQUESTS))
def test_bad_request_closes_only_its_connection(broker, bad):
    name = create_topic(broker)
    p = producer(broker, acks="all")
    p.produce(name, value=b"before")
    assert p.flush(10) == 0
    with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
        local_port = s.getsockname()[1]
        s.sendall(BAD_REQUESTS[bad])
        assert_closed_by_broker(s)
    wait_until(lambda: f":{local_port}" in broker.log_text(), timeout_s=5,
               what=f"a log line naming the client 127.0.0.1:{local_port}")
    # The producer's existing connection and new clients keep working.
    p.produce(name, value=b"after")
    assert p.flush(10) == 0
    assert [r.value for r in consume(broker, name, 0, 0)] == [b"before", b"after"]
    assert not broker.crashed()


@pytest.mark.parametrize("broker", [{"settings": {"socket.request.max.bytes": "20000"}}],
                         indirect=True)
def test_socket_request_max_bytes_is_enforced(broker):
    name = create_topic(broker)
    with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
        s.sendall(struct.pack(">i", 50000) + header(0, 7, 1) + b"\x00" * 1000)
        assert_closed_by_broker(s)
    produce_ok(broker, name, [{"value": b"x" * 1000}])


@SMP_1_AND_2
def test_pipelined_requests_are_answered_in_order(broker):
    create_topic(broker, partitions=4)
    requests = []
    for i in range(200):
        if i % 2:
            body = header(18, 0, i)  # ApiVersions v0: empty body
        else:
            req = MetadataRequest[1](topics=None)
            req_header = RequestHeader(req, correlation_id=i, client_id="itest-pipe")
            body = req_header.encode() + req.encode()
        requests.append(frame(body))
    with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
        s.sendall(b"".join(requests))
        ids = []
        for _ in range(200):
            size = struct.unpack(">i", recv_exact(s, 4))[0]
            ids.append(struct.unpack(">i", recv_exact(s, size)[:4])[0])
    assert ids == list(range(200))


def test_api_versions_of_unknown_version_gets_kip511_fallback(broker):
    with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
        # A v99 request with a flexible (v2) header: the broker cannot parse its body.
        body = header(18, 99, 42) + b"\x00" + b"\x06itest\x041.0\x00"
        s.sendall(frame(body))
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        payload = recv_exact(s, size)
    correlation_id, error_code, count = struct.unpack(">ihi", payload[:10])
    assert correlation_id == 42
    assert error_code == UNSUPPORTED_VERSION
    entries = [struct.unpack(">hhh", payload[10 + 6 * i:16 + 6 * i]) for i in range(count)]
    versions = {key: (lo, hi) for key, lo, hi in entries}
    assert 18 in versions, "the fallback answer must list ApiVersions' own range"
    assert versions[18] == (0, 4)


# The APIs issue 2 serves, with Kafka 3.9's version ranges; Produce v0-2 and Fetch v0-3 (message
# formats 0/1, without conversion) are not advertised, as Kafka 4.0 (KIP-896).
# Kafka 3.9's ranges, but for Kafka 4.0's transaction version 2 requests (Produce v12,
# EndTxn v5, TxnOffsetCommit v5).
KAFKA_RANGES = {
    0: (0, 12),   # Produce: from v0 as Kafka 3.x (message formats v0/v1 up-converted; 4.0 starts at 3)
    1: (0, 17),   # Fetch: from v0 as Kafka 3.x (down-converted; 4.0 starts at 4)
    2: (0, 9),    # ListOffsets
    3: (0, 12),   # Metadata
    18: (0, 4),   # ApiVersions
    19: (0, 7),   # CreateTopics
    20: (0, 6),   # DeleteTopics
    23: (0, 4),   # OffsetForLeaderEpoch
    26: (0, 5),   # EndTxn
    28: (0, 5),   # TxnOffsetCommit
    32: (0, 4),   # DescribeConfigs
    33: (0, 2),   # AlterConfigs
    35: (0, 4),   # DescribeLogDirs
    37: (0, 3),   # CreatePartitions
    44: (0, 1),   # IncrementalAlterConfigs
    60: (0, 1),   # DescribeCluster
}


def api_versions(broker, version):
    """{api_key: (min, max)} from an ApiVersions request of `version` (0..2: plain encoding)."""
    with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
        s.sendall(frame(header(18, version, 1)))
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        payload = recv_exact(s, size)
    correlation_id, error_code, count = struct.unpack(">ihi", payload[:10])
    assert (correlation_id, error_code) == (1, 0)
    entries = [struct.unpack(">hhh", payload[10 + 6 * i:16 + 6 * i]) for i in range(count)]
    return {key: (lo, hi) for key, lo, hi in entries}


@pytest.mark.parametrize("version", [0, 1, 2])
def test_api_versions_advertises_every_kafka_version(broker, version):
    """Also what librdkafka's feature probes (rdkafka_feature.c) and kafka-python's version
    inference need: e.g. Produce 0..7 and Fetch 2..11 ranges."""
    advertised = api_versions(broker, version)
    for key, expected in KAFKA_RANGES.items():
        assert advertised.get(key) == expected, \
            f"API {key}: advertised {advertised.get(key)}, Kafka serves {expected}"
