"""Several log.dirs: partitions spread over every dir (Kafka's fewest-partitions placement), found
again after clean and kill -9 restarts, listed per dir by DescribeLogDirs, deleted from whichever
dir holds them; meta.properties in every dir, foreign ones and duplicated partitions refused;
an unusable dir offline (KAFKA_STORAGE_ERROR) while the others serve; metadata.log.dir."""
import os
import shutil

import pytest

from freshet_broker import Broker, BrokerStartError
from helpers import (Api, Array, OP_TIMEOUT_S, admin, call, consume_all, create_topic,
                     produce_ok, wait_until)

KAFKA_STORAGE_ERROR = 56
METADATA_LOG = "__cluster_metadata-0"

DESCRIBE_LOG_DIRS = Api(35, 2, request=[
    ("topics", Array([("topic", "string"), ("partitions", Array("int32"))], nullable=True)),
], response=[
    ("throttle_time_ms", "int32"), ("error_code", "int16", "3+"),
    ("results", Array([
        ("error_code", "int16"), ("log_dir", "string"),
        ("topics", Array([("name", "string"), ("partitions", Array([
            ("partition_index", "int32"), ("partition_size", "int64"), ("offset_lag", "int64"),
            ("is_future_key", "bool")]))])),
        ("total_bytes", "int64", "4+"), ("usable_bytes", "int64", "4+")])),
])


def log_dirs(tmp_path, count=3):
    return [str(tmp_path / f"dir{i}") for i in range(count)]


def start(broker_factory, dirs, smp=2, **settings):
    return broker_factory(settings={"log.dirs": ",".join(dirs), **settings}, smp=smp)


def expect_refused_start(broker, message):
    """broker.start() fails, with `message` in the broker's log (the exit is expected)."""
    with pytest.raises(BrokerStartError):
        broker.start()
    broker.exit_expected = True
    assert message in broker.log_text()


def partition_dirs(dirs, topic):
    """{partition: [log dirs holding <topic>-<partition>]} from the file system."""
    found = {}
    for d in dirs:
        for name in os.listdir(d):
            head, _, index = name.rpartition("-")
            if head == topic and index.isdigit() and os.path.isdir(os.path.join(d, name)):
                found.setdefault(int(index), []).append(d)
    return found


def read_properties(path):
    with open(path) as f:
        return dict(line.strip().split("=", 1) for line in f if "=" in line and not line.startswith("#"))


def describe_log_dirs(broker, version, topics=None):
    """{absolute log dir: (error_code, {topic: {partition: size}}, total_bytes, usable_bytes)}."""
    body = call(broker, DESCRIBE_LOG_DIRS, version, topics=topics)
    assert body.get("error_code", 0) == 0
    out = {}
    for r in body["results"]:
        parts = {}
        for t in r["topics"]:
            for p in t["partitions"]:
                assert p["offset_lag"] == 0 and p["is_future_key"] is False
                parts.setdefault(t["name"], {})[p["partition_index"]] = p["partition_size"]
        out[r["log_dir"]] = (r["error_code"], parts, r.get("total_bytes"), r.get("usable_bytes"))
    return out


def messages(topic_partitions, per_partition):
    return [{"partition": p, "key": f"k{p}".encode(), "value": f"{p}:{i}".encode()}
            for p in range(topic_partitions) for i in range(per_partition)]


def values(records):
    return [(r.partition, r.offset, r.value) for r in records]


