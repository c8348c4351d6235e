"""A mount of tools/lazyfs (`freshet-lazyfs`), the power-loss file system, for tests.

`LazyFsMount(workdir)` keeps its durable state in `<workdir>/backing` and mounts at
`<workdir>/mnt`. `crash()` loses power: the backing dir then holds exactly what was fsynced
(file data by fsync of the file, directory entries by fsync of the directory), and the mount
answers EIO. `unmount()` (fusermount3 -u, always call it) ends the FUSE process by pid.
`skip_reason()` says why the tool cannot run here (no /dev/fuse, no binary, no fusermount3).
"""
import os
import shutil
import subprocess
import time

from freshet_broker import freshet_bin, read_log

MOUNT_TIMEOUT_S = 10.0
UNMOUNT_TIMEOUT_S = 10.0
CONTROL_FILE = ".lazyfs-control"


def lazyfs_bin():
    """$FRESHET_LAZYFS, else freshet-lazyfs next to the freshet binary."""
    return os.environ.get("FRESHET_LAZYFS") or os.path.join(os.path.dirname(freshet_bin()),
                                                            "freshet-lazyfs")


def skip_reason():
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse on this machine"
    if not os.path.exists(lazyfs_bin()):
        return f"{lazyfs_bin()} not built (needs libfuse3-dev; see tools/lazyfs)"
    if shutil.which("fusermount3") is None:
        return "fusermount3 not installed (Debian package fuse3)"
    return None


def mounted(path):
    """True while a file system is mounted at `path` (from /proc/self/mounts: after a crash,
    stat() of the mount root fails, so os.path.ismount cannot tell)."""
    path = os.path.realpath(path)
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == path for line in mounts if len(line.split()) > 1)


class LazyFsMount:
    def __init__(self, workdir):
        self.backing = os.path.join(workdir, "backing")
        self.mountpoint = os.path.join(workdir, "mnt")
        self.log_path = os.path.join(workdir, "lazyfs.log")
        os.makedirs(self.backing, exist_ok=True)
        os.makedirs(self.mountpoint, exist_ok=True)
        self.proc = None

    def mount(self):
        assert self.proc is None or self.proc.poll() is not None, "already mounted"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([lazyfs_bin(), self.backing, self.mountpoint],
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + MOUNT_TIMEOUT_S
        while not mounted(self.mountpoint):
            if self.proc.poll() is not None:
                raise RuntimeError(f"freshet-lazyfs exited with {self.proc.returncode}: "
                                   f"{self.log_text()}")
            if time.monotonic() > deadline:
                self.unmount()
                raise RuntimeError(f"freshet-lazyfs not mounted after {MOUNT_TIMEOUT_S}s")
            time.sleep(0.01)
        return self

    def path(self, *parts):
        return os.path.join(self.mountpoint, *parts)

    def backing_path(self, *parts):
        return os.path.join(self.backing, *parts)

    def crash(self):
        """Power loss: from now on only the backing dir's durable state counts."""
        with open(self.path(CONTROL_FILE), "w") as control:
            control.write("crash")

    def state(self):
        with open(self.path(CONTROL_FILE)) as control:
            return control.read().strip()

    def unmount(self):
        """fusermount3 -u (lazily when busy), then waits for the FUSE process; kills it by pid
        if it does not exit in time."""
        if self.proc is None:
            return
        if mounted(self.mountpoint):
            done = subprocess.run(["fusermount3", "-u", self.mountpoint], capture_output=True)
            if done.returncode != 0:
                subprocess.run(["fusermount3", "-u", "-z", self.mountpoint], capture_output=True)
        try:
            self.proc.wait(timeout=UNMOUNT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log_text(self):
        return read_log(self.log_path)
