"""Channels, the outbox and its delivery log in the admin."""

import pytest

from incidents.models import Channel
from tests.incidents.channels.common import payload, send


# The admin ---------------------------------------------------------------------------------

ADMIN = "/admin/incidents/channel/"


@pytest.fixture
def admin_client(client, superadmin):
    client.force_login(superadmin)
    return client


def add_form(**fields):
    return {"name": "alerts", "kind": "slack", "enabled": "on", "url": "", "token": "", "slack_channel": "",
            "recipients": "", "signing_secret": "", **fields}


@pytest.mark.django_db
def test_the_admin_stores_secrets_without_ever_showing_them(admin_client, slack_webhook):
    url = slack_webhook.url("/services/T0/B0/secret-part")
    response = admin_client.post(f"{ADMIN}add/", add_form(kind="webhook", url=url, signing_secret="whsec-very-secret"))
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get()
    assert (channel.secrets["url"], channel.secrets["signing_secret"]) == (url, "whsec-very-secret")
    for page in (f"{ADMIN}{channel.pk}/change/", ADMIN):
        html = admin_client.get(page).content.decode()
        assert "secret-part" not in html and "very-secret" not in html
    assert "A URL is set. Leave blank to keep it." in admin_client.get(f"{ADMIN}{channel.pk}/change/").content.decode()


@pytest.mark.django_db
def test_a_blank_secret_keeps_the_stored_one_and_clear_removes_it(admin_client, slack_webhook):
    channel = Channel.objects.create(name="alerts", kind="slack", url=slack_webhook.url("/keep"))
    response = admin_client.post(f"{ADMIN}{channel.pk}/change/", add_form(name="renamed"))
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.secrets["url"]) == ("renamed", slack_webhook.url("/keep"))
    response = admin_client.post(f"{ADMIN}{channel.pk}/change/", add_form(name="renamed", clear_url="on"))
    assert response.status_code == 200  # a Slack channel needs its URL
    assert "A Slack (incoming webhook) channel needs a URL." in response.content.decode()


@pytest.mark.django_db
def test_the_admin_refuses_a_private_target_naming_the_field_not_the_url(settings, admin_client):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    response = admin_client.post(f"{ADMIN}add/", add_form(url="http://127.0.0.1:9/services/secret-part"))
    html = response.content.decode()
    assert response.status_code == 200 and Channel.objects.count() == 0
    assert "The URL points to a refused address (loopback; see CHANNELS_ALLOW_PRIVATE_IPS)." in html
    assert "secret-part" not in html


@pytest.mark.django_db(transaction=True)
def test_send_test_message_from_the_change_page_and_as_an_action(admin_client, slack_webhook):
    channel = Channel.objects.create(name="alerts", kind="slack", url=slack_webhook.url())
    page = admin_client.get(f"{ADMIN}{channel.pk}/change/").content.decode()
    assert f'formaction="{ADMIN}{channel.pk}/send-test/"' in page
    response = admin_client.post(f"{ADMIN}{channel.pk}/send-test/", follow=True)
    assert "Test message to alerts: delivered (200)." in response.content.decode()
    slack_webhook.script((404, b"no_team"))
    response = admin_client.post(ADMIN, {"action": "send_test_message", "_selected_action": [channel.pk]}, follow=True)
    assert "Test message to alerts: failed (404): Slack answered 404 (no_team)." in response.content.decode()
    assert len(slack_webhook.requests) == 2
    assert admin_client.get(f"{ADMIN}{channel.pk}/send-test/").status_code == 405


@pytest.mark.django_db
def test_only_super_admins_see_channels_and_the_outbox(client, staff_user):
    staff_user.is_staff = True
    staff_user.save()
    client.force_login(staff_user)
    channel = Channel.objects.create(name="alerts", kind="email", recipients="ops@example.com")
    for page in (ADMIN, f"{ADMIN}{channel.pk}/change/", "/admin/incidents/notification/", "/admin/incidents/deliveryattempt/"):
        assert client.get(page).status_code in (302, 403), page
    assert client.post(f"{ADMIN}{channel.pk}/send-test/").status_code in (302, 403)


@pytest.mark.django_db
def test_the_outbox_is_read_only_and_retry_now_makes_rows_due(admin_client):
    from django.utils import timezone

    from incidents.models import Notification

    channel = Channel.objects.create(name="alerts", kind="email", recipients="ops@example.com")
    later = timezone.now() + timezone.timedelta(hours=1)
    row = Notification.objects.create(channel=channel, kind="problem", payload={"title": "api is down"},
                                      status="failed", created_at=later, next_attempt_at=later, last_error="x")
    listing = admin_client.get("/admin/incidents/notification/").content.decode()
    assert "api is down" in listing
    assert admin_client.get(f"/admin/incidents/notification/{row.pk}/change/").status_code == 200
    response = admin_client.post(
        "/admin/incidents/notification/", {"action": "retry_now", "_selected_action": [row.pk]}, follow=True
    )
    assert "1 notification(s) will be delivered now." in response.content.decode()
    row.refresh_from_db()
    assert row.status == "pending" and row.next_attempt_at <= timezone.now() and row.last_error == ""
    assert admin_client.get("/admin/incidents/deliveryattempt/").status_code == 200
