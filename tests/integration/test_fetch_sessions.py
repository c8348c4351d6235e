"""Incremental fetch sessions (KIP-227) over the raw wire: Fetch v12 requests encoded by hand on
one connection (v13 names topics by id). A full fetch with epoch 0 opens a session; incremental fetches carry the next
epoch, list only changed partitions and get back only partitions with news; forgotten topics
leave the session; bad ids and epochs get their session errors; epoch -1 closes the session."""
import base64
import os
import re
import socket
import struct
import time

import pytest

from helpers import (SMP_1_AND_2, create_topic, produce_ok, recv_exact, smp_1_and_2, uvarint,
                     wait_fetch_parked)

FETCH = 1
VERSION = 12  # flexible, topics by name
FETCH_SESSION_ID_NOT_FOUND = 70
INVALID_FETCH_SESSION_EPOCH = 71
FETCH_SESSION_TOPIC_ID_ERROR = 106


def compact_string(s):
    data = s.encode()
    return uvarint(len(data) + 1) + data


def compact_array(items):
    return uvarint(len(items) + 1) + b"".join(items)


TAGS = b"\x00"  # no tagged fields


def topic_field(topic):
    """A topic as the request names it: 16 id bytes (v13+) or a name (v12)."""
    return topic if isinstance(topic, bytes) else compact_string(topic)


def fetch_request(session_id, epoch, partitions=(), forgotten=(), max_wait_ms=0):
    """Fetch v12/v13 body. partitions: [(topic, partition, fetch_offset)]; forgotten: [(topic,
    partition)]; topics are names (v12) or id bytes (v13)."""
    by_topic = {}
    for topic, partition, offset in partitions:
        by_topic.setdefault(topic, []).append(
            struct.pack(">iiqiqi", partition, -1, offset, -1, -1, 1 << 20) + TAGS)
    topics = [topic_field(t) + compact_array(ps) + TAGS for t, ps in by_topic.items()]
    gone = {}
    for topic, partition in forgotten:
        gone.setdefault(topic, []).append(struct.pack(">i", partition))
    forgotten_topics = [topic_field(t) + compact_array(ps) + TAGS for t, ps in gone.items()]
    return (struct.pack(">iiiibii", -1, max_wait_ms, 1, 1 << 24, 0, session_id, epoch)
            + compact_array(topics) + compact_array(forgotten_topics) + compact_string("") + TAGS)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def uvarint(self):
        shift = value = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.pos += self.uvarint()

    def bytes(self):
        n = self.uvarint() - 1
        if n < 0:
            return None
        value = self.data[self.pos:self.pos + n]
        self.pos += n
        return value


def parse_fetch_response(payload, version):
    """{error, session_id, partitions: {(topic, partition): (error, high_watermark,
    log_start_offset, record_bytes)}} of a Fetch v12/v13 response (header v1 included); topic
    is a name (v12) or id bytes (v13)."""
    r = Reader(payload)
    r.take(">i")  # correlation id
    r.skip_tags()
    _, error, session_id = r.take(">ihi")
    partitions = {}
    for _ in range(r.uvarint() - 1):
        if version >= 13:
            topic = r.data[r.pos:r.pos + 16]
            r.pos += 16
        else:
            topic = r.bytes().decode()
        for _ in range(r.uvarint() - 1):
            index, p_error, hw, _, log_start = r.take(">ihqqq")
            for _ in range(max(r.uvarint() - 1, 0)):  # aborted transactions
                r.take(">qq")
                r.skip_tags()
            r.take(">i")  # preferred read replica
            records = r.bytes()
            r.skip_tags()
            partitions[(topic, index)] = (p_error, hw, log_start, len(records or b""))
        r.skip_tags()
    r.skip_tags()
    return {"error": error, "session_id": session_id, "partitions": partitions}


