"""What the internal status page, the monitoring dashboard and the monitoring API read.

One selector per panel, each a constant number of queries however many monitors or
incidents there are, so the pages and the API show the same figures by the same rules.
"""

from collections import Counter
from datetime import UTC, datetime
from typing import NamedTuple

from django.apps import apps
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.models import Channel, Incident
from monitors.models import Monitor, Status
from monitors.uptime import EMPTY, summaries
from portal.sentry import stats as sentry_stats
from portal.health import notifications_state

# What a row shows; secrets (DSN, password, headers) are never even read.
MONITOR_FIELDS = (
    "name", "kind", "severity", "public", "paused", "status", "in_maintenance", "status_changed_at",
    "last_checked_at", "response_time_ms", "last_detail", "last_facts", "last_ping_at",
)
# Statuses that make the whole system "degraded". Seems down is one unconfirmed failure,
# not yet an outage; paused, maintenance and not checked say nothing about health.
PROBLEM_STATUSES = frozenset({Status.DOWN, Status.DEGRADED})
ERROR_STATUSES = frozenset({Status.SEEMS_DOWN, Status.DOWN, Status.DEGRADED})
RECENT_INCIDENTS = 100


class MonitorRow(NamedTuple):
    """A monitor as the pages and the API show it. The figures come formatted too: on a
    page of 1,000 monitors the `floatformat` filter costs more than the queries."""

    monitor: Monitor
    summary: object  # monitors.uptime.Summary
    status: str  # the shown status (maintenance while a window covers it)

    @property
    def status_label(self):
        return Status(self.status).label

    @property
    def uptime_24h(self):
        return self.summary.uptime("24h")

    @property
    def uptime_30d(self):
        return self.summary.uptime("30d")

    @property
    def uptime_24h_text(self):
        return _percent(self.uptime_24h)

    @property
    def uptime_30d_text(self):
        return _percent(self.uptime_30d)

    @property
    def response_text(self):
        """The last check's response time."""
        value = self.monitor.response_time_ms
        return "–" if value is None else f"{value:.0f} ms"

    @property
    def last_error(self):
        """The last check's detail while it tells of a problem ("status 200" is not an error)."""
        return self.monitor.last_detail if self.monitor.status in ERROR_STATUSES else ""

    @property
    def tls_days_left(self):
        return self.monitor.last_facts.get("days_left")

    @property
    def is_heartbeat(self):
        return self.monitor.pinged


def monitor_rows(now=None):
    """Every monitor (paused ones too) with its uptime figures, by name: three queries."""
    monitors = list(Monitor.objects.only(*MONITOR_FIELDS).order_by("name"))
    found = summaries(None, now=now)
    return [MonitorRow(monitor, found.get(monitor.pk, EMPTY), monitor.shown_status) for monitor in monitors]


def _percent(value):
    return "no data" if value is None else f"{value:.2f} %"


def overall_status(rows):
    """"degraded" while an active monitor is down or degraded, else "operational"."""
    return "degraded" if any(row.status in PROBLEM_STATUSES for row in rows) else "operational"


def status_counts(rows):
    """[(status, label, number of monitors)] for the statuses present, in the statuses' order."""
    counts = Counter(row.status for row in rows)
    return [(status.value, status.label, counts[status]) for status in Status if counts[status]]


def open_incidents():
    """Every incident not yet resolved, newest first, with who acknowledged it."""
    return list(
        Incident.objects.exclude(status=Incident.Status.RESOLVED)
        .select_related("acknowledged_by").order_by("-opened_at", "-pk")
    )


def recent_incidents(limit=RECENT_INCIDENTS):
    """The newest incidents, open or resolved, newest first."""
    return list(Incident.objects.order_by("-opened_at", "-pk")[:limit])


def incident_duration(incident, now):
    """How long it lasted, or has lasted so far while open."""
    return (incident.resolved_at or now) - incident.opened_at


class DeliveryHealth(NamedTuple):
    state: str  # "ok", "failing" or "backlog", as /health says
    channels: list  # enabled channels with their delivery columns


def delivery_health(now=None):
    """Notification delivery: /health's verdict plus each enabled channel's last delivery and error."""
    now = now or timezone.now()
    channels = Channel.objects.filter(enabled=True).only(
        "name", "kind", "failing", "last_error", "last_error_at", "last_delivered_at"
    )
    return DeliveryHealth(notifications_state(now), list(channels))


def latest_verifications():
    """The newest verification of each backup source, as dicts with at least `source`,
    `status`, `verified_at` and `detail`, for the pages and the API alike.

    The backups app plugs in by giving its `VerificationRun` manager a `latest_per_source()`
    that returns such dicts; until it defines the model there are no sources."""
    try:
        runs = apps.get_model("backups", "VerificationRun")
    except LookupError:
        return []
    return list(runs.objects.latest_per_source())


class ErrorStats(NamedTuple):
    stats: dict | None  # portal.sentry.stats.error_stats()'s answer
    error: str  # why there are no figures, or why they are stale
    updated_at: object = None  # when Sentry gave them (a datetime)
    trends: tuple = ()  # (project, [TrendBar]) per project of `stats`


class TrendBar(NamedTuple):
    """One hour's errors as a bar of an SVG TREND_HEIGHT high, TREND_PITCH apart."""

    x: int
    y: int
    height: int
    count: int
    hour: datetime


TREND_HOURS = 24
TREND_HEIGHT = 24
TREND_PITCH = 4


def error_stats():
    """Sentry's error counts of the last 24 h with their hourly trend, or why they cannot be had."""
    try:
        stats = sentry_stats.error_stats()
    except sentry_stats.SentryUnavailable as exc:
        return ErrorStats(None, str(exc) or "Sentry not configured")
    trends = tuple((project, error_trend(project.get("hourly", []))) for project in stats["projects"])
    return ErrorStats(stats, stats.get("error", ""), parse_datetime(stats["updated_at"]), trends)


def error_trend(hourly):
    """The last TREND_HOURS hourly buckets as bars scaled to the busiest hour (an hour with
    any error at least one unit high, so it never looks like none)."""
    buckets = hourly[-TREND_HOURS:]
    peak = max((count for _at, count in buckets), default=0) or 1
    bars = []
    for index, (at, count) in enumerate(buckets):
        height = max(round(count / peak * TREND_HEIGHT), 1 if count else 0)
        bars.append(TrendBar(index * TREND_PITCH, TREND_HEIGHT - height, height, count, datetime.fromtimestamp(at, UTC)))
    return bars
