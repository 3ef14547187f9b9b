"""Slack incoming webhooks: one Block Kit message per delivery.

Slack answers 200 "ok"; 400/403/404/410 with a code (invalid_payload, invalid_token,
no_team or channel_not_found, channel_is_archived) mean the webhook will never work;
429 (with Retry-After) and 5xx pass.
"""

from django import forms

from incidents.channels import Sent, blocks
from incidents.channels.http import post, raise_for_status
from incidents.channels.targets import needs, secret_url

LABEL = "Slack (incoming webhook)"
SECRETS = ("url",)


class Settings(forms.Form):
    url = secret_url("Slack incoming-webhook URL.", required=needs(LABEL, "a URL"))


def send(channel, message):
    reply = post(channel.secrets["url"], body=blocks.encode(message), headers={"Content-Type": "application/json"})
    raise_for_status(reply, what="Slack")
    return Sent(reply.code)
