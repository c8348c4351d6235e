"""DescribeConfigs (values, sources, defaults), AlterConfigs and IncrementalAlterConfigs."""
import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import ConfigResource, ConfigSource
from kafka.admin import ConfigResource as KpConfigResource
from kafka.admin import ConfigResourceType

from helpers import (INVALID_CONFIG, OP_APPEND, OP_DELETE, OP_SET, OP_SUBTRACT,
                     UNKNOWN_TOPIC_OR_PARTITION, admin, create_topic, incremental_alter_topic_configs,
                     kafka_error_code, kp_admin, unique_topic)

# Kafka's defaults for topic configs the issue names.
KAFKA_TOPIC_DEFAULTS = {
    "retention.ms": "604800000",
    "retention.bytes": "-1",
    "segment.bytes": "1073741824",
    "segment.ms": "604800000",
    "cleanup.policy": "delete",
    "compression.type": "producer",
    "max.message.bytes": "1048588",
    "message.timestamp.type": "CreateTime",
    "min.insync.replicas": "1",
}


def source_of(entry):
    return ConfigSource(getattr(entry.source, "value", entry.source))


def describe(broker, resource_type, name):
    futures = admin(broker).describe_configs([ConfigResource(resource_type, name)],
                                             request_timeout=15)
    (entries,) = [f.result(timeout=15) for f in futures.values()]
    return entries


def alter(broker, topic, configs):
    futures = admin(broker).alter_configs([ConfigResource("topic", topic, set_config=configs)],
                                          request_timeout=15)
    (future,) = futures.values()
    return future.result(timeout=15)


def test_describe_topic_shows_kafka_defaults_with_default_source(broker):
    name = create_topic(broker)
    entries = describe(broker, "topic", name)
    for key, value in KAFKA_TOPIC_DEFAULTS.items():
        assert key in entries, f"{key} missing from DescribeConfigs"
        e = entries[key]
        assert e.value == value, f"{key}={e.value}, Kafka's default is {value}"
        assert source_of(e) == ConfigSource.DEFAULT_CONFIG, f"{key}: {e.source}"
        assert e.is_default


def test_describe_topic_shows_overrides_as_dynamic_topic_config(broker):
    name = create_topic(broker, config={"retention.ms": "123456", "segment.bytes": "1048576"})
    entries = describe(broker, "topic", name)
    for key, value in (("retention.ms", "123456"), ("segment.bytes", "1048576")):
        assert entries[key].value == value
        assert source_of(entries[key]) == ConfigSource.DYNAMIC_TOPIC_CONFIG
        assert not entries[key].is_default
    assert source_of(entries["cleanup.policy"]) == ConfigSource.DEFAULT_CONFIG


@pytest.mark.parametrize("broker", [{"settings": {"log.retention.ms": "7200000",
                                                  "num.partitions": "3"}}], indirect=True)
def test_broker_settings_are_topic_defaults_with_static_broker_source(broker):
    name = create_topic(broker)
    entries = describe(broker, "topic", name)
    assert entries["retention.ms"].value == "7200000"
    assert source_of(entries["retention.ms"]) == ConfigSource.STATIC_BROKER_CONFIG
    broker_id = next(iter(admin(broker).list_topics(timeout=10).brokers))
    broker_entries = describe(broker, "broker", str(broker_id))
    assert broker_entries["num.partitions"].value == "3"
    assert source_of(broker_entries["num.partitions"]) == ConfigSource.STATIC_BROKER_CONFIG
    assert broker_entries["log.retention.ms"].value == "7200000"


def test_describe_unknown_topic_fails(broker):
    with pytest.raises(KafkaException) as e:
        describe(broker, "topic", unique_topic())
    assert kafka_error_code(e.value) == UNKNOWN_TOPIC_OR_PARTITION


def test_alter_configs_replaces_the_whole_override_set(broker):
    name = create_topic(broker, config={"retention.ms": "1000000"})
    alter(broker, name, {"segment.ms": "3600000", "cleanup.policy": "compact,delete"})
    entries = describe(broker, "topic", name)
    assert entries["segment.ms"].value == "3600000"
    assert source_of(entries["segment.ms"]) == ConfigSource.DYNAMIC_TOPIC_CONFIG
    assert entries["cleanup.policy"].value in ("compact,delete", "delete,compact")
    # AlterConfigs (not incremental) drops overrides it does not name.
    assert entries["retention.ms"].value == KAFKA_TOPIC_DEFAULTS["retention.ms"]
    assert source_of(entries["retention.ms"]) == ConfigSource.DEFAULT_CONFIG


