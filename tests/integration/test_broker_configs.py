"""Dynamic broker configs (KIP-226): BROKER resources "" (cluster-wide default) and "<node.id>"
altered with AlterConfigs / IncrementalAlterConfigs, stored in the metadata log, described with
Kafka's sources and synonyms, and applied live to every topic without its own override."""
import pytest
from confluent_kafka.admin import ConfigResource, ConfigSource
from kafka.admin import ConfigResource as KpConfigResource
from kafka.admin import ConfigResourceType

from helpers import (INVALID_CONFIG, INVALID_REQUEST, MESSAGE_TOO_LARGE, OP_APPEND, OP_DELETE, OP_SET,
                     RESOURCE_BROKER as BROKER, Array, Api, admin, call, create_topic, data_files, kp_admin,
                     produce, produce_ok)

BROKER_LOGGER = 8
NODE_ID = "1"

# Kafka 3.9 schemas of the three config APIs, at their newest versions.
DESCRIBE_CONFIGS = Api(32, 4, request=[
    ("resources", Array([("resource_type", "int8"), ("resource_name", "string"),
                         ("configuration_keys", Array("string", nullable=True))])),
    ("include_synonyms", "bool", "1+"), ("include_documentation", "bool", "3+"),
], response=[
    ("throttle_time_ms", "int32"),
    ("results", Array([
        ("error_code", "int16"), ("error_message", "nstring"), ("resource_type", "int8"),
        ("resource_name", "string"),
        ("configs", Array([
            ("name", "string"), ("value", "nstring"), ("read_only", "bool"),
            ("is_default", "bool", "0"), ("config_source", "int8", "1+"), ("is_sensitive", "bool"),
            ("synonyms", Array([("name", "string"), ("value", "nstring"), ("source", "int8")]), "1+"),
            ("config_type", "int8", "3+"), ("documentation", "nstring", "3+")]))]))])
_ALTER_RESPONSE = [
    ("throttle_time_ms", "int32"),
    ("responses", Array([("error_code", "int16"), ("error_message", "nstring"),
                         ("resource_type", "int8"), ("resource_name", "string")]))]
INCREMENTAL_ALTER_CONFIGS = Api(44, 1, request=[
    ("resources", Array([("resource_type", "int8"), ("resource_name", "string"),
                         ("configs", Array([("name", "string"), ("config_operation", "int8"),
                                            ("value", "nstring")]))])),
    ("validate_only", "bool"),
], response=_ALTER_RESPONSE)
ALTER_CONFIGS = Api(33, 2, request=[
    ("resources", Array([("resource_type", "int8"), ("resource_name", "string"),
                         ("configs", Array([("name", "string"), ("value", "nstring")]))])),
    ("validate_only", "bool"),
], response=_ALTER_RESPONSE)


def incremental(broker, name, ops, validate_only=False, resource_type=BROKER):
    """IncrementalAlterConfigs v1 on one resource; ops: [(key, op, value)]. (code, message)."""
    body = call(broker, INCREMENTAL_ALTER_CONFIGS, 1, validate_only=validate_only, resources=[{
        "resource_type": resource_type, "resource_name": name,
        "configs": [{"name": k, "config_operation": op, "value": v} for k, op, v in ops]}])
    (r,) = body["responses"]
    assert (r["resource_type"], r["resource_name"]) == (resource_type, name)
    return r["error_code"], r["error_message"]


def legacy_alter(broker, name, configs, validate_only=False):
    body = call(broker, ALTER_CONFIGS, 2, validate_only=validate_only, resources=[{
        "resource_type": BROKER, "resource_name": name,
        "configs": [{"name": k, "value": v} for k, v in configs.items()]}])
    (r,) = body["responses"]
    return r["error_code"], r["error_message"]


def describe_raw(broker, resource_type, name, keys=None, synonyms=True):
    """DescribeConfigs v4: (error_code, error_message, {key: entry dict})."""
    body = call(broker, DESCRIBE_CONFIGS, 4, include_synonyms=synonyms, resources=[{
        "resource_type": resource_type, "resource_name": name, "configuration_keys": keys}])
    (r,) = body["results"]
    return r["error_code"], r["error_message"], {c["name"]: c for c in r["configs"]}


def describe_broker(broker, name=NODE_ID, keys=None):
    code, message, entries = describe_raw(broker, BROKER, name, keys)
    assert code == 0, message
    return entries


def describe_topic(broker, topic, keys=None):
    code, message, entries = describe_raw(broker, 2, topic, keys)
    assert code == 0, message
    return entries


def set_cluster_default(broker, **configs):
    ops = [(k.replace("_", "."), OP_SET, str(v)) for k, v in configs.items()]
    assert incremental(broker, "", ops) == (0, None)


def synonym_sources(entry):
    return [(s["name"], s["source"]) for s in entry["synonyms"]]


