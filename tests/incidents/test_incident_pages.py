"""The incident pages: Staff read, Engineers and super admins write, anonymous visitors are
sent to sign in; the list filters, the detail page acts through lifecycle services, and a
public update reaches the public status page while a private one does not."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from incidents.models import Incident, TimelineEntry
from monitors.models import Monitor
from monitors.services import monitor_save

pytestmark = pytest.mark.django_db


def monitor(name, public=True):
    return monitor_save(Monitor(name=name, kind="tcp", host="10.9.8.7", port=5432, interval=60, confirmations=1,
                                public=public))


def down(mon, severity="P1", summary=None):
    key = f"monitor:{mon.pk}"
    receive_events([NewEvent("monitor_down", key, severity, summary or f"{mon.name} is down: connection refused",
                             f"{key}:down", timezone.now())])
    return Incident.objects.get(source_key=key, status="investigating")


@pytest.fixture
def incident():
    return down(monitor("Checkout API"))


def writes(ref):
    """Every POST the pages accept, with valid data."""
    return [
        (f"/incidents/{ref}/acknowledge/", {}),
        (f"/incidents/{ref}/status/", {"status": "identified", "message": "Found it"}),
        (f"/incidents/{ref}/severity/", {"severity": "P0"}),
        (f"/incidents/{ref}/resolve/", {}),
        (f"/incidents/{ref}/postmortem/", {"save": "1", "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0"}),
        ("/incidents/new/", {"title": "Payments slow", "severity": "P2", "update": "Looking"}),
    ]


def test_staff_read_every_page_and_every_write_is_refused(role_clients, incident):
    staff = role_clients["staff"]
    for url in ("/incidents/", f"/incidents/{incident.ref}/", f"/incidents/{incident.ref}/postmortem/"):
        assert staff.get(url).status_code == 200, url
    assert staff.get("/incidents/new/").status_code == 403
    for url, data in writes(incident.ref):
        assert staff.post(url, data).status_code == 403, url
    incident.refresh_from_db()
    assert (incident.status, incident.severity, incident.acknowledged_at) == ("investigating", "P1", None)
    assert Incident.objects.count() == 1
    assert not hasattr(incident, "postmortem") or incident.postmortem is None


def test_anonymous_is_sent_to_sign_in_and_no_role_is_refused(role_clients, incident):
    for url, data in [("/incidents/", None), (f"/incidents/{incident.ref}/", None), *writes(incident.ref)]:
        response = role_clients["anonymous"].post(url, data) if data is not None else role_clients["anonymous"].get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
        assert role_clients["no_role"].get(url).status_code == 403, url


def test_an_engineer_acknowledges_updates_changes_severity_and_resolves(role_clients, incident, engineer):
    client, ref = role_clients["engineer"], incident.ref
    assert client.post(f"/incidents/{ref}/acknowledge/").status_code == 302
    assert client.post(f"/incidents/{ref}/status/", {"status": "identified", "message": "Disk full"}).status_code == 302
    assert client.post(f"/incidents/{ref}/severity/", {"severity": "P0"}).status_code == 302
    assert client.post(f"/incidents/{ref}/resolve/", {"note": "cleaned up"}).status_code == 302
    incident.refresh_from_db()
    assert incident.acknowledged_by == engineer and incident.severity == "P0" and incident.status == "resolved"
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds[-4:] == ["acknowledged", "update", "status", "resolved"]
    page = client.get(f"/incidents/{ref}/").content.decode()
    for text in ("Identified: Disk full", "Severity changed from P1 to P0", "cleaned up", "Checkout API"):
        assert text in page
    # a resolved incident takes no more updates
    client.post(f"/incidents/{ref}/status/", {"status": "monitoring", "message": "late"})
    assert incident.timeline.filter(text__contains="late").count() == 0


def test_the_timeline_shows_notifications_with_their_delivery_state(role_clients, incident):
    from incidents.models import Channel, Notification

    channel = Channel.objects.create(name="ops mail", kind="email", recipients="ops@example.com")
    row = Notification.objects.create(channel=channel, incident=incident, kind="problem", status="failed",
                                      attempts=3, last_error="SMTP 550", created_at=timezone.now(),
                                      next_attempt_at=timezone.now())
    TimelineEntry.objects.create(incident=incident, at=timezone.now(), kind="notification", text="Queued", notification=row)
    page = role_clients["staff"].get(f"/incidents/{incident.ref}/").content.decode()
    assert "ops mail: Failed after 3 attempts (SMTP 550)" in page


def test_a_public_update_reaches_the_public_status_page_and_a_private_one_does_not(role_clients, incident):
    client = role_clients["engineer"]
    client.post(f"/incidents/{incident.ref}/status/",
                {"status": "identified", "message": "Payments are slow; we are on it", "public": "on"})
    client.post(f"/incidents/{incident.ref}/status/", {"status": "identified", "message": "db-7 disk at 100%"})
    cache.clear()
    page = client.get("/status/").content.decode()
    assert "Payments are slow; we are on it" in page
    assert "db-7 disk at 100%" not in page


def test_a_public_update_needs_a_message(role_clients, incident):
    response = role_clients["engineer"].post(f"/incidents/{incident.ref}/status/", {"status": "identified", "public": "on"})
    assert response.status_code == 400
    assert "A public update needs a message." in response.content.decode()


def test_an_engineer_declares_an_incident_by_hand(role_clients, engineer):
    api, web = monitor("Checkout API"), monitor("Storefront")
    response = role_clients["engineer"].post("/incidents/new/", {
        "title": "Card payments fail", "severity": "P1", "monitors": [f"monitor:{api.pk}", f"monitor:{web.pk}"],
        "update": "Customers report declined cards", "public": "on",
    })
    incident = Incident.objects.get(title="Card payments fail")
    assert response["Location"] == f"/incidents/{incident.ref}/"
    assert incident.ref.startswith(f"INC-{timezone.localtime().year}-") and incident.source_key == f"monitor:{api.pk}"
    update = incident.timeline.get(kind="update")
    assert update.public and update.user == engineer
    assert "Checkout API, Storefront" in incident.timeline.get(kind="opened").text
    missing = role_clients["engineer"].post("/incidents/new/", {"severity": "P1"})
    assert missing.status_code == 200 and "This field is required." in missing.content.decode()


def test_the_list_filters_and_searches(role_clients):
    api, web = monitor("Checkout API"), monitor("Storefront")
    first, second = down(api, "P0", "Checkout down"), down(web, "P3", "Storefront down")
    second.status = "resolved"
    second.resolved_at = timezone.now()
    second.save()
    client = role_clients["staff"]

    def refs(query):
        page = client.get("/incidents/", query).content.decode()
        return [ref for ref in (first.ref, second.ref) if f">{ref}<" in page]

    assert refs({}) == [first.ref, second.ref]
    assert refs({"status": "open"}) == [first.ref]
    assert refs({"status": "resolved"}) == [second.ref]
    assert refs({"severity": "P3"}) == [second.ref]
    assert refs({"monitor": f"monitor:{api.pk}"}) == [first.ref]
    assert refs({"q": "storefront"}) == [second.ref]
    assert refs({"q": first.ref}) == [first.ref]
    assert refs({"period": "1"}) == [first.ref, second.ref]


def test_the_list_costs_the_same_queries_for_3_or_12_incidents(role_clients, django_assert_max_num_queries):
    def incidents(count):
        for index in range(count):
            down(monitor(f"Service {Incident.objects.count()}-{index}"), "P1")
        Incident.objects.update(status="resolved", resolved_at=timezone.now())

    client = role_clients["staff"]
    incidents(3)
    client.get("/incidents/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/incidents/").status_code == 200
    incidents(9)
    with django_assert_max_num_queries(len(few)):
        page = client.get("/incidents/").content.decode()
    assert page.count('class="inc-sev P1"') == 24  # 12 in the table, 12 expecting a post-mortem
