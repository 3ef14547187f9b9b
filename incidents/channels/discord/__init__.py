"""Discord webhooks: one message with one embed per delivery, coloured by severity.

POST to the webhook URL itself (https://discord.com/api/webhooks/<id>/<token>); Discord
answers 204. 404 (Unknown Webhook), 401 and other 4xx mean the webhook will never work;
429 says how long to wait (`retry_after` seconds in its JSON, and Retry-After); 5xx pass.
"""

import json
import re

from django import forms

from incidents.channels import DeliveryError, Sent, render
from incidents.channels.http import RETRY_AFTER_CAP, post, raise_for_status, retry_after
from incidents.channels.targets import needs, secret_url

LABEL = "Discord (webhook)"
SECRETS = ("url",)

# Discord's embed limits.
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
COLOURS = {"P0": 0xD32F2F, "P1": 0xF57C00, "P2": 0xFBC02D, "P3": 0x1976D2}
NO_SEVERITY = 0x9E9E9E
# Discord's error messages ("Unknown Webhook") are quoted; anything else is not.
MESSAGE = re.compile(r"^[A-Za-z0-9 .,'_-]{1,60}$")


class Settings(forms.Form):
    url = secret_url(
        "The Discord webhook URL (https://discord.com/api/webhooks/…).", required=needs(LABEL, "a URL")
    )


def send(channel, message):
    body = json.dumps({"embeds": [embed(message)], "allowed_mentions": {"parse": []}}).encode()
    reply = post(channel.secrets["url"], body=body, headers={"Content-Type": "application/json"})
    if reply.code == 429:
        raise DeliveryError(
            "Discord is rate limiting (429)", permanent=False, code=429, retry_after=_retry_after(reply)
        )
    try:
        raise_for_status(reply, what="Discord")
    except DeliveryError as error:
        quoted = _message(reply.body)
        raise DeliveryError(
            f"{error.detail} ({quoted})" if quoted else error.detail, permanent=error.permanent, code=error.code
        ) from None
    return Sent(reply.code)


def embed(message):
    """The one embed of a delivery: a payload's facts and links, or a digest's lines."""
    single = len(message.payloads) == 1 and not message.summary
    out = {
        "title": render.cut(message.title, TITLE_LIMIT),
        "description": render.cut(_description(message, single), DESCRIPTION_LIMIT),
        "color": colour(message.payloads),
    }
    if single:
        payload = message.payloads[0]
        fields = render.facts(payload)
        links = " · ".join(f"[{label}]({url})" for label, url in render.links(payload))
        if links:
            fields.append(("Links", links))
        out["fields"] = [
            {"name": label, "value": render.cut(value, FIELD_VALUE_LIMIT), "inline": label != "Links"}
            for label, value in fields
        ]
        if payload.get("incident_url"):
            out["url"] = payload["incident_url"]
    return out


def colour(payloads):
    """The colour of the most urgent severity among the payloads."""
    severities = sorted(payload.get("severity") for payload in payloads if payload.get("severity") in COLOURS)
    return COLOURS[severities[0]] if severities else NO_SEVERITY


def _description(message, single):
    if single:
        return message.payloads[0].get("text") or ""
    shown, more = render.listed(message)
    lines = [_line(payload) for payload in shown]
    return "\n".join(lines + ([f"and {more} more"] if more else []))


def _line(payload):
    facts = " · ".join(value for _, value in render.facts(payload))
    title = payload.get("title") or ""
    if payload.get("incident_url"):
        title = f"[{title}]({payload['incident_url']})"
    return f"**{title}**" + (f" — {facts}" if facts else "")


def _retry_after(reply):
    """Discord's JSON `retry_after` (seconds, with a fraction), else its Retry-After header."""
    try:
        seconds = float(json.loads(reply.body)["retry_after"])
    except (ValueError, KeyError, TypeError):
        return retry_after(reply.headers)
    return min(max(seconds, 0), RETRY_AFTER_CAP)


def _message(body):
    try:
        text = json.loads(body).get("message", "")
    except (ValueError, AttributeError):
        return ""
    return text if isinstance(text, str) and MESSAGE.match(text) else ""