def test_cluster_default_reaches_topics_without_override(broker):
    plain = create_topic(broker)
    own = create_topic(broker, config={"retention.ms": "1000"})
    set_cluster_default(broker, log_retention_ms=3600000, message_max_bytes=2048)

    entry = describe_topic(broker, plain, ["retention.ms"])["retention.ms"]
    assert entry["value"] == "3600000"
    assert entry["config_source"] == ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value
    assert synonym_sources(entry)[0] == ("log.retention.ms",
                                         ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value)
    assert describe_topic(broker, plain, ["max.message.bytes"])["max.message.bytes"]["value"] == "2048"
    overridden = describe_topic(broker, own, ["retention.ms"])["retention.ms"]
    assert overridden["value"] == "1000"
    assert synonym_sources(overridden)[:2] == [
        ("retention.ms", ConfigSource.DYNAMIC_TOPIC_CONFIG.value),
        ("log.retention.ms", ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value)]

    # Enforced live: a batch over the new message.max.bytes is refused.
    (error, *_), = produce(broker, plain, [{"value": b"x" * 4096}], **{"compression.type": "none"})
    assert error is not None and error.code() == MESSAGE_TOO_LARGE
    produce_ok(broker, plain, [{"value": b"small"}])


def test_confluent_admin_alter_and_describe_broker(broker):
    a = admin(broker)
    futures = a.alter_configs([ConfigResource("broker", NODE_ID,
                                              set_config={"log.retention.ms": "7200000"})],
                              request_timeout=15)
    for f in futures.values():
        f.result(timeout=15)
    (entries,) = [f.result(timeout=15) for f in a.describe_configs(
        [ConfigResource("broker", NODE_ID)], request_timeout=15).values()]
    e = entries["log.retention.ms"]
    assert e.value == "7200000"
    assert ConfigSource(e.source) == ConfigSource.DYNAMIC_BROKER_CONFIG
    assert not e.is_read_only
    assert entries["num.partitions"].is_read_only
    assert ConfigSource(entries["num.partitions"].source) == ConfigSource.DEFAULT_CONFIG


def test_kafka_python_alter_and_describe_broker(broker):
    a = kp_admin(broker)
    try:
        response = a.alter_configs([KpConfigResource(ConfigResourceType.BROKER, NODE_ID,
                                                     configs={"log.segment.bytes": "1048576"})])
        ((code, _msg, _type, name),) = response.resources
        assert (code, name) == (0, NODE_ID)
        (described,) = a.describe_configs([KpConfigResource(ConfigResourceType.BROKER, NODE_ID)])
    finally:
        a.close()
    ((code, _message, _type, _name, entries),) = described.resources
    assert code == 0
    by_name = {e[0]: e for e in entries}
    # v1+ entries: (name, value, read_only, config_source, is_sensitive, synonyms)
    assert by_name["log.segment.bytes"][1] == "1048576"
    assert by_name["log.segment.bytes"][3] == ConfigSource.DYNAMIC_BROKER_CONFIG.value


def test_per_broker_value_wins_and_delete_falls_back(broker):
    set_cluster_default(broker, log_retention_ms=3600000)
    assert incremental(broker, NODE_ID, [("log.retention.ms", OP_SET, "60000")]) == (0, None)
    topic = create_topic(broker)
    entry = describe_broker(broker, keys=["log.retention.ms"])["log.retention.ms"]
    assert entry["value"] == "60000"
    assert synonym_sources(entry)[:2] == [
        ("log.retention.ms", ConfigSource.DYNAMIC_BROKER_CONFIG.value),
        ("log.retention.ms", ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value)]
    assert describe_topic(broker, topic, ["retention.ms"])["retention.ms"]["value"] == "60000"

    assert incremental(broker, NODE_ID, [("log.retention.ms", OP_DELETE, None)]) == (0, None)
    assert describe_topic(broker, topic, ["retention.ms"])["retention.ms"]["value"] == "3600000"
    assert incremental(broker, "", [("log.retention.ms", OP_DELETE, None)]) == (0, None)
    entry = describe_topic(broker, topic, ["retention.ms"])["retention.ms"]
    assert (entry["value"], entry["config_source"]) == ("604800000", ConfigSource.DEFAULT_CONFIG.value)


@pytest.mark.parametrize("broker", [{"settings": {"log.retention.ms": "7200000"}}], indirect=True)
def test_delete_restores_the_static_value(broker):
    set_cluster_default(broker, log_retention_ms=100000)
    entry = describe_broker(broker, keys=["log.retention.ms"])["log.retention.ms"]
    assert synonym_sources(entry)[:2] == [
        ("log.retention.ms", ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value),
        ("log.retention.ms", ConfigSource.STATIC_BROKER_CONFIG.value)]
    assert incremental(broker, "", [("log.retention.ms", OP_DELETE, None)]) == (0, None)
    entry = describe_broker(broker, keys=["log.retention.ms"])["log.retention.ms"]
    assert (entry["value"], entry["config_source"]) == \
        ("7200000", ConfigSource.STATIC_BROKER_CONFIG.value)


