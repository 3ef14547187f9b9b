"""Slack with a bot token against a loopback Slack API."""

import json

import pytest

from incidents.channels import DeliveryError
from incidents.models import Channel
from tests.incidents.channels.common import TOKEN, payload, send


# Slack bot ---------------------------------------------------------------------------


def test_slack_bot_posts_to_the_named_channel_with_its_token(slack_api):
    channel = Channel(kind="slack_bot", token=TOKEN, slack_channel="#production-alerts")
    send(channel, payload())
    (record,) = slack_api.requests
    assert record["path"] == "/api/chat.postMessage"
    assert record["headers"]["Authorization"] == f"Bearer {TOKEN}"
    body = json.loads(record["body"])
    assert body["channel"] == "#production-alerts"
    assert body["blocks"][0]["text"]["text"] == "api is down"


@pytest.mark.parametrize("error", ["invalid_auth", "channel_not_found", "not_in_channel", "is_archived", "token_revoked"])
def test_slack_api_errors_that_retrying_cannot_fix_are_permanent(slack_api, error):
    slack_api.script((200, {"ok": False, "error": error}))
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack_bot", token=TOKEN, slack_channel="#x"), payload())
    assert caught.value.permanent
    assert caught.value.detail == f"Slack refused the message ({error})"


def test_a_wrong_token_is_permanent_and_never_quoted(slack_api):
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack_bot", token="xoxb-wrong", slack_channel="#x"), payload())
    assert caught.value.permanent and "xoxb" not in caught.value.detail


def test_slack_api_rate_limiting_honours_retry_after(slack_api):
    slack_api.script((200, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"}))
    with pytest.raises(DeliveryError) as caught:
        send(Channel(kind="slack_bot", token=TOKEN, slack_channel="#x"), payload())
    assert not caught.value.permanent and caught.value.retry_after == 30
