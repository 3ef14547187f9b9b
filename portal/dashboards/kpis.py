"""The dashboard's key figures, each judged against its target.

Everything but `incident_times` is a pure function of figures already read. A KPI with
no data says so (`met` is None) rather than passing or failing.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from statistics import fmean
from typing import NamedTuple

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

from core.durations import human_duration
from incidents.models import RESPONSE_SLA, Incident, Severity, Source

UPTIME_TARGET = 99.9  # percent, over 30 days
ERROR_RATE_TARGET = 1.0  # percent of requests, over 24 h
RESPONSE_TARGET_MS = 500.0
INCIDENT_WINDOW = timedelta(days=30)
# Time to acknowledge: the severity's response SLA, the one escalation waits for.
MTTA_TARGETS = RESPONSE_SLA
# Time to resolve.
MTTR_TARGETS = {
    Severity.P0: timedelta(hours=1),
    Severity.P1: timedelta(hours=4),
    Severity.P2: timedelta(days=1),
    Severity.P3: timedelta(days=3),
}


class Kpi(NamedTuple):
    label: str
    shown: str  # the value as people read it ("n/a" without data)
    target: str
    met: bool | None  # None: no data to judge
    note: str = ""


def uptime_kpi(uptimes):
    """The mean 30-day uptime of the active monitors with data (each monitor weighs the
    same), and how many of them meet the target on their own."""
    uptimes = [value for value in uptimes if value is not None]
    target = f"≥ {UPTIME_TARGET:g} %"
    if not uptimes:
        return Kpi("Uptime (30 d)", "n/a", target, None, "no monitor has data yet")
    mean = fmean(uptimes)
    meeting = sum(value >= UPTIME_TARGET for value in uptimes)
    note = f"mean of {len(uptimes)} active monitors; {meeting} of {len(uptimes)} meet {UPTIME_TARGET:g} %"
    return Kpi("Uptime (30 d)", f"{mean:.3f} %", target, mean >= UPTIME_TARGET, note)


def error_rate_kpi(stats, error=""):
    """Errors over requests in 24 h. Sentry counts errors, not requests, and nothing else
    counts requests, so the rate is "n/a" and the number of errors is given instead."""
    target = f"≤ {ERROR_RATE_TARGET:g} %"
    if stats is None:
        return Kpi("Error rate (24 h)", "n/a", target, None, error or "Sentry not configured")
    return Kpi("Error rate (24 h)", "n/a", target, None, f"{stats['total_24h']} errors in 24 h; no request count")


def response_kpi(averages_ms):
    """The mean of the active monitors' 24-hour average response times."""
    averages_ms = [value for value in averages_ms if value is not None]
    target = f"≤ {RESPONSE_TARGET_MS:g} ms"
    if not averages_ms:
        return Kpi("Response time (24 h)", "n/a", target, None, "no response times yet")
    mean = fmean(averages_ms)
    note = f"mean of {len(averages_ms)} monitors' averages"
    return Kpi("Response time (24 h)", f"{mean:.0f} ms", target, mean <= RESPONSE_TARGET_MS, note)


class IncidentTimes(NamedTuple):
    """One severity's incidents opened in the window: how many, and the mean times."""

    opened: int = 0
    acknowledged: int = 0
    resolved: int = 0
    mtta: timedelta | None = None  # opened → acknowledged, over the acknowledged ones
    mttr: timedelta | None = None  # opened → resolved, over the resolved ones


def incident_times(now):
    """{severity: IncidentTimes} for the incidents opened in the last 30 days: one query."""
    rows = (
        Incident.objects.filter(opened_at__gt=now - INCIDENT_WINDOW).order_by().values("severity")
        .annotate(opened=Count("pk"), acknowledged=Count("acknowledged_at"), resolved=Count("resolved_at"),
                  mtta=Avg(_since_opened("acknowledged_at")), mttr=Avg(_since_opened("resolved_at")))
    )
    return {row.pop("severity"): IncidentTimes(**row) for row in rows}


def _since_opened(field):
    return ExpressionWrapper(F(field) - F("opened_at"), output_field=DurationField())


class SeverityKpis(NamedTuple):
    severity: str
    times: IncidentTimes
    mtta: Kpi
    mttr: Kpi


def severity_kpis(times):
    """MTTA and MTTR of every severity, P0 to P3, against their targets."""
    found = []
    for severity in Severity:
        these = times.get(severity, IncidentTimes())
        mtta = _duration_kpi(f"{severity} MTTA", these.mtta, MTTA_TARGETS[severity])
        mttr = _duration_kpi(f"{severity} MTTR", these.mttr, MTTR_TARGETS[severity])
        found.append(SeverityKpis(severity.value, these, mtta, mttr))
    return found