class FetchClient:
    """One connection sending Fetch v12 (or v13) requests."""

    CLIENT_ID = "itest-sessions"

    def __init__(self, broker):
        self.sock = socket.create_connection(("127.0.0.1", broker.port), timeout=15)
        self.correlation_id = 0

    def fetch(self, session_id, epoch, partitions=(), forgotten=(), max_wait_ms=0, version=VERSION):
        self.send(session_id, epoch, partitions, forgotten, max_wait_ms, version)
        return self.receive(version)

    def send(self, session_id, epoch, partitions=(), forgotten=(), max_wait_ms=0, version=VERSION):
        """Sends a Fetch without waiting for it; returns its correlation id."""
        self.correlation_id += 1
        client_id = self.CLIENT_ID.encode()
        header = struct.pack(">hhih", FETCH, version, self.correlation_id, len(client_id)) + client_id + TAGS
        body = header + fetch_request(session_id, epoch, partitions, forgotten, max_wait_ms)
        self.sock.sendall(struct.pack(">i", len(body)) + body)
        return self.correlation_id

    def receive(self, version=VERSION):
        """The parsed answer to the last Fetch sent."""
        size = struct.unpack(">i", recv_exact(self.sock, 4))[0]
        payload = recv_exact(self.sock, size)
        assert struct.unpack(">i", payload[:4])[0] == self.correlation_id
        return parse_fetch_response(payload, version)

    def close(self):
        self.sock.close()


@pytest.fixture
def client(broker):
    c = FetchClient(broker)
    yield c
    c.close()


def two_partitions_with_data(broker):
    """A topic with 2 partitions holding 2 records each; returns its name."""
    name = create_topic(broker, partitions=2)
    produce_ok(broker, name, [{"value": b"v%d" % i, "partition": i % 2} for i in range(4)])
    return name


def open_session(client, name):
    full = client.fetch(0, 0, [(name, 0, 0), (name, 1, 0)])
    assert full["error"] == 0
    assert full["session_id"] != 0, "a full fetch with epoch 0 must create a session"
    assert set(full["partitions"]) == {(name, 0), (name, 1)}
    for error, hw, _, size in full["partitions"].values():
        assert (error, hw) == (0, 2) and size > 0
    return full["session_id"]


@SMP_1_AND_2
def test_incremental_fetch_returns_only_changed_partitions(broker, client):
    name = two_partitions_with_data(broker)
    session = open_session(client, name)

    # Both partitions consumed up to their end: nothing new to tell.
    quiet = client.fetch(session, 1, [(name, 0, 2), (name, 1, 2)])
    assert (quiet["error"], quiet["session_id"]) == (0, session)
    assert quiet["partitions"] == {}

    # New data on partition 1 only; the request lists no partition at all.
    produce_ok(broker, name, [{"value": b"new", "partition": 1}])
    update = client.fetch(session, 2)
    assert (update["error"], update["session_id"]) == (0, session)
    assert list(update["partitions"]) == [(name, 1)]
    error, hw, _, size = update["partitions"][(name, 1)]
    assert (error, hw) == (0, 3) and size > 0

    # The client moves partition 1's offset on: quiet again.
    assert client.fetch(session, 3, [(name, 1, 3)])["partitions"] == {}


@SMP_1_AND_2
def test_forgotten_topics_leave_the_session(broker, client):
    name = two_partitions_with_data(broker)
    session = open_session(client, name)
    assert client.fetch(session, 1, [(name, 0, 2), (name, 1, 2)])["partitions"] == {}

    forgot = client.fetch(session, 2, forgotten=[(name, 0)])
    assert (forgot["error"], forgot["session_id"]) == (0, session)
    produce_ok(broker, name, [{"value": b"p0", "partition": 0}, {"value": b"p1", "partition": 1}])
    # Only partition 1 is still in the session.
    after = client.fetch(session, 3)
    assert list(after["partitions"]) == [(name, 1)]

    # Adding partition 0 back at its old offset returns it again; partition 1 is caught up.
    again = client.fetch(session, 4, [(name, 0, 2), (name, 1, 3)])
    assert list(again["partitions"]) == [(name, 0)]
    assert again["partitions"][(name, 0)][3] > 0


