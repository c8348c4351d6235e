"""Shared helpers for the integration tests: waiting, topic admin and the three clients.

Every helper takes a `broker` (freshet_broker.Broker) and uses small client timeouts so that a
broken broker fails a test quickly instead of hanging it. Records read by any client are
normalised into `Record` so tests can compare clients with each other.
"""
import dataclasses
import json
import logging
import os
import re
import socket
import struct
import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

# Run a test once against a single-shard broker and once against a two-shard one.
SMP_1_AND_2 = pytest.mark.parametrize("broker", [{"smp": 1}, {"smp": 2}], indirect=True,
                                      ids=["smp1", "smp2"])

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]

# Kafka protocol error codes used by the tests.
UNKNOWN_TOPIC_OR_PARTITION = 3
CORRUPT_MESSAGE = 2
OFFSET_OUT_OF_RANGE = 1
MESSAGE_TOO_LARGE = 10
NOT_ENOUGH_REPLICAS = 19
INVALID_TIMESTAMP = 32
UNSUPPORTED_VERSION = 35
TOPIC_ALREADY_EXISTS = 36
INVALID_PARTITIONS = 37
INVALID_REPLICATION_FACTOR = 38
INVALID_CONFIG = 40
INVALID_RECORD = 87

CLIENT_TIMEOUT_MS = 5000
OP_TIMEOUT_S = 15


def wait_until(condition, timeout_s=10.0, interval_s=0.05, what="condition"):
    """Polls `condition()` until it returns something truthy; returns that value.

    Raises AssertionError naming `what` (and the last exception, if any) after timeout_s.
    """
    deadline = time.monotonic() + timeout_s
    last_error = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # the condition may fail until the broker catches up
            last_error = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}"
                                 + (f" (last error: {last_error!r})" if last_error else ""))
        time.sleep(interval_s)


def unique_topic(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclasses.dataclass(frozen=True)
class Record:
    """A consumed record, client-independent. headers: tuple of (str, bytes|None)."""
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple = ()
    timestamp: int | None = None
    log_append_time: bool = False


# ---------------------------------------------------------------- confluent-kafka (librdkafka)

# librdkafka's own log lines go through Python logging: pytest shows them for failing tests
# only, instead of printing them whenever a client outlives its broker.
RDKAFKA_LOGGER = logging.getLogger("librdkafka")


def rdkafka_conf(broker, **extra):
    conf = {
        "logger": RDKAFKA_LOGGER,
        "bootstrap.servers": broker.bootstrap,
        "broker.address.family": "v4",
        "socket.timeout.ms": CLIENT_TIMEOUT_MS,
        "api.version.request.timeout.ms": CLIENT_TIMEOUT_MS,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 500,
    }
    conf.update({k.replace("_", "."): v for k, v in extra.items()})
    return conf


def producer(broker, **extra):
    """A confluent Producer; pass librdkafka properties with '_' for '.' (acks="all")."""
    conf = rdkafka_conf(broker, **{"message.timeout.ms": 10000, "request.timeout.ms": 5000,
                                   "linger.ms": 5, "retry.backoff.ms": 50})
    conf.update({k.replace("_", "."): v for k, v in extra.items()})
    return Producer(conf)


def consumer(broker, **extra):
    """A confluent Consumer for assign()/seek() only: group.id is set (the client requires it)
    but nothing ever subscribes or commits."""
    conf = rdkafka_conf(broker, **{
        "group.id": "itest-assign-only",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "error",
        "fetch.wait.max.ms": 100,
        "fetch.error.backoff.ms": 50,
    })
    conf.update({k.replace("_", "."): v for k, v in extra.items()})
    return Consumer(conf)


def admin(broker):
    """One AdminClient per broker, kept alive with it: a client destroyed while its
    futures are pending fails them with _DESTROY (librdkafka terminates the handle)."""
    client = getattr(broker, "_admin_client", None)
    if client is None:
        client = AdminClient(rdkafka_conf(broker))
        broker._admin_client = client
    return client


def create_topic(broker, name=None, partitions=1, config=None, replication_factor=1):
    """Creates a topic with confluent's AdminClient, waits until its metadata shows every
    partition with a leader, and returns its name."""
    name = name or unique_topic()
    futures = admin(broker).create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=replication_factor,
                  config=dict(config or {}))],
        operation_timeout=10, request_timeout=OP_TIMEOUT_S)
    futures[name].result(timeout=OP_TIMEOUT_S)
    wait_for_partitions(broker, name, partitions)
    return name


def topic_metadata(broker, name):
    """confluent TopicMetadata of `name`, or None when the broker does not list it."""
    md = admin(broker).list_topics(timeout=OP_TIMEOUT_S)
    return md.topics.get(name)


