"""Channel senders: each kind turns one message (one or several coalesced notifications)
into one delivery, and says how it went.

A sender is `send(channel, message) -> Sent` and raises `DeliveryError` on failure. The
error says whether trying again can help (`permanent`), and carries the response code, a
short detail (never a URL, token or response body that could echo one) and Retry-After.
"""

from dataclasses import dataclass, field
from importlib import import_module

SUMMARY_LABELS = {"hourly": "Hourly summary", "daily": "Daily summary"}


@dataclass(frozen=True)
class Message:
    """What one delivery carries: the payloads of the notifications it coalesces."""

    payloads: list = field(default_factory=list)
    delivery: str = "immediate"

    @property
    def summary(self):
        return SUMMARY_LABELS.get(self.delivery)

    @property
    def title(self):
        count = len(self.payloads)
        alerts = f"{count} alert" if count == 1 else f"{count} alerts"
        if self.summary:
            return f"{self.summary}: {alerts}"
        if count == 1:
            return self.payloads[0].get("title") or "Vigil notification"
        return alerts


@dataclass(frozen=True)
class Sent:
    code: int | None = None
    detail: str = "delivered"


class DeliveryError(Exception):
    def __init__(self, detail, *, permanent, code=None, retry_after=None):
        super().__init__(detail)
        self.detail = detail[:300]
        self.permanent = permanent
        self.code = code
        self.retry_after = retry_after


SENDERS = {
    "slack": "incidents.channels.slack",
    "slack_bot": "incidents.channels.slack_bot",
    "email": "incidents.channels.email",
    "webhook": "incidents.channels.webhook",
}


def sender_for(channel):
    """The `send(channel, message)` function of the channel's kind."""
    return import_module(SENDERS[channel.kind]).send
