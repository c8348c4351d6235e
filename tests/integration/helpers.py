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
import select
import socket
import struct
import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic



def smp_1_and_2(**options):
    """Runs a test once against a single-shard broker and once against a two-shard one, both
    started with the other `broker` fixture options given (settings, log_level, ...)."""
    return pytest.mark.parametrize("broker", [{**options, "smp": 1}, {**options, "smp": 2}],
                                   indirect=True, ids=["smp1", "smp2"])


SMP_1_AND_2 = smp_1_and_2()

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


# confluent-kafka settings that are Python callables and keep their names ('_' stays '_').
PYTHON_CALLBACK_SETTINGS = {"on_commit", "error_cb", "stats_cb", "throttle_cb", "oauth_cb",
                            "on_delivery", "logger"}


def rdkafka_key(key):
    """A librdkafka property name from a Python keyword ('_' for '.'), callbacks excepted."""
    return key if key in PYTHON_CALLBACK_SETTINGS else key.replace("_", ".")


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
    conf.update({rdkafka_key(k): v for k, v in extra.items()})
    return conf


def producer(broker, **extra):
    """A confluent Producer; pass librdkafka properties with '_' for '.' (acks="all")."""
    conf = rdkafka_conf(broker, **{"message.timeout.ms": 10000, "request.timeout.ms": 5000,
                                   "linger.ms": 5, "retry.backoff.ms": 50})
    conf.update({rdkafka_key(k): v for k, v in extra.items()})
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
    conf.update({rdkafka_key(k): v for k, v in extra.items()})
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
        self.send(request)
        return self.receive(request)

    def send(self, request):
        """Sends `request` without waiting; returns its correlation id. receive() its answer."""
        from kafka.protocol.api import RequestHeader
        self.correlation_id += 1
        # kafka-python's encode() holds its object weakly: keep the header in a variable.
        request_header = RequestHeader(request, correlation_id=self.correlation_id,
                                       client_id=self.client_id)
        body = request_header.encode() + request.encode()
        self.sock.sendall(struct.pack(">i", len(body)) + body)
        return self.correlation_id

    def receive(self, request):
        """The decoded response to the last request sent, `request`."""
        size = struct.unpack(">i", recv_exact(self.sock, 4))[0]
        payload = recv_exact(self.sock, size)
        got = struct.unpack(">i", payload[:4])[0]
        assert got == self.correlation_id, f"correlation id {got}, expected {self.correlation_id}"
        return request.RESPONSE_TYPE.decode(payload[4:])

    def has_answer(self):
        """True when response bytes are waiting to be read (does not block)."""
        return bool(select.select([self.sock], [], [], 0)[0])

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_fetch_parked(broker, client_id, correlation_id, timeout_s=OP_TIMEOUT_S):
    """Waits until the broker logs that the Fetch `correlation_id` from `client_id` is parked
    waiting for data (the broker must run with log_level "debug")."""
    assert broker.log_level == "debug", "the fetch-parked line is logged at debug level"
    line = f"fetch parked: correlation id {correlation_id}, client id '{client_id}',"
    wait_until(lambda: line in broker.log_text(), timeout_s=timeout_s,
               what=f"fetch {correlation_id} of {client_id} to park")


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
RESOURCE_BROKER = 4


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


# ---------------------------------------------------------------- Kafka wire codec, any version
#
# kafka-python 2.0.2 only knows the old, non-flexible versions of the group APIs, so the group
# tests describe the messages they send here (field names, types and version ranges as Kafka's
# protocol defines them) and encode every version, flexible ones (compact strings and arrays,
# tagged fields) included. Decoding keeps the tagged fields the broker sends undecoded, as
# {tag: bytes} under "_tagged" (decode_tagged reads one).

class Array:
    """Field type: an array of a primitive type name or of a struct (a list of fields)."""

    def __init__(self, item, nullable=False):
        self.item = item
        self.nullable = nullable


def field_present(versions, version):
    """`versions` is None (every version), "N+", "N-M" or "N"."""
    if versions is None:
        return True
    if versions.endswith("+"):
        return version >= int(versions[:-1])
    low, _, high = versions.partition("-")
    return int(low) <= version <= int(high or low)


def uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


_FIXED = {"int8": ">b", "int16": ">h", "int32": ">i", "int64": ">q", "bool": ">?"}
_DEFAULTS = {"int8": 0, "int16": 0, "int32": 0, "int64": 0, "bool": False, "string": "",
             "nstring": None, "bytes": b"", "nbytes": None}


class WireWriter:
    """Encodes field values at one version, compact (flexible) or classic."""

    def __init__(self, version, flexible):
        self.version = version
        self.flexible = flexible
        self.out = bytearray()

    def value(self, type_, v):
        if isinstance(type_, Array):
            if v is None:
                assert type_.nullable, "null for a non-nullable array"
                self.out += uvarint(0) if self.flexible else struct.pack(">i", -1)
                return
            self.out += uvarint(len(v) + 1) if self.flexible else struct.pack(">i", len(v))
            for item in v:
                self.value(type_.item, item)
        elif isinstance(type_, list):
            self.struct(type_, v)
        elif type_ in _FIXED:
            self.out += struct.pack(_FIXED[type_], v)
        elif type_ in ("string", "nstring"):
            if v is None:
                assert type_ == "nstring", "null for a non-nullable string"
                self.out += uvarint(0) if self.flexible else struct.pack(">h", -1)
                return
            data = v.encode() if isinstance(v, str) else v
            self.out += (uvarint(len(data) + 1) if self.flexible
                         else struct.pack(">h", len(data))) + data
        elif type_ in ("bytes", "nbytes"):
            if v is None:
                assert type_ == "nbytes", "null for non-nullable bytes"
                self.out += uvarint(0) if self.flexible else struct.pack(">i", -1)
                return
            self.out += (uvarint(len(v) + 1) if self.flexible
                         else struct.pack(">i", len(v))) + v
        else:
            raise ValueError(f"unknown wire type {type_!r}")

    def struct(self, fields, values):
        """Writes `values` (a dict; absent fields take their default) for `fields`, a list of
        (name, type[, versions[, default]]); fields absent at this version are skipped."""
        for f in fields:
            name, type_, versions, default = (tuple(f) + (None, None))[:4]
            if not field_present(versions, self.version):
                continue
            if name in values:
                v = values[name]
            elif default is not None:
                v = default
            elif isinstance(type_, Array):
                v = None if type_.nullable else []
            elif isinstance(type_, list):
                v = {}
            else:
                v = _DEFAULTS[type_]
            self.value(type_, v)
        if self.flexible:
            self.out += uvarint(0)  # no tagged fields


class WireReader:
    def __init__(self, data, version, flexible):
        self.data = memoryview(data)
        self.pos = 0
        self.version = version
        self.flexible = flexible

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError(f"response truncated: need {n} bytes at {self.pos} of {len(self.data)}")
        chunk = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return chunk

    def uvarint(self):
        shift = result = 0
        while True:
            b = self.take(1)[0]
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7

    def length(self, fixed_format):
        """A length prefix; None for null."""
        if self.flexible:
            n = self.uvarint()
            return None if n == 0 else n - 1
        n = struct.unpack(fixed_format, self.take(struct.calcsize(fixed_format)))[0]
        return None if n < 0 else n

    def value(self, type_):
        if isinstance(type_, Array):
            n = self.length(">i")
            return None if n is None else [self.value(type_.item) for _ in range(n)]
        if isinstance(type_, list):
            return self.struct(type_)
        if type_ in _FIXED:
            fmt = _FIXED[type_]
            return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        if type_ in ("string", "nstring"):
            n = self.length(">h")
            return None if n is None else self.take(n).decode()
        if type_ in ("bytes", "nbytes"):
            n = self.length(">i")
            return None if n is None else self.take(n)
        raise ValueError(f"unknown wire type {type_!r}")

    def struct(self, fields):
        out = {}
        for f in fields:
            name, type_, versions = (tuple(f) + (None,))[:3]
            if field_present(versions, self.version):
                out[name] = self.value(type_)
        if self.flexible:
            tagged = {}
            for _ in range(self.uvarint()):  # tagged fields: kept undecoded, by tag
                tag = self.uvarint()
                tagged[tag] = self.take(self.uvarint())
            if tagged:
                out["_tagged"] = tagged
        return out


