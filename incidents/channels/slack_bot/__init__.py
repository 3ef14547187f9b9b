"""Slack with a bot token: chat.postMessage to a named channel ("#production-alerts").

The Web API answers 200 with {"ok": false, "error": ...} for most failures; errors that
a retry cannot fix are permanent, `ratelimited` waits for Retry-After.
"""

import json

from django import forms
from django.conf import settings

from incidents.channels import DeliveryError, Sent, blocks
from incidents.channels.http import post, raise_for_status, retry_after
from incidents.channels.targets import needs, secret_text

LABEL = "Slack (bot token)"
SECRETS = ("token",)

PERMANENT = {
    "invalid_auth",
    "invalid_token",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "not_authed",
    "missing_scope",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "restricted_action",
    "invalid_blocks",
    "invalid_arguments",
    "msg_too_long",
    "no_text",
}


class Settings(forms.Form):
    token = secret_text("Bot token", "Slack bot token (xoxb-…).", required=needs(LABEL, "a bot token"))
    slack_channel = forms.CharField(
        label="Slack channel",
        max_length=80,
        help_text='For a Slack bot: "#production-alerts".',
        error_messages={"required": needs(LABEL, "a Slack channel")},
    )


def send(channel, message):
    reply = post(
        f"{settings.SLACK_API_URL}/chat.postMessage",
        body=blocks.encode(message, channel=channel.settings["slack_channel"]),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {channel.secrets['token']}",
        },
    )
    raise_for_status(reply, what="Slack")
    answer = _json(reply.body)
    if answer.get("ok") is True:
        return Sent(reply.code)
    error = str(answer.get("error") or "no ok in the answer")[:60]
    raise DeliveryError(
        f"Slack refused the message ({error})",
        permanent=error in PERMANENT,
        code=reply.code,
        retry_after=retry_after(reply.headers) if error == "ratelimited" else None,
    )


def _json(body):
    try:
        answer = json.loads(body)
    except ValueError:
        return {"error": "not a JSON answer"}
    return answer if isinstance(answer, dict) else {"error": "not a JSON object"}
