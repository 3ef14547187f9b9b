"""Finding a source's newest backup file, and what the file system says about it."""

import glob
import hashlib
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone

# Names a backup job writes while it is still working: never verified.
IN_PROGRESS_SUFFIXES = (".tmp", ".partial", ".part", ".inprogress", ".in-progress", ".incomplete", ".lock", "~")


@dataclass(frozen=True)
class BackupFile:
    path: str
    size: int
    modified_at: datetime

    @property
    def name(self):
        return os.path.basename(self.path)

    @property
    def size_mb(self):
        return self.size / 1_000_000


class NotAFile(OSError):
    """The path names something that is not a regular file (a directory, a FIFO, …)."""


@dataclass
class Found:
    """What a source's path matches: the newest complete file (or None), how many
    in-progress names were left out, and what matched but is no file, e.g. "/b is a directory"."""

    file: BackupFile | None = None
    in_progress: int = 0
    not_files: list = field(default_factory=list)


def newest_backup(pattern):
    """The newest complete regular file matching `pattern` (a path or a glob)."""
    found, files = Found(), []
    for path in glob.glob(os.path.expanduser(pattern)):
        if not os.path.isfile(path):
            if what := not_a_file(path):
                found.not_files.append(f"{path} is {what}")
        elif is_in_progress(path):
            found.in_progress += 1
        elif file := _stat(path):
            files.append(file)
    found.file = max(files, key=lambda file: (file.modified_at, file.path), default=None)
    return found


def not_a_file(path):
    """What `path` is when it is no regular file ("a directory", "a named pipe (FIFO)"), or ""."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:  # a dangling link, or removed meanwhile
        return f"unreadable ({exc.strerror})"
    if stat.S_ISREG(mode):
        return ""
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def open_regular(path):
    """Open `path` for reading, refusing anything but a regular file without blocking on it:
    opening a FIFO that nobody writes to would otherwise wait forever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotAFile(f"{path} is {not_a_file(path) or 'not a regular file'}, not a backup file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_in_progress(path):
    name = os.path.basename(path).lower()
    return name.startswith(".") or name.endswith(IN_PROGRESS_SUFFIXES)


def _stat(path):
    try:
        info = os.stat(path)
    except OSError:  # removed between the glob and now
        return None
    return BackupFile(path, info.st_size, datetime.fromtimestamp(info.st_mtime, tz=timezone.utc))


def sha256(path, *, deadline=None, chunk=4 * 1024 * 1024):
    """The file's checksum; `deadline.left()` between blocks stops a read that takes too long."""
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        while block := handle.read(chunk):
            digest.update(block)
            if deadline:
                deadline.left()
    return digest.hexdigest()


def describe_os_error(exc):
    """One line for a file that cannot be read: "cannot read /b/x.dump: Permission denied"."""
    if isinstance(exc, NotAFile):
        return str(exc)
    where = f" {exc.filename}" if exc.filename else ""
    return f"cannot read{where}: {exc.strerror or exc}"
