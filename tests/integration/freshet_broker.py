"""A real `freshet server` process on a free loopback port, for integration tests.

The broker writes its stderr to `<workdir>/broker.log` (appended across restarts), keeps its
data in `<workdir>/data` (or `data_dir`: log.dirs), and is ready once its port accepts a TCP
connection.
"""
import os
import signal
import socket
import subprocess
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0


def freshet_bin():
    """Path of the binary under test: $FRESHET_BIN, else <repo>/build/freshet."""
    return os.environ.get("FRESHET_BIN") or os.path.join(REPO_ROOT, "build", "freshet")


_handed_out_ports = set()


def free_port():
    """A loopback TCP port that nothing listens on right now and that this process never handed
    out before: the kernel may offer a just-closed port again, and two nodes of one cluster get
    their ports before either binds."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out_ports:
            _handed_out_ports.add(port)
            return port


def port_accepts(port, timeout_s=0.2):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def read_log(path):
    """A process's log file as text ("" before it exists)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def thread_stacks(pid):
    """Every thread's backtrace of a live process (gdb), to explain a hang; "" without gdb."""
    try:
        return subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                              capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


class BrokerStartError(RuntimeError):
    pass


class Broker:
    """One broker process. start() may be called again after stop()/kill(): same port, same data.

    `settings` are extra `--set key=value` overrides; `smp` is passed as `--smp N` when given;
    `config_file` as `--config PATH`; `log_level` as `--log-level LEVEL`; `data_dir` replaces
    `<workdir>/data` as log.dirs (and may be changed between starts). With `embedded_defaults`
    the broker gets no listener or data dir at all and must use its defaults: 127.0.0.1:9092 and
    ./freshet-data (the workdir is its current directory).
    """

    def __init__(self, workdir, settings=None, smp=None, config_file=None, port=None,
                 embedded_defaults=False, data_dir=None, log_level=None):
        self.freshet_bin = freshet_bin()
        self.embedded_defaults = embedded_defaults
        self.port = 9092 if embedded_defaults else (port or free_port())
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.workdir = workdir
        self.data_dir = data_dir or os.path.join(workdir,
                                                 "freshet-data" if embedded_defaults else "data")
        self.log_path = os.path.join(workdir, "broker.log")
        self.settings = dict(settings or {})
        self.smp = smp
        self.config_file = config_file
        self.log_level = log_level
        self.proc = None
        self.starts = 0
        # Set while the test itself stops or kills the broker; any other exit is a crash.
        self.exit_expected = False
        if not embedded_defaults:
            os.makedirs(self.data_dir, exist_ok=True)

    def command(self):
        cmd = [self.freshet_bin, "server"]
        if self.config_file:
            cmd += ["--config", self.config_file]
        if not self.embedded_defaults:
            cmd += ["--set", f"listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "--set", f"log.dirs={self.data_dir}"]
        for key, value in self.settings.items():
            cmd += ["--set", f"{key}={value}"]
        if self.smp is not None:
            cmd += ["--smp", str(self.smp)]
        if self.log_level is not None:
            cmd += ["--log-level", self.log_level]
        return cmd

    def format_settings(self):
        """The node's settings as `freshet storage format` takes them (--set key=value)."""
        args = ["--set", f"log.dirs={self.data_dir}"]
        for key, value in self.settings.items():
            args += ["--set", f"{key}={value}"]
        return args

    def start(self, timeout_s=READY_TIMEOUT_S):
        """Starts the process and returns once its port accepts connections (bounded)."""
        self.launch()
        return self.wait_ready(timeout_s)

    def launch(self):
        """Starts the process without waiting for it (a cluster's nodes start together)."""
        assert self.proc is None or self.proc.poll() is not None, "broker already running"
        if not os.path.exists(self.freshet_bin):
            raise BrokerStartError(f"freshet binary not found at {self.freshet_bin} "
                                   "(build it, or set FRESHET_BIN)")
        cmd = self.command()
        with open(self.log_path, "ab") as log:
            log.write(f"---- freshet start #{self.starts + 1}: {' '.join(cmd)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=self.workdir)
        self.starts += 1
        self.exit_expected = False
        return self

    def wait_ready(self, timeout_s=READY_TIMEOUT_S):
        """Returns once the launched process's port accepts connections (bounded)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise BrokerStartError(f"freshet exited with {self.proc.returncode} before it was "
                                       f"ready; log:\n{self.log_tail()}")
            if port_accepts(self.port):
                return self
            if time.monotonic() > deadline:
                self.kill()
                raise BrokerStartError(f"freshet not accepting on {self.bootstrap} after "
                                       f"{timeout_s}s; log:\n{self.log_tail()}")
            time.sleep(0.01)

    def stop(self, timeout_s=STOP_TIMEOUT_S):
        """SIGTERM, then waits for the exit; returns the exit code (raises if it hangs)."""
        self.exit_expected = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            stacks = thread_stacks(self.proc.pid)
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"freshet did not exit within {timeout_s}s of SIGTERM; its threads:\n"
                                 f"{stacks}\nlog:\n{self.log_tail()}")

    def kill(self):
        """SIGKILL (kill -9) and reap; returns the exit code."""
        self.exit_expected = True
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        return self.proc.wait()

    def pause(self):
        """SIGSTOP: the process holds its sockets open and answers nothing (a hung node)."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        """SIGCONT after pause()."""
        os.kill(self.proc.pid, signal.SIGCONT)

    def restart(self):
        """Clean stop, then start on the same port and data dir."""
        self.stop()
        return self.start()

    def crashed(self):
        """True when the process exited although the test neither stopped nor killed it."""
        return self.proc is not None and self.proc.poll() is not None and not self.exit_expected

    def close(self):
        """Teardown: kills the process by pid if it still runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_text(self):
        return read_log(self.log_path)

    def log_tail(self, max_lines=200):
        lines = self.log_text().splitlines()
        return "\n".join(lines[-max_lines:])

    def __repr__(self):
        return f"Broker({self.bootstrap}, smp={self.smp}, settings={self.settings})"
