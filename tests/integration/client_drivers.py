"""Client drivers: the Java client (java/), kafkajs (js/produce_driver.js, js/txn_driver.js) and
confluent-kafka (confluent_driver.py) as processes with one command line and one output, JSON
lines on stdout (see java/src/main/java/io/freshet/testclient/: ProduceCommand.java,
ConsumeCommand.java, TransactionalProduceCommand.java, ConsumeTransformProduceCommand.java):

    drivers = client_drivers   # the fixture: every process it started is killed at teardown
    p = drivers.start("java", "produce", "--bootstrap", broker.bootstrap, "--topic", topic)
    p.wait_for(lambda: p.count("ack") >= 100, what="100 acks")
    done = p.finish()          # closes stdin (production stops), waits for {"type":"done"}

A driver's stderr (the client's own log) is attached to the report of a failing test.
"""
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from helpers import OP_TIMEOUT_S

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_CLIENT_JAR = os.path.join(HERE, "java", "target", "freshet-java-client.jar")
KAFKAJS_DRIVERS = {"produce": os.path.join(HERE, "js", "produce_driver.js"),
                   "transactional-produce": os.path.join(HERE, "js", "txn_driver.js"),
                   "consume-transform-produce": os.path.join(HERE, "js", "txn_driver.js")}
CONFLUENT_DRIVER = os.path.join(HERE, "confluent_driver.py")
INSTALL_HINT = "run scripts/install-test-clients.sh"


def command_of(client, command):
    """The command line that starts `client`'s driver ("java", "kafkajs" or "confluent") for
    `command` ("produce", "transactional-produce", ...), without its arguments."""
    if client == "java":
        if not os.path.exists(JAVA_CLIENT_JAR):
            pytest.fail(f"{JAVA_CLIENT_JAR} is missing: {INSTALL_HINT}", pytrace=False)
        return ["java", "-jar", JAVA_CLIENT_JAR]
    if client == "kafkajs":
        if not os.path.isdir(os.path.join(HERE, "js", "node_modules", "kafkajs")):
            pytest.fail(f"kafkajs is not installed in {HERE}/js: {INSTALL_HINT}", pytrace=False)
        if command not in KAFKAJS_DRIVERS:
            raise ValueError(f"the kafkajs drivers have no command {command!r}")
        return ["node", KAFKAJS_DRIVERS[command]]
    if client == "confluent":
        return [sys.executable, CONFLUENT_DRIVER]  # the confluent-kafka this suite runs with
    raise ValueError(f"unknown client {client!r}")


class DriverProcess:
    """One driver process. A reader thread appends each JSON line of its stdout to `events`
    (arrival order); its stderr goes to `stderr_path`."""

    def __init__(self, client, args, stderr_path):
        self.client = client
        self.stderr_path = stderr_path
        self.command = command_of(client, args[0]) + [str(a) for a in args]
        self.events = []
        self._lock = threading.Lock()
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=stderr)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:  # not a driver line: kept, so a test sees it rather than hangs
                event = {"type": "unparsed", "line": line.decode("utf-8", "replace")}
            with self._lock:
                self.events.append(event)

    def of_type(self, kind):
        with self._lock:
            return [e for e in self.events if e["type"] == kind]

    def count(self, kind):
        return len(self.of_type(kind))

    def wait_for(self, condition, timeout_s=OP_TIMEOUT_S, what="condition"):
        """Polls condition() until it holds; fails at once, with the driver's stderr, if the
        driver exits first, and after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if self.proc.poll() is not None:
                self._reader.join()
                if condition():
                    return
                raise AssertionError(f"{self.client} driver exited with {self.proc.returncode} "
                                     f"before {what}:\n{self.stderr_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout_s}s waiting for {what} from the "
                                     f"{self.client} driver:\n{self.stderr_tail()}")
            time.sleep(0.05)

    def finish(self, timeout_s=OP_TIMEOUT_S):
        """Closes stdin (a producer without --count stops producing), waits for the process
        to exit and returns its "done" event (asserting it printed one)."""
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.client} driver still running {timeout_s}s after its "
                                 f"stdin closed:\n{self.stderr_tail()}") from None
        self._reader.join()
        done = self.of_type("done")
        assert done, (f"{self.client} driver exited with {self.proc.returncode} without a done "
                      f"line:\n{self.stderr_tail()}")
        return done[-1]

    def produce_through_kill9_cycles(self, broker, cycles, acks_per_cycle, timeout_s, after_restart=None):
        """For a producer running without --count: `cycles` times, once it got `acks_per_cycle`
        more acks, kills the broker with SIGKILL and starts it again (then calls
        after_restart()); waits for as many acks more after the last restart, then finishes
        and returns the "done" event."""
        def wait_for_acks(what):
            target = self.count("ack") + acks_per_cycle
            self.wait_for(lambda: self.count("ack") >= target, timeout_s, what=f"{acks_per_cycle} more acks {what}")

        for cycle in range(1, cycles + 1):
            wait_for_acks(f"before kill -9 #{cycle}")
            broker.kill()
            broker.start()
            if after_restart:
                after_restart()
        wait_for_acks("after the last restart")
        return self.finish(timeout_s=timeout_s)

    def kill(self):
        """Teardown: SIGKILL by pid if still running."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def stderr_tail(self, max_lines=60):
        try:
            with open(self.stderr_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return ""
        return "\n".join(lines[-max_lines:])


class DriverFactory:
    """What the `client_drivers` fixture yields: start(client, *args) runs a driver."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.started = []

    def start(self, client, *args):
        stderr_path = os.path.join(self.workdir, f"{len(self.started)}-{client}.stderr")
        driver = DriverProcess(client, args, stderr_path)
        self.started.append(driver)
        return driver

    def kill_all(self):
        for driver in self.started:
            driver.kill()


@pytest.fixture
def client_drivers(request, tmp_path):
    factory = DriverFactory(str(tmp_path))
    request.node.client_drivers = factory.started
    yield factory
    factory.kill_all()
