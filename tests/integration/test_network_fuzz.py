"""Mutated and random request frames over many connections against the real binary.

Seed frames are real requests of every API the broker serves: kafka-python's codecs (Metadata,
ApiVersions, Produce with a record batch, Fetch, ListOffsets, and the admin APIs: CreateTopics,
DeleteTopics, CreatePartitions, Describe/Alter/IncrementalAlterConfigs), hand-built frames
(DescribeCluster, DescribeLogDirs, OffsetForLeaderEpoch) and helpers.py's wire codec (the group
APIs at old and flexible versions). The mutation seed is drawn afresh each run and printed
(FRESHET_NET_FUZZ_SEED=N replays a run). Each round sends mutations of them (bit flips, byte sets,
interesting integers, truncations, insertions, splices) and random bytes, one connection per
frame, all at once. The broker may answer a frame that still parses or close the connection,
never crash or wedge: after every round a fresh connection still gets ApiVersions and Metadata
answers, a connection the broker closed without answering is named in its log, and at the
end a normal produce/consume still works. Bounded to about 30 s.
"""
import os
import random
import selectors
import socket
import struct
import time

from kafka.protocol.admin import (AlterConfigsRequest, CreatePartitionsRequest, CreateTopicsRequest,
                                  DeleteTopicsRequest, DescribeConfigsRequest)
from kafka.protocol.api import RequestHeader
from kafka.protocol.fetch import FetchRequest
from kafka.protocol.metadata import MetadataRequest
from kafka.protocol.offset import OffsetRequest
from kafka.protocol.produce import ProduceRequest

import helpers
from helpers import (consume, create_topic, produce_ok, record_batch, recv_exact, unique_topic,
                     wait_until)

SEED = int(os.environ.get("FRESHET_NET_FUZZ_SEED") or random.SystemRandom().randrange(1 << 32))
ROUNDS = 8
MUTATED_PER_ROUND = 40
RANDOM_PER_ROUND = 10
ROUND_DEADLINE_S = 2.5
CLIENT_ID = "itest-fuzz"


def kafka_python_frame(request, correlation_id=1):
    header = RequestHeader(request, correlation_id=correlation_id, client_id=CLIENT_ID)
    return header.encode() + request.encode()


def wire_frame(api, version, **fields):
    return helpers.encode_request(api, version, 1, CLIENT_ID, fields)


def raw_frame(api_key, version, body, flexible=False):
    """Request header v1 (v2 when `flexible`) and a hand-encoded body."""
    header = struct.pack(">hhih", api_key, version, 1, len(CLIENT_ID)) + CLIENT_ID.encode()
    return header + (b"\x00" if flexible else b"") + body


def admin_frames(topic):
    """The admin APIs: topics, partitions, configs, cluster, log dirs, leader epochs."""
    fresh = unique_topic("fuzz-new")
    incremental = helpers.incremental_alter_configs_request()
    encoded_topic = struct.pack(">h", len(topic)) + topic.encode()
    return [
        kafka_python_frame(CreateTopicsRequest[1](
            create_topic_requests=[(fresh, 2, 1, [], [("retention.ms", "1000")])], timeout=5000,
            validate_only=False)),
        kafka_python_frame(CreateTopicsRequest[0](
            create_topic_requests=[(fresh + "x", -1, -1, [(0, [1])], [])], timeout=5000)),
        kafka_python_frame(DeleteTopicsRequest[1](topics=[fresh], timeout=5000)),
        kafka_python_frame(CreatePartitionsRequest[0](
            topic_partitions=[(topic, (3, None))], timeout=5000, validate_only=True)),
        kafka_python_frame(DescribeConfigsRequest[1](
            resources=[(2, topic, ["retention.ms"]), (4, "1", None)], include_synonyms=True)),
        kafka_python_frame(AlterConfigsRequest[0](
            resources=[(2, topic, [("segment.bytes", "1048576")])], validate_only=True)),
        kafka_python_frame(incremental(
            resources=[(2, topic, [("max.message.bytes", 0, "2000000")]), (4, "", [])],
            validate_only=True)),
        raw_frame(60, 0, b"\x01\x00", flexible=True),  # DescribeCluster: include operations, tags
        raw_frame(35, 1, struct.pack(">i", 1) + encoded_topic + struct.pack(">ii", 1, 0)),  # DescribeLogDirs
        raw_frame(35, 0, struct.pack(">i", -1)),  # DescribeLogDirs of every topic
        raw_frame(23, 2, struct.pack(">i", 1) + encoded_topic + struct.pack(">iiii", 1, 0, 0, 0)),
    ]


