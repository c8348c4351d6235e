"""The power-loss file system itself (tools/lazyfs): what survives `crash()` is exactly what
was made durable - file contents by fsync/fdatasync of the file, directory entries (create,
unlink, rename, mkdir, rmdir) by fsync of the directory - and nothing else."""
import errno
import os

import pytest

from lazyfs_mount import LazyFsMount, skip_reason


@pytest.fixture
def lazyfs(tmp_path):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    fs = LazyFsMount(str(tmp_path)).mount()
    yield fs
    fs.unmount()


def write_file(path, data, sync=True, flags=os.O_CREAT | os.O_WRONLY | os.O_TRUNC):
    fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, data)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def sync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backing_bytes(fs, *parts):
    with open(fs.backing_path(*parts), "rb") as f:
        return f.read()


def test_unsynced_write_is_lost(lazyfs):
    write_file(lazyfs.path("f"), b"")
    sync_dir(lazyfs.mountpoint)
    write_file(lazyfs.path("f"), b"never synced", sync=False, flags=os.O_WRONLY)
    with open(lazyfs.path("f"), "rb") as f:
        assert f.read() == b"never synced"  # the live view has it
    lazyfs.crash()
    assert backing_bytes(lazyfs, "f") == b""


def test_synced_write_survives_and_later_writes_do_not(lazyfs):
    data = os.urandom(3 * 4096 + 123)
    write_file(lazyfs.path("f"), data)
    sync_dir(lazyfs.mountpoint)
    # Overwrite inside the middle page and append, then sync only the first change.
    fd = os.open(lazyfs.path("f"), os.O_WRONLY)
    os.pwrite(fd, b"X" * 10, 5000)
    os.fdatasync(fd)
    os.pwrite(fd, b"tail", len(data))
    os.pwrite(fd, b"Y" * 10, 100)
    os.close(fd)
    lazyfs.crash()
    expected = data[:5000] + b"X" * 10 + data[5010:]
    assert backing_bytes(lazyfs, "f") == expected


def test_created_file_needs_a_directory_fsync(lazyfs):
    write_file(lazyfs.path("synced-data-only"), b"data")  # fsync of the file, not the dir
    os.mkdir(lazyfs.path("d"))
    write_file(lazyfs.path("d", "inner"), b"inner")
    sync_dir(lazyfs.path("d"))  # d's entries are durable, but d itself is not in the root
    lazyfs.crash()
    assert sorted(os.listdir(lazyfs.backing)) == []


def test_directory_fsync_makes_entries_durable_with_synced_contents(lazyfs):
    os.mkdir(lazyfs.path("d"))
    write_file(lazyfs.path("d", "synced"), b"synced")
    write_file(lazyfs.path("d", "unsynced"), b"unsynced", sync=False)
    sync_dir(lazyfs.path("d"))
    sync_dir(lazyfs.mountpoint)
    write_file(lazyfs.path("d", "late"), b"late")  # its entry is not synced
    lazyfs.crash()
    assert sorted(os.listdir(lazyfs.backing_path("d"))) == ["synced", "unsynced"]
    assert backing_bytes(lazyfs, "d", "synced") == b"synced"
    assert backing_bytes(lazyfs, "d", "unsynced") == b""


def test_truncate_is_data_until_fsync(lazyfs):
    write_file(lazyfs.path("shrunk"), b"a" * 10000)
    write_file(lazyfs.path("kept"), b"b" * 10000)
    sync_dir(lazyfs.mountpoint)
    os.truncate(lazyfs.path("shrunk"), 100)
    fd = os.open(lazyfs.path("shrunk"), os.O_WRONLY)
    os.fsync(fd)
    os.close(fd)
    os.truncate(lazyfs.path("kept"), 100)  # never synced
    # Shrink then grow: the cut bytes come back as zeros, not as the old data.
    os.truncate(lazyfs.path("shrunk"), 50)
    os.truncate(lazyfs.path("shrunk"), 200)
    with open(lazyfs.path("shrunk"), "rb") as f:
        assert f.read() == b"a" * 50 + b"\0" * 150
    lazyfs.crash()
    assert backing_bytes(lazyfs, "shrunk") == b"a" * 100
    assert backing_bytes(lazyfs, "kept") == b"b" * 10000


