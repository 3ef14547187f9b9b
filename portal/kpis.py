"""The dashboard's key figures, each judged against its target.

Everything but `incident_times` is a pure function of figures already read. A KPI with
no data says so (`met` is None) rather than passing or failing.
"""

from datetime import timedelta
from statistics import fmean
from typing import NamedTuple

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F

from core.durations import human_duration
from incidents.models import RESPONSE_SLA, Incident, Severity

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
