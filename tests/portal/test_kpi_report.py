"""The weekly report: sent by the hourly job once per week (Monday from 08:00 UTC) to the
super admins over real SMTP, with the week's incidents, uptime, objectives, backups and
open action items;
and `manage.py send_weekly_report` to send one now."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import message_from_string

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import ActionItem, PostMortem
from monitors.history import day_of
from monitors.models import DailyRollup
from portal.dashboards.kpi_report import report_context, send_weekly_report_if_due, week_end
from tests.portal.test_dashboard import make_incident, make_monitor

MONDAY_8 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # a Monday
MIN = timedelta(minutes=1)


def text_of(message):
    """The plain-text part of a received message."""
    parsed = message_from_string(message["data"])
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode().replace("\r\n", "\n")
    raise AssertionError("no text part")


def test_a_week_ends_on_monday_at_8_utc():
    assert week_end(MONDAY_8) == MONDAY_8
    assert week_end(MONDAY_8 + timedelta(days=6, hours=23)) == MONDAY_8
    assert week_end(MONDAY_8 - timedelta(seconds=1)) == MONDAY_8 - timedelta(days=7)


def test_the_job_sends_once_per_week_however_often_it_runs(smtp, superadmin, engineer):
    assert send_weekly_report_if_due(MONDAY_8 - MIN) == 0  # Monday 07:59: last week's window is over

    assert send_weekly_report_if_due(MONDAY_8 + 5 * MIN) == 1
    assert send_weekly_report_if_due(MONDAY_8 + 5 * MIN) == 0  # a second cluster, the same minute
    assert send_weekly_report_if_due(MONDAY_8 + 59 * MIN) == 0  # another run in the hour
    cache.clear()  # a worker with its own (per-process) cache, the next hour: past the window
    assert send_weekly_report_if_due(MONDAY_8 + 60 * MIN) == 0
    assert send_weekly_report_if_due(MONDAY_8 + timedelta(days=3)) == 0  # Thursday: not due

    assert [message["to"] for message in smtp.messages] == [["root@example.com"]]  # super admins only
    assert send_weekly_report_if_due(MONDAY_8 + timedelta(days=7, minutes=1)) == 1  # the next week
    assert len(smtp.messages) == 2


def test_the_report_tells_the_week(smtp, superadmin):
    opened = MONDAY_8 - timedelta(days=2)
    first = make_incident("INC-2026-001", opened=opened, severity="P0", title="db is down",
                          acknowledged_at=opened + 20 * MIN, resolved_at=opened + 10 * MIN, status="resolved")
    postmortem = PostMortem.objects.create(incident=first)
    ActionItem.objects.create(postmortem=postmortem, description="add a replica", owner=superadmin,
                              due_date=datetime(2026, 3, 20).date())
    ActionItem.objects.create(postmortem=postmortem, description="page the DBA", done=True)
    make_incident("INC-2026-002", opened=MONDAY_8 - timedelta(hours=2), severity="P3", title="slow page")
    make_incident("INC-2025-099", opened=MONDAY_8 - timedelta(days=8), title="last week's")
    api = make_monitor("api", slo_target=Decimal("99.9"), slo_window_days=7)
    DailyRollup.objects.create(monitor=api, start=day_of(MONDAY_8) - timedelta(days=1), up_seconds=86000,
                               down_seconds=400)
    make_monitor("cron", kind="heartbeat", period=60, paused=True)

    assert send_weekly_report_if_due(MONDAY_8 + MIN) == 1

    [message] = smtp.messages
    assert "Subject: Vigil weekly report: 2026-03-02 to 2026-03-09" in message["data"]
    text = text_of(message)
    assert "INCIDENTS (2 opened; 1 acknowledged late, 0 resolved late)" in text
    assert ("- INC-2026-001 [P0] db is down: Resolved, opened 2026-03-07 08:00, acknowledged after 20 min, "
            "resolved after 10 min, ACKNOWLEDGED LATE\n") in text
    assert "- INC-2026-002 [P3] slow page: Investigating, opened 2026-03-09 06:00\n" in text  # within its SLA
    assert "INC-2025-099" not in text
    assert "UPTIME (7 days)\n- api: 99.537 %\n" in text  # the paused monitor is left out
    assert "- api: target 99.900 % over 7 days, uptime 99.537 %, error budget left -362.96 %" in text
    assert "BACKUPS (latest verification)\n- no backup sources" in text
    assert "OPEN ACTION ITEMS\n- INC-2026-001: add a replica (root), due 2026-03-20\n" in text
    assert "page the DBA" not in text  # done
    assert "text/html" in message["data"]


def test_the_report_costs_the_same_with_more_rows(db):
    def count():
        with CaptureQueriesContext(connection) as queries:
            report_context(MONDAY_8)
        return len(queries)

    make_monitor("a", slo_target=Decimal("99"), slo_window_days=30)
    def add(n):
        incident = make_incident(f"I-{n}", opened=MONDAY_8 - timedelta(days=1))
        ActionItem.objects.create(postmortem=PostMortem.objects.create(incident=incident), description="fix")

    add(1)
    few = count()
    for n in range(2, 6):
        make_monitor(f"m{n}", slo_target=Decimal("99"), slo_window_days=30)
        add(n)
    assert count() == few


def test_the_command_sends_now_to_the_super_admins_or_to_whom_it_is_told(smtp, superadmin, capsys):
    call_command("send_weekly_report")
    call_command("send_weekly_report", "--to", "ops@example.com", "--to", "cto@example.com")

    assert [message["to"] for message in smtp.messages] == [
        ["root@example.com"], ["ops@example.com", "cto@example.com"]]
    assert "Weekly report sent to 2 recipient(s)." in capsys.readouterr().out


def test_the_command_says_when_nobody_would_receive_it(smtp, superadmin):
    superadmin.email = ""
    superadmin.save()
    with pytest.raises(CommandError, match="no super admin has an email address"):
        call_command("send_weekly_report")
    assert smtp.messages == []
