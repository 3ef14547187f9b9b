"""One verification of one source: find the newest file, then run every check in order.

Nothing here writes Vigil's database or emits events: `services.verification_record` does.
A check that cannot run is "skipped" (or a warning, when what is missing is a restore
server), and is never counted as passed.

A verification never fails silently and never overruns: a file that cannot be read, a
crash of the verifier itself, or a step still blocked when BACKUP_VERIFY_TIMEOUT is up
all end as a failed check saying why, so the run is logged and alerts like any failure.
"""

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from django.conf import settings
from django.db import connection as vigil_connection
from django.utils import timezone

from backups import archive, files
from backups.checks import FAILED, PASSED, WARNING, CheckResult, check_recent, check_size, timed
from backups.models import Format, Status
from backups.postgres import Deadline, Server, ToolError
from backups.restore import invalid_indexes, missing_tables, restore, row_counts
from backups.restore import refusal as restore_refusal
from backups.scratch import scratch_database

RESTORE_CHECKS = ("critical_tables", "row_counts", "indexes")
# How long past BACKUP_VERIFY_TIMEOUT the watchdog waits for the checks' own deadline to strike.
WATCHDOG_GRACE = 1.0

log = logging.getLogger(__name__)


@dataclass
class Verification:
    source_id: int
    started_at: datetime
    file: files.BackupFile | None = None
    checksum: str = ""
    age_hours: float | None = None
    checks: list = field(default_factory=list)
    duration: float = 0.0

    @property
    def status(self):
        results = {check.result for check in self.checks}
        if FAILED in results:
            return Status.FAILURE
        return Status.WARNING if WARNING in results else Status.SUCCESS

    @property
    def backup_id(self):
        return f"{self.file.name} sha256:{self.checksum}" if self.file else ""

    def count(self, result):
        return sum(check.result == result for check in self.checks)

    def problems(self):
        return [f"{c.name}: {c.message}" for c in self.checks if c.result in (FAILED, WARNING)]


def verify(source, *, previous_good_mb=None, now=None):
    """Run the checks of `source` (a BackupSource) under BACKUP_VERIFY_TIMEOUT.

    The checks run in a worker thread the caller waits for at most the timeout (plus
    WATCHDOG_GRACE): a step blocked where no timeout reaches is abandoned there, and the
    run returned says so."""
    started = time.monotonic()
    run = Verification(source.pk, now or timezone.now())
    deadline = Deadline(settings.BACKUP_VERIFY_TIMEOUT)
    worker = threading.Thread(target=_run_checks, args=(source, run, deadline, previous_good_mb),
                              name=f"verify-backup-{source.pk}", daemon=True)
    worker.start()
    worker.join(settings.BACKUP_VERIFY_TIMEOUT + WATCHDOG_GRACE)
    if worker.is_alive():
        log.error("verifying backup source %s overran BACKUP_VERIFY_TIMEOUT; abandoned", source.pk)
        run = _abandoned(run)
    run.duration = time.monotonic() - started
    return run


def _run_checks(source, run, deadline, previous_good_mb):
    """The checks, with every way they can stop early turned into a failed check."""
    try:
        _verify(source, run, deadline, previous_good_mb)
    except ToolError as exc:  # out of time between two steps
        _fail_current(run, "deadline", str(exc))
    except OSError as exc:  # the file cannot be read (permissions, not a regular file, I/O error)
        _fail_current(run, "read", files.describe_os_error(exc))
    except Exception as exc:
        log.exception("verifying backup source %s crashed", source.pk)
        _fail_current(run, "verifier", f"the verifier crashed: {type(exc).__name__}: {_one_line(exc)}")


def _fail_current(run, name, message):
    """Fail the check that was running (begun, nothing said yet), else add one named `name`."""
    current = run.checks[-1] if run.checks else None
    if current is None or current.result != PASSED or current.message:
        current = _check(run, name)
    current.fail(message)