def test_wrong_epoch_is_rejected(broker, client):
    name = two_partitions_with_data(broker)
    session = open_session(client, name)
    wrong = client.fetch(session, 5)
    assert wrong["error"] == INVALID_FETCH_SESSION_EPOCH
    assert wrong["partitions"] == {}
    # The session is intact and still expects epoch 1.
    assert client.fetch(session, 1, [(name, 0, 2), (name, 1, 2)])["error"] == 0
    assert client.fetch(session, 1)["error"] == INVALID_FETCH_SESSION_EPOCH


def test_unknown_session_id_is_not_found(broker, client):
    name = two_partitions_with_data(broker)
    unknown = client.fetch(987654, 1, [(name, 0, 0)])
    assert unknown["error"] == FETCH_SESSION_ID_NOT_FOUND
    assert unknown["partitions"] == {}


def test_final_epoch_is_sessionless_and_closes_the_session(broker, client):
    name = two_partitions_with_data(broker)
    session = open_session(client, name)
    closing = client.fetch(session, -1, [(name, 0, 0)])
    assert (closing["error"], closing["session_id"]) == (0, 0)
    assert list(closing["partitions"]) == [(name, 0)]
    assert client.fetch(session, 1)["error"] == FETCH_SESSION_ID_NOT_FOUND


def test_sessions_are_shared_across_connections(broker, client):
    name = two_partitions_with_data(broker)
    session = open_session(client, name)
    other = FetchClient(broker)
    try:
        update = other.fetch(session, 1, [(name, 0, 2), (name, 1, 2)])
        assert (update["error"], update["session_id"]) == (0, session)
    finally:
        other.close()


@smp_1_and_2(log_level="debug")  # waits for the fetch-parked debug line
def test_long_poll_wakes_for_new_data_in_the_session(broker, client):
    name = two_partitions_with_data(broker)
    session = open_session(client, name)
    assert client.fetch(session, 1, [(name, 0, 2), (name, 1, 2)])["partitions"] == {}
    wait_fetch_parked(broker, FetchClient.CLIENT_ID, client.send(session, 2, max_wait_ms=30000))
    started = time.monotonic()
    produce_ok(broker, name, [{"value": b"late", "partition": 0}])
    woke = client.receive()
    answered_s = time.monotonic() - started
    assert answered_s < 3, f"answered {answered_s:.3f}s after the produce began (max wait 30s)"
    assert list(woke["partitions"]) == [(name, 0)]


def topic_id(broker, name):
    """The 16 bytes of a topic's id, from its partition.metadata file (base64 url-safe)."""
    with open(os.path.join(broker.data_dir, f"{name}-0", "partition.metadata")) as f:
        text = re.search(r"topic_id: (\S{22})", f.read()).group(1)
    return base64.urlsafe_b64decode(text + "==")


def test_sessions_by_topic_id_with_v13(broker, client):
    name = two_partitions_with_data(broker)
    tid = topic_id(broker, name)
    full = client.fetch(0, 0, [(tid, 0, 0), (tid, 1, 0)], version=13)
    assert full["error"] == 0 and full["session_id"] != 0
    assert set(full["partitions"]) == {(tid, 0), (tid, 1)}
    session = full["session_id"]
    assert client.fetch(session, 1, [(tid, 0, 2), (tid, 1, 2)], version=13)["partitions"] == {}
    produce_ok(broker, name, [{"value": b"new", "partition": 0}])
    assert list(client.fetch(session, 2, version=13)["partitions"]) == [(tid, 0)]
    # A session opened by topic id cannot continue with topic names.
    assert client.fetch(session, 3, version=12)["error"] == FETCH_SESSION_TOPIC_ID_ERROR
