"""The one way into the outbox: `notify` writes the Notification rows of every message
Vigil sends (events, escalations, reminders, post-mortem reminders), with one payload
type, and the timeline's "queued" line of each; `every_channel` is what a rule's "all
channels" means.

Call it inside the transaction of the change that causes the messages, so a message is
owed exactly when its cause exists; delivery starts when that transaction commits.
"""

from dataclasses import dataclass

from incidents import delivery
from incidents.messages import Payload, queued_text
from incidents.models import AlertRule, Channel, Notification, TimelineEntry

IMMEDIATE = AlertRule.Delivery.IMMEDIATE


@dataclass(frozen=True)
class Outgoing:
    """One message to write: its payload, to which channels (each with its delivery mode)."""

    payload: Payload
    deliveries: dict  # Channel → delivery mode
    kind: str  # a Notification.Kind
    incident: object = None
    event: object = None

    @classmethod
    def immediate(cls, channels, payload, **kwargs):
        """To each of `channels` (by name) as soon as possible."""
        ordered = sorted(channels, key=lambda channel: channel.name)
        return cls(payload, dict.fromkeys(ordered, IMMEDIATE), **kwargs)


def notify(outgoing, *, now, due_at=None, timeline=()):
    """Write the Notification rows of `outgoing` (a list of Outgoing) in one insert; then,
    in another, the caller's `timeline` entries followed by the "queued" line of each row
    that belongs to an incident.

    `due_at(mode, now)` says when a row of that delivery mode is due (default: now).
    Returns the rows; delivery is kicked when the transaction commits.
    """
    rows = Notification.objects.bulk_create(
        Notification(
            channel=channel,
            event=message.event,
            incident=message.incident,
            kind=message.kind,
            delivery=mode,
            payload=message.payload.to_json(),
            created_at=now,
            next_attempt_at=due_at(mode, now) if due_at else now,
        )
        for message in outgoing
        for channel, mode in message.deliveries.items()
    )
    TimelineEntry.objects.bulk_create([*timeline, *(queued_entry(row, now) for row in rows if row.incident_id)])
    if rows:
        delivery.kick()
    return rows


def queued_entry(row, now):
    return TimelineEntry(
        incident_id=row.incident_id,
        at=now,
        kind=TimelineEntry.Kind.NOTIFICATION,
        text=queued_text(row),
        event=row.event,
        notification=row,
    )


def every_channel():
    """The channels a rule with "all channels" sends to: the enabled ones, read without
    their secrets. A rotation's on-call channel is paged for P0/P1 only (incidents.oncall),
    never as "every channel"."""
    return list(Channel.objects.for_routing().filter(enabled=True, rotation__isnull=True))


def channels_of(rules, every=None):
    """The enabled channels `rules` send to (`every`: every_channel(), if already read)."""
    rules = list(rules)
    if every is None and any(rule.all_channels for rule in rules):
        every = every_channel()
    return {
        channel
        for rule in rules
        for channel in (every if rule.all_channels else rule.channels.all())
        if channel.enabled
    }
