"""Apache Kafka's own command-line tools (kafka-tools, pinned by kafka-tools/pom.xml; installed
by scripts/install-test-clients.sh) run against Freshet: `kafka_tool(broker, "TransactionsCommand",
"list")` is `kafka-transactions.sh --bootstrap-server <broker> list`."""
import os
import subprocess

import pytest

from client_drivers import INSTALL_HINT

HERE = os.path.dirname(os.path.abspath(__file__))
KAFKA_TOOLS_CLASSPATH = os.path.join(HERE, "kafka-tools", "target", "classpath.txt")
TOOL_TIMEOUT_S = 60


def kafka_tool(broker, tool_class, *args, expect_rc=0, bootstrap_flag="--bootstrap-server"):
    """Runs org.apache.kafka.tools.<tool_class> --bootstrap-server <broker> <args> (or
    --bootstrap-controller, for a controller's listener), asserts its exit code and returns the
    CompletedProcess."""
    if not os.path.exists(KAFKA_TOOLS_CLASSPATH):
        pytest.fail(f"{KAFKA_TOOLS_CLASSPATH} is missing: {INSTALL_HINT}", pytrace=False)
    with open(KAFKA_TOOLS_CLASSPATH) as f:
        classpath = f.read().strip()
    proc = subprocess.run(["java", "-cp", classpath, f"org.apache.kafka.tools.{tool_class}",
                           bootstrap_flag, broker.bootstrap, *args],
                          capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    assert proc.returncode == expect_rc, \
        f"{tool_class} {' '.join(args)}: exit {proc.returncode}\nstdout:\n{proc.stdout}\n" \
        f"stderr:\n{proc.stderr}"
    return proc
