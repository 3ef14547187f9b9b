"""The super admins' monitoring dashboard: the page, and its panels alone, which the page
fetches every 30 seconds and swaps in (no page reload, no JavaScript framework); and the
KPI export, `/dashboard/monitoring/kpis.csv`."""

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from core.csv_export import csv_response
from core.durations import human_duration
from core.permissions import role_required
from core.roles import Role
from incidents.oncall import on_call_summary
from incidents.selectors import open_action_items
from monitors.models import Status
from portal.dashboards import data
from portal.dashboards import kpis
from portal.dashboards.database_panel import database_rows

RECENT_INCIDENTS_SHOWN = 10
ACTION_ITEMS_SHOWN = 20
MONTH_HEADER = ["month", "severity", "incidents", "mtta_seconds", "mttr_seconds", "ack_breaches", "resolve_breaches"]
MONITOR_HEADER = ["monitor", "source_key", "incidents_last_30_days", "incidents_last_12_months"]


@never_cache
@role_required(Role.SUPER_ADMIN)
def dashboard(request):
    context = {**panels(timezone.now()), "refresh_seconds": settings.DASHBOARD_REFRESH_SECONDS}
    return render(request, "dashboard/monitoring.html", context)


@never_cache
@role_required(Role.SUPER_ADMIN)
def dashboard_panels(request):
    """The panels' HTML, for the page's refresh."""
    return render(request, "dashboard/panels.html", panels(timezone.now()))


def panels(now):
    """Everything the panels show, in a constant number of queries."""
    rows = data.monitor_rows(now)
    errors = data.error_stats()
    return {
        "now": now,
        "rows": rows,
        "overall": data.overall_status(rows),
        "counts": data.status_counts(rows),
        "errors": errors,
        "incidents": _recent_incidents(now),
        "delivery": data.delivery_health(now),
        "backups": data.latest_verifications(),
        "databases": database_rows(rows, now),
        "kpis": _kpis(rows, errors),
        "severity_kpis": kpis.severity_kpis(kpis.incident_times(now)),
        "action_items": list(open_action_items()[:ACTION_ITEMS_SHOWN]),
        "on_call": on_call_summary(now),
    }


def _recent_incidents(now):
    incidents = data.recent_incidents(RECENT_INCIDENTS_SHOWN)
    for incident in incidents:
        incident.duration = human_duration(data.incident_duration(incident, now).total_seconds())
    return incidents


def _kpis(rows, errors):
    active = [row for row in rows if row.status != Status.PAUSED]
    return [
        kpis.uptime_kpi(row.uptime_30d for row in active),
        kpis.error_rate_kpi(errors.stats, errors.error),
        kpis.response_kpi(row.summary.response_ms_24h for row in active),
    ]


@never_cache
@role_required(Role.SUPER_ADMIN)
def kpis_csv(request):
    """Without parameters: one row per month × severity of the last 12 months (zeros
    included), oldest first. With `?table=monitors`: one row per monitor with incidents in
    that time."""
    now = timezone.now()
    if request.GET.get("table") == "monitors":
        return csv_response("vigil-incidents-per-monitor.csv", MONITOR_HEADER, monitor_rows(now))
    return csv_response("vigil-kpis.csv", MONTH_HEADER, month_rows(now))


def month_rows(now):
    return [[f"{row.month:%Y-%m}", row.severity, row.opened, kpis.seconds(row.mtta), kpis.seconds(row.mttr),
             row.ack_breaches, row.resolve_breaches] for row in kpis.monthly_times(now)]


def monitor_rows(now):
    return [[row.name, row.key, row.last_30_days, row.last_12_months] for row in kpis.incidents_per_monitor(now)]