@pytest.mark.parametrize("configs", [{"retention.ms": "never"}, {"no.such.config": "x"},
                                     {"message.timestamp.type": "WallClock"}])
def test_alter_configs_with_invalid_value_is_refused_and_changes_nothing(broker, configs):
    name = create_topic(broker, config={"retention.ms": "1000000"})
    with pytest.raises(KafkaException) as e:
        alter(broker, name, configs)
    assert kafka_error_code(e.value) == INVALID_CONFIG
    assert describe(broker, "topic", name)["retention.ms"].value == "1000000"


def test_alter_configs_of_unknown_topic_fails(broker):
    with pytest.raises(KafkaException) as e:
        alter(broker, unique_topic(), {"retention.ms": "1000"})
    assert kafka_error_code(e.value) == UNKNOWN_TOPIC_OR_PARTITION


def kp_describe_topic(broker, topic):
    """{name: (value, source)} from kafka-python's describe_configs."""
    a = kp_admin(broker)
    try:
        (response,) = a.describe_configs([KpConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        a.close()
    ((error_code, _message, _type, resource_name, entries),) = response.resources
    assert error_code == 0 and resource_name == topic
    # v1+ entries: (name, value, read_only, config_source, is_sensitive, synonyms)
    return {e[0]: (e[1], e[3]) for e in entries}


def test_kafka_python_alter_and_describe(broker):
    name = create_topic(broker)
    a = kp_admin(broker)
    try:
        response = a.alter_configs([KpConfigResource(ConfigResourceType.TOPIC, name,
                                                     configs={"retention.bytes": "5000000"})])
    finally:
        a.close()
    ((error_code, _msg, _type, resource_name),) = response.resources
    assert (error_code, resource_name) == (0, name)
    described = kp_describe_topic(broker, name)
    assert described["retention.bytes"] == ("5000000", ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
    assert described["segment.bytes"] == ("1073741824", ConfigSource.DEFAULT_CONFIG.value)


def test_incremental_alter_set_delete_append_subtract(broker):
    name = create_topic(broker, config={"retention.ms": "1000000", "segment.ms": "7200000"})
    assert incremental_alter_topic_configs(broker, name, [
        ("retention.bytes", OP_SET, "777777"),
        ("segment.ms", OP_DELETE, None),
        ("cleanup.policy", OP_APPEND, "compact"),
    ])[0] == 0
    entries = describe(broker, "topic", name)
    assert entries["retention.bytes"].value == "777777"
    assert entries["retention.ms"].value == "1000000"  # untouched: incremental keeps it
    assert entries["segment.ms"].value == KAFKA_TOPIC_DEFAULTS["segment.ms"]
    assert source_of(entries["segment.ms"]) == ConfigSource.DEFAULT_CONFIG
    assert set(entries["cleanup.policy"].value.split(",")) == {"delete", "compact"}

    assert incremental_alter_topic_configs(broker, name, [
        ("cleanup.policy", OP_SUBTRACT, "delete")])[0] == 0
    assert describe(broker, "topic", name)["cleanup.policy"].value == "compact"


def test_incremental_alter_validate_only_changes_nothing(broker):
    name = create_topic(broker)
    assert incremental_alter_topic_configs(broker, name, [("retention.ms", OP_SET, "5000")],
                                           validate_only=True)[0] == 0
    assert describe(broker, "topic", name)["retention.ms"].value == \
        KAFKA_TOPIC_DEFAULTS["retention.ms"]


def test_incremental_alter_invalid_value_is_refused(broker):
    name = create_topic(broker)
    code, _ = incremental_alter_topic_configs(broker, name, [("retention.ms", OP_SET, "abc")])
    assert code == INVALID_CONFIG
    code, _ = incremental_alter_topic_configs(broker, unique_topic(),
                                              [("retention.ms", OP_SET, "1")])
    assert code == UNKNOWN_TOPIC_OR_PARTITION
