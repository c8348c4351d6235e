"""Fixtures that start real `freshet server` processes for the integration tests.

- `broker`: one running broker per test. Parametrize it indirectly with a dict of options
  (smp, settings, config_file, log_level):
      @pytest.mark.parametrize("broker", [{"smp": 2, "settings": {"num.partitions": 3}}],
                               indirect=True)
  (see helpers.SMP_1_AND_2 for the usual one- and two-shard pair).
- `broker_factory`: `broker_factory(settings=None, smp=1, config_file=None,
  embedded_defaults=False, log_level=None)` starts another broker; every broker is killed at teardown.
A broker that exits although the test did not stop or kill it fails the test at teardown, and
the broker's log is attached to the report of every failing test, with the stderr of every
client driver the test started (client_drivers.py).
"""
import pytest

from freshet_broker import Broker

DEFAULT_SMP = 1


@pytest.fixture
def broker_factory(request, tmp_path_factory):
    brokers = []
    request.node.freshet_brokers = brokers

    def start(settings=None, smp=DEFAULT_SMP, config_file=None, embedded_defaults=False,
              log_level=None):
        workdir = tmp_path_factory.mktemp("freshet")
        b = Broker(str(workdir), settings=settings, smp=smp, config_file=config_file,
                   embedded_defaults=embedded_defaults, log_level=log_level)
        brokers.append(b)
        return b.start()

    yield start
    crashed = [b for b in brokers if b.crashed()]
    for b in brokers:
        b.close()
    if crashed:
        pytest.fail("broker crashed during the test: " + "; ".join(
            f"{b} exit code {b.proc.returncode}" for b in crashed), pytrace=False)


@pytest.fixture
def broker(request, broker_factory):
    options = dict(getattr(request, "param", None) or {})
    return broker_factory(settings=options.get("settings"), smp=options.get("smp", DEFAULT_SMP),
                          config_file=options.get("config_file"), log_level=options.get("log_level"))


def pytest_report_header(config):
    import confluent_kafka
    return (f"confluent-kafka {confluent_kafka.version()[0]} "
            f"(librdkafka {confluent_kafka.libversion()[0]})")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for b in getattr(item, "freshet_brokers", []):
            report.sections.append((f"freshet log {b.bootstrap} ({b.log_path})", b.log_tail()))
        for d in getattr(item, "client_drivers", []):
            report.sections.append((f"{d.client} driver stderr: {' '.join(d.command)}",
                                    d.stderr_tail(max_lines=200)))


@pytest.fixture
def cluster_factory(request, tmp_path_factory):
    """`cluster_factory(nodes=3, settings=None, separate_brokers=0, dynamic=False)` formats and starts a cluster of real nodes
    (freshet_cluster.Cluster); every node is killed at teardown, and a node that exited on its own
    fails the test."""
    from freshet_cluster import Cluster
    clusters = []

    def start(nodes=3, settings=None, separate_brokers=0, dynamic=False):
        c = Cluster(str(tmp_path_factory.mktemp("cluster")), nodes=nodes, settings=settings,
                    separate_brokers=separate_brokers, dynamic=dynamic)
        clusters.append(c)
        request.node.freshet_brokers = [n for cl in clusters for n in cl.nodes.values()]
        return c.start()

    yield start
    crashed = [n for c in clusters for n in c.crashed()]
    for c in clusters:
        c.close()
    if crashed:
        pytest.fail("node crashed during the test: " + "; ".join(
            f"{n} exit code {n.proc.returncode}" for n in crashed), pytrace=False)
