"""Writes to monitors from the outside (admin, API, config files, ping URLs) go through here."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import count

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from incidents.sources import source_forget, source_upsert
from monitors.checks import prepare, run_check
from monitors.engine import claim_now, record_outcomes
from monitors.kinds import pinged_kinds
from monitors.models import Monitor, StateChange, Status, Tag


@transaction.atomic
def monitor_save(monitor, *, tags=None):
    """Validate and save a monitor's settings; a new or changed monitor is checked soon.

    An update writes the settings columns only, so it never undoes a state change the
    engine made meanwhile. `paused` is honoured here too, so every write path pauses and
    resumes the same way. `tags` (names) replaces the monitor's tags when given.
    """
    monitor.full_clean(exclude=["tags"])
    if monitor.pk is None or not Monitor.objects.filter(pk=monitor.pk).exists():
        _start_monitoring(monitor, timezone.now(), status=Status.PAUSED if monitor.paused else Status.NOT_CHECKED)
        monitor.slug = monitor.slug or free_slug(monitor.name)
        monitor.save()
    else:
        _save_settings(monitor)
    if tags is not None:
        monitor.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
    monitor_register_source(monitor)
    return monitor


def free_slug(name):
    """The name's slug, made unique with -2, -3…: a monitor's public badge address."""
    base = slugify(name)[:190].strip("-") or "monitor"
    taken = set(Monitor.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    candidates = (base if n == 1 else f"{base}-{n}" for n in count(1))
    return next(slug for slug in candidates if slug not in taken)


def monitor_register_source(monitor):
    """Keep the monitor's Source row (name and tags) in step, so alert rules can name it.

    The admin saves tags after the monitor (save_related), so it calls this again then.
    """
    tags = monitor.tags.values_list("name", flat=True)
    source_upsert(key=monitor.source_key, kind="monitor", name=monitor.name, tags=list(tags))


def monitor_forget_source(sender, instance, **kwargs):
    """post_delete receiver: every delete path (admin, bulk, API, config --prune) lands here."""
    source_forget(key=instance.source_key)


def _save_settings(monitor):
    live = Monitor.objects.select_for_update().get(pk=monitor.pk)
    for field in Monitor.SETTINGS_FIELDS:
        setattr(live, field, getattr(monitor, field))
    live.next_check_at = live.deadline() or timezone.now()
    live.slug = live.slug or free_slug(live.name)  # rows bulk-created without one
    live.save(update_fields=[*Monitor.SETTINGS_FIELDS, "slug", "next_check_at", "updated_at"])
    if monitor.paused != live.paused:
        _set_paused(live, monitor.paused, timezone.now())
    for field in (f.attname for f in Monitor._meta.concrete_fields):
        setattr(monitor, field, getattr(live, field))


def monitor_pause(monitor):
    with transaction.atomic():
        locked = Monitor.objects.select_for_update().get(pk=monitor.pk)
        if not locked.paused:
            _set_paused(locked, True, timezone.now())
    monitor.refresh_from_db()


def monitor_resume(monitor):
    with transaction.atomic():
        locked = Monitor.objects.select_for_update().get(pk=monitor.pk)
        if locked.paused:
            _set_paused(locked, False, timezone.now())
    monitor.refresh_from_db()


def _set_paused(monitor, paused, now):
    old = monitor.status
    monitor.paused = paused
    if paused:
        monitor.status = Status.PAUSED
        monitor.status_changed_at = now
    else:
        _start_monitoring(monitor, now, status=Status.NOT_CHECKED)
    monitor.save()
    StateChange.objects.create(
        monitor=monitor,
        from_status=old,
        to_status=monitor.status,
        changed_at=now,
        reason="paused" if paused else "resumed",
    )


def _start_monitoring(monitor, now, *, status):
    """Start from a clean slate: not checked, no failures counted, no window entered, first check now."""
    monitor.status = status
    monitor.status_changed_at = now
    monitor.consecutive_failures = 0
    monitor.in_maintenance, monitor.maintenance_entered_status, monitor.maintenance_entered_expiring = False, "", False
    monitor.monitoring_since = now
    monitor.next_check_at = monitor.deadline() or now


@dataclass(frozen=True)
class CheckNowReport:
    checked: int
    up: int
    down: int


def monitors_check_now(ids):
    """Check these monitors at once, in this process, through the same engine as the runners."""
    now = timezone.now()
    monitors = claim_now(ids, now=now)
    if not monitors:
        return CheckNowReport(0, 0, 0)
    prepare()
    workers = min(len(monitors), settings.CHECK_CONCURRENCY)
    with ThreadPoolExecutor(workers) as pool:
        outcomes = list(pool.map(lambda monitor: run_check(monitor, now=now), monitors))
    record_outcomes([(monitor, outcome, now) for monitor, outcome in zip(monitors, outcomes)])
    oks = [outcome.ok for outcome in outcomes if outcome.ok is not None]
    return CheckNowReport(len(oks), oks.count(True), oks.count(False))


@dataclass(frozen=True)
class Ping:
    kind: str  # "success", "start" or "fail"
    body: str


def heartbeat_ping(ping_uuid, ping):
    """Record a ping with one UPDATE; returns False for an unknown heartbeat.

    State changes wait for a runner: a ping that may bring the monitor back up makes it
    due now, so the engine (the one place that moves states) evaluates it within a tick.
    A healthy ping leaves the schedule alone: the next look (within an interval, and
    before the new deadline) finds it up.
    """
    now = timezone.now()
    monitor = (
        Monitor.objects.filter(ping_uuid=ping_uuid, kind__in=pinged_kinds())
        .only("pk", "status")
        .first()
    )
    if monitor is None:
        return False
    if ping.kind == "start":
        Monitor.objects.filter(pk=monitor.pk).update(last_start_at=now)
        return True
    fields = {"last_ping_at": now, "last_ping_kind": ping.kind, "last_ping_body": ping.body}
    if not (monitor.status == Status.UP and ping.kind == "success"):
        fields["next_check_at"] = now
    Monitor.objects.filter(pk=monitor.pk).update(**fields)
    return True