def wait_for_partitions(broker, name, partitions, timeout_s=10):
    def ready():
        t = topic_metadata(broker, name)
        return (t is not None and t.error is None and len(t.partitions) == partitions
                and all(p.leader >= 0 for p in t.partitions.values()))
    wait_until(ready, timeout_s, what=f"topic {name} with {partitions} partitions in metadata")


def kafka_error_code(exc):
    """The KafkaError code inside a KafkaException raised by confluent-kafka."""
    assert isinstance(exc, KafkaException), repr(exc)
    return exc.args[0].code()


def produce(broker, topic, messages, flush_timeout_s=OP_TIMEOUT_S, **producer_conf):
    """Produces `messages` (dicts of produce() kwargs: value, key, partition, headers,
    timestamp) with one confluent Producer and returns, in order, (KafkaError|None, partition,
    offset, timestamp) for each delivery report."""
    p = producer(broker, **producer_conf)
    reports = [None] * len(messages)

    def on_delivery(i):
        def cb(err, msg):
            reports[i] = (err, msg.partition(), msg.offset(), msg.timestamp()[1])
        return cb

    for i, m in enumerate(messages):
        p.produce(topic, on_delivery=on_delivery(i), **m)
        p.poll(0)
    remaining = p.flush(flush_timeout_s)
    assert remaining == 0, f"{remaining} messages still undelivered after {flush_timeout_s}s"
    assert all(r is not None for r in reports)
    return reports


def produce_ok(broker, topic, messages, **producer_conf):
    """Like produce() but asserts every delivery succeeded; returns [(partition, offset)]."""
    reports = produce(broker, topic, messages, **producer_conf)
    errors = [r[0] for r in reports if r[0] is not None]
    assert not errors, f"{len(errors)} deliveries failed, first: {errors[0]}"
    return [(r[1], r[2]) for r in reports]


def record_from_confluent(msg):
    ts_type, ts = msg.timestamp()
    headers = tuple((k, v) for k, v in (msg.headers() or []))
    return Record(msg.partition(), msg.offset(), msg.key(), msg.value(), headers,
                  ts if ts_type != 0 else None, ts_type == 2)


def poll_records(c, count, partitions, timeout_s=OP_TIMEOUT_S, until_eof=False):
    """Polls `c` until `count` records arrived (or, with until_eof, every partition in
    `partitions` reported EOF after its last record). Fails on any consumer error."""
    records = []
    at_eof = set()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if until_eof and at_eof >= set(partitions):
            return records
        if not until_eof and len(records) >= count:
            return records
        msg = c.poll(0.2)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                at_eof.add(msg.partition())
                continue
            raise AssertionError(f"consumer error: {msg.error()}")
        at_eof.discard(msg.partition())
        records.append(record_from_confluent(msg))
    raise AssertionError(f"timed out after {timeout_s}s: got {len(records)} records"
                         + ("" if until_eof else f" of {count}")
                         + f", EOF on {sorted(at_eof)} of {sorted(partitions)}")


def consume(broker, topic, partition=0, offset=0, count=None, timeout_s=OP_TIMEOUT_S):
    """Reads one partition with confluent's Consumer via assign() at `offset` (an offset or
    OFFSET_BEGINNING/OFFSET_END). With count=None reads up to the end (EOF)."""
    c = consumer(broker)
    try:
        c.assign([TopicPartition(topic, partition, offset)])
        return poll_records(c, count, [partition], timeout_s, until_eof=count is None)
    finally:
        c.close()


def consume_all(broker, topic, partitions, timeout_s=OP_TIMEOUT_S):
    """Every record of partitions 0..partitions-1 from the beginning, via assign()."""
    c = consumer(broker)
    try:
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        records = poll_records(c, None, list(range(partitions)), timeout_s, until_eof=True)
    finally:
        c.close()
    return sorted(records, key=lambda r: (r.partition, r.offset))


def watermarks(broker, topic, partition):
    c = consumer(broker)
    try:
        return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=OP_TIMEOUT_S,
                                       cached=False)
    finally:
        c.close()


def offsets_for_times(broker, topic, partition_timestamps):
    """{partition: offset} looked up with confluent's offsets_for_times (ListOffsets)."""
    c = consumer(broker)
    try:
        result = c.offsets_for_times([TopicPartition(topic, p, ts)
                                      for p, ts in partition_timestamps.items()],
                                     timeout=OP_TIMEOUT_S)
    finally:
        c.close()
    for tp in result:
        assert tp.error is None, f"{tp}: {tp.error}"
    return {tp.partition: tp.offset for tp in result}


# ---------------------------------------------------------------- kafka-python