@dataclasses.dataclass(frozen=True)
class Api:
    """One Kafka API: key, first flexible version, request and response fields."""
    key: int
    flexible_from: int
    request: list
    response: list


def encode_request(api, version, correlation_id, client_id, fields):
    """Request header (v1, or v2 when flexible) + body, without the size prefix."""
    flexible = version >= api.flexible_from
    w = WireWriter(version, flexible)
    w.out += struct.pack(">hhi", api.key, version, correlation_id)
    w.out += struct.pack(">h", len(client_id)) + client_id.encode()
    if flexible:
        w.out += uvarint(0)
    w.struct(api.request, fields)
    return bytes(w.out)


def decode_tagged(data, type_, version):
    """A tagged field's bytes (from "_tagged") as a value of `type_` (a field list or Array)."""
    return WireReader(data, version, True).value(type_)


def decode_response(api, version, payload):
    """(correlation id, body dict) of a response payload (header v0, or v1 when flexible)."""
    flexible = version >= api.flexible_from
    r = WireReader(payload, version, flexible)
    correlation_id = struct.unpack(">i", r.take(4))[0]
    if flexible:
        for _ in range(r.uvarint()):
            r.uvarint()
            r.take(r.uvarint())
    body = r.struct(api.response)
    assert r.pos == len(r.data), f"{len(r.data) - r.pos} trailing bytes in the response"
    return correlation_id, body


class WireConnection:
    """One socket to the broker sending `Api` requests of any version; answers in order."""

    def __init__(self, broker, client_id="itest-wire", timeout_s=OP_TIMEOUT_S):
        self.sock = socket.create_connection(("127.0.0.1", broker.port), timeout=timeout_s)
        self.client_id = client_id
        self.correlation_id = 0
        self.in_flight = []

    def send(self, api, version, **fields):
        """Sends a request without waiting; receive() returns its answer."""
        self.correlation_id += 1
        body = encode_request(api, version, self.correlation_id, self.client_id, fields)
        self.sock.sendall(struct.pack(">i", len(body)) + body)
        self.in_flight.append((api, version, self.correlation_id))

    def receive(self):
        api, version, expected = self.in_flight.pop(0)
        size = struct.unpack(">i", recv_exact(self.sock, 4))[0]
        got, body = decode_response(api, version, recv_exact(self.sock, size))
        assert got == expected, f"correlation id {got}, expected {expected}"
        return body

    def call(self, api, version, **fields):
        """Sends one request and returns its decoded response body (a dict)."""
        self.send(api, version, **fields)
        return self.receive()

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def call(broker, api, version, **fields):
    """One request on a fresh connection; returns the decoded response body."""
    with WireConnection(broker) as conn:
        return conn.call(api, version, **fields)


# Field lists of the group APIs (Kafka 3.9 protocol), with the versions each field exists in.
FIND_COORDINATOR = Api(10, 3, request=[
    ("key", "string", "0-3"), ("key_type", "int8", "1+"),
    ("coordinator_keys", Array("string"), "4+"),
], response=[
    ("throttle_time_ms", "int32", "1+"), ("error_code", "int16", "0-3"),
    ("error_message", "nstring", "1-3"), ("node_id", "int32", "0-3"), ("host", "string", "0-3"),
    ("port", "int32", "0-3"),
    ("coordinators", Array([("key", "string"), ("node_id", "int32"), ("host", "string"),
                            ("port", "int32"), ("error_code", "int16"),
                            ("error_message", "nstring")]), "4+"),
])

