"""Discord webhooks against a loopback receiver that answers as discord.com does: the
request Discord documents, its failures classified, its 429 waited out, the URL a secret."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.channels import DeliveryError
from incidents.models import Channel, DeliveryAttempt, Notification
from incidents.tasks import deliver_pending
from tests.incidents.channels.common import payload, send
from tests.incidents.test_delivery import deliver_until_settled
from tests.support.raw_database import found_in_database
from tests.support.receivers import Receiver

WEBHOOK_PATH = "/api/webhooks/1234567890/discord-token-Hx42"


class DiscordWebhook(Receiver):
    """Answers like discord.com/api/webhooks/<id>/<token>: 204, or a scripted answer."""

    default = (204, b"")


@pytest.fixture
def discord():
    receiver = DiscordWebhook().start()
    yield receiver
    receiver.stop()


def discord_channel(receiver, name="discord"):
    channel = Channel(name=name, kind="discord", url=receiver.url(WEBHOOK_PATH))
    channel.full_clean()
    channel.save()
    return channel


def test_one_notification_is_one_embed_coloured_by_severity(discord):
    sent = send(Channel(kind="discord", url=discord.url(WEBHOOK_PATH)), payload())
    assert sent.code == 204
    (request,) = discord.requests
    assert request["path"] == WEBHOOK_PATH and request["headers"]["Content-Type"] == "application/json"
    body = json.loads(request["body"])
    assert body["allowed_mentions"] == {"parse": []}
    (embed,) = body["embeds"]
    assert embed["title"] == "api is down"
    assert embed["description"] == "connection refused"
    assert embed["color"] == 0xF57C00  # P1
    assert embed["url"] == "http://vigil.example/incidents/1/"
    assert embed["fields"] == [
        {"name": "Severity", "value": "P1", "inline": True},
        {"name": "Source", "value": "api", "inline": True},
        {"name": "Status", "value": "down", "inline": True},
        {
            "name": "Links",
            "value": "[Incident INC-2026-001](http://vigil.example/incidents/1/) · "
            "[Acknowledge](http://vigil.example/incidents/ack/abc/) · [Runbook](https://wiki.example/runbooks/api)",
            "inline": False,
        },
    ]


def test_a_digest_is_one_embed_listing_each_notification_in_the_most_urgent_colour(discord):
    send(
        Channel(kind="discord", url=discord.url(WEBHOOK_PATH)),
        payload("db is slow", severity="P3"),
        payload("api is down", severity="P0"),
        delivery="hourly",
    )
    (embed,) = discord.bodies()[0]["embeds"]
    assert embed["title"] == "Hourly summary: 2 alerts" and embed["color"] == 0xD32F2F
    assert embed["description"].splitlines() == [
        "**[db is slow](http://vigil.example/incidents/1/)** — P3 · api · down",
        "**[api is down](http://vigil.example/incidents/1/)** — P0 · api · down",
    ]


def test_an_unknown_webhook_is_permanent_and_the_url_is_never_quoted(discord):
    discord.script((404, {"message": "Unknown Webhook", "code": 10015}))
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="discord", url=discord.url(WEBHOOK_PATH)), payload())
    assert caught.value.permanent and caught.value.code == 404
    assert caught.value.detail == "Discord answered 404 (Unknown Webhook)"


def test_a_429_says_how_long_to_wait(discord):
    discord.script((429, {"message": "You are being rate limited.", "retry_after": 2.5, "global": False},
                    {"Retry-After": "3"}))
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="discord", url=discord.url(WEBHOOK_PATH)), payload())
    assert not caught.value.permanent and caught.value.retry_after == 2.5


@pytest.mark.django_db
def test_the_url_must_be_given_and_may_not_point_inside_the_network(settings):
    with pytest.raises(ValidationError) as caught:
        Channel(name="d", kind="discord").full_clean()
    assert caught.value.message_dict == {"url": ["A Discord (webhook) channel needs a URL."]}
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    with pytest.raises(ValidationError) as caught:
        Channel(name="d", kind="discord", url="http://10.0.0.8" + WEBHOOK_PATH).full_clean()
    assert "refused address" in caught.value.message_dict["url"][0] and "Hx42" not in str(caught.value)


# Through the outbox ----------------------------------------------------------------------


@pytest.fixture
def quick_delivery(settings):
    settings.NOTIFY_RETRY_DELAYS = [0.2]
    settings.NOTIFY_MIN_GAP_SECONDS = 0.0


def owe(channel):
    now = timezone.now()
    return Notification.objects.create(channel=channel, kind="problem", payload=payload(), created_at=now,
                                       next_attempt_at=now)



@pytest.mark.django_db(transaction=True)
def test_a_server_error_is_retried_and_then_delivered_once(quick_delivery, discord):
    discord.script(500)
    row = deliver_until_settled(owe(discord_channel(discord)))
    assert (row.status, row.attempts) == ("delivered", 2)
    assert list(DeliveryAttempt.objects.order_by("started_at").values_list("outcome", "response_code")) == [
        ("retry", 500), ("delivered", 204)
    ]
    assert len(discord.requests) == 2


@pytest.mark.django_db(transaction=True)
def test_an_unknown_webhook_fails_the_rows_and_marks_the_channel_failing(quick_delivery, discord):
    discord.script((404, {"message": "Unknown Webhook", "code": 10015}))
    channel = discord_channel(discord)
    row = deliver_until_settled(owe(channel))
    channel.refresh_from_db()
    assert row.status == "failed" and row.last_error == "Discord answered 404 (Unknown Webhook)"
    assert channel.failing and len(discord.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_429_makes_the_channel_and_the_row_wait_as_told(quick_delivery, discord):
    discord.script((429, {"message": "You are being rate limited.", "retry_after": 30, "global": False},
                    {"Retry-After": "30"}))
    channel = discord_channel(discord)
    row = owe(channel)
    before = timezone.now()
    deliver_pending()
    row.refresh_from_db()
    channel.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at >= before + timedelta(seconds=30)
    assert channel.next_send_at >= before + timedelta(seconds=30) and not channel.failing
    deliver_pending()  # not due yet: nothing is sent
    assert len(discord.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_the_webhook_url_is_encrypted_at_rest(discord):
    channel = discord_channel(discord)
    assert found_in_database("discord-token-Hx42") == []
    assert Channel.objects.get(pk=channel.pk).secrets == {"url": discord.url(WEBHOOK_PATH)}


# The admin ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_admin_adds_a_discord_channel_and_sends_it_a_test_message(client, superadmin, discord):
    client.force_login(superadmin)
    response = client.post("/admin/incidents/channel/add/", {"name": "discord", "kind": "discord", "enabled": "on",
                                                            "url": discord.url(WEBHOOK_PATH)})
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get()
    page = client.get(f"/admin/incidents/channel/{channel.pk}/change/").content.decode()
    assert "Hx42" not in page and "A URL is set. Leave blank to keep it." in page
    response = client.post(f"/admin/incidents/channel/{channel.pk}/send-test/", follow=True)
    assert "Test message to discord: delivered (204)." in response.content.decode()
    (embed,) = discord.bodies()[0]["embeds"]
    assert embed["title"] == "Test message from Vigil" and embed["color"] == 0x9E9E9E
