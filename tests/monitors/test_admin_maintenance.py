"""Maintenance windows and objectives in the admin."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.models import MaintenanceWindow, Monitor, Tag
from monitors.services import monitor_save

pytestmark = pytest.mark.django_db
ADD = "/admin/monitors/maintenancewindow/add/"


def form(**fields):
    return {"name": "weekly", "note": "", "timezone": "Europe/Berlin", "duration": "", "cron": "",
            "starts_0": "", "starts_1": "", "ends_0": "", "ends_1": "", "at": "", **fields}


def test_a_weekly_window_is_saved_as_cron_in_its_time_zone(admin_client):
    tag = Tag.objects.create(name="db")
    response = admin_client.post(ADD, form(weekdays=["sat", "sun"], at="02:30", duration="2h", tags=[tag.pk]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    window = MaintenanceWindow.objects.get()
    assert (window.cron, window.duration, window.timezone) == ("30 2 * * sat,sun", 7200, "Europe/Berlin")
    assert list(window.tags.all()) == [tag]
    listing = admin_client.get("/admin/monitors/maintenancewindow/").content.decode()
    assert "30 2 * * sat,sun (Europe/Berlin), 2h each" in listing


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"weekdays": ["sun"], "duration": "1h", "all_monitors": "on"}, "weekdays", "both the days and the time"),
        ({"cron": "0 2 * * sun", "duration": "1h"}, "monitors", "Choose monitors, tags, or all monitors"),
        ({"cron": "0 2 * * sun", "duration": "soon", "all_monitors": "on"}, "duration", "is not a duration"),
        ({"cron": "0 2 * * sun", "duration": "1h", "timezone": "Nowhere/City", "all_monitors": "on"},
         "timezone", "Unknown time zone"),
    ],
)
def test_a_bad_window_is_refused_with_the_reason(admin_client, fields, field, message):
    response = admin_client.post(ADD, form(**fields))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert not MaintenanceWindow.objects.exists()


def test_a_monitor_page_shows_its_objective_budget_and_burn_rates(admin_client):
    monitor = monitor_save(Monitor(name="shop", kind="tcp", host="127.0.0.1", port=80, interval=60,
                                   confirmations=1, slo_target=Decimal("99.9")))
    start = timezone.now() - timedelta(minutes=20)
    for minute in range(20):
        outcome = Outcome.down("refused") if minute == 18 else Outcome.up(10.0)
        record_outcomes([(monitor, outcome, start + timedelta(minutes=minute))])
    page = admin_client.get(f"/admin/monitors/monitor/{monitor.pk}/change/").content.decode()
    assert "Objective (30 days)" in page and "99.900%" in page
    assert "Error budget left" in page and "-5163.160%" in page  # 1 of 19 minutes down vs 0.1 % allowed
    assert "Burn rate" in page and "1h 52.6x" in page


def test_a_public_monitor_page_shows_its_badge_address(admin_client, settings):
    monitor = monitor_save(Monitor(name="Checkout API", kind="tcp", host="127.0.0.1", port=80, public=True))
    page = admin_client.get(f"/admin/monitors/monitor/{monitor.pk}/change/").content.decode()
    assert f"{settings.VIGIL_BASE_URL}/badge/checkout-api.svg" in page
    assert admin_client.get("/badge/checkout-api.svg").status_code == 200