def test_partitions_spread_over_every_dir_and_survive_restarts(broker_factory, tmp_path):
    dirs = log_dirs(tmp_path)
    broker = start(broker_factory, dirs)
    big, small = create_topic(broker, partitions=9), create_topic(broker, partitions=6)

    # Placement: each partition in exactly one dir, 15 partitions -> 5 per dir.
    placed = {t: partition_dirs(dirs, t) for t in (big, small)}
    for topic, count in ((big, 9), (small, 6)):
        assert sorted(placed[topic]) == list(range(count))
        assert all(len(holders) == 1 for holders in placed[topic].values()), placed[topic]
    per_dir = {d: sum(h == [d] for t in placed.values() for h in t.values()) for d in dirs}
    assert sorted(per_dir.values()) == [5, 5, 5], per_dir
    # The metadata log lives in the first dir only.
    assert [d for d in dirs if os.path.exists(os.path.join(d, METADATA_LOG))] == [dirs[0]]

    # meta.properties everywhere: one cluster, this node, a distinct directory.id each.
    props = [read_properties(os.path.join(d, "meta.properties")) for d in dirs]
    assert {p["cluster.id"] for p in props} == {props[0]["cluster.id"]}
    assert all(p["node.id"] == "1" and p["version"] == "1" for p in props)
    assert len({p["directory.id"] for p in props}) == 3

    first = produce_ok(broker, big, messages(9, 20), acks="all")
    produce_ok(broker, small, messages(6, 5), acks="all")
    expected_big = values(consume_all(broker, big, 9))
    assert len(expected_big) == len(first) == 180

    # Clean stop: every dir gets its marker and the checkpoints of its own partitions.
    broker.stop()
    for d in dirs:
        assert os.path.exists(os.path.join(d, ".kafka_cleanshutdown"))
        with open(os.path.join(d, "recovery-point-offset-checkpoint")) as f:
            names = {line.split()[0] + "-" + line.split()[1] for line in f.read().splitlines()[2:]
                     if line.split()[0] in (big, small)}
        here = {f"{t}-{p}" for t in (big, small) for p, h in placed[t].items() if h == [d]}
        assert names == here, (d, names, here)
    broker.start()
    assert partition_dirs(dirs, big) == placed[big]
    assert values(consume_all(broker, big, 9)) == expected_big
    assert len(consume_all(broker, small, 6)) == 30

    # kill -9 after more acks=all writes: nothing acknowledged is lost, nothing moves.
    produce_ok(broker, big, messages(9, 10), acks="all")
    expected_big = values(consume_all(broker, big, 9))
    assert len(expected_big) == 270
    broker.kill()
    broker.start()
    assert partition_dirs(dirs, big) == placed[big]
    assert values(consume_all(broker, big, 9)) == expected_big

    # DescribeLogDirs, every version: all three dirs, each with the partitions it holds.
    for version in range(5):
        described = describe_log_dirs(broker, version)
        assert sorted(described) == sorted(os.path.abspath(d) for d in dirs)
        for d in dirs:
            error, parts, total, usable = described[os.path.abspath(d)]
            assert error == 0
            for topic in (big, small):
                held = sorted(p for p, h in placed[topic].items() if h == [d])
                assert sorted(parts.get(topic, {})) == held, (version, d, topic)
                assert all(size > 0 for size in parts.get(topic, {}).values())
            if version >= 4:
                assert total > 0 and 0 <= usable <= total
    # A topic filter: only the asked-for partitions, still every dir listed.
    described = describe_log_dirs(broker, 4, topics=[{"topic": small, "partitions": [0, 5]}])
    assert len(described) == 3
    listed = {(t, p) for _, parts, _, _ in described.values() for t, ps in parts.items() for p in ps}
    assert listed == {(small, 0), (small, 5)}


def test_deleting_a_topic_removes_its_dirs_everywhere(broker_factory, tmp_path):
    dirs = log_dirs(tmp_path)
    broker = start(broker_factory, dirs)
    doomed, kept = create_topic(broker, partitions=6), create_topic(broker, partitions=3)
    produce_ok(broker, doomed, messages(6, 3))
    assert {len(h) for h in partition_dirs(dirs, doomed).values()} == {1}
    assert len({h[0] for h in partition_dirs(dirs, doomed).values()}) == 3
    admin(broker).delete_topics([doomed])[doomed].result(timeout=OP_TIMEOUT_S)
    wait_until(lambda: not partition_dirs(dirs, doomed), what="the deleted topic's dirs gone")
    assert not any(doomed in name for d in dirs for name in os.listdir(d))
    assert sorted(partition_dirs(dirs, kept)) == [0, 1, 2]
    broker.restart()
    assert not partition_dirs(dirs, doomed)
    assert sorted(partition_dirs(dirs, kept)) == [0, 1, 2]
    # The freed dirs take the next partitions: 3 kept partitions, one per dir, then 3 more.
    again = create_topic(broker, partitions=3)
    assert len({h[0] for h in partition_dirs(dirs, again).values()}) == 3


