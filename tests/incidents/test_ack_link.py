"""The signed acknowledgement link: GET shows, POST acknowledges, bad tokens are refused."""

import time
from urllib.parse import urlsplit
from datetime import timedelta

import pytest
from django.core import signing
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from incidents.links import ACK_SALT, ack_token
from incidents.models import Channel, Incident, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident():
    Channel.objects.create(name="ops", kind="email", recipients="ops@example.com")
    with transaction.atomic():
        receive_events([NewEvent("monitor_down", "monitor:1", "P0", "api is down", "monitor:1:down", timezone.now())])
    return Incident.objects.get()


def path_of(url):
    return urlsplit(url).path


def test_the_message_carries_a_link_whose_get_does_not_acknowledge(incident):
    link = path_of(Notification.objects.get().payload["ack_url"])
    page = Client().get(link)
    assert page.status_code == 200
    assert incident.ref in page.content.decode() and "api is down" in page.content.decode()
    assert b'<form method="post">' in page.content
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_post_acknowledges_once_and_needs_csrf(incident):
    link = reverse("incident-ack-link", args=[ack_token(incident)])
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(link).status_code == 403  # no CSRF token
    form = browser.get(link)
    token = form.cookies["csrftoken"].value
    done = browser.post(link, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200 and b"Acknowledged." in done.content
    again = browser.post(link, {"csrfmiddlewaretoken": token})
    assert b"already acknowledged" in again.content
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert list(incident.timeline.filter(kind="acknowledged").values_list("text", flat=True)) == ["Acknowledged by link"]


def test_bad_and_expired_tokens_are_refused(incident):
    client = Client()
    forged = client.get(reverse("incident-ack-link", args=["nonsense"]))
    assert forged.status_code == 400 and b"not valid" in forged.content
    other_salt = signing.dumps({"incident": incident.pk}, salt="something-else")
    assert client.post(reverse("incident-ack-link", args=[other_salt])).status_code == 400

    expired = EightDaysAgo(salt=ACK_SALT).sign_object({"incident": incident.pk})
    refused = client.get(reverse("incident-ack-link", args=[expired]))
    assert refused.status_code == 400 and b"expired" in refused.content
    fresh = signing.TimestampSigner(salt=ACK_SALT).sign_object({"incident": incident.pk})
    assert client.get(reverse("incident-ack-link", args=[fresh])).status_code == 200


class EightDaysAgo(signing.TimestampSigner):
    """Signs as if it were eight days ago (links last seven)."""

    def timestamp(self):
        return signing.b62_encode(int(time.time() - timedelta(days=8).total_seconds()))


def test_a_token_for_a_deleted_incident_is_not_found(incident):
    token = ack_token(incident)
    incident.delete()
    assert Client().get(reverse("incident-ack-link", args=[token])).status_code == 404