JOIN_GROUP = Api(11, 6, request=[
    ("group_id", "string"), ("session_timeout_ms", "int32"),
    ("rebalance_timeout_ms", "int32", "1+", -1), ("member_id", "string"),
    ("group_instance_id", "nstring", "5+"), ("protocol_type", "string"),
    ("protocols", Array([("name", "string"), ("metadata", "bytes")])),
    ("reason", "nstring", "8+"),
], response=[
    ("throttle_time_ms", "int32", "2+"), ("error_code", "int16"), ("generation_id", "int32"),
    ("protocol_type", "nstring", "7+"), ("protocol_name", "nstring"), ("leader", "string"),
    ("skip_assignment", "bool", "9+"), ("member_id", "string"),
    ("members", Array([("member_id", "string"), ("group_instance_id", "nstring", "5+"),
                       ("metadata", "bytes")])),
])

SYNC_GROUP = Api(14, 4, request=[
    ("group_id", "string"), ("generation_id", "int32"), ("member_id", "string"),
    ("group_instance_id", "nstring", "3+"), ("protocol_type", "nstring", "5+"),
    ("protocol_name", "nstring", "5+"),
    ("assignments", Array([("member_id", "string"), ("assignment", "bytes")])),
], response=[
    ("throttle_time_ms", "int32", "1+"), ("error_code", "int16"),
    ("protocol_type", "nstring", "5+"), ("protocol_name", "nstring", "5+"),
    ("assignment", "bytes"),
])

HEARTBEAT = Api(12, 4, request=[
    ("group_id", "string"), ("generation_id", "int32"), ("member_id", "string"),
    ("group_instance_id", "nstring", "3+"),
], response=[("throttle_time_ms", "int32", "1+"), ("error_code", "int16")])

LEAVE_GROUP = Api(13, 4, request=[
    ("group_id", "string"), ("member_id", "string", "0-2"),
    ("members", Array([("member_id", "string"), ("group_instance_id", "nstring"),
                       ("reason", "nstring", "5+")]), "3+"),
], response=[
    ("throttle_time_ms", "int32", "1+"), ("error_code", "int16"),
    ("members", Array([("member_id", "string"), ("group_instance_id", "nstring"),
                       ("error_code", "int16")]), "3+"),
])

OFFSET_COMMIT = Api(8, 8, request=[
    ("group_id", "string"), ("generation_id", "int32", "1+", -1), ("member_id", "string", "1+"),
    ("group_instance_id", "nstring", "7+"), ("retention_time_ms", "int64", "2-4", -1),
    ("topics", Array([("name", "string"), ("partitions", Array([
        ("partition_index", "int32"), ("committed_offset", "int64"),
        ("committed_leader_epoch", "int32", "6+", -1), ("commit_timestamp", "int64", "1", -1),
        ("committed_metadata", "nstring")]))])),
], response=[
    ("throttle_time_ms", "int32", "3+"),
    ("topics", Array([("name", "string"), ("partitions", Array([
        ("partition_index", "int32"), ("error_code", "int16")]))])),
])

_OFFSET_FETCH_PARTITION = [("partition_index", "int32"), ("committed_offset", "int64"),
                           ("committed_leader_epoch", "int32", "5+"), ("metadata", "nstring"),
                           ("error_code", "int16")]
OFFSET_FETCH = Api(9, 6, request=[
    ("group_id", "string", "0-7"),
    ("topics", Array([("name", "string"), ("partition_indexes", Array("int32"))],
                     nullable=True), "0-7"),
    ("groups", Array([("group_id", "string"), ("member_id", "nstring", "9+"),
                      ("member_epoch", "int32", "9+", -1),
                      ("topics", Array([("name", "string"), ("partition_indexes", Array("int32"))],
                                       nullable=True))]), "8+"),
    ("require_stable", "bool", "7+"),
], response=[
    ("throttle_time_ms", "int32", "3+"),
    ("topics", Array([("name", "string"), ("partitions", Array(_OFFSET_FETCH_PARTITION))]),
     "0-7"),
    ("error_code", "int16", "2-7"),
    ("groups", Array([("group_id", "string"),
                      ("topics", Array([("name", "string"),
                                        ("partitions", Array(_OFFSET_FETCH_PARTITION))])),
                      ("error_code", "int16")]), "8+"),
])

