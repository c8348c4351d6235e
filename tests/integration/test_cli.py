"""The `freshet` operator CLI (topic, produce, consume) against a real broker, cross-checked with
confluent-kafka: what the CLI writes another client reads, and the other way round."""
import json
import os
import queue
import signal
import subprocess
import threading
import time

import pytest
from confluent_kafka.admin import ConfigResource, ConfigSource

from helpers import (OP_TIMEOUT_S, SMP_1_AND_2, admin, consume, create_topic, produce_ok,
                     producer, topic_metadata, unique_topic, wait_until, watermarks)

CLI_TIMEOUT_S = 30


def cli(broker, *args, input=None, env=None, expect_rc=0):
    """Runs `freshet <args> -b <broker>`; asserts the exit code; returns the CompletedProcess
    with text stdout/stderr."""
    proc = subprocess.run([broker.freshet_bin, *args, "-b", broker.bootstrap], input=input,
                          capture_output=True, text=True, timeout=CLI_TIMEOUT_S, env=env)
    assert proc.returncode == expect_rc, \
        f"freshet {' '.join(args)}: exit {proc.returncode}\nstdout:\n{proc.stdout}\n" \
        f"stderr:\n{proc.stderr}"
    return proc


def table(text):
    """Rows of an aligned CLI table (header first) as lists of cells."""
    return [line.split() for line in text.splitlines() if line.strip()]


def topic_configs(broker, name):
    resource = ConfigResource(ConfigResource.Type.TOPIC, name)
    result = admin(broker).describe_configs([resource], request_timeout=OP_TIMEOUT_S)
    return result[resource].result(timeout=OP_TIMEOUT_S)


def describe_json(broker, name):
    return json.loads(cli(broker, "topic", "describe", name, "--format", "json").stdout)


# ---- topic -------------------------------------------------------------------------------------

def test_topic_create_list_describe_delete(broker):
    a, b = unique_topic("cli-a"), unique_topic("cli-b")
    created = cli(broker, "topic", "create", a, b, "-p", "3", "-r", "1", "-c", "retention.ms=123456",
                  "-c", "cleanup.policy=compact")
    assert table(created.stdout) == [["TOPIC", "STATUS"], [a, "OK"], [b, "OK"]]
    assert len(topic_metadata(broker, a).partitions) == 3
    assert topic_configs(broker, b)["retention.ms"].value == "123456"

    rows = table(cli(broker, "topic", "list").stdout)
    assert rows[0] == ["NAME", "PARTITIONS", "REPLICAS"]
    assert [a, "3", "1"] in rows and [b, "3", "1"] in rows
    listed = json.loads(cli(broker, "topic", "list", "--format", "json").stdout)
    assert {"name": a, "partitions": 3, "replicas": 1} in listed

    text = cli(broker, "topic", "describe", a).stdout
    for section in ("SUMMARY\n=======\n", "CONFIGS\n=======\n", "PARTITIONS\n==========\n"):
        assert section in text
    assert f"NAME        {a}\n" in text
    assert "PARTITION  LEADER  REPLICAS  ISR  LOG-START-OFFSET  HIGH-WATERMARK  SIZE-BYTES\n" in text
    config_rows = {row[0]: row[1:] for row in table(text.split("CONFIGS")[1].split("PARTITIONS")[0])}
    assert config_rows["retention.ms"] == ["123456", "DYNAMIC_TOPIC_CONFIG"]
    assert config_rows["cleanup.policy"] == ["compact", "DYNAMIC_TOPIC_CONFIG"]

    deleted = cli(broker, "topic", "delete", a, b)
    assert table(deleted.stdout) == [["TOPIC", "STATUS"], [a, "OK"], [b, "OK"]]
    names = [t["name"] for t in json.loads(cli(broker, "topic", "list", "--format", "json").stdout)]
    assert a not in names and b not in names


