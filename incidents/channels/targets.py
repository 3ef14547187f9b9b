"""Whether a channel is complete and points somewhere it may send to (checked at save time).

Messages name the field, never its value: URLs and tokens are secrets.
"""

import re
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core import net

RESOLVE_SECONDS = 3
REQUIRED = {
    "slack": ("url",),
    "slack_bot": ("token", "slack_channel"),
    "email": ("recipients",),
    "webhook": ("url", "signing_secret"),
}
LABELS = {
    "url": "a URL",
    "token": "a bot token",
    "slack_channel": "a Slack channel",
    "recipients": "at least one recipient",
    "signing_secret": "a signing secret",
}


def recipients_list(text):
    """The addresses in a recipients field: one per line or comma-separated."""
    return [address.strip() for address in re.split(r"[,\n;]", text or "") if address.strip()]


def validate_channel(channel):
    """Raise ValidationError (per field) if `channel` cannot be sent to as written."""
    errors = {}
    for field in REQUIRED.get(channel.kind, ()):
        if not (getattr(channel, field) or "").strip():
            errors[field] = f"A {channel.get_kind_display()} channel needs {LABELS[field]}."
    if channel.kind == "email" and "recipients" not in errors:
        bad = _bad_recipients(channel.recipients)
        if bad:
            errors["recipients"] = f"Not an email address: {', '.join(bad)}."
    if channel.kind in ("slack", "webhook") and "url" not in errors:
        problem = url_problem(channel.url)
        if problem:
            errors["url"] = f"The URL {problem}."
    if errors:
        raise ValidationError(errors)


def _bad_recipients(text):
    bad = []
    for address in recipients_list(text):
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    return bad


def url_problem(url):
    """Why a channel may not post to `url` (a short phrase without the URL), or None.

    The host is resolved and each address judged by the channel policy. A name that does
    not resolve now is accepted: the same policy is applied again at connect time.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must start with https:// or http://"
    if not parts.hostname:
        return "has no host"
    try:
        with net.Deadline(RESOLVE_SECONDS) as deadline:
            net.resolve(parts.hostname, port, deadline=deadline, policy=net.channel_blocked_reason)
    except net.BlockedAddress as exc:
        return f"points to a refused address ({exc.reason}; see CHANNELS_ALLOW_PRIVATE_IPS)"
    except (socket.gaierror, TimeoutError, UnicodeError):
        return None
    return None