DESCRIBE_GROUPS = Api(15, 5, request=[
    ("groups", Array("string")), ("include_authorized_operations", "bool", "3+"),
], response=[
    ("throttle_time_ms", "int32", "1+"),
    ("groups", Array([
        ("error_code", "int16"), ("group_id", "string"), ("group_state", "string"),
        ("protocol_type", "string"), ("protocol_data", "string"),
        ("members", Array([("member_id", "string"), ("group_instance_id", "nstring", "4+"),
                           ("client_id", "string"), ("client_host", "string"),
                           ("member_metadata", "bytes"), ("member_assignment", "bytes")])),
        ("authorized_operations", "int32", "3+")])),
])

LIST_GROUPS = Api(16, 3, request=[
    ("states_filter", Array("string"), "4+"), ("types_filter", Array("string"), "5+"),
], response=[
    ("throttle_time_ms", "int32", "1+"), ("error_code", "int16"),
    ("groups", Array([("group_id", "string"), ("protocol_type", "string"),
                      ("group_state", "string", "4+"), ("group_type", "string", "5+")])),
])

DELETE_GROUPS = Api(42, 2, request=[("groups_names", Array("string"))], response=[
    ("throttle_time_ms", "int32"),
    ("results", Array([("group_id", "string"), ("error_code", "int16")])),
])

OFFSET_DELETE = Api(47, 99, request=[
    ("group_id", "string"),
    ("topics", Array([("name", "string"), ("partitions", Array([("partition_index", "int32")]))])),
], response=[
    ("error_code", "int16"), ("throttle_time_ms", "int32"),
    ("topics", Array([("name", "string"), ("partitions", Array([
        ("partition_index", "int32"), ("error_code", "int16")]))])),
])

# Field lists of the producer and transaction APIs (Kafka 3.9 protocol).
INIT_PRODUCER_ID = Api(22, 2, request=[
    ("transactional_id", "nstring"), ("transaction_timeout_ms", "int32"),
    ("producer_id", "int64", "3+", -1), ("producer_epoch", "int16", "3+", -1),
], response=[
    ("throttle_time_ms", "int32"), ("error_code", "int16"), ("producer_id", "int64"),
    ("producer_epoch", "int16"),
])
_TOPICS = Array([("name", "string"), ("partitions", Array("int32"))])
ADD_PARTITIONS_TO_TXN = Api(24, 3, request=[
    ("transactional_id", "string"), ("producer_id", "int64"), ("producer_epoch", "int16"),
    ("topics", _TOPICS),
], response=[
    ("throttle_time_ms", "int32"),
    ("results", Array([("name", "string"), ("results", Array([
        ("partition_index", "int32"), ("error_code", "int16")]))])),
])
ADD_OFFSETS_TO_TXN = Api(25, 3, request=[
    ("transactional_id", "string"), ("producer_id", "int64"), ("producer_epoch", "int16"),
    ("group_id", "string"),
], response=[("throttle_time_ms", "int32"), ("error_code", "int16")])
END_TXN = Api(26, 3, request=[
    ("transactional_id", "string"), ("producer_id", "int64"), ("producer_epoch", "int16"),
    ("committed", "bool"),
], response=[("throttle_time_ms", "int32"), ("error_code", "int16"),
             ("producer_id", "int64", "5+", -1), ("producer_epoch", "int16", "5+", -1)])