def test_rename_and_unlink_need_a_directory_fsync(lazyfs):
    write_file(lazyfs.path("checkpoint"), b"old")
    write_file(lazyfs.path("doomed"), b"doomed")
    sync_dir(lazyfs.mountpoint)
    # The write-temp, fsync, rename pattern, without the directory fsync.
    write_file(lazyfs.path("checkpoint.tmp"), b"new")
    os.rename(lazyfs.path("checkpoint.tmp"), lazyfs.path("checkpoint"))
    os.unlink(lazyfs.path("doomed"))
    assert not os.path.exists(lazyfs.path("doomed"))
    lazyfs.crash()
    assert sorted(os.listdir(lazyfs.backing)) == ["checkpoint", "doomed"]
    assert backing_bytes(lazyfs, "checkpoint") == b"old"


def test_rename_with_directory_fsync_is_durable(lazyfs):
    write_file(lazyfs.path("checkpoint"), b"old")
    write_file(lazyfs.path("doomed"), b"doomed")
    os.mkdir(lazyfs.path("empty"))
    sync_dir(lazyfs.mountpoint)
    write_file(lazyfs.path("checkpoint.tmp"), b"new")
    os.rename(lazyfs.path("checkpoint.tmp"), lazyfs.path("checkpoint"))
    os.unlink(lazyfs.path("doomed"))
    os.rmdir(lazyfs.path("empty"))
    sync_dir(lazyfs.mountpoint)
    lazyfs.crash()
    assert sorted(os.listdir(lazyfs.backing)) == ["checkpoint"]
    assert backing_bytes(lazyfs, "checkpoint") == b"new"


def test_open_unlinked_file_and_cross_directory_rename(lazyfs):
    os.mkdir(lazyfs.path("d"))
    fd = os.open(lazyfs.path("f"), os.O_CREAT | os.O_RDWR, 0o644)
    os.unlink(lazyfs.path("f"))
    os.write(fd, b"still open")
    assert os.pread(fd, 100, 0) == b"still open"
    os.fsync(fd)  # durable contents, but no durable name
    os.close(fd)
    write_file(lazyfs.path("g"), b"g")
    with pytest.raises(OSError) as e:
        os.rename(lazyfs.path("g"), lazyfs.path("d", "g"))
    assert e.value.errno == errno.EXDEV  # documented limitation: parents are fixed
    sync_dir(lazyfs.mountpoint)
    lazyfs.crash()
    assert sorted(os.listdir(lazyfs.backing)) == ["d", "g"]


def test_after_crash_everything_fails(lazyfs):
    write_file(lazyfs.path("f"), b"x")
    assert lazyfs.state() == "running"
    lazyfs.crash()
    assert lazyfs.state() == "crashed"
    for call in (lambda: open(lazyfs.path("f"), "rb"),
                 lambda: write_file(lazyfs.path("new"), b"y"),
                 lambda: os.listdir(lazyfs.mountpoint)):
        with pytest.raises(OSError) as e:
            call()
        assert e.value.errno == errno.EIO


def test_clean_unmount_syncs_and_remount_loads(tmp_path):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    fs = LazyFsMount(str(tmp_path)).mount()
    try:
        os.makedirs(fs.path("a", "b"))
        write_file(fs.path("a", "b", "f"), b"f" * 5000, sync=False)
    finally:
        fs.unmount()
    assert backing_bytes(fs, "a", "b", "f") == b"f" * 5000
    fs.mount()
    try:
        with open(fs.path("a", "b", "f"), "rb") as f:
            assert f.read() == b"f" * 5000
        write_file(fs.path("a", "b", "f"), b"short", sync=False)
        fs.crash()
    finally:
        fs.unmount()
    assert backing_bytes(fs, "a", "b", "f") == b"f" * 5000
