"""The internal status page for Staff, Engineers and super admins: every monitor with the
details the public page leaves out, open incidents and backups."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from core.permissions import role_required
from core.roles import Role
from incidents.oncall import on_call_summary
from portal.dashboards import data
from portal.dashboards.database_panel import database_rows


@never_cache
@role_required(Role.STAFF)
def internal_status(request):
    now = timezone.now()
    rows = data.monitor_rows(now)
    context = {
        "now": now,
        "rows": rows,
        "overall": data.overall_status(rows),
        "counts": data.status_counts(rows),
        "incidents": data.open_incidents(),
        "backups": data.latest_verifications(),
        "databases": database_rows(rows, now),
        "on_call": on_call_summary(now),
    }
    return render(request, "status/internal.html", context)