def _abandoned(run):
    """A copy of what the stuck run had found, ending in a failed check naming the step."""
    checks = [dataclasses.replace(check, figures=dict(check.figures)) for check in list(run.checks)]
    copy = dataclasses.replace(run, checks=checks)
    step = checks[-1].name if checks else "finding the file"
    limit = f"BACKUP_VERIFY_TIMEOUT ({settings.BACKUP_VERIFY_TIMEOUT:g} s)"
    _fail_current(copy, "deadline", f"did not finish within {limit}: stuck in {step}, abandoned")
    return copy


def _verify(source, run, deadline, previous_good_mb):
    exists = _check(run, "exists")
    found = files.newest_backup(source.path)
    run.file = found.file
    if run.file is None:
        exists.fail(_nothing_found(source, found), not_files=found.not_files)
        return
    exists.message = run.file.path
    exists.figures = {"path": run.file.path, "ignored_in_progress": found.in_progress, "not_files": found.not_files}
    header = _read_header(source, run, deadline)
    created_at, origin = (header.created_at, "archive header") if header and header.created_at else (
        run.file.modified_at, "file time")
    with timed(_check(run, "recent")) as check:
        check_recent(check, created_at=created_at, origin=origin, now=run.started_at, max_age=source.max_age)
        run.age_hours = check.figures["age_hours"]
    with timed(_check(run, "size")) as check:
        check_size(check, size_mb=run.file.size_mb, min_size_mb=source.min_size_mb, previous_mb=previous_good_mb)
    with timed(_check(run, "checksum")) as check:
        run.checksum = files.sha256(run.file.path, deadline=deadline)
        check.message, check.figures = f"sha256 {run.checksum[:16]}…", {"sha256": run.checksum}
    readable = _check_readable(source, run, deadline) if source.format != Format.FILE else None
    if source.format != Format.FILE:
        _restore_checks(source, run, deadline, header, readable)


def _nothing_found(source, found):
    if found.not_files:
        return "; ".join(found.not_files[:3]) + ", not a backup file"
    what = f"only in-progress files ({found.in_progress})" if found.in_progress else "no file"
    return f"{what} match {source.path}"


def _check(run, name):
    check = CheckResult(name)
    run.checks.append(check)
    return check


def _read_header(source, run, deadline):
    if source.format != Format.PG_DUMP:
        return None
    with timed(_check(run, "archive")) as check:
        try:
            header = archive.read_header(run.file.path, deadline=deadline)
        except ToolError as exc:
            check.fail(f"not a readable pg_dump custom-format archive: {exc}")
            return None
        check.message = f"{header.entries} entries, from database {header.dbname or '?'}"
        check.figures = {"entries": header.entries, "dbname": header.dbname}
        return header


def _check_readable(source, run, deadline):
    with timed(_check(run, "readable")) as check:
        try:
            if source.format == Format.PG_DUMP:
                archive.read_custom_archive(run.file.path, deadline=deadline)
            elif problem := archive.read_sql_dump(run.file.path, deadline=deadline):
                return check.fail(problem)
        except ToolError as exc:
            return check.fail(f"the archive cannot be read to the end: {exc}")
        check.message = "read to the end"
        return check


def _restore_checks(source, run, deadline, header, readable):
    with timed(_check(run, "restore")) as check:
        if reason := _no_restore(source, readable, check):
            _skip_dependents(source, run, reason)
            return
        server = Server.from_url(settings.BACKUP_RESTORE_DATABASE_URL)
        try:
            if refusal := refused(server, source, header) or restore_refusal(server, source.format, deadline=deadline):
                check.fail(refusal)
                _skip_dependents(source, run, "the restore was refused")
                return
            _restore_and_inspect(source, run, deadline, server, check)
        except (psycopg.Error, ToolError) as exc:
            check.fail(f"restore server {server.label()}: {_one_line(exc)}")
            _skip_dependents(source, run, "the restore did not complete")