# Produce v3+ (record batches).
PRODUCE = Api(0, 9, request=[
    ("transactional_id", "nstring"), ("acks", "int16"), ("timeout_ms", "int32"),
    ("topic_data", Array([("name", "string"), ("partition_data", Array([
        ("index", "int32"), ("records", "nbytes")]))])),
], response=[
    ("responses", Array([("name", "string"), ("partition_responses", Array([
        ("index", "int32"), ("error_code", "int16"), ("base_offset", "int64"),
        ("log_append_time_ms", "int64"), ("log_start_offset", "int64", "5+"),
        ("record_errors", Array([("batch_index", "int32"),
                                 ("batch_index_error_message", "nstring")]), "8+"),
        ("error_message", "nstring", "8+")]))])),
    ("throttle_time_ms", "int32"),
])
WRITE_TXN_MARKERS = Api(27, 1, request=[
    ("markers", Array([("producer_id", "int64"), ("producer_epoch", "int16"),
                       ("transaction_result", "bool"), ("topics", Array([
                           ("name", "string"), ("partition_indexes", Array("int32"))])),
                       ("coordinator_epoch", "int32")])),
], response=[
    ("markers", Array([("producer_id", "int64"), ("topics", Array([
        ("name", "string"), ("partitions", Array([
            ("partition_index", "int32"), ("error_code", "int16")]))]))])),
])
TXN_OFFSET_COMMIT = Api(28, 3, request=[
    ("transactional_id", "string"), ("group_id", "string"), ("producer_id", "int64"),
    ("producer_epoch", "int16"), ("generation_id", "int32", "3+", -1),
    ("member_id", "string", "3+"), ("group_instance_id", "nstring", "3+"),
    ("topics", Array([("name", "string"), ("partitions", Array([
        ("partition_index", "int32"), ("committed_offset", "int64"),
        ("committed_leader_epoch", "int32", "2+", -1), ("committed_metadata", "nstring")]))])),
], response=[
    ("throttle_time_ms", "int32"),
    ("topics", Array([("name", "string"), ("partitions", Array([
        ("partition_index", "int32"), ("error_code", "int16")]))])),
])


def coordinated_group(broker, prefix="group", timeout_s=OP_TIMEOUT_S):
    """A new group id whose coordinator is ready: FindCoordinator (which creates
    __consumer_offsets on a fresh broker), then DescribeGroups until it answers without
    COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR — what a client does before joining."""
    group = unique_topic(prefix)

    def ready():
        (found,) = call(broker, FIND_COORDINATOR, 4, key_type=0,
                        coordinator_keys=[group])["coordinators"]
        if found["error_code"] != 0:
            return False
        (g,) = call(broker, DESCRIBE_GROUPS, 5, groups=[group])["groups"]
        return g["error_code"] == 0
    wait_until(ready, timeout_s, what=f"the coordinator of {group}")
    return group


# Group error codes (Kafka protocol).
NONE = 0
OFFSET_METADATA_TOO_LARGE = 12
COORDINATOR_NOT_AVAILABLE = 15
NOT_COORDINATOR = 16
ILLEGAL_GENERATION = 22
INCONSISTENT_GROUP_PROTOCOL = 23
UNKNOWN_MEMBER_ID = 25
INVALID_SESSION_TIMEOUT = 26
REBALANCE_IN_PROGRESS = 27
INVALID_REQUEST = 42
NON_EMPTY_GROUP = 68
GROUP_ID_NOT_FOUND = 69
MEMBER_ID_REQUIRED = 79
FENCED_INSTANCE_ID = 82
GROUP_SUBSCRIBED_TO_TOPIC = 86


# The consumer protocol's embedded messages (a version int16, then the struct).
CONSUMER_SUBSCRIPTION = [
    ("topics", Array("string")), ("user_data", "nbytes"),
    ("owned_partitions", Array([("topic", "string"), ("partitions", Array("int32"))]), "1+"),
    ("generation_id", "int32", "2+", -1), ("rack_id", "nstring", "3+"),
]
CONSUMER_ASSIGNMENT = [
    ("assigned_partitions", Array([("topic", "string"), ("partitions", Array("int32"))])),
    ("user_data", "nbytes"),
]


def encode_consumer_message(fields, values, version=0):
    w = WireWriter(version, flexible=False)
    w.out += struct.pack(">h", version)
    w.struct(fields, values)
    return bytes(w.out)


def subscription_metadata(topics, version=0):
    """ConsumerProtocolSubscription bytes for JoinGroup's protocol metadata."""
    return encode_consumer_message(CONSUMER_SUBSCRIPTION, {"topics": list(topics)}, version)


def assignment_bytes(topic_partitions, version=0):
    """ConsumerProtocolAssignment bytes of {topic: [partitions]} for SyncGroup."""
    return encode_consumer_message(CONSUMER_ASSIGNMENT, {"assigned_partitions": [
        {"topic": t, "partitions": sorted(ps)} for t, ps in sorted(topic_partitions.items())]},
        version)


