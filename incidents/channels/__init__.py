"""Channel kinds: each is one package, `incidents/channels/<kind>/`, listed once in `KINDS`.

A kind package gives what `core.kinds` asks of every kind (`LABEL`, `Settings`, `SECRETS`)
and its sender, `send(channel, message) -> Sent`, which reads `channel.settings` and
`channel.secrets`, turns one message (one or several coalesced notifications) into one
delivery, and raises `DeliveryError` on failure. The error says whether trying again can
help (`permanent`), and carries the response code, a short detail (never a URL, token or
response body that could echo one) and how long to wait (`retry_after`, seconds).
Optionally, `CONFIG_KEYS`: how a config file writes some of its settings (`core.config.values.Key`).

Shared by several kinds: `http` (posting with the channel policy and classifying answers),
`render` (the words of a notification), `blocks` (Slack's Block Kit), `targets` (guards).
"""

from dataclasses import dataclass, field

from core.kinds import Registry

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


KINDS = Registry("channel", {
    "slack": "incidents.channels.slack",
    "slack_bot": "incidents.channels.slack_bot",
    "email": "incidents.channels.email",
    "webhook": "incidents.channels.webhook",
    "discord": "incidents.channels.discord",
})


def kind_choices():
    """The model's and forms' choices of kinds (a function, so a new kind needs no migration)."""
    return KINDS.choices()


def sender_for(channel):
    """The `send(channel, message)` function of the channel's kind."""
    return KINDS[channel.kind].send


def setting_fields():
    """Every kind's settings form fields by name, in the order of the kinds and of their
    forms (a name two kinds share is the first one's): the admin's fields, the config keys."""
    fields = {}
    for kind in KINDS:
        for name, field in KINDS[kind].Settings.base_fields.items():
            fields.setdefault(name, field)
    return fields


def setting_names():
    return set(setting_fields())


def secret_names():
    """Every kind's secrets, by name."""
    return {name for kind in KINDS for name in KINDS[kind].SECRETS}
