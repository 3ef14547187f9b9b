"""Error-rate alerts from Sentry: every minute, each project's errors over its window are
counted (Sentry's 10-second buckets, its finest); at or above its error threshold the
project is "over". Each project has its own rule (`portal.sentry.stats.Project`: a
SentryProject row, or SENTRY_ERROR_THRESHOLD and SENTRY_ERROR_WINDOW_MINUTES for the
SENTRY_PROJECTS).

The state is the incident itself: an open incident with the dedup key
`sentry:<slug>:error_rate` means "over". Going over emits `error_rate` (opening it),
coming back under emits `error_rate_normal` (resolving it), each once. The decision is
made while holding the project's Source row (SELECT … FOR UPDATE on PostgreSQL; SQLite's
IMMEDIATE transactions hold the write lock from BEGIN), so two clusters running the job
at once emit a change once. If someone resolves the incident while errors stay high, the
next run opens a new one.

Each project is a Source with the key `sentry:<slug>` (tagged `sentry`), so alert rules
can name it; it is an app source, so config files name it under `event_sources`.
"""

import logging
from datetime import timedelta
from itertools import groupby

from django.db import transaction
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from incidents.models import Incident, Source
from incidents.sources import source_upsert
from portal.sentry.event_kinds import ERROR_RATE, ERROR_RATE_NORMAL
from portal.sentry.stats import SentryUnavailable, project_counts, sentry_config

log = logging.getLogger(__name__)


def source_key(slug):
    return f"sentry:{slug}"


def dedup_key(slug):
    return f"sentry:{slug}:error_rate"


def check_error_rates(now=None):
    """Periodic: emit the changes of each project's error rate; returns the slugs that changed.
    Does nothing when Sentry is not configured; logs and waits for the next run when it fails."""
    config = sentry_config()
    if config is None:
        return []
    now = now or timezone.now()
    try:
        counts = _counts(config, now)
    except SentryUnavailable as exc:
        log.warning("Error rates not checked: %s", exc)
        return []
    register_sources(config.slugs)
    return [project.slug for project in config.projects if _apply(project, counts[project.slug], now)]


def _counts(config, now):
    """{slug: errors within the project's own window}, one request per project."""
    counts = {}
    by_window = sorted(config.projects, key=lambda project: project.window)
    for window, projects in groupby(by_window, key=lambda project: project.window):
        slugs = [project.slug for project in projects]
        counts.update(project_counts(config, since=now - timedelta(seconds=window), resolution="10s", slugs=slugs))
    return counts


def register_sources(slugs):
    """A Source per project; existing ones are left as they are (an admin may retag them)."""
    known = set(Source.objects.filter(key__in=[source_key(slug) for slug in slugs]).values_list("key", flat=True))
    for slug in slugs:
        if source_key(slug) not in known:
            source_upsert(key=source_key(slug), kind=Source.Kind.APP, name=f"Sentry project {slug}", tags=["sentry"])


@transaction.atomic
def _apply(project, count, now):
    """Emit the change if there is one; True if this call emitted it."""
    slug = project.slug
    list(Source.objects.select_for_update().filter(key=source_key(slug)).values_list("pk", flat=True))
    over = count >= project.error_threshold
    was_over = Incident.objects.filter(dedup_key=dedup_key(slug)).exclude(status=Incident.Status.RESOLVED).exists()
    if over == was_over:
        return False
    receive_events([_event(project, count, over, now)])
    return True


def _event(project, count, over, now):
    slug, threshold = project.slug, project.error_threshold
    minutes = project.window // 60 if project.window % 60 == 0 else project.window / 60
    figures = f"{count} errors in the last {minutes:g} min (threshold {threshold})"
    return NewEvent(
        kind=ERROR_RATE if over else ERROR_RATE_NORMAL,
        source_key=source_key(slug),
        severity="",  # the matching rule's, else the default
        summary=f"Sentry project {slug}: {'high error rate' if over else 'error rate back to normal'}, {figures}",
        dedup_key=dedup_key(slug),
        occurred_at=now,
        details={"project": slug, "status": "high" if over else "normal", "errors": count,
                 "window_minutes": minutes, "threshold": threshold},
    )