def seed_frames(topic):
    """Valid request payloads (no size prefix) of every served API, at several versions."""
    batch = record_batch([(b"k", b"v", [("h", b"1")])])
    frames = [struct.pack(">hhih", 18, v, 1, len(CLIENT_ID)) + CLIENT_ID.encode()
              for v in range(3)]  # ApiVersions v0-2: empty body
    frames += [kafka_python_frame(MetadataRequest[v](topics=[topic]) if v < 4 else
                                  MetadataRequest[v](topics=[topic], allow_auto_topic_creation=False))
               for v in range(6)]
    frames += [kafka_python_frame(ProduceRequest[v](transactional_id=None, required_acks=1,
                                                     timeout=5000, topics=[(topic, [(0, batch)])]))
               for v in (3, 5, 7)]
    frames.append(kafka_python_frame(FetchRequest[7](
        replica_id=-1, max_wait_time=0, min_bytes=0, max_bytes=1 << 20, isolation_level=0,
        session_id=0, session_epoch=-1, topics=[(topic, [(0, 0, -1, 1 << 20)])],
        forgotten_topics_data=[])))
    frames.append(kafka_python_frame(OffsetRequest[1](replica_id=-1, topics=[(topic, [(0, -1)])])))
    frames += admin_frames(topic)
    group = unique_topic("fuzz-group")
    for version in (0, 3, 4):
        frames.append(wire_frame(helpers.FIND_COORDINATOR, version, key=group,
                                 coordinator_keys=[group]))
    for version in (0, 5, 6, 9):
        frames.append(wire_frame(helpers.JOIN_GROUP, version, group_id=group,
                                 session_timeout_ms=10000, rebalance_timeout_ms=10000,
                                 member_id="", protocol_type="consumer",
                                 protocols=[{"name": "range",
                                             "metadata": helpers.subscription_metadata([topic])}]))
    for version in (0, 4):
        frames.append(wire_frame(helpers.HEARTBEAT, version, group_id=group, generation_id=1,
                                 member_id="m"))
        frames.append(wire_frame(helpers.SYNC_GROUP, version, group_id=group, generation_id=1,
                                 member_id="m", assignments=[{"member_id": "m",
                                                              "assignment": b"\x00\x01"}]))
    for version in (2, 8):
        frames.append(wire_frame(helpers.OFFSET_COMMIT, version, group_id=group,
                                 topics=[{"name": topic, "partitions": [
                                     {"partition_index": 0, "committed_offset": 1,
                                      "committed_metadata": "m"}]}]))
    for version in (1, 6, 8):
        frames.append(wire_frame(helpers.OFFSET_FETCH, version, group_id=group,
                                 topics=[{"name": topic, "partition_indexes": [0]}],
                                 groups=[{"group_id": group, "topics": None}]))
    frames.append(wire_frame(helpers.DESCRIBE_GROUPS, 5, groups=[group]))
    frames.append(wire_frame(helpers.LIST_GROUPS, 4, states_filter=["Stable"]))
    frames.append(wire_frame(helpers.LEAVE_GROUP, 4, group_id=group,
                             members=[{"member_id": "m", "group_instance_id": None}]))
    frames.append(wire_frame(helpers.OFFSET_DELETE, 0, group_id=group, topics=[
        {"name": topic, "partitions": [{"partition_index": 0}]}]))
    txn = dict(transactional_id="fuzz-txn", producer_id=0, producer_epoch=0)
    for version in (0, 2, 4):
        frames.append(wire_frame(helpers.FIND_COORDINATOR, version, key="fuzz-txn", key_type=1,
                                 coordinator_keys=["fuzz-txn"]))
        frames.append(wire_frame(helpers.INIT_PRODUCER_ID, version, transactional_id="fuzz-txn",
                                 transaction_timeout_ms=60000))
    frames.append(wire_frame(helpers.ADD_PARTITIONS_TO_TXN, 3, topics=[
        {"name": topic, "partitions": [0]}], **txn))
    frames.append(wire_frame(helpers.ADD_OFFSETS_TO_TXN, 3, group_id=group, **txn))
    frames.append(wire_frame(helpers.TXN_OFFSET_COMMIT, 3, group_id=group, member_id="",
                             group_instance_id=None, topics=[{"name": topic, "partitions": [
                                 {"partition_index": 0, "committed_offset": 1,
                                  "committed_metadata": ""}]}], **txn))
    frames.append(wire_frame(helpers.END_TXN, 3, committed=True, **txn))
    frames.append(wire_frame(helpers.WRITE_TXN_MARKERS, 1, markers=[{
        "producer_id": 0, "producer_epoch": 0, "transaction_result": False, "coordinator_epoch": 0,
        "topics": [{"name": topic, "partition_indexes": [0]}]}]))
    return frames


INTERESTING_INTS = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
                    0xFFFFFFFF]


