"""django-q2 entry points. Thin: they call the dispatcher and the services."""

from django.conf import settings
from django_q.tasks import async_task

from backups.dispatch import claim_due, sweep_stale
from backups.services import backup_claim, backup_verify_claimed

VERIFY_GROUP = "backup-verification"


def task_timeout():
    """Longer than the verification's own deadline, so that deadline (recorded as a
    failure) strikes first. Q_CLUSTER["retry"] must exceed it."""
    return settings.BACKUP_VERIFY_TIMEOUT + 120


def dispatch_due():
    """Periodic (every minute): verify each source whose cron schedule is due, one task each."""
    claimed = claim_due()
    for source_id in claimed:
        enqueue(source_id)
    return claimed


def enqueue(source_id):
    async_task("backups.tasks.verify_source", source_id, group=VERIFY_GROUP, timeout=task_timeout())


def verify_source(source_id):
    """One verification (claimed by the dispatcher or "verify now"); returns the run's status."""
    run = backup_verify_claimed(source_id)
    return run and run.status


def verify_later(sources, *, now):
    """Claim and queue these sources ("verify now" in the admin); returns (queued, busy) names."""
    queued, busy = [], []
    for source in sources:
        if backup_claim(source, now=now):
            enqueue(source.pk)
            queued.append(source.name)
        else:
            busy.append(source.name)
    return queued, busy


def check_stale():
    """Periodic: sources with no good verification for their schedule plus a margin."""
    return sweep_stale()
