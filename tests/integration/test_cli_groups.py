"""The `freshet group list|describe|delete|seek` commands and `freshet consume --group` against a
real broker, cross-checked with confluent-kafka: groups that confluent consumers join and commit
in are listed and described by the CLI (lag numbers exact), offsets the CLI resets are read back
with committed() (OffsetFetch), and the CLI's own group consumer commits what it printed.

Every test shares one broker (two shards, no initial rebalance delay) and uses its own topics
and groups."""
import json
import queue
import signal
import subprocess
import threading

from confluent_kafka import TopicPartition

from helpers import (GROUP_BROKER_SETTINGS, OP_TIMEOUT_S, balanced, committed_offsets,
                     create_topic, listed_groups, poll_until, produce_ok, shared_broker_fixture,
                     topic_partitions, unique_topic, wait_until)
from helpers import group_consumers  # noqa: F401 (a fixture)
from test_cli import cli, table

shared_broker, attach_shared_broker = shared_broker_fixture(GROUP_BROKER_SETTINGS, smp=2)

NO_OFFSET = -1001  # what committed() reports for a partition without a committed offset


def new_group():
    return unique_topic("cli-group")


def describe_json(broker, *groups, expect_rc=0):
    return json.loads(cli(broker, "group", "describe", *groups, "--format", "json",
                          expect_rc=expect_rc).stdout)


def list_json(broker, *args):
    return json.loads(cli(broker, "group", "list", "--format", "json", *args).stdout)


def produce_per_partition(broker, topic, counts, timestamp_step_ms=None):
    """Produces counts[p] records to each partition p; with timestamp_step_ms, record i of a
    partition gets timestamp (i + 1) * step."""
    messages = []
    for partition, count in enumerate(counts):
        for i in range(count):
            m = {"value": f"p{partition}-{i}".encode(), "partition": partition}
            if timestamp_step_ms:
                m["timestamp"] = (i + 1) * timestamp_step_ms
            messages.append(m)
    produce_ok(broker, topic, messages)


def stable_member(broker, factory, group, topic, partitions):
    """A confluent group consumer that owns every partition of `topic` (the group is Stable)."""
    member = factory(broker, group, [topic])
    poll_until([member], balanced([member], topic_partitions(topic, partitions)),
               what=f"{group} to own {topic}")
    return member


def commit(member, topic, offsets):
    """Commits {partition: offset} synchronously as the member."""
    member.consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()],
                           asynchronous=False)


def stopped_group(broker, factory, topic, partitions, offsets):
    """A group whose only member committed {partition: offset} and left: Empty, with offsets."""
    group = new_group()
    member = stable_member(broker, factory, group, topic, partitions)
    commit(member, topic, offsets)
    member.close()
    wait_until(lambda: describe_json(broker, group)[0]["state"] == "Empty",
               what=f"{group} to be Empty")
    return group


def section(text, title):
    """The rows of the table under `title` in `freshet group describe`'s text output."""
    return table(text.split(f"{title}\n{'=' * len(title)}\n")[1].split("\n\n")[0])


# ---- list and describe -------------------------------------------------------------------------