def decode_assignment(data):
    """{(topic, partition)} of ConsumerProtocolAssignment bytes (empty bytes: nothing)."""
    if not data:
        return set()
    version = struct.unpack(">h", data[:2])[0]
    body = WireReader(data[2:], version, flexible=False).struct(CONSUMER_ASSIGNMENT)
    return {(a["topic"], p) for a in body["assigned_partitions"] for p in a["partitions"]}


# ---------------------------------------------------------------- consumer groups (confluent)

# Client settings that keep group tests fast: a heartbeat every 100 ms so members notice a
# rebalance at once, and a bounded rebalance timeout (librdkafka sends max.poll.interval.ms).
GROUP_CLIENT_CONF = {
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 100,
    "max.poll.interval.ms": 10000,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "fetch.wait.max.ms": 100,
    "topic.metadata.refresh.interval.ms": 1000,
}
# Broker settings for group tests: no initial rebalance delay and a session-timeout floor low
# enough for the tests that let a member die.
GROUP_BROKER_SETTINGS = {
    "group.initial.rebalance.delay.ms": 0,
    "group.min.session.timeout.ms": 500,
}


class GroupConsumer:
    """A confluent Consumer subscribed to `topics` in `group`, recording what a rebalance
    listener sees: `events` is a list of (kind, frozenset of (topic, partition)) with kind
    "assign", "revoke" or "lost" in callback order; `records` every record polled; `errors`
    every error polled (EOF excluded). `on_revoke_commit` commits synchronously in on_revoke,
    as an application that processes each record before polling the next would."""

    def __init__(self, broker, group, topics, on_revoke_commit=False, **conf):
        self.group = group
        self.events = []
        self.records = []
        self.errors = []
        self.on_revoke_commit = on_revoke_commit
        settings = dict(GROUP_CLIENT_CONF)
        settings.update({rdkafka_key(k): v for k, v in conf.items()})
        settings["group.id"] = group
        self.consumer = Consumer(rdkafka_conf(broker, **settings))
        self.consumer.subscribe(list(topics), on_assign=self._on_assign,
                                on_revoke=self._on_revoke, on_lost=self._on_lost)
        self.closed = False

    @staticmethod
    def _set(partitions):
        return frozenset((tp.topic, tp.partition) for tp in partitions)

    def _on_assign(self, consumer, partitions):
        self.events.append(("assign", self._set(partitions)))

    def _on_revoke(self, consumer, partitions):
        if self.on_revoke_commit and partitions:
            commit_positions(consumer)
        self.events.append(("revoke", self._set(partitions)))

    def _on_lost(self, consumer, partitions):
        self.events.append(("lost", self._set(partitions)))

    def assignment(self):
        """{(topic, partition)} currently assigned."""
        return self._set(self.consumer.assignment())

    def poll(self, timeout_s=0.02):
        msg = self.consumer.poll(timeout_s)
        if msg is None:
            return None
        if msg.error():
            if msg.error().code() != KafkaError._PARTITION_EOF:
                self.errors.append(msg.error())
            return None
        self.records.append(record_from_confluent(msg))
        return msg

    def next_message(self, timeout_s=OP_TIMEOUT_S):
        """Polls until one record arrives and returns its Message; fails on a consumer error."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = self.poll(0.1)
            assert not self.errors, f"consumer error: {self.errors[-1]}"
            if msg is not None:
                return msg
        raise AssertionError(f"no record within {timeout_s}s")

    def kinds(self):
        return [kind for kind, _ in self.events]

    def close(self):
        if not self.closed:
            self.closed = True
            self.consumer.close()


def commit_positions(consumer):
    """Synchronously commits the consumer's positions; nothing consumed yet is no error."""
    try:
        consumer.commit(asynchronous=False)
    except KafkaException as e:
        if e.args[0].code() != KafkaError._NO_OFFSET:
            raise


