"""/api/incidents/: super admins list, read, acknowledge and resolve; anyone else is refused."""

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.events import NewEvent, receive_events
from incidents.models import Incident

pytestmark = pytest.mark.django_db


def open_incident(dedup="monitor:1:down", summary="api is down"):
    with transaction.atomic():
        receive_events(
            [NewEvent("monitor_down", "monitor:1", "P1", summary, dedup, timezone.now())]
        )
    return Incident.objects.get(dedup_key=dedup)


def refs(response):
    return [row["ref"] for row in response.json()["results"]]


@pytest.fixture
def api(superadmin):
    client = APIClient()
    client.force_authenticate(superadmin)
    return client


def test_list_and_filter_by_status(api):
    first = open_incident()
    second = open_incident("db", "db is down")
    Incident.objects.filter(pk=first.pk).update(status="resolved")

    assert refs(api.get("/api/incidents/")) == [second.ref, first.ref]
    assert refs(api.get("/api/incidents/?status=resolved")) == [first.ref]
    assert refs(api.get("/api/incidents/?status=open")) == [second.ref]
    refused = api.get("/api/incidents/?status=nope")
    assert refused.status_code == 400 and "status" in refused.json()


def test_retrieve_by_ref_with_the_timeline(api):
    incident = open_incident()
    body = api.get(f"/api/incidents/{incident.ref}/").json()
    assert body["ref"] == incident.ref and body["source_key"] == "monitor:1"
    assert body["timeline"][0]["kind"] == "opened"
    assert api.get("/api/incidents/INC-1900-999/").status_code == 404


def test_acknowledge_then_resolve(api, superadmin):
    incident = open_incident()
    acked = api.post(f"/api/incidents/{incident.ref}/acknowledge/").json()
    assert acked["changed"] is True
    assert acked["incident"]["acknowledged_by"] == superadmin.username
    assert api.post(f"/api/incidents/{incident.ref}/acknowledge/").json()["changed"] is False

    resolved = api.post(f"/api/incidents/{incident.ref}/resolve/", {"note": "restarted"}, format="json").json()
    assert resolved["changed"] is True and resolved["incident"]["status"] == "resolved"
    assert resolved["incident"]["timeline"][-1]["text"] == "Resolved by root (API): restarted"


def test_others_are_refused(staff_user):
    incident = open_incident()
    anonymous = APIClient()
    assert anonymous.get("/api/incidents/").status_code in (401, 403)
    staff = APIClient()
    staff.force_authenticate(staff_user)
    assert staff.get("/api/incidents/").status_code == 403
    assert staff.post(f"/api/incidents/{incident.ref}/acknowledge/").status_code == 403
    incident.refresh_from_db()
    assert incident.acknowledged_at is None
