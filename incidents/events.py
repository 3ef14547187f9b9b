"""The one door into incidents: every source hands its events to `receive_events`."""

from dataclasses import dataclass, field
from datetime import datetime

from incidents.models import Event

EVENT_KINDS = (
    "monitor_down",
    "monitor_up",
    "monitor_degraded",
    "certificate_expiring",
    "heartbeat_missed",
    "backup_failed",
    "backup_succeeded",
    "backup_stale",
    "error_rate",
    "external",
)


@dataclass(frozen=True)
class NewEvent:
    kind: str
    source_key: str
    severity: str
    summary: str
    dedup_key: str
    occurred_at: datetime
    details: dict = field(default_factory=dict)


def receive_events(events):
    """Record events. Call it inside the transaction of the change that caused them,
    so an event exists exactly when its cause does."""
    unknown = {event.kind for event in events} - set(EVENT_KINDS)
    if unknown:
        raise ValueError(f"unknown event kinds: {', '.join(sorted(unknown))}")
    return Event.objects.bulk_create(
        Event(
            kind=event.kind,
            source_key=event.source_key,
            severity=event.severity,
            summary=event.summary[:500],
            details=event.details,
            dedup_key=event.dedup_key,
            occurred_at=event.occurred_at,
        )
        for event in events
    )
