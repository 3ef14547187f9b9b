"""Backups as an alert source: events through the rules, the dispatcher's claims, and the
stale-verifier event. Plain files (`format: file`), so no PostgreSQL is needed."""

import os
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.utils import timezone

from backups import tasks
from backups.dispatch import claim_due, sweep_stale
from backups.models import BackupSource, Format, Status
from backups.services import backup_source_save, backup_verify_now
from incidents.models import Event, Incident, Source

pytestmark = pytest.mark.django_db
UTC = dt_timezone.utc


@pytest.fixture
def backup_file(tmp_path):
    path = tmp_path / "files.tar"
    path.write_bytes(b"x" * 5000)
    return path


def file_source(path, **fields):
    fields = {"name": "files", "min_size_mb": Decimal("0.001"), **fields}
    return backup_source_save(BackupSource(path=str(path), format=Format.FILE, **fields))


def events(kind=None):
    rows = Event.objects.order_by("pk")
    return list(rows.filter(kind=kind) if kind else rows)


def test_a_source_is_registered_for_alert_rules_and_forgotten_on_delete(backup_file):
    source = file_source(backup_file)
    registered = Source.objects.get(key=f"backup:{source.pk}")
    assert (registered.kind, registered.name) == ("backup", "files")
    source.delete()
    assert not Source.objects.filter(key=f"backup:{source.pk}").exists()


def test_a_failure_opens_an_incident_and_a_good_run_resolves_it(backup_file):
    source = file_source(backup_file, min_size_mb=Decimal("1"))
    assert backup_verify_now(source).status == Status.FAILURE
    failed = events("backup_failed")
    assert len(failed) == 1 and failed[0].dedup_key == f"backup:{source.pk}"
    assert "under the minimum" in failed[0].summary
    incident = Incident.objects.get(source_key=f"backup:{source.pk}")
    assert incident.status != Incident.Status.RESOLVED

    BackupSource.objects.filter(pk=source.pk).update(min_size_mb=Decimal("0.001"))
    assert backup_verify_now(source).status == Status.SUCCESS
    assert [event.kind for event in events()] == ["backup_failed", "backup_succeeded", "backup_verified"]
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED


def test_a_backup_that_is_only_too_old_is_stale_not_failed(backup_file):
    """The guide's tiers: "backup older than 24 hours" is a warning, "verification failed" critical."""
    source = file_source(backup_file)
    os.utime(backup_file, (time.time() - 48 * 3600,) * 2)
    assert backup_verify_now(source).status == Status.FAILURE
    assert [event.kind for event in events()] == ["backup_stale"]
    assert "is too old" in events()[0].summary and "2.0 days old" in events()[0].summary
    assert events()[0].dedup_key == f"backup:{source.pk}"
    assert sweep_stale(now=timezone.now() + timedelta(days=3)) == []  # this spell was told already

    backup_file.write_bytes(b"x" * 10)  # old and too small: broken, not only old
    os.utime(backup_file, (time.time() - 48 * 3600,) * 2)
    backup_verify_now(source)
    assert events()[-1].kind == "backup_failed"


def test_a_passing_run_is_the_daily_verified_line_and_its_warnings_a_warning(backup_file):
    source = file_source(backup_file)
    backup_verify_now(source)
    assert [event.kind for event in events()] == ["backup_verified"]
    assert events()[0].summary.startswith("📦 Backup files verified: ")
    backup_file.write_bytes(b"x" * 2000)  # less than half: a warning
    assert backup_verify_now(source).status == Status.WARNING
    assert [event.kind for event in events()] == ["backup_verified", "backup_verified", "backup_warning"]
    assert "verified with 1 warning:" in events()[1].summary
    assert "less than half of the last good backup" in events()[2].summary
    assert not Incident.objects.exists()


def test_the_dispatcher_claims_each_due_source_once(backup_file):
    source = file_source(backup_file)
    assert source.next_run_at.astimezone(UTC).hour == 5 and source.next_run_at.minute == 0
    due = source.next_run_at + timedelta(seconds=1)
    assert claim_due(now=due) == [source.pk]
    assert claim_due(now=due) == []  # a second cluster at the same moment finds nothing
    source.refresh_from_db()
    assert source.running_since == due
    assert source.next_run_at == datetime(due.year, due.month, due.day, 5, tzinfo=UTC) + timedelta(days=1)
    assert tasks.verify_source(source.pk) == Status.SUCCESS
    source.refresh_from_db()
    assert source.running_since is None and source.runs.count() == 1


def test_a_custom_schedule_sets_the_next_run(backup_file):
    source = file_source(backup_file, schedule="*/15 * * * *")
    assert source.next_run_at.minute % 15 == 0
    assert source.next_run_at - timezone.now() <= timedelta(minutes=15)


def test_a_source_being_verified_is_not_verified_twice(backup_file):
    source = file_source(backup_file)
    BackupSource.objects.filter(pk=source.pk).update(running_since=timezone.now())
    assert backup_verify_now(source) is None
    assert tasks.verify_later([source], now=timezone.now()) == ([], ["files"])


def test_a_source_without_a_good_run_raises_backup_stale_once(backup_file):
    source = file_source(backup_file)
    created = datetime(2025, 3, 1, 12, tzinfo=UTC)
    BackupSource.objects.filter(pk=source.pk).update(created_at=created)
    # Due at 05:00 the next day, plus the 2 h margin.
    assert sweep_stale(now=datetime(2025, 3, 2, 6, 59, tzinfo=UTC)) == []
    assert sweep_stale(now=datetime(2025, 3, 2, 7, 1, tzinfo=UTC)) == ["files"]
    assert sweep_stale(now=datetime(2025, 3, 2, 7, 6, tzinfo=UTC)) == []
    assert sweep_stale(now=datetime(2025, 3, 9, tzinfo=UTC)) == []
    stale = events("backup_stale")
    assert len(stale) == 1
    assert stale[0].summary == ("Backup files has had no successful verification ever; "
                                "one was due by 2025-03-02 07:00 UTC")
    # A good run ends the spell and resolves the incident; the next spell raises again.
    backup_verify_now(source)
    assert [event.kind for event in events()] == ["backup_stale", "backup_succeeded", "backup_verified"]
    assert not Incident.objects.exclude(status=Incident.Status.RESOLVED).exists()
    source.refresh_from_db()
    assert sweep_stale(now=source.last_good_at + timedelta(days=2)) == ["files"]


def test_failed_runs_do_not_count_as_good_for_staleness(backup_file):
    source = file_source(backup_file)
    good_at = timezone.now() - timedelta(days=3)
    BackupSource.objects.filter(pk=source.pk).update(last_good_at=good_at)
    backup_file.unlink()
    backup_verify_now(source)
    assert sweep_stale() == ["files"]
    assert Incident.objects.filter(source_key=source.source_key).count() == 1  # failed and stale share it


def test_the_periodic_jobs_are_declared():
    from portal.schedules import PERIODIC_JOBS

    funcs = {job.name: (job.func, job.minutes) for job in PERIODIC_JOBS}
    assert funcs["backups.dispatch"] == ("backups.tasks.dispatch_due", 1)
    assert funcs["backups.stale"] == ("backups.tasks.check_stale", 5)
