"""Writes to backup sources and the verification log go through here (admin, config
files, the command, tasks)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backups.events import run_events
from backups.models import BackupSource, Status, VerificationRun
from backups.selectors import last_good_size_mb
from backups.verify import verify
from incidents.events import receive_events
from incidents.sources import source_forget, source_upsert

log = logging.getLogger(__name__)


@transaction.atomic
def backup_source_save(source):
    """Validate and save a source's settings; its next run follows its (maybe new) schedule.

    An update writes the settings columns only, never the verifier's bookkeeping."""
    source.full_clean()
    now = timezone.now()
    live = BackupSource.objects.select_for_update().filter(pk=source.pk).first() if source.pk else None
    if live is None:
        source.next_run_at = source.next_run_after(now)
        source.save()
    else:
        if live.schedule != source.schedule or live.next_run_at is None:
            source.next_run_at = source.next_run_after(now)
        fields = [*BackupSource.SETTINGS_FIELDS, "next_run_at"]
        source.save(update_fields=fields)
    source_upsert(key=source.source_key, kind="backup", name=source.name, tags=[])
    return source


def backup_source_forget(sender, instance, **kwargs):
    """post_delete receiver: every delete path (admin, config --prune) lands here."""
    source_forget(key=instance.source_key)


# Claiming: one run per source at a time, whoever asks -------------------------------


def stuck_before(now):
    """A claim older than this belongs to a run that died (its task outlived its timeout)."""
    return now - timedelta(seconds=settings.BACKUP_VERIFY_TIMEOUT + 300)


def backup_claim(source, *, now, advance=False):
    """Mark `source` as being verified with one conditional UPDATE; False if another run
    holds it (or, with `advance`, another dispatcher claimed this slot already)."""
    rows = BackupSource.objects.filter(pk=source.pk).filter(
        Q(running_since__isnull=True) | Q(running_since__lt=stuck_before(now))
    )
    changes = {"running_since": now}
    if advance:
        rows = rows.filter(next_run_at=source.next_run_at)
        changes["next_run_at"] = source.next_run_after(now)
    return rows.update(**changes) == 1


def backup_release(source_id):
    BackupSource.objects.filter(pk=source_id).update(running_since=None)


def backup_verify_claimed(source_id):
    """Verify a source this process claimed, record the run, and release the claim."""
    try:
        source = BackupSource.objects.filter(pk=source_id).first()
        if source is None:
            return None
        verification = verify(source, previous_good_mb=last_good_size_mb(source))
        return verification_record(source, verification)
    finally:
        backup_release(source_id)


def backup_verify_now(source):
    """Verify in this process (the command): None when another run holds the source."""
    if not backup_claim(source, now=timezone.now()):
        return None
    return backup_verify_claimed(source.pk)


# Recording ----------------------------------------------------------------------------


def verification_record(source, verification):
    """Write the run and its events in one transaction.

    A failure emits backup_failed, or backup_stale when the backup is only too old (every
    time: it joins the open incident). A passing run emits backup_verified (and
    backup_warning for its warnings); after a problem also backup_succeeded, which resolves
    it. See `backups.events`."""
    with transaction.atomic():
        live = BackupSource.objects.select_for_update().filter(pk=source.pk).first()
        if live is None:  # deleted while it was being verified
            return None
        run = VerificationRun.objects.create(**_run_fields(live, verification))
        events = run_events(live, run, was_alerting=live.alerting or live.stale_alerted)
        if run.status == Status.FAILURE:
            live.alerting = True
            live.stale_alerted = live.stale_alerted or events[0].kind == "backup_stale"
        else:
            live.last_good_at, live.alerting, live.stale_alerted = run.verified_at, False, False
        live.save(update_fields=["last_good_at", "alerting", "stale_alerted"])
        receive_events(events)
    return run


def _run_fields(source, verification):
    file = verification.file
    return {
        "source": source,
        "verified_at": verification.started_at,
        "backup_id": verification.backup_id[:400],
        "backup_path": file.path[:1000] if file else "",
        "backup_age_hours": verification.age_hours,
        "backup_size_mb": round(file.size_mb, 3) if file else None,
        "status": verification.status,
        "checks_passed": verification.count("passed"),
        "checks_failed": verification.count("failed"),
        "error_details": "\n".join(verification.problems()),
        "verification_details": [check.as_dict() for check in verification.checks],
        "duration_seconds": round(verification.duration, 3),
    }