def test_topic_describe_json_has_configs_and_watermarks(broker):
    name = create_topic(broker, partitions=2, config={"max.message.bytes": "20000"})
    produce_ok(broker, name, [{"key": b"k", "value": f"v{i}".encode(), "partition": 1}
                              for i in range(5)])
    described = describe_json(broker, name)
    assert described["summary"] == {"name": name, "partitions": 2, "replicas": 1}
    configs = {c["name"]: c for c in described["configs"]}
    assert configs["max.message.bytes"]["value"] == "20000"
    assert configs["max.message.bytes"]["source"] == "DYNAMIC_TOPIC_CONFIG"
    assert configs["retention.ms"]["source"] == "DEFAULT_CONFIG"
    partitions = described["partitions"]
    assert [p["partition"] for p in partitions] == [0, 1]
    assert [(p["log_start_offset"], p["high_watermark"]) for p in partitions] == [(0, 0), (0, 5)]
    # Bytes on disk as DescribeLogDirs reports them: the stored batches.
    stored = os.path.getsize(os.path.join(broker.data_dir, f"{name}-1", f"{0:020d}.log"))
    assert [p["size_bytes"] for p in partitions] == [0, stored] and stored > 0
    for p in partitions:
        assert p["leader"] >= 0 and p["replicas"] == [p["leader"]] and p["isr"] == [p["leader"]]
        assert p["error"] is None


def test_topic_list_hides_internal_topics_unless_asked(broker):
    name = create_topic(broker)
    default = [t["name"] for t in json.loads(cli(broker, "topic", "list", "--format", "json").stdout)]
    everything = [t["name"] for t in
                  json.loads(cli(broker, "topic", "list", "-i", "--format", "json").stdout)]
    assert name in default and name in everything
    assert not [n for n in default if n.startswith("__")]
    assert set(default) <= set(everything)


@pytest.mark.parametrize("broker", [{"settings": {"num.partitions": 2}}], indirect=True)
def test_topic_create_uses_broker_defaults(broker):
    name = unique_topic("cli-defaults")
    cli(broker, "topic", "create", name)
    assert describe_json(broker, name)["summary"] == {"name": name, "partitions": 2, "replicas": 1}


def test_topic_create_dry_run_creates_nothing(broker):
    name = unique_topic("cli-dry")
    out = cli(broker, "topic", "create", name, "-p", "2", "--dry-run")
    assert table(out.stdout)[1][:2] == [name, "OK"]
    assert "dry run" in out.stdout
    gone = cli(broker, "topic", "describe", name, expect_rc=1)
    assert gone.stderr == f"error: topic '{name}' does not exist (UNKNOWN_TOPIC_OR_PARTITION)\n"


def test_topic_create_existing_and_invalid_fail(broker):
    name = create_topic(broker)
    fresh = unique_topic("cli-fresh")
    out = cli(broker, "topic", "create", name, fresh, expect_rc=1)
    assert table(out.stdout) == [["TOPIC", "STATUS"], [name, "TOPIC_ALREADY_EXISTS"],
                                 [fresh, "OK"]]
    assert out.stderr == f"error: topic '{name}' already exists (TOPIC_ALREADY_EXISTS)\n"

    too_many = cli(broker, "topic", "create", unique_topic(), "-r", "3", expect_rc=1)
    assert "(INVALID_REPLICATION_FACTOR)" in too_many.stderr
    bad_config = cli(broker, "topic", "create", unique_topic(), "-c", "retention.ms=soon",
                     expect_rc=1)
    assert "(INVALID_CONFIG)" in bad_config.stderr
    malformed = cli(broker, "topic", "create", unique_topic(), "-c", "retention.ms", expect_rc=1)
    assert malformed.stderr == "error: invalid config 'retention.ms': expected key=value\n"


def test_topic_commands_on_unknown_topic(broker):
    name = unique_topic("cli-missing")
    expected = f"error: topic '{name}' does not exist (UNKNOWN_TOPIC_OR_PARTITION)\n"
    assert cli(broker, "topic", "describe", name, expect_rc=1).stderr == expected
    assert cli(broker, "topic", "delete", name, expect_rc=1).stderr == expected
    assert cli(broker, "topic", "alter-config", name, "--set", "retention.ms=1",
               expect_rc=1).stderr == expected
    assert cli(broker, "topic", "add-partitions", name, "-n", "2", expect_rc=1).stderr == expected


