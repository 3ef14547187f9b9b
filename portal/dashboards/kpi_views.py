"""The KPI export: `/dashboard/monitoring/kpis.csv` (super admins only).

Without parameters: one row per month × severity of the last 12 months (zeros included),
oldest first. With `?table=monitors`: one row per monitor with incidents in that time.
"""

from django.utils import timezone
from django.views.decorators.cache import never_cache

from core.csv_export import csv_response
from core.permissions import role_required
from core.roles import Role
from portal.dashboards import kpis

MONTH_HEADER = ["month", "severity", "incidents", "mtta_seconds", "mttr_seconds", "ack_breaches", "resolve_breaches"]
MONITOR_HEADER = ["monitor", "source_key", "incidents_last_30_days", "incidents_last_12_months"]


@never_cache
@role_required(Role.SUPER_ADMIN)
def kpis_csv(request):
    now = timezone.now()
    if request.GET.get("table") == "monitors":
        return csv_response("vigil-incidents-per-monitor.csv", MONITOR_HEADER, monitor_rows(now))
    return csv_response("vigil-kpis.csv", MONTH_HEADER, month_rows(now))


def month_rows(now):
    return [[f"{row.month:%Y-%m}", row.severity, row.opened, kpis.seconds(row.mtta), kpis.seconds(row.mttr),
             row.ack_breaches, row.resolve_breaches] for row in kpis.monthly_times(now)]


def monitor_rows(now):
    return [[row.name, row.key, row.last_30_days, row.last_12_months] for row in kpis.incidents_per_monitor(now)]

