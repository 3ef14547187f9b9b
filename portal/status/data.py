"""The public status: what /status/, its Atom feed, the badges and the public API show.

Built in one place, so no public surface can show what another hides: names of public
monitors, their states in words, uptime, daily bars, hourly response times, incidents
under neutral titles ("Checkout API: outage") with their public updates only, and
maintenance windows. Never a URL, host, error text, incident title or private monitor.

It costs the same dozen queries whatever the number of monitors, and is cached for
CACHE_SECONDS, so a burst of visitors costs one build.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from incidents.models import Incident, PostMortem, TimelineEntry
from monitors.history import DAY, HOUR, day_of, hour_of, uptime_percent
from monitors.models import DailyRollup, HourlyRollup, MaintenanceWindow, Monitor, Status
from monitors.uptime import Window
from portal.status import stale_cache

CACHE_KEY = "vigil:status:data:3"  # versioned, as status_page's keys
CACHE_SECONDS = 15
BAR_DAYS = 90
LATENCY_HOURS = 24
PAST_INCIDENTS = timedelta(days=14)
MAINTENANCE_AHEAD = timedelta(days=7)
OTHER_GROUP = "Other"

# What a monitor's status means to the public: seems down is not confirmed (and counts as
# up in uptime), so it is not an outage yet.
PUBLIC_STATES = {
    Status.UP: "operational",
    Status.DEGRADED: "degraded",
    Status.SEEMS_DOWN: "operational",
    Status.DOWN: "outage",
    Status.MAINTENANCE: "maintenance",
    Status.PAUSED: "paused",
    Status.NOT_CHECKED: "unknown",
}
STATE_WORDS = {
    "operational": "Operational",
    "degraded": "Degraded performance",
    "outage": "Outage",
    "maintenance": "Under maintenance",
    "paused": "Paused",
    "unknown": "No data yet",
}
# The worst first; paused and unknown components do not count towards the overall state.
OVERALL_ORDER = ("outage", "degraded", "maintenance")
# An incident's impact by its problem family (the end of its dedup key, see monitors.engine).
IMPACTS = {"down": "outage", "degraded": "degraded performance", "certificate": "certificate renewal"}
DEFAULT_IMPACT = "service disruption"

PUBLIC_MAINTENANCE_TITLE = "Scheduled maintenance"


@dataclass(frozen=True)
class Component:
    """One public monitor. `days` holds BAR_DAYS daily uptimes, oldest first (None: no
    data; "maintenance": only maintenance that day); `latency` the last LATENCY_HOURS
    hourly average response times in ms (None: no check that hour)."""

    name: str
    slug: str | None
    group: str
    state: str
    uptime_24h: float | None
    uptime_30d: float | None
    uptime_90d: float | None
    days: tuple
    latency: tuple
    day_incidents: dict = field(default_factory=dict)  # day index → neutral incident titles
    response_ms_24h: float | None = None  # the average over every check of those hours

    @property
    def state_words(self):
        return STATE_WORDS[self.state]


class Update(NamedTuple):
    """A timeline entry an engineer marked public."""

    at: datetime
    text: str


@dataclass(frozen=True)
class PublicIncident:
    pk: int
    title: str
    status: str
    started_at: datetime
    resolved_at: datetime | None
    updates: tuple  # Updates, oldest first
    postmortem_ref: str | None = None  # set when a published post-mortem is linked publicly

    @property
    def is_open(self):
        return self.status != Incident.Status.RESOLVED

    @property
    def status_words(self):
        return Incident.Status(self.status).label


@dataclass(frozen=True)
class PublicMaintenance:
    pk: int
    name: str
    note: str
    starts: datetime
    ends: datetime | None  # None: until someone ends it
    active: bool
    components: tuple  # names of the public monitors it covers


@dataclass(frozen=True)
class PublicStatus:
    generated_at: datetime
    first_day: datetime  # the UTC day of the first bar
    components: tuple
    incidents: tuple  # open ones, then those resolved within PAST_INCIDENTS; newest first
    maintenance: tuple  # active and upcoming within MAINTENANCE_AHEAD, soonest first

    @property
    def overall(self):
        """operational, degraded, outage or maintenance: the worst component state."""
        states = {component.state for component in self.components}
        return next((state for state in OVERALL_ORDER if state in states), "operational")

    @property
    def headline(self):
        overall = self.overall
        if overall == "outage":
            counted = [c for c in self.components if c.state not in ("paused", "unknown")]
            return "Major outage" if all(c.state == "outage" for c in counted) else "Partial outage"
        return {"operational": "All systems operational", "degraded": "Degraded performance",
                "maintenance": "Under maintenance"}[overall]

    @property
    def groups(self):
        """[(group, components)], groups by name with "Other" (untagged) last."""
        found = defaultdict(list)
        for component in self.components:
            found[component.group].append(component)
        return sorted(found.items(), key=lambda item: (item[0] == OTHER_GROUP, item[0]))

    @property
    def open_incidents(self):
        return [incident for incident in self.incidents if incident.is_open]

    @property
    def past_incidents(self):
        return [incident for incident in self.incidents if not incident.is_open]

    def component(self, slug):
        return next((c for c in self.components if slug and c.slug == slug), None)


def public_status():
    """The public status, rebuilt CACHE_SECONDS after the last build began; while one
    caller rebuilds it, the others are served the previous one (`portal.status.stale_cache`)."""
    return stale_cache.get_or_rebuild(CACHE_KEY, _build_cached)


def _build_cached():
    status = build_public_status()
    return status, status.generated_at.timestamp() + CACHE_SECONDS


def build_public_status(now=None):
    now = now or timezone.now()
    first_day = day_of(now) - (BAR_DAYS - 1) * DAY
    monitors = list(Monitor.objects.filter(public=True).only("pk", "name", "slug", "status", "paused", "in_maintenance"))
    if not monitors:
        return PublicStatus(now, first_day, (), (), ())
    names = {monitor.source_key: monitor.name for monitor in monitors}
    tags = _tags()
    incidents = _incidents(names, first_day)
    recent = [i for i in incidents if i.resolved_at is None or i.resolved_at >= now - PAST_INCIDENTS]
    return PublicStatus(
        now,
        first_day,
        _components(monitors, tags, _day_incidents(incidents, names, first_day, now), now, first_day),
        _public_incidents(recent, names),
        _maintenance(monitors, tags, now),
    )


# Components ---------------------------------------------------------------------------


def _tags():
    """{public monitor id: [(tag id, tag name)]}, by name."""
    found = defaultdict(list)
    rows = Monitor.tags.through.objects.filter(monitor__public=True).values_list("monitor_id", "tag_id", "tag__name")
    for monitor_id, tag_id, name in rows.order_by("tag__name"):
        found[monitor_id].append((tag_id, name))
    return found


def _components(monitors, tags, day_incidents, now, first_day):
    ids = [monitor.pk for monitor in monitors]
    days, long_windows = _days(ids, first_day)
    latency, last_day, response = _hours(ids, now)
    return tuple(
        _component(monitor, tags, days[monitor.pk], latency[monitor.pk], last_day[monitor.pk],
                   long_windows[monitor.pk], day_incidents[monitor.source_key], response.get(monitor.pk))
        for monitor in monitors
    )


def _component(monitor, tags, days, latency, last_day, long_windows, day_incidents, response_ms_24h):
    group = tags[monitor.pk][0][1] if tags[monitor.pk] else OTHER_GROUP
    return Component(
        name=monitor.name,
        slug=monitor.slug,
        group=group,
        state=PUBLIC_STATES[monitor.shown_status],
        uptime_24h=last_day.percent,
        uptime_30d=long_windows["30d"].percent,
        uptime_90d=long_windows["90d"].percent,
        days=days,
        latency=latency,
        day_incidents=day_incidents,
        response_ms_24h=response_ms_24h,
    )


def _days(ids, first_day):
    """({monitor id: BAR_DAYS daily uptimes}, {monitor id: {"30d", "90d": Window}}) from one
    read of the daily rollups: the bars and the long windows are sums of the same rows,
    counted as `monitors.uptime.summaries` counts them (the last N UTC days, today included)."""
    index_of = {(first_day + i * DAY).strftime("%Y-%m-%d"): i for i in range(BAR_DAYS)}
    first_of_30 = BAR_DAYS - 30
    found = defaultdict(lambda: [None] * BAR_DAYS)
    sums = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])  # up 90 d, down 90 d, up 30 d, down 30 d
    for monitor_id, start, up, down, maintenance in _rows(DailyRollup, ids, first_day).values_list(
        "monitor_id", "start_text", "up_seconds", "down_seconds", "maintenance_seconds"
    ):
        index = index_of.get(start[:10])
        if index is None:
            continue
        uptime = uptime_percent(up, down)
        found[monitor_id][index] = "maintenance" if uptime is None and maintenance else uptime
        totals = sums[monitor_id]
        totals[0] += up
        totals[1] += down
        if index >= first_of_30:
            totals[2] += up
            totals[3] += down
    days = defaultdict(lambda: (None,) * BAR_DAYS, {key: tuple(value) for key, value in found.items()})
    windows = defaultdict(lambda: {"30d": Window(), "90d": Window()}, {
        key: {"90d": Window(up90, down90), "30d": Window(up30, down30)}
        for key, (up90, down90, up30, down30) in sums.items()
    })
    return days, windows


def _hours(ids, now):
    """({monitor id: LATENCY_HOURS hourly average response times}, {monitor id: Window of
    those hours}, {monitor id: average response time over them}) from one read of the
    hourly rollups."""
    first_hour = hour_of(now) - (LATENCY_HOURS - 1) * HOUR
    index_of = {(first_hour + i * HOUR).strftime("%Y-%m-%d %H"): i for i in range(LATENCY_HOURS)}
    found = defaultdict(lambda: [None] * LATENCY_HOURS)
    sums = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for monitor_id, start, up, down, total, checks in _rows(HourlyRollup, ids, first_hour).values_list(
        "monitor_id", "start_text", "up_seconds", "down_seconds", "latency_sum", "latency_count"
    ):
        index = index_of.get(start[:13])
        if index is None:
            continue
        if checks:
            found[monitor_id][index] = round(total / checks, 1)
        totals = sums[monitor_id]
        totals[0] += up
        totals[1] += down
        totals[2] += total or 0.0
        totals[3] += checks or 0
    latency = defaultdict(lambda: (None,) * LATENCY_HOURS, {key: tuple(value) for key, value in found.items()})
    windows = defaultdict(Window, {key: Window(up, down) for key, (up, down, _total, _checks) in sums.items()})
    response = {key: total / checks for key, (_up, _down, total, checks) in sums.items() if checks}
    return latency, windows, response


def _rows(model, ids, since):
    """These monitors' rollups since `since`, with `start_text`: the start as UTC text
    ("2025-03-04 00:00:00…", the connection's time zone is UTC). Text, because converting
    18,000 datetimes costs more than the query."""
    return model.objects.filter(monitor_id__in=ids, start__gte=since).annotate(start_text=Cast("start", CharField()))


# Incidents ----------------------------------------------------------------------------


def _incidents(names, since):
    """Incidents of public monitors open at some time since `since`, newest first. Their
    titles hold error details, so they are never read."""
    return list(
        Incident.objects.filter(source_key__in=list(names))
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
        .only("pk", "ref", "status", "source_key", "dedup_key", "opened_at", "resolved_at")
        .order_by("-opened_at", "-pk")
    )


def neutral_title(incident, names):
    """The public monitor's name and the impact: "Checkout API: outage"."""
    family = incident.dedup_key.rsplit(":", 1)[-1] if incident.dedup_key else ""
    return f"{names[incident.source_key]}: {IMPACTS.get(family, DEFAULT_IMPACT)}"


def _day_incidents(incidents, names, first_day, now):
    """{source key: {day index: [neutral titles]}} for the days each incident lasted."""
    found = defaultdict(dict)
    for incident in reversed(incidents):
        first = max(0, (day_of(incident.opened_at) - first_day).days)
        last = min(BAR_DAYS - 1, (day_of(incident.resolved_at or now) - first_day).days)
        title = neutral_title(incident, names)
        for index in range(first, last + 1):
            titles = found[incident.source_key].setdefault(index, [])
            if title not in titles:
                titles.append(title)
    return found


def _public_incidents(incidents, names):
    updates = defaultdict(list)
    if incidents:
        entries = TimelineEntry.objects.filter(public=True, incident__in=[i.pk for i in incidents])
        for incident_id, at, text in entries.order_by("at", "pk").values_list("incident_id", "at", "text"):
            updates[incident_id].append(Update(at, text))
    linked = set(
        PostMortem.objects.filter(incident__in=[i.pk for i in incidents], public_link=True,
                                  status=PostMortem.Status.PUBLISHED).values_list("incident_id", flat=True)
    ) if incidents else set()
    ordered = sorted(incidents, key=lambda i: (i.status != Incident.Status.RESOLVED, i.opened_at), reverse=True)
    return tuple(
        PublicIncident(incident.pk, neutral_title(incident, names), incident.status, incident.opened_at,
                       incident.resolved_at, tuple(updates[incident.pk]),
                       incident.ref if incident.pk in linked else None)
        for incident in ordered
    )


# Maintenance --------------------------------------------------------------------------


def _maintenance(monitors, tags, now):
    """Windows active now or starting within MAINTENANCE_AHEAD that cover a public monitor."""
    windows = list(MaintenanceWindow.objects.possibly_active(now, now + MAINTENANCE_AHEAD))
    if not windows:
        return ()
    ids = [window.pk for window in windows]
    window_monitors = _pairs(MaintenanceWindow.monitors.through, ids, "monitor_id")
    window_tags = _pairs(MaintenanceWindow.tags.through, ids, "tag_id")
    found = []
    for window in windows:
        covered = tuple(
            monitor.name for monitor in monitors
            if window.all_monitors or monitor.pk in window_monitors[window.pk]
            or window_tags[window.pk] & {tag_id for tag_id, _ in tags[monitor.pk]}
        )
        occurrence = _occurrence(window, now)
        if covered and occurrence:
            # Names and notes are the team's (deploy scripts write tickets and hosts there).
            found.append(PublicMaintenance(window.pk, PUBLIC_MAINTENANCE_TITLE, window.public_note, *occurrence, covered))
    return tuple(sorted(found, key=lambda m: (m.starts, m.name)))


def _pairs(through, window_ids, column):
    found = defaultdict(set)
    for window_id, value in through.objects.filter(maintenancewindow_id__in=window_ids).values_list(
        "maintenancewindow_id", column
    ):
        found[window_id].add(value)
    return found


def _occurrence(window, now):
    """(starts, ends, active) of the window's current or next occurrence within
    MAINTENANCE_AHEAD, or None."""
    starts = window.current_start(now)
    active = starts is not None
    if not active:
        starts = window.next_start(now)
        if starts is None or starts > now + MAINTENANCE_AHEAD:
            return None
    ends = window.end_of(starts)
    return starts, ends, active