def test_stray_partitions_are_deleted_from_every_dir(broker_factory, tmp_path):
    dirs = log_dirs(tmp_path)
    broker = start(broker_factory, dirs)
    topic = create_topic(broker, partitions=3)
    broker.stop()
    stray = os.path.join(dirs[2], "gone-topic-0")
    shutil.copytree(os.path.join(partition_dirs(dirs, topic)[0][0], f"{topic}-0"), stray)
    broker.start()
    assert not os.path.exists(stray)
    assert sorted(partition_dirs(dirs, topic)) == [0, 1, 2]


@pytest.mark.parametrize("content,message", [
    ("version=1\ncluster.id=someone-elses-cluster\nnode.id=1\n", "Invalid cluster.id in: "),
    ("version=1\ncluster.id={cluster}\nnode.id=5\n", "Stored node id 5 doesn't match previous node id 1"),
], ids=["other-cluster", "other-node"])
def test_a_dir_of_another_cluster_or_node_refuses_start(broker_factory, tmp_path, content, message):
    dirs = log_dirs(tmp_path)
    broker = start(broker_factory, dirs)
    cluster = read_properties(os.path.join(dirs[0], "meta.properties"))["cluster.id"]
    broker.stop()
    with open(os.path.join(dirs[1], "meta.properties"), "w") as f:
        f.write(content.format(cluster=cluster))
    expect_refused_start(broker, message)
    assert os.path.join(dirs[1], "meta.properties") in broker.log_text()


def test_a_partition_in_two_dirs_refuses_start(broker_factory, tmp_path):
    dirs = log_dirs(tmp_path)
    broker = start(broker_factory, dirs)
    topic = create_topic(broker, partitions=1)
    broker.stop()
    (holder,) = partition_dirs(dirs, topic)[0]
    other = next(d for d in dirs if d != holder)
    shutil.copytree(os.path.join(holder, f"{topic}-0"), os.path.join(other, f"{topic}-0"))
    expect_refused_start(broker, f"Duplicate log directories for {topic}-0 are found in both")


def test_an_unusable_dir_is_offline_and_the_others_serve(broker_factory, tmp_path):
    dirs = log_dirs(tmp_path)
    with open(dirs[1], "w") as f:  # a file where a dir should be
        f.write("not a directory")
    broker = start(broker_factory, dirs)
    assert "offline" in broker.log_text()
    topic = create_topic(broker, partitions=4)
    placed = partition_dirs([dirs[0], dirs[2]], topic)
    assert sorted(placed) == [0, 1, 2, 3]
    assert sorted(h[0] for h in placed.values()) == [dirs[0], dirs[0], dirs[2], dirs[2]]
    produce_ok(broker, topic, messages(4, 2), acks="all")
    for version in (0, 4):
        described = describe_log_dirs(broker, version)
        assert described[os.path.abspath(dirs[1])][:2] == (KAFKA_STORAGE_ERROR, {})
        online = [described[os.path.abspath(d)] for d in (dirs[0], dirs[2])]
        assert all(error == 0 for error, *_ in online)
        assert sum(len(parts.get(topic, {})) for _, parts, _, _ in online) == 4
    broker.restart()
    assert len(consume_all(broker, topic, 4)) == 8


def test_the_metadata_dir_unusable_refuses_start(tmp_path):
    dirs = log_dirs(tmp_path, 2)
    with open(dirs[0], "w") as f:  # the first dir holds the metadata log
        f.write("not a directory")
    workdir = tmp_path / "work"
    workdir.mkdir()
    broker = Broker(str(workdir), settings={"log.dirs": ",".join(dirs)})
    try:
        expect_refused_start(broker, f"Encountered I/O error in metadata log directory {dirs[0]}")
    finally:
        broker.close()


