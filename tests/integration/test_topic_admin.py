"""Topic administration: create (partitions, configs, validate-only), grow partitions (never
shrink), delete — with confluent-kafka's AdminClient and kafka-python's KafkaAdminClient."""
import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import ConfigResource, NewPartitions, NewTopic
from kafka import errors as kp_errors
from kafka.admin import NewPartitions as KpNewPartitions
from kafka.admin import NewTopic as KpNewTopic

from helpers import (INVALID_CONFIG, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, SMP_1_AND_2,
                     TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION, admin, consume,
                     create_topic, kafka_error_code, kp_admin, produce_ok, topic_metadata,
                     unique_topic, wait_for_partitions, wait_until, watermarks)


def create_error_code(broker, new_topic, **kwargs):
    """The error code CreateTopics answers for `new_topic` (confluent AdminClient)."""
    futures = admin(broker).create_topics([new_topic], request_timeout=15, **kwargs)
    with pytest.raises(KafkaException) as e:
        futures[new_topic.topic].result(timeout=15)
    return kafka_error_code(e.value)


def describe_topic_configs(broker, topic):
    futures = admin(broker).describe_configs([ConfigResource("topic", topic)], request_timeout=15)
    (entries,) = [f.result(timeout=15) for f in futures.values()]
    return entries


@SMP_1_AND_2
def test_create_topic_with_partitions_and_configs(broker):
    name = create_topic(broker, partitions=5, config={"retention.ms": "3600000",
                                                      "cleanup.policy": "compact",
                                                      "max.message.bytes": "200000"})
    assert len(topic_metadata(broker, name).partitions) == 5
    entries = describe_topic_configs(broker, name)
    assert entries["retention.ms"].value == "3600000"
    assert entries["cleanup.policy"].value == "compact"
    assert entries["max.message.bytes"].value == "200000"
    for p in range(5):
        assert watermarks(broker, name, p) == (0, 0)


def test_create_several_topics_in_one_request(broker):
    names = [unique_topic() for _ in range(3)]
    futures = admin(broker).create_topics(
        [NewTopic(n, num_partitions=i + 1, replication_factor=1) for i, n in enumerate(names)],
        request_timeout=15)
    for f in futures.values():
        assert f.result(timeout=15) is None
    for i, n in enumerate(names):
        wait_for_partitions(broker, n, i + 1)


def test_create_validate_only_creates_nothing(broker):
    name = unique_topic()
    futures = admin(broker).create_topics([NewTopic(name, 2, 1)], validate_only=True,
                                          request_timeout=15)
    assert futures[name].result(timeout=15) is None
    assert topic_metadata(broker, name) is None


def test_create_existing_topic_is_refused(broker):
    name = create_topic(broker, partitions=2)
    assert create_error_code(broker, NewTopic(name, 3, 1)) == TOPIC_ALREADY_EXISTS
    assert len(topic_metadata(broker, name).partitions) == 2


@pytest.mark.parametrize("config", [{"cleanup.policy": "sometimes"}, {"retention.ms": "soon"},
                                    {"no.such.config": "1"}, {"min.insync.replicas": "0"}])
def test_create_with_invalid_config_is_refused(broker, config):
    name = unique_topic()
    assert create_error_code(broker, NewTopic(name, 1, 1, config=config)) == INVALID_CONFIG
    assert topic_metadata(broker, name) is None


def test_create_with_zero_partitions_is_refused(broker):
    name = unique_topic()
    assert create_error_code(broker, NewTopic(name, 0, 1)) == INVALID_PARTITIONS
    assert topic_metadata(broker, name) is None


def test_create_with_replication_factor_above_live_brokers_is_refused(broker):
    name = unique_topic()
    assert create_error_code(broker, NewTopic(name, 1, 3)) == INVALID_REPLICATION_FACTOR
    assert topic_metadata(broker, name) is None


