"""Signed JSON webhooks: {"notifications": [payload, ...]} (always a list).

X-Vigil-Signature is "sha256=" + HMAC-SHA256(signing secret, f"{timestamp}.{body}") in
hex, with the timestamp in X-Vigil-Timestamp, so receivers can refuse replays.
"""

import hashlib
import hmac
import json
import time

from django import forms

from incidents.channels import Sent
from incidents.channels.http import post, raise_for_status
from incidents.channels.targets import needs, secret_text, secret_url

LABEL = "Webhook (signed JSON)"
SECRETS = ("url", "signing_secret")


class Settings(forms.Form):
    url = secret_url("The webhook's URL.", required=needs(LABEL, "a URL"))
    signing_secret = secret_text(
        "Signing secret", "The webhook's HMAC-SHA256 secret.", required=needs(LABEL, "a signing secret")
    )


def send(channel, message):
    body = json.dumps({"notifications": message.payloads, "delivery": message.delivery}).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Vigil-Timestamp": timestamp,
        "X-Vigil-Signature": signature(channel.secrets["signing_secret"], timestamp, body),
    }
    reply = post(channel.secrets["url"], body=body, headers=headers)
    raise_for_status(reply, what="the webhook")
    return Sent(reply.code)


def signature(secret, timestamp, body):
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"
