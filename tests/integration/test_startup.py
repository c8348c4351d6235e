"""Starting the broker: embedded defaults (no configuration at all), a Kafka-style
server.properties, `--set` overrides, unknown keys reported, freshet.fetch.file.transfer's
three modes (and a bad value refused)."""
import os

import pytest

from freshet_broker import Broker, BrokerStartError, port_accepts
from helpers import consume, create_topic, produce_ok, topic_metadata, unique_topic, wait_until


def test_embedded_defaults_listen_on_9092_with_data_in_freshet_data(broker_factory):
    if port_accepts(9092):
        pytest.skip("something else listens on 127.0.0.1:9092 on this machine")
    broker = broker_factory(embedded_defaults=True, smp=None)
    name = create_topic(broker)
    assert produce_ok(broker, name, [{"value": b"hello"}], acks="all") == [(0, 0)]
    assert os.path.isdir(os.path.join(broker.workdir, "freshet-data", f"{name}-0"))
    assert broker.stop() == 0


def write_properties(path, lines):
    path.write_text("# written by the integration tests\n" + "\n".join(lines) + "\n")
    return str(path)


def test_server_properties_file_and_set_overrides(broker_factory, tmp_path):
    config = write_properties(tmp_path / "server.properties", [
        "num.partitions=2",
        "log.retention.ms = 3600000",
        "auto.create.topics.enable=true",
        "itest.unknown.key=1",
    ])
    broker = broker_factory(config_file=config)
    auto = unique_topic()
    produce_ok(broker, auto, [{"value": b"x"}], **{"topic.metadata.propagation.max.ms": 5000})
    t = wait_until(lambda: topic_metadata(broker, auto), what="auto-created topic")
    assert len(t.partitions) == 2, "num.partitions from server.properties"
    wait_until(lambda: "itest.unknown.key" in broker.log_text(), timeout_s=5,
               what="the unknown key reported in the log")

    overridden = broker_factory(config_file=config, settings={"num.partitions": "4"})
    auto = unique_topic()
    produce_ok(overridden, auto, [{"value": b"x"}], **{"topic.metadata.propagation.max.ms": 5000})
    t = wait_until(lambda: topic_metadata(overridden, auto), what="auto-created topic")
    assert len(t.partitions) == 4, "--set wins over server.properties"


def test_unknown_set_key_is_reported(broker_factory):
    broker = broker_factory(settings={"itest.no.such.setting": "on"})
    wait_until(lambda: "itest.no.such.setting" in broker.log_text(), timeout_s=5,
               what="the unknown key reported in the log")


@pytest.mark.parametrize("transfer", ["auto", "sendfile", "copy"])
def test_fetch_file_transfer_modes_serve_the_same_records(broker_factory, transfer):
    broker = broker_factory(settings={"freshet.fetch.file.transfer": transfer})
    name = create_topic(broker)
    values = [b"v%d" % i * 100 for i in range(50)]
    produce_ok(broker, name, [{"value": v} for v in values])
    assert [r.value for r in consume(broker, name, 0, 0, count=len(values))] == values


def test_bad_fetch_file_transfer_is_refused_at_start(tmp_path):
    broker = Broker(str(tmp_path), settings={"freshet.fetch.file.transfer": "mmap"})
    try:
        with pytest.raises(BrokerStartError):
            broker.start()
    finally:
        broker.close()
    assert ("Invalid value mmap for configuration freshet.fetch.file.transfer: "
            "String must be one of: auto|sendfile|copy") in broker.log_text()