@SMP_1_AND_2
def test_grow_partitions_and_use_the_new_ones(broker):
    name = create_topic(broker, partitions=1)
    produce_ok(broker, name, [{"value": b"before", "partition": 0}])
    futures = admin(broker).create_partitions([NewPartitions(name, 4)], request_timeout=15)
    assert futures[name].result(timeout=15) is None
    wait_for_partitions(broker, name, 4)
    delivered = produce_ok(broker, name, [{"value": f"p{p}".encode(), "partition": p}
                                          for p in range(4)])
    assert delivered == [(0, 1), (1, 0), (2, 0), (3, 0)]
    assert [r.value for r in consume(broker, name, 3)] == [b"p3"]
    assert [r.value for r in consume(broker, name, 0)] == [b"before", b"p0"]


@pytest.mark.parametrize("new_total", [2, 3])
def test_shrinking_or_keeping_partition_count_is_refused(broker, new_total):
    name = create_topic(broker, partitions=3)
    futures = admin(broker).create_partitions([NewPartitions(name, new_total)], request_timeout=15)
    with pytest.raises(KafkaException) as e:
        futures[name].result(timeout=15)
    assert kafka_error_code(e.value) == INVALID_PARTITIONS
    assert len(topic_metadata(broker, name).partitions) == 3


def test_grow_partitions_of_unknown_topic_is_refused(broker):
    name = unique_topic()
    futures = admin(broker).create_partitions([NewPartitions(name, 2)], request_timeout=15)
    with pytest.raises(KafkaException) as e:
        futures[name].result(timeout=15)
    assert kafka_error_code(e.value) == UNKNOWN_TOPIC_OR_PARTITION


@SMP_1_AND_2
def test_delete_topic_removes_it_and_its_data(broker):
    name = create_topic(broker, partitions=2)
    produce_ok(broker, name, [{"value": b"x", "partition": p} for p in (0, 1, 1)])
    futures = admin(broker).delete_topics([name], request_timeout=15)
    assert futures[name].result(timeout=15) is None
    wait_until(lambda: topic_metadata(broker, name) is None, what="deleted topic to disappear")
    # The same name can be created again and starts empty.
    create_topic(broker, name, partitions=1)
    assert watermarks(broker, name, 0) == (0, 0)


def test_delete_unknown_topic_is_refused(broker):
    name = unique_topic()
    futures = admin(broker).delete_topics([name], request_timeout=15)
    with pytest.raises(KafkaException) as e:
        futures[name].result(timeout=15)
    assert kafka_error_code(e.value) == UNKNOWN_TOPIC_OR_PARTITION


def test_kafka_python_creates_grows_and_deletes(broker):
    name = unique_topic()
    a = kp_admin(broker)
    try:
        a.create_topics([KpNewTopic(name, 2, 1, topic_configs={"retention.bytes": "1048576"})])
        wait_for_partitions(broker, name, 2)
        a.create_partitions({name: KpNewPartitions(3)})
        wait_for_partitions(broker, name, 3)
        with pytest.raises(kp_errors.InvalidPartitionsError):
            a.create_partitions({name: KpNewPartitions(1)})
        with pytest.raises(kp_errors.TopicAlreadyExistsError):
            a.create_topics([KpNewTopic(name, 1, 1)])
        with pytest.raises(kp_errors.InvalidReplicationFactorError):
            a.create_topics([KpNewTopic(unique_topic(), 1, 2)])
        a.delete_topics([name])
        wait_until(lambda: topic_metadata(broker, name) is None, what="deleted topic")
        with pytest.raises(kp_errors.UnknownTopicOrPartitionError):
            a.delete_topics([name])
    finally:
        a.close()


def test_kafka_python_create_validate_only(broker):
    name = unique_topic()
    a = kp_admin(broker)
    try:
        a.create_topics([KpNewTopic(name, 1, 1)], validate_only=True)
    finally:
        a.close()
    assert topic_metadata(broker, name) is None