def _duration_kpi(label, value, target):
    shown_target = f"≤ {human_duration(target.total_seconds())}"
    if value is None:
        return Kpi(label, "n/a", shown_target, None)
    return Kpi(label, human_duration(value.total_seconds()), shown_target, value <= target)


# History: per month and severity, SLA breaches, incidents per monitor ----------------
#
# An incident breaches its acknowledgement SLA when it was acknowledged after the
# severity's SLA (P0 15 min, P1 1 h, P2 4 h, P3 1 day), or is still unacknowledged once
# the SLA has passed; likewise for resolution against the same table. An incident whose
# SLA has not passed yet is not (yet) a breach.
ACK_SLA = RESPONSE_SLA
RESOLVE_SLA = RESPONSE_SLA
HISTORY_MONTHS = 12


class MonthTimes(NamedTuple):
    """One month's (UTC, by opening time) incidents of one severity."""

    month: date  # its first day
    severity: str
    opened: int = 0
    mtta: timedelta | None = None
    mttr: timedelta | None = None
    ack_breaches: int = 0
    resolve_breaches: int = 0


def first_month(now, months=HISTORY_MONTHS):
    """The first day of the oldest of the last `months` months, this one included."""
    index = now.year * 12 + now.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def monthly_times(now, months=HISTORY_MONTHS):
    """[MonthTimes] for every month × severity of the last `months` months, oldest first,
    zeros included: one query."""
    start = first_month(now, months)
    since = datetime(start.year, start.month, 1, tzinfo=UTC)
    rows = Incident.objects.filter(opened_at__gte=since).order_by().values_list(
        "severity", "opened_at", "acknowledged_at", "resolved_at")
    groups = defaultdict(list)
    for severity, opened, acknowledged, resolved in rows:
        opened = opened.astimezone(UTC)
        groups[(date(opened.year, opened.month, 1), severity)].append((opened, acknowledged, resolved))
    return [_month_times(month, severity, groups.get((month, severity), []), now)
            for month in _months(start, months) for severity in Severity]


def _months(start, months):
    index = start.year * 12 + start.month - 1
    return [date((index + n) // 12, (index + n) % 12 + 1, 1) for n in range(months)]


def _month_times(month, severity, incidents, now):
    return MonthTimes(
        month, severity.value, len(incidents),
        _mean(acknowledged - opened for opened, acknowledged, _ in incidents if acknowledged),
        _mean(resolved - opened for opened, _, resolved in incidents if resolved),
        sum(is_breach(opened, acknowledged, ACK_SLA[severity], now) for opened, acknowledged, _ in incidents),
        sum(is_breach(opened, resolved, RESOLVE_SLA[severity], now) for opened, _, resolved in incidents),
    )


def is_breach(opened, done, sla, now):
    """Done after the SLA, or not done while the SLA has passed."""
    return (done or now) - opened > sla


def _mean(durations):
    durations = list(durations)
    return sum(durations, timedelta()) / len(durations) if durations else None


class MonitorIncidents(NamedTuple):
    key: str  # the source key, "monitor:<id>"
    name: str
    last_30_days: int
    last_12_months: int


def incidents_per_monitor(now, months=HISTORY_MONTHS):
    """[MonitorIncidents] for every monitor with incidents in the last `months` months,
    most incidents first: two queries. A deleted monitor shows by its key."""
    start = first_month(now, months)
    rows = list(
        Incident.objects.filter(source_key__startswith="monitor:",
                                opened_at__gte=datetime(start.year, start.month, 1, tzinfo=UTC))
        .order_by().values("source_key")
        .annotate(total=Count("pk"), recent=Count("pk", filter=Q(opened_at__gt=now - INCIDENT_WINDOW)))
    )
    names = dict(Source.objects.filter(key__in=[row["source_key"] for row in rows]).values_list("key", "name"))
    found = [MonitorIncidents(row["source_key"], names.get(row["source_key"], row["source_key"]),
                              row["recent"], row["total"]) for row in rows]
    return sorted(found, key=lambda row: (-row.last_12_months, row.name))


def seconds(value):
    """A duration as whole seconds for the CSV and the report ("" without one)."""
    return "" if value is None else round(value.total_seconds())


class MonthRow(NamedTuple):
    """A MonthTimes as the dashboard shows it."""

    times: MonthTimes
    mtta: Kpi
    mttr: Kpi


def history(now):
    """What the dashboard's KPI history shows: the months × severities with incidents,
    newest month first (P0 to P3 within a month), judged against the targets, and the
    incidents per monitor: three queries."""
    months = [row for row in monthly_times(now) if row.opened]
    rows = [MonthRow(row, _duration_kpi("MTTA", row.mtta, MTTA_TARGETS[row.severity]),
                     _duration_kpi("MTTR", row.mttr, MTTR_TARGETS[row.severity]))
            for row in sorted(months, key=lambda row: row.month, reverse=True)]
    return {"months": rows, "monitors": incidents_per_monitor(now)}