def kp_conf(broker, **extra):
    conf = dict(bootstrap_servers=broker.bootstrap, api_version_auto_timeout_ms=CLIENT_TIMEOUT_MS,
                request_timeout_ms=10000, reconnect_backoff_ms=50, reconnect_backoff_max_ms=500,
                retry_backoff_ms=50)
    conf.update(extra)
    return conf


def kp_producer(broker, **extra):
    from kafka import KafkaProducer
    return KafkaProducer(**kp_conf(broker, **{"linger_ms": 5, "max_block_ms": 10000, **extra}))


def kp_consumer(broker, **extra):
    """A kafka-python consumer without a group (group_id=None): assign()/seek() only."""
    from kafka import KafkaConsumer
    return KafkaConsumer(**kp_conf(broker, **{"group_id": None, "enable_auto_commit": False,
                                              "fetch_max_wait_ms": 100, **extra}))


def kp_admin(broker):
    from kafka.admin import KafkaAdminClient
    return KafkaAdminClient(**kp_conf(broker))


def record_from_kafka_python(r):
    return Record(r.partition, r.offset, r.key, r.value, tuple(r.headers or ()),
                  r.timestamp, r.timestamp_type == 1)


def kp_consume(broker, topic, partition=0, offset=0, count=1, timeout_s=OP_TIMEOUT_S, **extra):
    """`count` records of one partition with kafka-python: assign, then seek to `offset`
    ("beginning", "end" or a number)."""
    from kafka import TopicPartition as KpTopicPartition
    c = kp_consumer(broker, **extra)
    try:
        tp = KpTopicPartition(topic, partition)
        c.assign([tp])
        if offset == "beginning":
            c.seek_to_beginning(tp)
        elif offset == "end":
            c.seek_to_end(tp)
        else:
            c.seek(tp, offset)
        return kp_poll(c, count, timeout_s)
    finally:
        c.close()


def kp_poll(c, count, timeout_s=OP_TIMEOUT_S):
    """The next `count` records polled from kafka-python consumer `c`."""
    records = []
    deadline = time.monotonic() + timeout_s
    while len(records) < count:
        assert time.monotonic() < deadline, \
            f"timed out after {timeout_s}s: got {len(records)} records of {count}"
        for batch in c.poll(timeout_ms=200).values():
            records.extend(record_from_kafka_python(r) for r in batch)
    return records[:count]


# ---------------------------------------------------------------- kcat

