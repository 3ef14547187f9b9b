"""The Database panel: a PostgreSQL monitor's connections in use of max_connections, now and
as an hourly trend, on the dashboard and the internal status page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.history import hour_of
from monitors.models import HourlyRollup, Monitor
from monitors.services import monitor_save, monitors_check_now
from portal.dashboards.database_panel import TREND_HOURS, trend_path
from tests.support.fixtures_targets import postgres_dsn  # noqa: F401 (fixture)
from tests.portal.test_dashboard import make_monitor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_sentry(settings):
    settings.SENTRY_AUTH_TOKEN = ""


def test_a_checked_database_shows_its_connections_and_this_hours_peak(postgres_dsn, role_clients):
    monitor = monitor_save(Monitor(name="main-db", kind="postgres", dsn=postgres_dsn, timeout=5))

    monitors_check_now([monitor.pk])

    monitor.refresh_from_db()
    used, most = monitor.last_facts["connections"], monitor.last_facts["max_connections"]
    assert 1 <= used <= most
    hour = HourlyRollup.objects.get(monitor=monitor)
    assert hour.gauge_max == used
    for client in (role_clients["super_admin"].get("/dashboard/monitoring/panels"),
                   role_clients["staff"].get("/status/internal/")):
        page = client.content.decode()
        panel = page[page.index('id="database"'):]
        panel = panel[: panel.index("</section>")]
        assert "main-db" in panel
        assert f"{used} / {most}" in panel
        assert re.search(r'<svg class="db-trend"[^>]*><path d="M230 [\d.]+h0"/></svg>', panel)  # this hour: a dot


def test_the_trend_keeps_each_hours_peak_and_breaks_at_hours_without_checks(role_clients):
    now = timezone.now()
    db = make_monitor("orders-db", kind="postgres", dsn="postgresql://x@127.0.0.1/x", status="up",
                      last_facts={"connections": 90, "max_connections": 100})
    this_hour = hour_of(now)
    for hours_ago, peak in ((3, 20), (2, 50), (0, 90)):
        HourlyRollup.objects.create(monitor=db, start=this_hour - timedelta(hours=hours_ago), gauge_max=peak)
    HourlyRollup.objects.create(monitor=db, start=this_hour - timedelta(hours=30), gauge_max=99)  # too old

    page = role_clients["super_admin"].get("/dashboard/monitoring/panels").content.decode()
    panel = page[page.index('id="database"'):]
    assert "90 / 100" in panel and "(90 %)" in panel and "db-busy" in panel
    assert 'd="M200 31.4 210 20.0M230 4.8h0"' in panel  # 20 and 50 of 100, a gap, then 90
    assert "peak 90" in panel


def test_without_postgres_monitors_the_panel_says_how_to_get_one(role_clients):
    make_monitor("api", status="up")
    page = role_clients["super_admin"].get("/dashboard/monitoring/panels").content.decode()
    assert "No PostgreSQL monitors." in page


def test_trend_path_scales_to_max_connections_and_clamps():
    values = [None] * TREND_HOURS
    values[0], values[1], values[5] = 0, 200, 50
    assert trend_path(values, 100) == "M0 39.0 10 1.0M50 20.0h0"
    assert trend_path([None] * TREND_HOURS, 100) == ""
    assert trend_path([None] * (TREND_HOURS - 1) + [4], None) == "M230 1.0h0"  # no ceiling: the peak