def _no_restore(source, readable, check):
    """Why the restore does not run (and the restore check's outcome), or None."""
    if not source.restore_test:
        if source.critical_tables or source.expected_rows:
            check.warn("restore_test is off, so critical tables and row counts are not checked")
        else:
            check.skip("restore_test is off for this source")
        return "restore_test is off"
    if not settings.BACKUP_RESTORE_DATABASE_URL:
        check.warn("skipped: no restore server (set BACKUP_RESTORE_DATABASE_URL), so this backup is not proven")
        return "no restore server"
    if readable is None or readable.result != PASSED:
        check.skip("skipped: the archive cannot be read to the end")
        return "the archive cannot be read"
    return None


def refused(server, source, header):
    """Why restoring on `server` is refused (never Vigil's own database, nor the source's)."""
    vigil = vigil_connection.settings_dict
    if vigil["ENGINE"].endswith("postgresql") and server.identity() == Server.from_django(vigil).identity():
        return f"refused: BACKUP_RESTORE_DATABASE_URL names Vigil's own database ({server.label()})"
    if source.source_database_url:
        if server.identity() == Server.from_url(source.source_database_url).identity():
            return f"refused: BACKUP_RESTORE_DATABASE_URL is the backup's own database ({server.label()})"
    elif header and header.dbname and header.dbname == server.dbname:
        return (f"refused: BACKUP_RESTORE_DATABASE_URL names database {server.dbname}, the one this dump was taken"
                " from; point it at a server's maintenance database (e.g. postgres) instead")
    return None


def _restore_and_inspect(source, run, deadline, server, check):
    with scratch_database(server) as scratch:
        check.figures = {"scratch_database": scratch.name, "leftovers_dropped": scratch.dropped}
        errors = restore(run.file.path, source.format, scratch.server, deadline=deadline)
        if errors:
            check.fail(f"{len(errors)} error(s) while restoring: {errors[0]}", errors=errors[:20])
        else:
            check.message = f"restored into a scratch database on {server.label()}"
        with scratch.server.connect(autocommit=True) as connection:
            _inspect(source, run, connection)


def _inspect(source, run, connection):
    if source.critical_tables:
        with timed(_check(run, "critical_tables")) as check:
            missing = missing_tables(connection, source.critical_tables)
            check.figures = {"expected": source.critical_tables, "missing": missing}
            if missing:
                check.fail(f"missing: {', '.join(missing)}")
            else:
                check.message = f"all {len(source.critical_tables)} present"
    if source.expected_rows:
        with timed(_check(run, "row_counts")) as check:
            _check_rows(check, source.expected_rows, row_counts(connection, list(source.expected_rows)))
    with timed(_check(run, "indexes")) as check:
        invalid = invalid_indexes(connection)
        check.figures = {"invalid": invalid}
        if invalid:
            check.fail(f"invalid index: {', '.join(invalid)}")
        else:
            check.message = "no invalid index"


def _check_rows(check, expected, found):
    check.figures = {"expected": expected, "found": found}
    short = [
        f"{table}: expected at least {minimum:,}, found {'no table' if found[table] is None else f'{found[table]:,}'}"
        for table, minimum in expected.items()
        if found[table] is None or found[table] < minimum
    ]
    if short:
        return check.fail("; ".join(short))
    check.message = ", ".join(f"{table} {count:,}" for table, count in found.items())
    return check


def _skip_dependents(source, run, reason):
    """The inspections that did not run are listed as skipped, never left out."""
    wanted = {"critical_tables": bool(source.critical_tables), "row_counts": bool(source.expected_rows),
              "indexes": True}
    present = {check.name for check in run.checks}
    for name in RESTORE_CHECKS:
        if wanted[name] and name not in present:
            run.checks.append(CheckResult(name).skip(f"skipped: {reason}"))


def _one_line(exc):
    return " ".join(str(exc).split())[:300]