def test_topic_alter_config_merges_with_existing_configs(broker):
    name = create_topic(broker, config={"retention.ms": "1000", "cleanup.policy": "compact"})
    out = cli(broker, "topic", "alter-config", name, "--set", "segment.bytes=2097152",
              "--set", "retention.ms=2000", "--delete", "cleanup.policy")
    assert table(out.stdout) == [["KEY", "OLD-VALUE", "NEW-VALUE"],
                                 ["segment.bytes", "1073741824", "2097152"],
                                 ["retention.ms", "1000", "2000"],
                                 ["cleanup.policy", "compact", "delete"]]
    configs = topic_configs(broker, name)
    assert configs["segment.bytes"].value == "2097152"
    assert configs["retention.ms"].value == "2000"
    assert configs["cleanup.policy"].value == "delete"
    assert configs["cleanup.policy"].source == ConfigSource.DEFAULT_CONFIG.value

    # Setting one more key keeps every earlier dynamic config (AlterConfigs replaces the set).
    cli(broker, "topic", "alter-config", name, "--set", "max.message.bytes=30000")
    configs = topic_configs(broker, name)
    assert configs["max.message.bytes"].value == "30000"
    assert configs["retention.ms"].value == "2000"
    assert configs["segment.bytes"].value == "2097152"


def test_topic_alter_config_dry_run_and_errors(broker):
    name = create_topic(broker, config={"retention.ms": "1000"})
    dry = cli(broker, "topic", "alter-config", name, "--set", "retention.ms=5000", "--dry-run")
    assert ["retention.ms", "1000", "5000"] in table(dry.stdout)
    assert topic_configs(broker, name)["retention.ms"].value == "1000"

    unknown = cli(broker, "topic", "alter-config", name, "--set", "no.such.config=1", expect_rc=1)
    assert "(INVALID_CONFIG)" in unknown.stderr
    assert topic_configs(broker, name)["retention.ms"].value == "1000"
    twice = cli(broker, "topic", "alter-config", name, "--set", "retention.ms=1", "--delete",
                "retention.ms", expect_rc=1)
    assert twice.stderr == "error: config 'retention.ms' is given more than once\n"
    nothing = cli(broker, "topic", "alter-config", name, expect_rc=1)
    assert nothing.stderr.startswith("error: nothing to change")


def test_topic_add_partitions_grows_never_shrinks(broker):
    name = create_topic(broker, partitions=1)
    out = cli(broker, "topic", "add-partitions", name, "-n", "3")
    assert table(out.stdout) == [["TOPIC", "STATUS"], [name, "OK"]]
    wait_until(lambda: describe_json(broker, name)["summary"]["partitions"] == 3,
               what="3 partitions")
    shrink = cli(broker, "topic", "add-partitions", name, "-n", "2", expect_rc=1)
    assert table(shrink.stdout) == [["TOPIC", "STATUS"], [name, "INVALID_PARTITIONS"]]
    assert shrink.stderr.startswith(f"error: topic '{name}': ")
    assert shrink.stderr.endswith("(INVALID_PARTITIONS)\n")
    assert describe_json(broker, name)["summary"]["partitions"] == 3


# ---- produce -----------------------------------------------------------------------------------

@SMP_1_AND_2
@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_produce_lines_with_keys_and_headers(broker, acks):
    name = create_topic(broker, partitions=2)
    out = cli(broker, "produce", name, "-p", "1", "-k", "::", "-H", "source=cli", "-H", "n=1",
              "--acks", acks, input="k1::v1\nno key here\n::empty key\nk4::\n\nk6::a::b\n")
    assert out.stderr == f"produced 6 records to {name}\n"
    assert out.stdout == ""
    wait_until(lambda: watermarks(broker, name, 1) == (0, 6), what="6 records in partition 1")
    records = consume(broker, name, 1, 0)
    assert [(r.key, r.value) for r in records] == [
        (b"k1", b"v1"), (None, b"no key here"), (b"", b"empty key"), (b"k4", b""),
        (None, b""), (b"k6", b"a::b")]
    assert all(r.headers == (("source", b"cli"), ("n", b"1")) for r in records)
    assert watermarks(broker, name, 0) == (0, 0)


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_produce_each_compression_codec(broker, codec):
    name = create_topic(broker)
    lines = [f"line {i} " + "abc" * (i % 30) for i in range(300)]
    out = cli(broker, "produce", name, "-z", codec, input="\n".join(lines) + "\n")
    assert out.stderr == f"produced 300 records to {name}\n"
    assert [r.value.decode() for r in consume(broker, name, 0, 0)] == lines


def test_produce_keys_spread_like_the_java_partitioner(broker):
    name = create_topic(broker, partitions=4)
    keys = [f"user-{i}" for i in range(40)]
    cli(broker, "produce", name, "-k", ":", input="".join(f"{k}:x\n" for k in keys))
    # Same key, same partition; and several partitions are used.
    seen = {}
    for partition in range(4):
        for r in consume(broker, name, partition, 0):
            assert seen.setdefault(r.key, partition) == partition
    assert len(seen) == 40 and len(set(seen.values())) > 1


