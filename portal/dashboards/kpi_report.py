"""The weekly report emailed to super admins: the week's incidents, the monitors' 7-day
uptime, the uptime objectives, the backups and the open action items.

`send_weekly_report_if_due` runs every hour (portal.schedules); from Monday 08:00 UTC,
within a day, it sends the report of the week that just ended, once: the week is claimed
by inserting its WeeklyReport row (unique), so several clusters never send it twice.
`manage.py send_weekly_report` sends one now.
"""

import logging
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.core.mail import get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from core.durations import human_duration
from core.mail import EmailMultiAlternatives
from incidents.links import incident_url
from incidents.models import Incident
from incidents.selectors import open_action_items
from monitors.models import Monitor
from monitors.uptime import EMPTY, objective, summaries
from portal.dashboards import data as dashboard_data
from portal.dashboards import kpis
from portal.models import WeeklyReport

log = logging.getLogger(__name__)
SEND_WEEKDAY = 0  # Monday
SEND_TIME = time(8, 0)
WEEK = timedelta(days=7)
# A week whose report could not go out within a day (no cluster running) is skipped; send
# it with `manage.py send_weekly_report`.
SEND_WINDOW = timedelta(days=1)
SEND_TIMEOUT = 30  # seconds, per SMTP operation


def week_end(now):
    """The latest Monday 08:00 UTC at or before `now`: where the last full week ends."""
    now = now.astimezone(UTC)
    monday = datetime.combine(now.date() - timedelta(days=now.weekday() - SEND_WEEKDAY), SEND_TIME, tzinfo=UTC)
    return monday if monday <= now else monday - WEEK


def send_weekly_report_if_due(now=None):
    """The periodic job: send last week's report once, on Monday from 08:00 UTC. Returns
    the number of recipients (0 when not due or already sent)."""
    now = now or timezone.now()
    until = week_end(now)
    if now - until >= SEND_WINDOW:
        return 0
    try:
        with transaction.atomic():
            WeeklyReport.objects.create(week_ending=until)
    except IntegrityError:
        return 0
    return send_weekly_report(until=until)


def send_weekly_report(*, until=None, to=None):
    """Email the report of the 7 days before `until` (default now) to `to` (default: every
    super admin with an email address). Returns the number of recipients."""
    until = until or timezone.now()
    recipients = list(to) if to else super_admin_emails()
    if not recipients:
        log.warning("weekly report not sent: no super admin has an email address")
        return 0
    context = report_context(until)
    subject = f"Vigil weekly report: {context['since']:%Y-%m-%d} to {until:%Y-%m-%d}"
    message = EmailMultiAlternatives(subject, render_to_string("portal/weekly_report.txt", context),
                                     to=recipients, connection=get_connection(timeout=SEND_TIMEOUT))
    message.attach_alternative(render_to_string("portal/weekly_report.html", context), "text/html")
    message.send()
    return len(recipients)


def super_admin_emails():
    users = get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def report_context(until):
    """Everything the report shows, in a constant number of queries."""
    since = until - WEEK
    incidents = week_incidents(since, until)
    monitors = monitor_rows(until)
    return {
        "since": since,
        "until": until,
        "base_url": settings.VIGIL_BASE_URL,
        "incidents": incidents,
        "ack_breaches": sum(row.ack_breach for row in incidents),
        "resolve_breaches": sum(row.resolve_breach for row in incidents),
        "monitors": monitors,
        "objectives": [row for row in monitors if row.objective],
        "backups": dashboard_data.latest_verifications(),
        "action_items": list(open_action_items()),  # with their incident and owner
    }


class IncidentRow:
    def __init__(self, incident, now):
        sla = kpis.ACK_SLA[incident.severity]
        self.incident = incident
        self.url = incident_url(incident)
        self.acknowledged_after = _delay(incident.opened_at, incident.acknowledged_at)
        self.resolved_after = _delay(incident.opened_at, incident.resolved_at)
        self.ack_breach = kpis.is_breach(incident.opened_at, incident.acknowledged_at, sla, now)
        self.resolve_breach = kpis.is_breach(incident.opened_at, incident.resolved_at,
                                             kpis.RESOLVE_SLA[incident.severity], now)


def _delay(start, end):
    return human_duration((end - start).total_seconds()) if end else ""


def week_incidents(since, until):
    found = Incident.objects.filter(opened_at__gte=since, opened_at__lt=until).order_by("opened_at", "pk")
    return [IncidentRow(incident, until) for incident in found]


class MonitorRow:
    def __init__(self, monitor, summary):
        self.monitor = monitor
        self.uptime_7d = summary.uptime("7d")
        self.objective = objective(monitor, summary)


def monitor_rows(until):
    """Active monitors with their 7-day uptime and their objective (if any): three queries."""
    monitors = list(Monitor.objects.filter(paused=False).only("name", "slo_target", "slo_window_days").order_by("name"))
    found = summaries(None, now=until)
    return [MonitorRow(monitor, found.get(monitor.pk, EMPTY)) for monitor in monitors]