def poll_until(members, condition, timeout_s=OP_TIMEOUT_S, what="condition"):
    """Polls every member in turn (callbacks run inside poll) until `condition()` holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        for m in members:
            if not m.closed:
                m.poll()
        if condition():
            return
        if time.monotonic() > deadline:
            state = "; ".join(f"{m.group}#{i}: assignment={sorted(m.assignment()) if not m.closed else 'closed'}"
                              f" events={m.kinds()} errors={[str(e) for e in m.errors]}"
                              for i, m in enumerate(members))
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}: {state}")


def balanced(members, partitions):
    """A condition: the members' assignments are disjoint, cover `partitions` (a set of
    (topic, partition)) and none is empty."""
    def check():
        assignments = [m.assignment() for m in members]
        union = set().union(*assignments)
        return (union == set(partitions) and sum(len(a) for a in assignments) == len(union)
                and all(assignments))
    return check


def topic_partitions(topic, count):
    return {(topic, p) for p in range(count)}


def committed_offsets(broker, group, topic, partitions, timeout_s=OP_TIMEOUT_S,
                      isolation_level="read_committed"):
    """{partition: committed offset} of `group` (-1001 = none), read with OffsetFetch through
    a confluent consumer of that group that never subscribes. librdkafka asks for stable
    offsets (OffsetFetch v7 require_stable) when its isolation.level is read_committed."""
    c = Consumer(rdkafka_conf(broker, **{"group.id": group, "enable.auto.commit": False,
                                         "isolation.level": isolation_level}))
    try:
        result = c.committed([TopicPartition(topic, p) for p in partitions], timeout=timeout_s)
    finally:
        c.close()
    for tp in result:
        assert tp.error is None, f"{tp}: {tp.error}"
    return {tp.partition: tp.offset for tp in result}


def describe_group(broker, group):
    """confluent's GroupMetadata of `group` (ListGroups + DescribeGroups by librdkafka)."""
    (g,) = admin(broker).list_groups(group, timeout=OP_TIMEOUT_S)
    return g


def listed_groups(broker):
    """{group id: GroupMetadata} of every group the broker lists."""
    return {g.id: g for g in admin(broker).list_groups(timeout=OP_TIMEOUT_S)}


class GroupConsumerFactory:
    """What the `group_consumers` fixture yields: call it with GroupConsumer's arguments
    (broker first); every consumer it made is closed at teardown."""

    def __init__(self):
        self.created = []

    def __call__(self, broker, group, topics, **kwargs):
        member = GroupConsumer(broker, group, topics, **kwargs)
        self.created.append(member)
        return member

    def assign_only(self, broker, group, **conf):
        """A plain confluent Consumer of `group` that never subscribes (it may assign() and
        commit: generation -1, no member id, like Kafka's simple consumers)."""
        c = Consumer(rdkafka_conf(broker, **{"group.id": group, "enable.auto.commit": False,
                                             **{rdkafka_key(k): v for k, v in conf.items()}}))
        self.created.append(c)
        return c

    def close_all(self):
        for c in self.created:
            try:
                c.close()
            except (KafkaException, RuntimeError):
                pass  # fenced or already closed


@pytest.fixture
def group_consumers():
    factory = GroupConsumerFactory()
    yield factory
    factory.close_all()


def shared_broker_fixture(settings=None, smp=1):
    """A module-scoped broker fixture for tests that do not interfere with each other (each
    uses its own topics and groups), plus an autouse fixture that attaches the broker's log to
    failing tests and fails a test during which the broker died. Use as
        shared_broker, _attach_shared_broker = shared_broker_fixture({...})"""
    @pytest.fixture(scope="module")
    def shared_broker(tmp_path_factory):
        from freshet_broker import Broker
        b = Broker(str(tmp_path_factory.mktemp("freshet")), settings=settings, smp=smp)
        b.start()
        yield b
        b.close()

    @pytest.fixture(autouse=True)
    def attach_shared_broker(request, shared_broker):
        request.node.freshet_brokers = [shared_broker]
        yield
        assert not shared_broker.crashed(), \
            f"broker crashed during the test: exit code {shared_broker.proc.returncode}"

    return shared_broker, attach_shared_broker
