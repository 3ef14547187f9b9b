"""Uptime, response time, objectives and maintenance on /api/monitors/ items and in the admin list."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.models import MaintenanceWindow, Monitor
from monitors.services import monitor_save

LIST = "/api/monitors/"


@pytest.fixture
def api(superadmin):
    client = APIClient()
    client.force_login(superadmin)
    return client


def story(monitor, start, pattern):
    """One check a minute; pattern is a string of "u" (up) and "d" (down)."""
    for minute, mark in enumerate(pattern):
        outcome = Outcome.up(100.0 + minute) if mark == "u" else Outcome.down("HTTP 500", 50.0)
        record_outcomes([(monitor, outcome, start + timedelta(minutes=minute))])


def make(name, **fields):
    return monitor_save(Monitor(name=name, kind="tcp", host="127.0.0.1", port=80, interval=60, confirmations=1, **fields))


def test_items_carry_uptime_per_window_and_the_average_response(api):
    monitor = make("api", slo_target=Decimal("99.5"))
    story(monitor, timezone.now() - timedelta(minutes=30), "uuuuuuuuuuuuuuuuuuddu")  # 20 spans: 1 of 20 minutes down
    make("quiet")

    items = {item["name"]: item for item in api.get(LIST).json()["results"]}

    busy = items["api"]
    assert busy["uptime_24h"] == busy["uptime_7d"] == busy["uptime_30d"] == busy["uptime_90d"] == 90.0
    assert busy["response_time_avg_24h"] == pytest.approx((sum(100.0 + m for m in range(18)) + 50 * 2 + 120) / 21, abs=0.05)
    assert busy["slo_target"] == 99.5 and busy["slo_window_days"] == 30
    assert busy["error_budget_remaining"] == -1900.0  # 2 of 20 minutes down against 0.5 % allowed
    quiet = items["quiet"]
    assert quiet["uptime_24h"] is None and quiet["uptime_90d"] is None and quiet["error_budget_remaining"] is None

    one = api.get(f"{LIST}{monitor.pk}/").json()
    assert one["uptime_24h"] == 90.0


def test_the_list_costs_the_same_queries_for_3_or_30_monitors(api):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api.get(LIST).status_code == 200
        return len(captured)

    start = timezone.now() - timedelta(minutes=10)
    for i in range(3):
        story(make(f"m{i}"), start, "uud")
    few = queries()
    for i in range(3, 30):
        story(make(f"m{i}"), start, "uud")
    assert queries() == few


def test_a_monitor_in_a_window_shows_maintenance(api):
    monitor = make("db")
    now = timezone.now()
    window = MaintenanceWindow.objects.create(name="upgrade", starts=now - timedelta(minutes=5))
    window.monitors.add(monitor)
    story(monitor, now - timedelta(minutes=1), "d")

    item = api.get(f"{LIST}{monitor.pk}/").json()
    assert item["status"] == "maintenance" and item["status_code"] == 5


def test_an_objective_is_set_and_checked_through_the_api(api):
    monitor = make("web")
    response = api.patch(f"{LIST}{monitor.pk}/", {"slo_target": 99.95, "slo_window_days": 7}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["slo_target"] == 99.95
    bad = api.patch(f"{LIST}{monitor.pk}/", {"slo_window_days": 14}, format="json")
    assert bad.status_code == 400 and "slo_window_days" in bad.json()
    too_high = api.patch(f"{LIST}{monitor.pk}/", {"slo_target": 100}, format="json")
    assert too_high.status_code == 400 and "slo_target" in too_high.json()


def test_the_admin_list_shows_uptime_columns_in_flat_queries(admin_client, django_assert_max_num_queries):
    start = timezone.now() - timedelta(minutes=10)
    for i in range(20):
        story(make(f"svc-{i:02}"), start, "uuudu")
    with CaptureQueriesContext(connection) as captured:
        page = admin_client.get("/admin/monitors/monitor/").content.decode()
    assert "75.000%" in page  # 3 of 4 minutes up
    for i in range(20, 40):
        story(make(f"svc-{i:02}"), start, "uuudu")
    with django_assert_max_num_queries(len(captured)):
        admin_client.get("/admin/monitors/monitor/")
