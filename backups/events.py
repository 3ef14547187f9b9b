"""The events a backup source hands to incidents. One dedup key per source (`backup:<id>`),
so a failure and a stale spell share one incident, and a good run resolves it.

Each kind declares its tier (the shipped alert rules send at it: a failure is critical, a
stale backup and a passing run's warnings are warnings, a passing run is the daily
summary's "📦 verified" line); the notices of a passing run have keys of their own, so
they never join an incident.
"""

from backups.checks import FAILED
from backups.models import Status
from incidents.event_kinds import NOTICE, PROBLEM, RECOVERY, EventKind, declare
from incidents.events import NewEvent

BACKUP_KINDS = (
    EventKind("backup_failed", role=PROBLEM, tier="critical"),
    EventKind("backup_stale", role=PROBLEM, tier="warning"),
    EventKind("backup_succeeded", role=RECOVERY, tier="critical", recovers=("backup_failed", "backup_stale")),
    EventKind("backup_warning", role=NOTICE, tier="warning"),
    EventKind("backup_verified", role=NOTICE, tier="info"),
)

# Checks whose failure alone means "too old", not "broken": a stale backup, not a failed one.
AGE_CHECKS = {"recent"}


def declare_kinds():
    declare(*BACKUP_KINDS)


def failed_event(source, run):
    return _run_event("backup_failed", source, run, f"Backup {source.name} failed verification: {_first_problem(run)}")


def run_events(source, run, *, was_alerting):
    """What one recorded run says: a failure (or a stale backup), else the daily "verified"
    line, its warnings, and the recovery when a problem was out."""
    if run.status == Status.FAILURE:
        return [stale_run_event(source, run) if is_only_old(run) else failed_event(source, run)]
    events = [succeeded_event(source, run)] if was_alerting else []
    events.append(verified_event(source, run))
    if run.status == Status.WARNING:
        events.append(warning_event(source, run))
    return events


def is_only_old(run):
    failed = {check["name"] for check in run.verification_details if check["result"] == FAILED}
    return bool(failed) and failed <= AGE_CHECKS


def stale_run_event(source, run):
    return _run_event("backup_stale", source, run, f"Backup {source.name} is too old: {_first_problem(run)}")


def verified_event(source, run):
    size = f", {run.backup_size_mb:,.1f} MB" if run.backup_size_mb is not None else ""
    age = f", {run.backup_age_hours:.1f} h old" if run.backup_age_hours is not None else ""
    warnings = len(run.error_details.splitlines())
    noted = f" with {warnings} warning{'s' if warnings > 1 else ''}" if warnings else ""
    summary = f"📦 Backup {source.name} verified{noted}: {run.checks_passed} checks passed{size}{age}"
    return _run_event("backup_verified", source, run, summary, dedup_suffix=":verified")


def warning_event(source, run):
    summary = f"Backup {source.name} passed with warnings: {'; '.join(run.error_details.splitlines())}"
    return _run_event("backup_warning", source, run, summary, dedup_suffix=":warning")


def succeeded_event(source, run):
    return _run_event("backup_succeeded", source, run, f"Backup {source.name} verified again ({run.status})")


def _run_event(kind, source, run, summary, *, dedup_suffix=""):
    """An event about one recorded run. Severity is left to the alert rules; problems and
    their recovery share the source's key, notices have keys of their own."""
    return NewEvent(
        kind=kind,
        source_key=source.source_key,
        severity="",
        summary=summary,
        dedup_key=source.source_key + dedup_suffix,
        occurred_at=run.verified_at,
        details=_details(source, run),
    )


def _first_problem(run):
    problems = run.error_details.splitlines()
    return problems[0] if problems else "see the log"


def stale_event(source, *, since, due_by, now):
    what = f"since {since:%Y-%m-%d %H:%M} UTC" if source.last_good_at else "ever"
    return NewEvent(
        kind="backup_stale",
        source_key=source.source_key,
        severity="",
        summary=f"Backup {source.name} has had no successful verification {what}; one was due by {due_by:%Y-%m-%d %H:%M} UTC",
        dedup_key=source.source_key,
        occurred_at=now,
        details={"source": source.name, "last_good_at": since.isoformat() if source.last_good_at else None,
                 "due_by": due_by.isoformat(), "schedule": source.schedule},
    )


def _details(source, run):
    return {
        "source": source.name,
        "status": run.status,
        "backup_id": run.backup_id,
        "backup_age_hours": run.backup_age_hours,
        "backup_size_mb": run.backup_size_mb,
        "checks_passed": run.checks_passed,
        "checks_failed": run.checks_failed,
        "problems": run.error_details.splitlines(),
    }
