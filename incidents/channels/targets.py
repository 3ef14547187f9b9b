"""Fields the kinds' settings share: secrets (never rendered back), webhook URLs judged by
the channel address policy at save time, and the message naming what a kind needs.

Messages name the field, never its value: URLs and tokens are secrets.
"""

import socket
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from core import net

RESOLVE_SECONDS = 3


def needs(kind_label, what):
    """The message for a missing setting: "A Slack (incoming webhook) channel needs a URL."."""
    return f"A {kind_label} channel needs {what}."


def secret_widget():
    return forms.PasswordInput(render_value=False, attrs={"size": 60, "autocomplete": "off"})


def secret_text(label, help_text, *, required):
    """A required secret; `required` is the message when it is missing."""
    return forms.CharField(
        label=label, help_text=help_text, widget=secret_widget(), error_messages={"required": required}
    )


class ChannelURLField(forms.CharField):
    """An http(s) URL a channel may post to (see `url_problem`)."""

    def validate(self, value):
        super().validate(value)
        problem = url_problem(value) if value else None
        if problem:
            raise ValidationError(f"The URL {problem}.", code="refused")


def secret_url(help_text, *, required):
    """A required secret URL; `required` is the message when it is missing."""
    return ChannelURLField(
        label="URL", help_text=help_text, widget=secret_widget(), error_messages={"required": required}
    )


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
