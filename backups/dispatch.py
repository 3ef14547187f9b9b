"""The periodic side: which sources are due, and which have gone stale.

Both claim with a conditional UPDATE, so any number of clusters may run them at once:
each due slot is verified once, and each stale spell raises one `backup_stale`.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backups.events import stale_event
from backups.models import BackupSource
from backups.services import backup_claim
from incidents.events import receive_events


def claim_due(*, now=None):
    """Claim every enabled source whose scheduled time has come; returns the claimed ids.

    Missed slots (no cluster running) are not replayed: the next slot is counted from now."""
    now = now or timezone.now()
    due = BackupSource.objects.filter(enabled=True, next_run_at__lte=now).only("pk", "schedule", "next_run_at")
    return [source.pk for source in due if backup_claim(source, now=now, advance=True)]


def stale_deadline(source):
    """When a source without a good run since `last_good_at` (or since it was added) becomes
    stale: its next scheduled run after that, plus BACKUP_STALE_MARGIN for the run itself."""
    since = source.last_good_at or source.created_at
    return since, source.next_run_after(since) + timedelta(seconds=settings.BACKUP_STALE_MARGIN)


def sweep_stale(*, now=None):
    """Raise `backup_stale` once per stale spell (a good run ends the spell); returns the names.
    A disabled source is never stale: nobody expects it to be verified."""
    now = now or timezone.now()
    raised = []
    for source in BackupSource.objects.filter(enabled=True, stale_alerted=False):
        since, due_by = stale_deadline(source)
        if now <= due_by:
            continue
        with transaction.atomic():
            if BackupSource.objects.filter(pk=source.pk, stale_alerted=False).update(stale_alerted=True, alerting=True):
                receive_events([stale_event(source, since=since, due_by=due_by, now=now)])
                raised.append(source.name)
    return raised