@pytest.mark.parametrize("broker", [{"settings": {"auto.create.topics.enable": "false"}}],
                         indirect=True)
def test_produce_to_unknown_topic_fails(broker):
    name = unique_topic("cli-nope")
    out = cli(broker, "produce", name, input="a\n", expect_rc=1)
    assert out.stderr == f"error: topic '{name}' does not exist (UNKNOWN_TOPIC_OR_PARTITION)\n"


def test_produce_to_missing_partition_fails(broker):
    name = create_topic(broker, partitions=2)
    out = cli(broker, "produce", name, "-p", "2", input="a\n", expect_rc=1)
    assert out.stderr == f"error: topic '{name}' has 2 partitions: there is no partition 2\n"


def test_produce_reports_records_the_broker_rejects(broker):
    name = create_topic(broker, config={"max.message.bytes": "2000"})
    big = "x" * 5000
    out = cli(broker, "produce", name, "-X", "linger.ms=0", "-X", "batch.num.messages=1",
              input=f"small\n{big}\nsmall again\n", expect_rc=1)
    lines = out.stderr.splitlines()
    assert lines[0].startswith(f"error: 1 record was not produced: topic '{name}': ")
    assert lines[0].endswith("(MESSAGE_TOO_LARGE)")
    assert lines[1] == f"produced 2 records to {name}"
    assert [r.value for r in consume(broker, name, 0, 0)] == [b"small", b"small again"]


# ---- consume -----------------------------------------------------------------------------------

def produce_sample(broker, name):
    """Four records in partition 0 with keys, headers and timestamps 1000, 2000, ..."""
    p = producer(broker)
    for i in range(4):
        p.produce(name, key=f"k{i}".encode() if i != 2 else None, value=f"v{i}".encode(),
                  partition=0, timestamp=1000 * (i + 1), headers=[("h", f"{i}".encode())])
    assert p.flush(OP_TIMEOUT_S) == 0


@SMP_1_AND_2
def test_consume_format_string_and_json(broker):
    name = create_topic(broker)
    produce_sample(broker, name)
    out = cli(broker, "consume", name, "-o", "beginning", "-e",
              "-f", "%t|%p|%o|%k|%s|%K|%S|%T|%h\\n")
    assert out.stdout.splitlines() == [
        f"{name}|0|0|k0|v0|2|2|1000|h=0", f"{name}|0|1|k1|v1|2|2|2000|h=1",
        f"{name}|0|2||v2|-1|2|3000|h=2", f"{name}|0|3|k3|v3|2|2|4000|h=3"]
    default = cli(broker, "consume", name, "-e")
    assert default.stdout == "v0\nv1\nv2\nv3\n"
    records = [json.loads(line) for line in
               cli(broker, "consume", name, "-e", "-f", "json").stdout.splitlines()]
    assert records[2] == {"topic": name, "partition": 0, "offset": 2, "timestamp": 3000,
                          "key": None, "value": "v2", "headers": [{"key": "h", "value": "2"}]}
    assert [r["offset"] for r in records] == [0, 1, 2, 3]


def test_consume_start_offsets(broker):
    name = create_topic(broker)
    produce_sample(broker, name)

    def offsets(*args):
        return cli(broker, "consume", name, "-e", "-f", "%o\\n", *args).stdout.split()

    assert offsets("-o", "beginning") == ["0", "1", "2", "3"]
    assert offsets("-o", "2") == ["2", "3"]
    assert offsets("-o", "4") == []
    assert offsets("-o", "-1") == ["3"]
    assert offsets("-o", "-3") == ["1", "2", "3"]
    assert offsets("-o", "-10") == ["0", "1", "2", "3"]
    assert offsets("-o", "@2500") == ["2", "3"]
    assert offsets("-o", "@1000") == ["0", "1", "2", "3"]
    assert offsets("-o", "@99999") == []
    assert offsets("-o", "end") == []
    assert offsets("-o", "1", "-n", "2") == ["1", "2"]