def kcat(broker, *args, input=None, timeout_s=30, check=True):
    """Runs kcat against the broker; returns the CompletedProcess (text mode)."""
    cmd = ["kcat", "-b", broker.bootstrap, "-m", "10", "-X", "broker.address.family=v4",
           "-X", f"socket.timeout.ms={CLIENT_TIMEOUT_MS}", *args]
    proc = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout_s)
    if check:
        assert proc.returncode == 0, (f"{' '.join(cmd)} exited {proc.returncode}\n"
                                      f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def kcat_consume(broker, topic, partition, offset="beginning", count=None):
    """Records read by `kcat -C -J` from one partition (until the end, or `count`)."""
    args = ["-C", "-J", "-t", topic, "-p", str(partition), "-o", str(offset)]
    args += ["-c", str(count)] if count is not None else ["-e"]
    out = kcat(broker, *args).stdout
    records = []
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        m = json.loads(line)
        raw_headers = m.get("headers") or []
        if isinstance(raw_headers, dict):
            raw_headers = [x for kv in raw_headers.items() for x in kv]
        headers = tuple((raw_headers[i], None if raw_headers[i + 1] is None
                         else raw_headers[i + 1].encode())
                        for i in range(0, len(raw_headers), 2))
        records.append(Record(
            m["partition"], m["offset"],
            None if m.get("key") is None else m["key"].encode(),
            None if m.get("payload") is None else m["payload"].encode(),
            headers, m.get("ts"), m.get("tstype") == "logappend"))
    return records


def kcat_query_offsets(broker, topic, partition, timestamp):
    """Offset for `timestamp` from `kcat -Q -t topic:partition:timestamp`."""
    out = kcat(broker, "-Q", "-t", f"{topic}:{partition}:{timestamp}").stdout
    m = re.search(rf"\[{partition}\]\s+offset\s+(-?\d+)", out)
    assert m, f"unexpected kcat -Q output: {out!r}"
    return int(m.group(1))


# ---------------------------------------------------------------- raw protocol requests

class RawConnection:
    """One socket to the broker carrying kafka-python protocol Request objects (non-flexible
    versions only), answered in order; use as a context manager."""

    def __init__(self, broker, client_id="itest-raw", timeout_s=OP_TIMEOUT_S):
        self.sock = socket.create_connection(("127.0.0.1", broker.port), timeout=timeout_s)
        self.client_id = client_id
        self.correlation_id = 0

    def request(self, request):
        """Sends `request` and returns its decoded response."""
        from kafka.protocol.api import RequestHeader
        self.correlation_id += 1
        # kafka-python's encode() holds its object weakly: keep the header in a variable.
        request_header = RequestHeader(request, correlation_id=self.correlation_id,
                                       client_id=self.client_id)
        body = request_header.encode() + request.encode()
        self.sock.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", recv_exact(self.sock, 4))[0]
        payload = recv_exact(self.sock, size)
        got = struct.unpack(">i", payload[:4])[0]
        assert got == self.correlation_id, f"correlation id {got}, expected {self.correlation_id}"
        return request.RESPONSE_TYPE.decode(payload[4:])

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def send_raw(broker, request):
    """Sends one request on a fresh connection and returns the decoded response."""
    with RawConnection(broker) as conn:
        return conn.request(request)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def record_batch(records, compression_type=0, magic=2):
    """Bytes of one record batch built by kafka-python; records: [(key, value, headers)]."""
    from kafka.record.memory_records import MemoryRecordsBuilder
    b = MemoryRecordsBuilder(magic=magic, compression_type=compression_type,
                             batch_size=16 * 1024 * 1024)
    now_ms = int(time.time() * 1000)
    for key, value, headers in records:
        assert b.append(timestamp=now_ms, key=key, value=value, headers=headers) is not None
    b.close()
    return b.buffer()


def raw_produce(broker, topic_partitions_batches, acks=1, version=7, timeout_ms=5000):
    """ProduceRequest (kafka-python codec) with {(topic, partition): batch_bytes}; returns
    {(topic, partition): (error_code, base_offset)}."""
    from kafka.protocol.produce import ProduceRequest
    by_topic = {}
    for (topic, partition), data in topic_partitions_batches.items():
        by_topic.setdefault(topic, []).append((partition, data))
    kwargs = dict(required_acks=acks, timeout=timeout_ms, topics=list(by_topic.items()))
    if version >= 3:
        kwargs["transactional_id"] = None
    response = send_raw(broker, ProduceRequest[version](**kwargs))
    result = {}
    for topic, partitions in response.topics:
        for p in partitions:
            result[(topic, p[0])] = (p[1], p[2])
    return result


def incremental_alter_configs_request():
    """kafka-python 2.0.2 lacks IncrementalAlterConfigs (API 44); this is its v0 schema,
    expressed with kafka-python's protocol types."""
    from kafka.protocol.api import Request, Response
    from kafka.protocol.types import Array, Boolean, Int8, Int16, Int32, Schema, String

    class IncrementalAlterConfigsResponseV0(Response):
        API_KEY = 44
        API_VERSION = 0
        SCHEMA = Schema(
            ("throttle_time_ms", Int32),
            ("responses", Array(("error_code", Int16), ("error_message", String("utf-8")),
                                ("resource_type", Int8), ("resource_name", String("utf-8")))))

    class IncrementalAlterConfigsRequestV0(Request):
        API_KEY = 44
        API_VERSION = 0
        RESPONSE_TYPE = IncrementalAlterConfigsResponseV0
        SCHEMA = Schema(
            ("resources", Array(
                ("resource_type", Int8), ("resource_name", String("utf-8")),
                ("configs", Array(("name", String("utf-8")), ("config_operation", Int8),
                                  ("value", String("utf-8")))))),
            ("validate_only", Boolean))

    return IncrementalAlterConfigsRequestV0


# IncrementalAlterConfigs operations.
OP_SET, OP_DELETE, OP_APPEND, OP_SUBTRACT = 0, 1, 2, 3
RESOURCE_TOPIC = 2


def incremental_alter_topic_configs(broker, topic, ops, validate_only=False):
    """Sends IncrementalAlterConfigs v0 through kafka-python's admin client connection.
    ops: [(name, op, value)]. Returns (error_code, error_message) for the topic."""
    request_type = incremental_alter_configs_request()
    request = request_type(resources=[(RESOURCE_TOPIC, topic, list(ops))],
                           validate_only=validate_only)
    a = kp_admin(broker)
    try:
        future = a._send_request_to_node(a._client.least_loaded_node(), request)
        a._wait_for_futures([future])
        response = future.value
    finally:
        a.close()
    (error_code, error_message, resource_type, resource_name), = response.responses
    assert (resource_type, resource_name) == (RESOURCE_TOPIC, topic)
    return error_code, error_message


def data_files(broker):
    """Every file under the broker's data dir (relative paths), for storage-layout checks."""
    found = []
    for root, _, files in os.walk(broker.data_dir):
        found += [os.path.relpath(os.path.join(root, f), broker.data_dir) for f in files]
    return sorted(found)