def mutate(rng, data, corpus):
    """1-4 stacked mutations of `data` (bytes), deterministic for a given rng state."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        n = len(data)
        op = rng.randrange(8) if n else 4
        # Headers, lengths and counts sit near the front: half the positions are there.
        pos = rng.randrange(min(n, 48)) if n and rng.random() < 0.5 else (rng.randrange(n) if n else 0)
        if op == 0:
            data[pos] ^= 1 << rng.randrange(8)
        elif op == 1:
            data[pos] = rng.randrange(256)
        elif op == 2:
            width = rng.choice((2, 4))
            value = rng.choice(INTERESTING_INTS) & ((1 << (8 * width)) - 1)
            data[pos:pos + width] = value.to_bytes(width, "big")[:max(0, n - pos)]
        elif op == 3:
            del data[rng.randrange(n + 1):]
        elif op == 4:
            at = rng.randrange(n + 1)
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 5:
            end = min(n, pos + rng.randint(1, 32))
            del data[pos:end]
        elif op == 6:
            other = rng.choice(corpus)
            data = data[:rng.randrange(n + 1)] + other[rng.randrange(len(other) + 1):]
        else:
            data[pos] = (data[pos] + rng.randint(-16, 16)) & 0xFF
    return bytes(data)


def run_round(broker, payloads):
    """Sends each payload (already size-prefixed) on its own connection, all at once; waits until
    each connection is answered or closed, or the round's deadline. Returns the local ports of
    the connections the broker closed without sending a byte."""
    sel = selectors.DefaultSelector()
    state = {}
    for payload in payloads:
        s = socket.create_connection(("127.0.0.1", broker.port), timeout=5)
        s.sendall(payload)
        s.setblocking(False)
        state[s] = {"port": s.getsockname()[1], "received": 0}
        sel.register(s, selectors.EVENT_READ)
    closed_unanswered = []
    deadline = time.monotonic() + ROUND_DEADLINE_S
    while state and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, BlockingIOError) as e:
                chunk = None if isinstance(e, BlockingIOError) else b""
            if chunk is None:
                continue
            if chunk:
                state[s]["received"] += len(chunk)
                continue
            if state[s]["received"] == 0:
                closed_unanswered.append(state[s]["port"])
            sel.unregister(s)
            s.close()
            del state[s]
    for s in state:  # answered and still open, or still waiting for more bytes: fine
        sel.unregister(s)
        s.close()
    sel.close()
    return closed_unanswered


def assert_still_serving(broker, topic):
    with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
        s.sendall(struct.pack(">i", 14) + struct.pack(">hhih", 18, 0, 77, 4) + b"live")
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        correlation_id, error_code = struct.unpack(">ih", recv_exact(s, size)[:6])
        assert (correlation_id, error_code) == (77, 0)
        body = kafka_python_frame(MetadataRequest[1](topics=[topic]), correlation_id=78)
        s.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        response = MetadataRequest[1].RESPONSE_TYPE.decode(recv_exact(s, size)[4:])
        assert [t[1] for t in response.topics] == [topic]


def test_mutated_and_random_frames_never_wedge_the_broker(broker):
    print(f"network fuzz seed {SEED} (replay: FRESHET_NET_FUZZ_SEED={SEED})")
    topic = create_topic(broker)
    produce_ok(broker, topic, [{"value": b"before"}])
    seeds = seed_frames(topic)
    # The seeds themselves are valid requests: each is answered.
    assert run_round(broker, [struct.pack(">i", len(f)) + f for f in seeds]) == []
    rng = random.Random(SEED)
    started = time.monotonic()
    unanswered = []
    for _ in range(ROUNDS):
        payloads = []
        for _ in range(MUTATED_PER_ROUND):
            frame = mutate(rng, rng.choice(seeds), seeds)
            payloads.append(struct.pack(">i", len(frame)) + frame)
        for _ in range(RANDOM_PER_ROUND):
            # Random bytes, framed or not: an unframed one starts with a random size.
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
            payloads.append(data if rng.random() < 0.3 else struct.pack(">i", len(data)) + data)
        unanswered += run_round(broker, payloads)
        assert not broker.crashed(), "the broker died during the round"
        assert_still_serving(broker, topic)
    assert time.monotonic() - started < 60
    assert unanswered, "no frame was refused: the mutations exercise nothing"

    # Every connection closed without an answer was closed by a bad frame: its log line names
    # the client.
    def all_logged():
        log = broker.log_text()
        return all(f":{port}" in log for port in unanswered)
    wait_until(all_logged, timeout_s=5, what="a log line naming each client whose frame was refused")

    produce_ok(broker, topic, [{"value": b"after"}])
    values = [r.value for r in consume(broker, topic, 0, 0)]
    # (A mutated acks=0 Produce of the last round, on a connection of its own, may still land
    # after "after": connections are not ordered with each other.)
    assert values[0] == b"before" and b"after" in values
    assert not broker.crashed()
