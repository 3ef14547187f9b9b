"""The dashboard's KPIs: MTTA and MTTR per severity computed exactly from incident rows, and
each figure judged against its target (no data is neither a pass nor a failure)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.kpis import IncidentTimes, error_rate_kpi, incident_times, response_kpi, severity_kpis, uptime_kpi
from tests.test_dashboard import make_incident

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
