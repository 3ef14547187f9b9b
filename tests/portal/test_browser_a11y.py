"""axe-core (the engine browsers' accessibility audits use) over the main pages of every
audience in headless Chromium, with data that shows every pill, banner and badge: no
serious or critical violation, and none of the rules a review found broken (text
contrast, a page without a level-one heading, content outside the landmarks).
Screenshots are saved in test-artifacts/a11y-*.png."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache

from monitors.models import Monitor
from monitors.services import monitor_save
from tests.support import page_scenario
from tests.support.browser import screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

BLOCKING_IMPACTS = {"serious", "critical"}
REVIEWED_RULES = {"color-contrast", "page-has-heading-one", "region", "landmark-one-main"}


def blocking(violations):
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS or v["id"] in REVIEWED_RULES]


def readable(name, violations):
    lines = [f"{name}: {len(violations)} accessibility violation(s)"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            checks = node["any"] + node["all"] + node["none"]
            why = f" ({checks[0]['message']})" if checks else ""
            lines.append(f"    {' '.join(node['html'].split())[:120]}{why}")
    return "\n".join(lines)


def violations_on(page, name):
    """The readable report of what axe finds on the page as shown, or ""."""
    violations = blocking(Axe().run(page).response["violations"])
    return readable(name, violations) if violations else ""


def test_the_main_pages_have_no_serious_accessibility_violation(page_as, superadmin, engineer, staff_member,
                                                                settings):
    settings.SENTRY_AUTH_TOKEN = ""  # the dashboard asks nobody
    data = page_scenario.build()
    found = {}
    for name, path, user in page_scenario.pages(data, superadmin=superadmin, engineer=engineer,
                                                 staff_member=staff_member):
        page = page_as(user)
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
        screenshot(page, f"a11y-{name}")
        found[name] = violations_on(page, name)
    assert not any(found.values()), "\n\n".join(filter(None, found.values()))


def test_every_overall_banner_of_the_public_page_reads_well(page_as):
    """The main test sees the worst banner only; pausing the worst monitor in turn shows
    each of the others."""
    page_scenario.build()
    page = page_as(None)
    found = []
    for headline, worst in (("Partial outage", "Payments"), ("Degraded performance", "Search"),
                            ("Under maintenance", "Storefront"), ("All systems operational", None)):
        cache.clear()
        page.goto("/status/")
        assert page.locator("#status-overall").inner_text() == headline
        screenshot(page, f"a11y-status-{headline.lower().replace(' ', '-')}")
        found.append(violations_on(page, headline))
        if worst:
            monitor = Monitor.objects.get(name=worst)
            monitor.paused = True
            monitor_save(monitor)
    assert not any(found), "\n\n".join(filter(None, found))
