"""Slack incoming webhooks against a loopback receiver."""

import pytest

from incidents.channels import DeliveryError
from incidents.models import Channel
from tests.incidents.channels.common import payload, send
from tests.support.servers import free_port


# Slack incoming webhook ----------------------------------------------------------------


def test_slack_gets_one_block_kit_message_with_the_facts_and_buttons(slack_webhook):
    channel = Channel(kind="slack", url=slack_webhook.url())
    result = send(channel, payload(status="up", duration_seconds=724, title="api is back up"))
    assert result.code == 200
    (body,) = slack_webhook.bodies()
    header, facts, text, actions = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "api is back up"}}
    shown = [field["text"] for field in facts["fields"]]
    assert shown == ["*Severity*\nP1", "*Source*\napi", "*Status*\nup", "*Duration*\n12 min 4 s"]
    assert text["text"]["text"] == "connection refused"
    assert [button["text"]["text"] for button in actions["elements"]] == ["Incident INC-2026-001", "Acknowledge", "Runbook"]
    assert actions["elements"][1]["url"] == "http://vigil.example/incidents/ack/abc/"
    assert "api is back up" in body["text"]


def test_many_notifications_become_one_slack_message_listing_twenty_and_counting_the_rest(slack_webhook):
    channel = Channel(kind="slack", url=slack_webhook.url())
    send(channel, *(payload(f"m{i} is down") for i in range(25)))
    (body,) = slack_webhook.bodies()
    assert body["blocks"][0]["text"]["text"] == "25 alerts"
    sections = [block for block in body["blocks"] if block["type"] == "section"]
    assert len(sections) == 20
    assert sections[0]["text"]["text"].startswith("*m0 is down*\nP1 · api · down")
    assert body["blocks"][-1]["elements"][0]["text"] == "and 5 more"


def test_a_digest_is_titled_as_a_summary(slack_webhook):
    send(Channel(kind="slack", url=slack_webhook.url()), payload(), payload("db is slow"), delivery="hourly")
    assert slack_webhook.bodies()[0]["blocks"][0]["text"]["text"] == "Hourly summary: 2 alerts"


@pytest.mark.parametrize("status, code", [(404, b"no_team"), (403, b"invalid_token"), (410, b"channel_is_archived"), (400, b"invalid_payload")])
def test_slack_refusals_are_permanent(slack_webhook, status, code):
    slack_webhook.script((status, code))
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack", url=slack_webhook.url("/services/T0/B0/secret")), payload())
    error = caught.value
    assert error.permanent and error.code == status
    assert error.detail == f"Slack answered {status} ({code.decode()})"


def test_slack_rate_limits_and_server_errors_pass(slack_webhook):
    slack_webhook.script((429, b"rate_limited", {"Retry-After": "7"}), (503, b"<html>down</html>"))
    channel = Channel(kind="slack", url=slack_webhook.url())
    with pytest.raises(DeliveryError) as limited:
        send(channel, payload())
    assert not limited.value.permanent and limited.value.retry_after == 7
    with pytest.raises(DeliveryError) as down:
        send(channel, payload())
    assert not down.value.permanent and down.value.detail == "Slack answered 503"


def test_connection_errors_pass_and_do_not_quote_the_url():
    url = f"http://127.0.0.1:{free_port()}/services/T0/B0/secret-token"
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack", url=url), payload())
    assert not caught.value.permanent
    assert caught.value.detail == "connection refused"


def test_the_channel_policy_applies_at_connect_time(settings, slack_webhook):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack", url=slack_webhook.url()), payload())
    assert caught.value.permanent
    assert caught.value.detail == "refused address 127.0.0.1 (loopback)"
    assert slack_webhook.requests == []
