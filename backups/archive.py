"""What a dump file says about itself, and whether it can be read to the end."""

import os
import re
from dataclasses import dataclass
from datetime import datetime

from backups.files import open_regular
from backups.postgres import run_tool

SQL_DUMP_END = "-- PostgreSQL database dump complete"
_CREATED = re.compile(r"^;\s+Archive created at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", re.M)
_DBNAME = re.compile(r"^;\s+dbname: (.*)$", re.M)
_ENTRIES = re.compile(r"^;\s+TOC Entries: (\d+)", re.M)


@dataclass(frozen=True)
class ArchiveHeader:
    created_at: datetime | None
    dbname: str
    entries: int


def read_header(path, *, deadline):
    """`pg_restore -l`: the archive's creation time, database name and table of contents.

    pg_dump stores the creation time as its machine's wall-clock fields without a zone,
    and pg_restore prints them back the same way; they are read in Vigil's own zone
    (TIME_ZONE, UTC by default), which is right when both machines keep the same one."""
    listing = run_tool(["pg_restore", "-l", path], deadline=deadline, what="pg_restore -l").stdout
    created = _CREATED.search(listing)
    dbname = _DBNAME.search(listing)
    entries = _ENTRIES.search(listing)
    return ArchiveHeader(
        created_at=datetime.strptime(created[1], "%Y-%m-%d %H:%M:%S").astimezone() if created else None,
        dbname=dbname[1].strip() if dbname else "",
        entries=int(entries[1]) if entries else 0,
    )


def read_custom_archive(path, *, deadline):
    """Read every entry, data included, and write it nowhere: a dump cut short fails here
    even though its table of contents (at the start of the file) still lists."""
    run_tool(["pg_restore", "-f", os.devnull, path], deadline=deadline, what="pg_restore (full read)")


def read_sql_dump(path, *, deadline, chunk=8 * 1024 * 1024):
    """Read a plain SQL dump to the end; pg_dump's last line says it finished.

    Returns None when complete, else why not."""
    tail = b""
    with open_regular(path) as handle:
        while block := handle.read(chunk):
            tail = (tail + block)[-4096:]
            deadline.left()
    if SQL_DUMP_END in tail.decode("utf-8", errors="replace")[-200:]:
        return None
    return f'it does not end with "{SQL_DUMP_END}" (cut short, or not a pg_dump file)'