def test_dynamic_configs_survive_restart(broker):
    set_cluster_default(broker, message_max_bytes=4000, compression_type="gzip")
    assert incremental(broker, NODE_ID, [("log.retention.ms", OP_SET, "90000")]) == (0, None)
    topic = create_topic(broker)
    broker.restart()
    entries = describe_topic(broker, topic)
    assert entries["max.message.bytes"]["value"] == "4000"
    assert entries["compression.type"]["config_source"] == \
        ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value
    assert entries["retention.ms"]["config_source"] == ConfigSource.DYNAMIC_BROKER_CONFIG.value
    assert set(describe_broker(broker, "")) == {"message.max.bytes", "compression.type"}
    (error, *_), = produce(broker, topic, [{"value": b"y" * 8000}], **{"compression.type": "none"})
    assert error is not None and error.code() == MESSAGE_TOO_LARGE


def test_cluster_default_resource_lists_only_its_own_keys(broker):
    assert describe_broker(broker, "") == {}
    set_cluster_default(broker, log_cleanup_policy="compact")
    entries = describe_broker(broker, "")
    assert list(entries) == ["log.cleanup.policy"]
    e = entries["log.cleanup.policy"]
    assert e["value"] == "compact" and not e["read_only"]
    assert e["config_source"] == ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value
    assert synonym_sources(e) == [("log.cleanup.policy",
                                   ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value)]


def test_read_only_key_is_refused_with_kafkas_error(broker):
    code, message = incremental(broker, "", [("num.partitions", OP_SET, "4")])
    assert (code, message) == (INVALID_REQUEST,
                               "Cannot update these configs dynamically: Set(num.partitions)")
    code, message = legacy_alter(broker, NODE_ID, {"listeners": "PLAINTEXT://:9999"})
    assert (code, message) == (INVALID_REQUEST,
                               "Cannot update these configs dynamically: Set(listeners)")
    assert describe_broker(broker, keys=["num.partitions"])["num.partitions"]["read_only"]


def test_unknown_key_and_bad_value_are_refused(broker):
    code, message = incremental(broker, "", [("no.such.setting", OP_SET, "1")])
    assert (code, message) == (INVALID_REQUEST, "Unknown Dynamic Configuration: Set(no.such.setting).")
    code, message = incremental(broker, "", [("log.retention.ms", OP_SET, "soon")])
    assert code == INVALID_REQUEST
    assert message == "Invalid value soon for configuration log.retention.ms: Not a number of type LONG"
    code, message = incremental(broker, "", [("log.retention.ms", OP_APPEND, "5")])
    assert (code, message) == (INVALID_CONFIG,
                               "Config value append is not allowed for config key: log.retention.ms")
    assert describe_broker(broker, "") == {}


def test_other_broker_ids_are_refused(broker):
    code, message = incremental(broker, "7", [("log.retention.ms", OP_SET, "1000")])
    assert (code, message) == (INVALID_REQUEST, "Unexpected broker id, expected 1, but received 7")
    code, message, _ = describe_raw(broker, BROKER, "7")
    assert (code, message) == (INVALID_REQUEST,
                               "Unexpected broker id, expected 1 or empty string, but received 7")
    code, message, _ = describe_raw(broker, BROKER, "x")
    assert (code, message) == (INVALID_REQUEST, "Broker id must be an integer, but it is: x")


def test_validate_only_changes_nothing(broker):
    assert incremental(broker, "", [("message.max.bytes", OP_SET, "100")],
                       validate_only=True) == (0, None)
    assert legacy_alter(broker, NODE_ID, {"log.retention.ms": "5"}, validate_only=True) == (0, None)
    assert describe_broker(broker, "") == {}
    entry = describe_broker(broker, keys=["log.retention.ms"])["log.retention.ms"]
    assert entry["config_source"] == ConfigSource.DEFAULT_CONFIG.value
    produce_ok(broker, create_topic(broker), [{"value": b"z" * 1000}])


def test_legacy_alter_configs_replaces_the_whole_set(broker):
    set_cluster_default(broker, log_retention_ms=3600000, message_max_bytes=50000)
    assert legacy_alter(broker, "", {"log.retention.bytes": "1000000"}) == (0, None)
    assert set(describe_broker(broker, "")) == {"log.retention.bytes"}
    assert legacy_alter(broker, "", {}) == (0, None)
    assert describe_broker(broker, "") == {}


def test_duplicate_keys_and_null_values_are_refused(broker):
    code, message = incremental(broker, "", [("log.retention.ms", OP_SET, "1"),
                                             ("log.retention.ms", OP_SET, "2")])
    assert (code, message) == (INVALID_REQUEST, "Error due to duplicate config keys")
    code, message = incremental(broker, "", [("log.retention.ms", OP_SET, None)])
    assert (code, message) == (INVALID_REQUEST, "Null value not supported for : log.retention.ms")


def test_cluster_default_changes_segment_rolling_live(broker):
    topic = create_topic(broker)
    set_cluster_default(broker, log_segment_bytes=1024)
    for _ in range(4):
        produce_ok(broker, topic, [{"value": b"r" * 600}])
    segments = [f for f in data_files(broker) if f.startswith(f"{topic}-0/") and f.endswith(".log")]
    assert len(segments) > 1, segments
