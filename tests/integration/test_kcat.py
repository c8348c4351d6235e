"""kcat (librdkafka's CLI): produce with acks/keys/headers/null values/codecs, consume from
any offset or timestamp, and query offsets by timestamp."""
import pytest

from helpers import (CODECS, SMP_1_AND_2, consume, create_topic, kcat, kcat_consume,
                     kcat_query_offsets, produce_ok, wait_until, watermarks)


@SMP_1_AND_2
@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_produce_keys_and_headers_with_each_acks(broker, acks):
    name = create_topic(broker, partitions=2)
    lines = "".join(f"key{i}:value{i}\n" for i in range(20))
    kcat(broker, "-P", "-t", name, "-p", "1", "-K", ":", "-H", "source=kcat", "-H", "n=1",
         "-X", f"acks={acks}", input=lines)
    wait_until(lambda: watermarks(broker, name, 1) == (0, 20), what="20 records in partition 1")
    records = kcat_consume(broker, name, 1)
    assert [(r.offset, r.key, r.value) for r in records] == \
        [(i, f"key{i}".encode(), f"value{i}".encode()) for i in range(20)]
    assert all(r.headers == (("source", b"kcat"), ("n", b"1")) for r in records)
    assert watermarks(broker, name, 0) == (0, 0)


def test_null_values_and_keys(broker):
    name = create_topic(broker)
    kcat(broker, "-P", "-t", name, "-p", "0", "-K", ":", "-Z", input="k1:v1\nk1:\n:v3\n")
    records = consume(broker, name, 0, 0)
    assert [(r.key, r.value) for r in records] == [(b"k1", b"v1"), (b"k1", None), (None, b"v3")]
    assert [(r.key, r.value) for r in kcat_consume(broker, name, 0)] == \
        [(b"k1", b"v1"), (b"k1", None), (None, b"v3")]


@pytest.mark.parametrize("codec", CODECS)
def test_each_compression_codec(broker, codec):
    name = create_topic(broker)
    lines = [f"line {i} " + "abc" * (i % 40) for i in range(500)]
    args = ["-P", "-t", name, "-p", "0", "-X", "linger.ms=50"]
    if codec != "none":
        args += ["-z", codec]
    kcat(broker, *args, input="\n".join(lines) + "\n")
    records = kcat_consume(broker, name, 0)
    assert [(r.offset, r.value) for r in records] == \
        [(i, line.encode()) for i, line in enumerate(lines)]


def test_consume_from_offsets_relative_and_timestamps(broker):
    name = create_topic(broker)
    base = 1_700_000_000_000
    produce_ok(broker, name, [{"value": f"v{i}".encode(), "timestamp": base + 1000 * i}
                              for i in range(10)])
    assert [r.offset for r in kcat_consume(broker, name, 0, offset=6)] == [6, 7, 8, 9]
    assert [r.offset for r in kcat_consume(broker, name, 0, offset=-3)] == [7, 8, 9]
    assert [r.offset for r in kcat_consume(broker, name, 0, offset="beginning", count=2)] == [0, 1]
    # s@<ts> starts at the first record whose timestamp is >= ts.
    records = kcat_consume(broker, name, 0, offset=f"s@{base + 4500}")
    assert [r.offset for r in records] == [5, 6, 7, 8, 9]
    assert [r.timestamp for r in records] == [base + 1000 * i for i in range(5, 10)]


def test_query_offsets_by_timestamp(broker):
    name = create_topic(broker, partitions=2)
    base = 1_650_000_000_000
    produce_ok(broker, name, [{"value": b"x", "partition": 1, "timestamp": base + 10 * i}
                              for i in range(5)])
    assert kcat_query_offsets(broker, name, 1, base) == 0
    assert kcat_query_offsets(broker, name, 1, base + 11) == 2
    assert kcat_query_offsets(broker, name, 1, base + 40) == 4
    assert kcat_query_offsets(broker, name, 1, -1) == 5  # latest
    assert kcat_query_offsets(broker, name, 1, -2) == 0  # earliest
    assert kcat_query_offsets(broker, name, 1, base + 1000) == -1  # nothing that late
    assert kcat_query_offsets(broker, name, 0, -1) == 0
