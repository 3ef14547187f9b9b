"""The pages in real headless Chromium: the public status page draws its bars and follows a
monitor going down; the dashboard refreshes itself; Staff are refused the dashboard.
Screenshots are saved in test-artifacts/."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.models import Monitor
from monitors.services import monitor_save
from tests.support.browser import screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def public_monitor(name, tag):
    return monitor_save(Monitor(name=name, kind="tcp", host="10.9.8.7", port=5432, interval=60, confirmations=1,
                                public=True), tags=[tag])


def checks(monitor, ok, minutes=30):
    start = timezone.now() - timedelta(minutes=minutes)
    for minute in range(minutes):
        outcome = Outcome.up(40.0 + minute % 7) if ok else Outcome.down("connection refused", 3.0)
        record_outcomes([(monitor, outcome, start + timedelta(minutes=minute))])


def test_the_public_page_draws_its_bars_and_follows_a_monitor_going_down(page_as):
    api = public_monitor("Checkout API", "backend")
    web = public_monitor("Storefront", "frontend")
    checks(api, ok=True)
    checks(web, ok=True)

    page = page_as(None)
    page.goto("/status/")
    assert page.locator("#status-overall").inner_text() == "All systems operational"
    assert page.locator(".status-component").count() == 2
    assert page.locator(".status-bars").count() == 2
    page.locator(".status-bars").first.hover()
    tip = page.locator("#status-tip")
    tip.wait_for(state="visible")
    assert "uptime" in tip.inner_text() or "no data" in tip.inner_text()
    screenshot(page, "status-all-up")
    assert "10.9.8.7" not in page.content()

    record_outcomes([(api, Outcome.down("connection refused", 2.0), timezone.now())])
    cache.clear()  # the page is cached for a few seconds; the next refresh after that
    page.reload()
    assert page.locator("#status-overall").inner_text() == "Partial outage"
    assert "connection refused" not in page.content()
    screenshot(page, "status-partial-outage")


def test_the_dashboard_refreshes_itself(page_as, superadmin, settings):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    monitor = monitor_save(Monitor(name="Billing DB", kind="tcp", host="127.0.0.1", port=5432, interval=60,
                                   confirmations=1))
    checks(monitor, ok=True, minutes=5)
    page = page_as(superadmin)
    page.goto("/dashboard/monitoring/")
    assert page.locator("header.site nav").inner_text().split()[:6] == [
        "Status", "Internal", "status", "Incidents", "Runbooks", "Dashboard"]
    panels = page.locator("#dash-panels")
    assert "Billing DB" in panels.inner_text() and "1 up" in panels.inner_text()
    page.evaluate("window.notReloaded = true")

    record_outcomes([(monitor, Outcome.down("connection refused", 2.0), timezone.now())])
    page.wait_for_function("() => document.querySelector('#dash-panels').innerText.includes('1 down')", timeout=10_000)
    assert page.evaluate("window.notReloaded") is True  # the same page swapped its panels in
    screenshot(page, "dashboard-after-refresh")


def test_staff_are_refused_the_dashboard(page_as, staff_member):
    page = page_as(staff_member)
    response = page.goto("/dashboard/monitoring/")
    assert response.status == 403
    internal = page.goto("/status/internal/")
    assert internal.status == 200
    screenshot(page, "staff-internal-status")
