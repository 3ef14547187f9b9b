"""An engineer files a post-mortem end to end in headless Chromium: the publish button
refuses a missing root cause, then the complete post-mortem is published and shows on the
incident. The screenshot is saved in test-artifacts/."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from incidents.models import Incident, PostMortem
from tests.support.browser import screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_engineer_files_a_post_mortem_in_the_browser(page_as, engineer):
    opened = timezone.now() - timedelta(minutes=30)
    with transaction.atomic():  # as every source calls it
        receive_events([NewEvent("monitor_down", "monitor:1", "P1", "Checkout API is down", "monitor:1:down", opened)])
    with transaction.atomic():
        receive_events([NewEvent("monitor_up", "monitor:1", "P1", "Checkout API is up", "monitor:1:down", timezone.now())])
    incident = Incident.objects.get()

    page = page_as(engineer)
    page.goto(f"/incidents/{incident.ref}/")
    page.click("#incident-postmortem a")
    page.fill("#id_users_affected", "About 1,200 shoppers")
    page.fill("#id_features_unavailable", "Checkout")
    page.fill("#id_revenue_impact", "None measurable")
    page.fill("#id_resolution_steps", "Rolled back the pool config.")
    page.fill("#id_prevention", "Alert on pool saturation.")
    page.fill("#id_items-0-description", "Add a pool saturation alert")
    page.select_option("#id_items-0-owner", label=engineer.username)
    page.fill("#id_items-0-due_date", "2026-12-24")
    page.click("button[name=publish]")
    assert "The root cause is required to publish." in page.content()
    assert not PostMortem.objects.exists()

    page.fill("#id_root_cause", "The connection pool was halved by a config change.")
    page.click("button[name=publish]")
    page.wait_for_selector("text=Post-mortem published.")
    assert page.locator("#postmortem-status").inner_text() == "Published"
    screenshot(page, "postmortem-published")

    page.goto(f"/incidents/{incident.ref}/")
    assert "The connection pool was halved by a config change." in page.locator("#incident-postmortem").inner_text()
    postmortem = PostMortem.objects.get(incident=incident)
    assert postmortem.is_published and postmortem.action_items.get().description == "Add a pool saturation alert"
    screenshot(page, "postmortem-on-incident")