def test_consume_several_partitions(broker):
    name = create_topic(broker, partitions=3)
    for partition in range(3):
        produce_ok(broker, name, [{"value": f"p{partition}-{i}".encode(), "partition": partition}
                                  for i in range(partition + 1)])
    lines = cli(broker, "consume", name, "-e", "-f", "%p %s\\n").stdout.splitlines()
    assert sorted(lines) == ["0 p0-0", "1 p1-0", "1 p1-1", "2 p2-0", "2 p2-1", "2 p2-2"]
    only = cli(broker, "consume", name, "-e", "-p", "0,2", "-f", "%p %s\\n").stdout.splitlines()
    assert sorted(only) == ["0 p0-0", "2 p2-0", "2 p2-1", "2 p2-2"]
    also = cli(broker, "consume", name, "-e", "-p", "1", "-p", "2", "-n", "5",
               "-f", "%p\\n").stdout.split()
    assert sorted(also) == ["1", "1", "2", "2", "2"]
    missing = cli(broker, "consume", name, "-p", "3", expect_rc=1)
    assert missing.stderr == f"error: topic '{name}' has 3 partitions: there is no partition 3\n"


def test_consume_roundtrip_with_produce(broker):
    name = create_topic(broker, partitions=2)
    lines = [f"key{i % 5}\t{{\"n\": {i}}}" for i in range(200)]
    cli(broker, "produce", name, "-k", "\t", "-z", "lz4", input="\n".join(lines) + "\n")
    out = cli(broker, "consume", name, "-e", "-f", "%k\\t%s\\n").stdout.splitlines()
    assert sorted(out) == sorted(lines)


def test_consume_empty_topic_exits_at_end(broker):
    name = create_topic(broker, partitions=2)
    out = cli(broker, "consume", name, "-e")
    assert out.stdout == "" and out.stderr == ""


def test_consume_out_of_range_offset_fails(broker):
    name = create_topic(broker)
    produce_ok(broker, name, [{"value": b"only", "partition": 0}])
    out = cli(broker, "consume", name, "-o", "50", "-e", expect_rc=1)
    assert out.stderr == (f"error: topic '{name}' partition 0: offset 50 is out of range "
                          "(OFFSET_OUT_OF_RANGE); try -o beginning or -o end\n")
    unknown = unique_topic("cli-missing")
    out = cli(broker, "consume", unknown, "-e", expect_rc=1)
    assert out.stderr == f"error: topic '{unknown}' does not exist (UNKNOWN_TOPIC_OR_PARTITION)\n"


def test_consume_follows_new_records_and_stops_on_sigterm(broker):
    name = create_topic(broker)
    proc = subprocess.Popen([broker.freshet_bin, "consume", name, "-o", "end", "-b",
                             broker.bootstrap], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout],
                              daemon=True)
    reader.start()
    try:
        # A record produced before the consumer has its assignment is not shown (-o end), so
        # produce until one arrives.
        deadline = time.monotonic() + OP_TIMEOUT_S
        while True:
            assert time.monotonic() < deadline, "consume printed nothing"
            assert proc.poll() is None, proc.stderr.read()
            produce_ok(broker, name, [{"value": b"live", "partition": 0}])
            try:
                assert lines.get(timeout=0.2) == "live\n"
                break
            except queue.Empty:
                pass
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---- connection ----------------------------------------------------------------------------------

def test_brokers_from_environment(broker):
    name = create_topic(broker)
    env = dict(os.environ, FRESHET_BROKERS=broker.bootstrap)
    proc = subprocess.run([broker.freshet_bin, "topic", "list"], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, env=env)
    assert proc.returncode == 0, proc.stderr
    assert name in proc.stdout


def test_unreachable_broker_fails_fast(broker):
    port = broker.port
    broker.stop()
    for args in (["topic", "list"], ["topic", "describe", "x"], ["topic", "create", "x"],
                 ["consume", "x", "-e"]):
        started = time.monotonic()
        proc = subprocess.run([broker.freshet_bin, *args, "-b", f"127.0.0.1:{port}"],
                              capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
        assert proc.returncode == 1
        assert proc.stderr.startswith(f"error: cannot reach any broker at 127.0.0.1:{port}")
        assert time.monotonic() - started < 5
    produce = subprocess.run([broker.freshet_bin, "produce", "x", "-b", f"127.0.0.1:{port}"],
                             input="a\n", capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    assert produce.returncode == 1
    assert produce.stderr.startswith(f"error: cannot reach any broker at 127.0.0.1:{port}")
