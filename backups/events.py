"""The events a backup source hands to incidents. One dedup key per source (`backup:<id>`),
so a failure and a stale spell share one incident, and a good run resolves it."""

from incidents.events import NewEvent


def failed_event(source, run):
    problems = run.error_details.splitlines()
    return NewEvent(
        kind="backup_failed",
        source_key=source.source_key,
        severity="",  # the alert rules decide
        summary=f"Backup {source.name} failed verification: {problems[0] if problems else 'see the log'}",
        dedup_key=source.source_key,
        occurred_at=run.verified_at,
        details=_details(source, run),
    )


def succeeded_event(source, run):
    return NewEvent(
        kind="backup_succeeded",
        source_key=source.source_key,
        severity="",
        summary=f"Backup {source.name} verified again ({run.status})",
        dedup_key=source.source_key,
        occurred_at=run.verified_at,
        details=_details(source, run),
    )


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
