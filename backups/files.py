"""Finding a source's newest backup file, and what the file system says about it."""

import glob
import hashlib
import os
from dataclasses import dataclass
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


def newest_backup(pattern):
    """The newest complete file matching `pattern` (a path or a glob), or None.

    Returns (file, ignored): `ignored` counts the in-progress names left out, so a
    failure can say "only an in-progress file"."""
    matches = [path for path in glob.glob(os.path.expanduser(pattern)) if os.path.isfile(path)]
    complete = [path for path in matches if not is_in_progress(path)]
    files = [_stat(path) for path in complete]
    files = [file for file in files if file is not None]
    newest = max(files, key=lambda file: (file.modified_at, file.path), default=None)
    return newest, len(matches) - len(complete)


def is_in_progress(path):
    name = os.path.basename(path).lower()
    return name.startswith(".") or name.endswith(IN_PROGRESS_SUFFIXES)


def _stat(path):
    try:
        info = os.stat(path)
    except OSError:  # removed between the glob and now
        return None
    return BackupFile(path, info.st_size, datetime.fromtimestamp(info.st_mtime, tz=timezone.utc))


def sha256(path, chunk=4 * 1024 * 1024):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
