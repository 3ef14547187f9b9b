"""Notification payloads, rendered once when the outbox row is written (senders read nothing else)."""

from dataclasses import asdict, dataclass, replace

from core.durations import human_duration
from incidents.event_kinds import EVENT_KINDS
from incidents.links import ack_url, incident_url, postmortem_url


@dataclass(frozen=True)
class Payload:
    """What one notification says: the one payload type of every outbox row."""

    title: str
    text: str
    severity: str
    kind: str
    source: str
    status: str
    duration_seconds: int | None
    incident: str | None
    incident_url: str | None
    ack_url: str | None
    runbook_url: str | None
    occurred_at: str | None
    postmortem_url: str | None = None  # only on post-mortem reminders

    def to_json(self):
        """The row's JSON (what senders get); `postmortem_url` only where there is one."""
        data = asdict(self)
        if data["postmortem_url"] is None:
            del data["postmortem_url"]
        return data


def problem_seconds(event, incident):
    """How long the problem lasted: since the incident opened, else what the source measured."""
    if incident is not None and incident.opened_at:
        return max(round((event.occurred_at - incident.opened_at).total_seconds()), 0)
    measured = event.details.get("problem_seconds")
    return int(measured) if isinstance(measured, (int, float)) else None


def event_payload(event, *, severity, source_name, incident, runbook_url, recovery):
    """The message of an event, read as its kind declares."""
    duration = problem_seconds(event, incident) if recovery else None
    declared = EVENT_KINDS[event.kind]
    return Payload(
        title=declared.title(event, duration),
        text=declared.text(event, duration),
        severity=severity,
        kind=event.kind,
        source=source_name,
        status=declared.status(event),
        duration_seconds=duration,
        **incident_links(incident),
        runbook_url=runbook_url,
        occurred_at=event.occurred_at.isoformat(),
    )


def incident_payload(incident, *, kind, source_name, runbook_url, now):
    """An escalation or a reminder about an incident nobody has dealt with."""
    open_for = human_duration((now - incident.opened_at).total_seconds())
    if kind == "escalation":
        title = f"Escalated: {incident.ref} {incident.title} (not acknowledged after {open_for})"
    else:
        title = f"Reminder: {incident.ref} {incident.title} is still open after {open_for}"
    return Payload(
        title=title,
        text="Acknowledged." if incident.acknowledged_at else "Not acknowledged.",
        severity=incident.severity,
        kind=kind,
        source=source_name,
        status=incident.status,
        duration_seconds=round((now - incident.opened_at).total_seconds()),
        **incident_links(incident),
        runbook_url=runbook_url,
        occurred_at=now.isoformat(),
    )


def postmortem_reminder_payload(incident, *, source_name, now):
    """The daily notice that an incident still lacks a published post-mortem."""
    return replace(
        incident_payload(incident, kind="notice", source_name=source_name, runbook_url="", now=now),
        title=f"Post-mortem due: {incident.ref} {incident.title}",
        text="A post-mortem is expected for this incident and none is published yet.",
        postmortem_url=postmortem_url(incident),
    )


def channel_test_payload(now):
    """What "send test message" sends: no incident, no outbox row."""
    return Payload(
        title="Test message from Vigil",
        text="This channel works: Vigil can deliver notifications here.",
        severity="",
        kind="test",
        source="Vigil",
        status="",
        duration_seconds=None,
        incident=None,
        incident_url=None,
        ack_url=None,
        runbook_url="",
        occurred_at=now.isoformat(),
    )


def source_name(source_key):
    """How messages name a source: its name, else its key (a source deleted meanwhile)."""
    from incidents.models import Source

    source = Source.objects.filter(key=source_key).first()
    return source.name if source else source_key


def incident_links(incident):
    if incident is None:
        return {"incident": None, "incident_url": None, "ack_url": None}
    return {
        "incident": incident.ref,
        "incident_url": incident_url(incident),
        "ack_url": ack_url(incident) if incident.is_open and not incident.acknowledged_at else None,
    }


def queued_text(row):
    """The timeline's line for an outbox row: written when queued, so it says queued (the
    row itself tracks whether and when it was delivered)."""
    when = "" if row.delivery == "immediate" else f" for the {row.delivery} summary"
    return f"Message to {row.channel.name} queued{when}"