def test_list_and_describe_show_state_members_and_exact_lag(shared_broker, group_consumers):
    broker = shared_broker
    topic = create_topic(broker, partitions=3)
    produce_per_partition(broker, topic, [10, 5, 0])
    group = new_group()
    member = stable_member(broker, group_consumers, group, topic, 3)
    commit(member, topic, {0: 4, 1: 5})

    rows = table(cli(broker, "group", "list").stdout)
    assert rows[0] == ["GROUP", "STATE", "PROTOCOL-TYPE"]
    assert [group, "Stable", "consumer"] in rows
    assert {"group": group, "state": "Stable", "protocol_type": "consumer"} in list_json(broker)
    assert group in [g["group"] for g in list_json(broker, "--state", "stable")]
    assert group not in [g["group"] for g in list_json(broker, "--state", "Empty,Dead")]

    (described,) = describe_json(broker, group)
    assert described["group"] == group
    assert described["state"] == "Stable"
    assert described["protocol_type"] == "consumer"
    assert described["assignor"] == "range"
    assert described["coordinator"]["port"] == broker.port
    (m,) = described["members"]
    member_id = m["member_id"]
    assert member_id and m["instance_id"] is None and m["client_id"] == "rdkafka"
    assert m["assignment"] == [{"topic": topic, "partition": p} for p in range(3)]
    assert described["total_lag"] == 6
    assert [(o["partition"], o["committed_offset"], o["log_end_offset"], o["lag"], o["member_id"])
            for o in described["offsets"]] == [(0, 4, 10, 6, member_id), (1, 5, 5, 0, member_id),
                                               (2, None, 0, None, member_id)]

    text = cli(broker, "group", "describe", group).stdout
    summary = {row[0]: " ".join(row[1:]) for row in section(text, "SUMMARY")}
    assert {k: summary[k] for k in ("GROUP", "STATE", "PROTOCOL-TYPE", "ASSIGNOR", "MEMBERS",
                                    "TOTAL-LAG")} == {
        "GROUP": group, "STATE": "Stable", "PROTOCOL-TYPE": "consumer", "ASSIGNOR": "range",
        "MEMBERS": "1", "TOTAL-LAG": "6"}
    assert summary["COORDINATOR"].endswith(f" (127.0.0.1:{broker.port})")
    members = section(text, "MEMBERS")
    assert members[0] == ["MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST", "ASSIGNMENT"]
    assert len(members) == 2 and members[1][:3] == [member_id, "-", "rdkafka"]
    assert members[1][-1] == f"{topic}:0,1,2"
    offsets = section(text, "OFFSETS")
    assert offsets[0] == ["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                          "MEMBER-ID", "HOST", "CLIENT-ID"]
    assert [row[:6] for row in offsets[1:]] == [[topic, "0", "4", "10", "6", member_id],
                                                [topic, "1", "5", "5", "0", member_id],
                                                [topic, "2", "-", "0", "-", member_id]]

    # Once the member leaves, the group is Empty and keeps its offsets, now owned by nobody.
    member.close()
    wait_until(lambda: describe_json(broker, group)[0]["state"] == "Empty", what="Empty group")
    (described,) = describe_json(broker, group)
    assert described["members"] == []
    assert [(o["partition"], o["committed_offset"], o["lag"], o["member_id"])
            for o in described["offsets"]] == [(0, 4, 6, None), (1, 5, 0, None)]
    assert [group, "Empty", "consumer"] in table(cli(broker, "group", "list").stdout)
    assert group in [g["group"] for g in list_json(broker, "--state", "Empty")]


def test_describe_several_groups_and_unknown_ones(shared_broker, group_consumers):
    broker = shared_broker
    topic = create_topic(broker, partitions=2)
    produce_per_partition(broker, topic, [3, 2])
    a = stopped_group(broker, group_consumers, topic, 2, {0: 1})
    b = stopped_group(broker, group_consumers, topic, 2, {0: 3, 1: 2})
    missing = new_group()

    described = describe_json(broker, a, missing, b, expect_rc=1)
    assert [(d["group"], d["total_lag"]) for d in described] == [(a, 2), (b, 0)]
    out = cli(broker, "group", "describe", a, missing, b, expect_rc=1)
    assert out.stdout.count("SUMMARY\n") == 2
    assert out.stderr == f"error: group '{missing}' does not exist (GROUP_ID_NOT_FOUND)\n"


def test_list_rejects_unknown_state(shared_broker):
    out = cli(shared_broker, "group", "list", "--state", "Sleeping", expect_rc=1)
    assert out.stderr.startswith("error: invalid --state 'Sleeping': expected Empty, Stable")


# ---- seek --------------------------------------------------------------------------------------

def test_seek_to_earliest_latest_offset_and_timestamp(shared_broker, group_consumers):
    broker = shared_broker
    topic = create_topic(broker, partitions=2)
    # Partition 0: offsets 0..9 with timestamps 1000..10000; partition 1: 0..3, 1000..4000.
    produce_per_partition(broker, topic, [10, 4], timestamp_step_ms=1000)
    group = stopped_group(broker, group_consumers, topic, 2, {0: 3, 1: 1})

    def seek(*args):
        return cli(broker, "group", "seek", group, *args)

    def committed():
        return committed_offsets(broker, group, topic, [0, 1])

    out = seek("--to", "earliest")
    assert table(out.stdout) == [["TOPIC", "PARTITION", "OLD-OFFSET", "NEW-OFFSET"],
                                 [topic, "0", "3", "0"], [topic, "1", "1", "0"]]
    assert committed() == {0: 0, 1: 0}

    seek("--to", "latest")
    assert committed() == {0: 10, 1: 4}

    out = seek("--to", "7")  # partition 1 ends at 4: clamped
    assert table(out.stdout)[1:] == [[topic, "0", "10", "7"], [topic, "1", "4", "4"]]
    assert committed() == {0: 7, 1: 4}

    seek("--to", "@4500")  # partition 1 has no record that late: its end
    assert committed() == {0: 4, 1: 4}
    seek("--to", "@0")
    assert committed() == {0: 0, 1: 0}

    # --topic T:P limits the reset to those partitions.
    seek("--to", "latest", "--topic", f"{topic}:1")
    assert committed() == {0: 0, 1: 4}

    # --dry-run prints the plan and commits nothing; json output.
    out = seek("--to", "latest", "--dry-run", "--format", "json")
    assert json.loads(out.stdout) == [
        {"topic": topic, "partition": 0, "old_offset": 0, "new_offset": 10},
        {"topic": topic, "partition": 1, "old_offset": 4, "new_offset": 4}]
    assert out.stderr == "dry run: nothing committed\n"
    assert committed() == {0: 0, 1: 4}

    # describe agrees with what was committed.
    (described,) = describe_json(broker, group)
    assert [(o["committed_offset"], o["lag"]) for o in described["offsets"]] == [(0, 10), (4, 0)]


def test_seek_refused_while_the_group_has_members(shared_broker, group_consumers):
    broker = shared_broker
    topic = create_topic(broker, partitions=2)
    produce_per_partition(broker, topic, [5, 5])
    group = new_group()
    member = stable_member(broker, group_consumers, group, topic, 2)
    commit(member, topic, {0: 2, 1: 3})

    out = cli(broker, "group", "seek", group, "--to", "earliest", expect_rc=1)
    assert out.stdout == ""
    assert out.stderr == (f"error: group '{group}' is Stable with 1 member: offsets can only be "
                          "reset while it has none; stop its consumers first (NON_EMPTY_GROUP)\n")
    assert committed_offsets(broker, group, topic, [0, 1]) == {0: 2, 1: 3}

    member.close()
    wait_until(lambda: describe_json(broker, group)[0]["state"] == "Empty", what="Empty group")
    cli(broker, "group", "seek", group, "--to", "earliest")
    assert committed_offsets(broker, group, topic, [0, 1]) == {0: 0, 1: 0}


def test_seek_new_group_needs_topics_and_creates_its_offsets(shared_broker):
    broker = shared_broker
    topic = create_topic(broker, partitions=3)
    produce_per_partition(broker, topic, [2, 3, 4])
    group = new_group()

    out = cli(broker, "group", "seek", group, "--to", "latest", expect_rc=1)
    assert out.stderr == (f"error: group '{group}' has no committed offsets: name the topics to "
                          "seek with --topic\n")
    out = cli(broker, "group", "seek", group, "--to", "latest", "--topic", f"{topic}:0,2")
    assert table(out.stdout)[1:] == [[topic, "0", "-", "2"], [topic, "2", "-", "4"]]
    assert committed_offsets(broker, group, topic, [0, 1, 2]) == {0: 2, 1: NO_OFFSET, 2: 4}
    cli(broker, "group", "seek", group, "--to", "1", "--topic", topic)
    assert committed_offsets(broker, group, topic, [0, 1, 2]) == {0: 1, 1: 1, 2: 1}
    assert listed_groups(broker)[group].state == "Empty"


def test_seek_argument_errors(shared_broker):
    broker = shared_broker
    topic = create_topic(broker, partitions=2)
    group = new_group()
    bad_to = cli(broker, "group", "seek", group, "--to", "beginning", "--topic", topic, expect_rc=1)
    assert bad_to.stderr == ("error: invalid --to 'beginning': expected earliest, latest, OFFSET "
                             "or @TIMESTAMP_MS\n")
    bad_topic = cli(broker, "group", "seek", group, "--to", "0", "--topic", f"{topic}:x",
                    expect_rc=1)
    assert bad_topic.stderr.startswith(f"error: invalid --topic '{topic}:x'")
    no_partition = cli(broker, "group", "seek", group, "--to", "0", "--topic", f"{topic}:2",
                       expect_rc=1)
    assert no_partition.stderr == (f"error: topic '{topic}' has 2 partitions: there is no "
                                   "partition 2\n")
    missing = unique_topic("cli-missing")
    no_topic = cli(broker, "group", "seek", group, "--to", "0", "--topic", missing, expect_rc=1)
    assert no_topic.stderr == (f"error: topic '{missing}' does not exist "
                               "(UNKNOWN_TOPIC_OR_PARTITION)\n")
    assert group not in listed_groups(broker)


# ---- delete ------------------------------------------------------------------------------------

def test_delete_groups(shared_broker, group_consumers):
    broker = shared_broker
    topic = create_topic(broker, partitions=1)
    produce_per_partition(broker, topic, [3])
    stopped = stopped_group(broker, group_consumers, topic, 1, {0: 2})
    active = new_group()
    stable_member(broker, group_consumers, active, topic, 1)
    missing = new_group()

    out = cli(broker, "group", "delete", stopped, active, missing, expect_rc=1)
    assert table(out.stdout) == [["GROUP", "STATUS"], [stopped, "OK"], [active, "NON_EMPTY_GROUP"],
                                 [missing, "GROUP_ID_NOT_FOUND"]]
    assert out.stderr == (
        f"error: group '{active}' still has members: stop its consumers first (NON_EMPTY_GROUP)\n"
        f"error: group '{missing}' does not exist (GROUP_ID_NOT_FOUND)\n")
    groups = listed_groups(broker)
    assert stopped not in groups and active in groups
    assert committed_offsets(broker, stopped, topic, [0]) == {0: NO_OFFSET}

    again = cli(broker, "group", "describe", stopped, expect_rc=1)
    assert again.stderr == f"error: group '{stopped}' does not exist (GROUP_ID_NOT_FOUND)\n"


# ---- consume --group ---------------------------------------------------------------------------

def test_consume_with_group_commits_what_it_printed(shared_broker):
    broker = shared_broker
    topic = create_topic(broker, partitions=2)
    produce_per_partition(broker, topic, [3, 2])
    group = new_group()

    def consume(*args):
        return cli(broker, "consume", topic, "--group", group, "-f", "%p:%s\\n", *args)

    first = consume("-e")
    assert sorted(first.stdout.split()) == ["0:p0-0", "0:p0-1", "0:p0-2", "1:p1-0", "1:p1-1"]
    assert first.stderr == ""
    assert committed_offsets(broker, group, topic, [0, 1]) == {0: 3, 1: 2}
    (described,) = describe_json(broker, group)
    assert described["state"] == "Empty" and described["total_lag"] == 0

    # A second run resumes after the committed offsets.
    produce_ok(broker, topic, [{"value": b"late", "partition": 1}])
    assert consume("-e").stdout == "1:late\n"
    assert committed_offsets(broker, group, topic, [0, 1]) == {0: 3, 1: 3}

    # With -n only the records printed are committed.
    cli(broker, "group", "seek", group, "--to", "earliest", "--topic", f"{topic}:0")
    assert consume("-n", "2").stdout == "0:p0-0\n0:p0-1\n"
    assert committed_offsets(broker, group, topic, [0, 1]) == {0: 2, 1: 3}

    # -o end: a new group starts at the end of partitions without a committed offset.
    other = new_group()
    assert cli(broker, "consume", topic, "--group", other, "-o", "end", "-e").stdout == ""


def test_consume_group_options_that_make_no_sense(shared_broker):
    broker = shared_broker
    topic = create_topic(broker, partitions=2)
    partition = cli(broker, "consume", topic, "--group", "g", "-p", "1", expect_rc=1)
    assert partition.stderr == ("error: -p/--partition cannot be used with --group: the group "
                                "assigns partitions\n")
    offset = cli(broker, "consume", topic, "--group", "g", "-o", "5", expect_rc=1)
    assert offset.stderr == ("error: with --group, -o/--offset must be beginning or end: where "
                             "partitions without a committed offset start\n")


def test_consume_group_member_is_described_and_leaves_on_sigterm(shared_broker):
    broker = shared_broker
    topic = create_topic(broker, partitions=2)
    group = new_group()
    proc = subprocess.Popen([broker.freshet_bin, "consume", topic, "--group", group, "-b",
                             broker.bootstrap], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        def owns_everything():
            (d,) = describe_json(broker, group)
            members = d["members"]
            return (d["state"] == "Stable" and len(members) == 1
                    and len(members[0]["assignment"]) == 2 and members[0])
        member = wait_until(owns_everything, OP_TIMEOUT_S, what="the CLI to own both partitions")
        assert member["client_id"] == "freshet-cli"
        produce_ok(broker, topic, [{"value": b"hello", "partition": 1}])
        assert lines.get(timeout=OP_TIMEOUT_S) == "hello\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=OP_TIMEOUT_S) == 0
        assert proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # It left the group (no session timeout to wait for) and committed what it printed.
    (d,) = describe_json(broker, group)
    assert d["state"] == "Empty" and d["members"] == []
    assert committed_offsets(broker, group, topic, [0, 1]) == {0: NO_OFFSET, 1: 1}