def test_metadata_log_dir(broker_factory, tmp_path):
    dirs = log_dirs(tmp_path, 2)
    meta = str(tmp_path / "meta")
    broker = start(broker_factory, dirs, **{"metadata.log.dir": meta})
    topic = create_topic(broker, partitions=4)
    assert os.path.isdir(os.path.join(meta, METADATA_LOG))
    assert not any(os.path.exists(os.path.join(d, METADATA_LOG)) for d in dirs)
    assert not partition_dirs([meta], topic)
    assert sorted(partition_dirs(dirs, topic)) == [0, 1, 2, 3]
    props = [read_properties(os.path.join(d, "meta.properties")) for d in dirs + [meta]]
    assert len({p["cluster.id"] for p in props}) == 1
    assert sorted(describe_log_dirs(broker, 4)) == sorted(os.path.abspath(d) for d in dirs)
    broker.restart()
    wait_until(lambda: sorted(partition_dirs(dirs, topic)) == [0, 1, 2, 3], what="topic kept")
    md = admin(broker).list_topics(timeout=OP_TIMEOUT_S)
    assert topic in md.topics


def test_partitions_of_an_offline_dir_are_not_recreated_elsewhere(broker_factory, tmp_path):
    dirs = log_dirs(tmp_path)
    broker = start(broker_factory, dirs)
    topic = create_topic(broker, partitions=6)
    produce_ok(broker, topic, messages(6, 4), acks="all")
    placed = partition_dirs(dirs, topic)
    broker.stop()
    os.rename(dirs[2], dirs[2] + ".away")
    with open(dirs[2], "w") as f:
        f.write("not a directory")
    broker.start()
    assert "Can not create log for" in broker.log_text()
    # The partitions of the offline dir stay there: none is created empty in another dir.
    assert partition_dirs(dirs[:2], topic) == {p: h for p, h in placed.items() if h[0] != dirs[2]}
    readable = sorted(p for p, h in placed.items() if h[0] != dirs[2])
    assert len(readable) == 4
    described = describe_log_dirs(broker, 4)
    assert described[os.path.abspath(dirs[2])][0] == KAFKA_STORAGE_ERROR
    broker.stop()
    os.remove(dirs[2])
    os.rename(dirs[2] + ".away", dirs[2])
    broker.start()
    assert partition_dirs(dirs, topic) == placed
    assert len(consume_all(broker, topic, 6)) == 24


def storage_tool(*args):
    """`freshet storage ...` (kafka-storage.sh's counterpart)."""
    import subprocess

    from freshet_broker import freshet_bin
    return subprocess.run([freshet_bin(), "storage", *args], capture_output=True, text=True, timeout=30)


def test_storage_format_prepares_the_dirs_that_the_broker_then_serves(broker_factory, tmp_path):
    cluster = storage_tool("random-uuid").stdout.strip()
    assert len(cluster) == 22 and all(c.isalnum() or c in "-_" for c in cluster), cluster
    dirs = log_dirs(tmp_path, 2)
    formatted = storage_tool("format", "--cluster-id", cluster, "--set", f"log.dirs={','.join(dirs)}")
    assert formatted.returncode == 0, formatted.stderr
    assert formatted.stdout.count("Formatting") == 2
    props = [read_properties(os.path.join(d, "meta.properties")) for d in dirs]
    assert [(p["version"], p["cluster.id"], p["node.id"]) for p in props] == [("1", cluster, "1")] * 2
    assert props[0]["directory.id"] != props[1]["directory.id"]

    # As kafka-storage.sh: formatting again is refused unless told to skip formatted dirs.
    again = storage_tool("format", "-t", cluster, "--set", f"log.dirs={','.join(dirs)}")
    assert again.returncode == 1 and "is already formatted. Use --ignore-formatted" in again.stderr
    assert storage_tool("format", "-t", cluster, "-g", "--set", f"log.dirs={','.join(dirs)}").returncode == 1
    bad = storage_tool("format", "-t", "not-a-uuid", "--set", f"log.dirs={tmp_path / 'other'}")
    assert bad.returncode == 1 and "does not appear to be a valid UUID" in bad.stderr

    broker = start(broker_factory, dirs)
    assert f"cluster {cluster}," in broker.log_text()
    create_topic(broker)
    assert [read_properties(os.path.join(d, "meta.properties")) for d in dirs] == props
