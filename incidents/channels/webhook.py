"""Signed JSON webhooks: {"notifications": [payload, ...]} (always a list).

X-Vigil-Signature is "sha256=" + HMAC-SHA256(signing secret, f"{timestamp}.{body}") in
hex, with the timestamp in X-Vigil-Timestamp, so receivers can refuse replays.
"""

import hashlib
import hmac
import json
import time

from incidents.channels import Sent
from incidents.channels.http import post, raise_for_status


def send(channel, message):
    body = json.dumps({"notifications": message.payloads, "delivery": message.delivery}).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Vigil-Timestamp": timestamp,
        "X-Vigil-Signature": signature(channel.signing_secret, timestamp, body),
    }
    reply = post(channel.url, body=body, headers=headers)
    raise_for_status(reply, what="the webhook")
    return Sent(reply.code)


def signature(secret, timestamp, body):
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"
