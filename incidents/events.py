"""The one door into incidents: every source hands its events to `receive_events`.

Inside the caller's transaction, a batch of events is recorded, routed by the alert rules,
opens, joins, acknowledges or resolves incidents (with timeline entries), and writes the
outbox rows that `incidents.delivery` sends after commit. Everything is read once per
batch and written in bulk, so a batch costs the same number of queries however long it is.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from incidents import lifecycle, oncall, outbox, routing, runbooks
from incidents.event_kinds import ACKNOWLEDGE, CHANGE, EVENT_KINDS, NOTICE, PROBLEM, RECOVERY
from incidents.messages import event_payload
from incidents.models import Event, Incident, Notification, Source, TimelineEntry


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
    """Record events and act on them. Call it inside the transaction of the change that
    caused them, so an event (and what it sends) exists exactly when its cause does."""
    unknown = EVENT_KINDS.unknown(event.kind for event in events)
    if unknown:
        raise ValueError(f"unknown event kinds: {', '.join(unknown)} (no source declared them)")
    rows = Event.objects.bulk_create(
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
    if rows:
        _Batch(rows).run()
    return rows


def role_of(event):
    """What an event does to incidents, as its kind declares: open (problem), resolve
    (recovery), acknowledge, or nothing (notice, change)."""
    return EVENT_KINDS[event.kind].role_of(event)


@dataclass
class _Plan:
    """What one event does: filled while walking the batch, written after incidents exist."""

    event: Event
    route: routing.Route
    severity: str
    slot: lifecycle.Slot | None = None
    entry: str = TimelineEntry.Kind.EVENT
    notify: str = ""  # the Notification kind to send, "" for none
    resolves: bool = False


class _Batch:
    def __init__(self, events):
        self.now = timezone.now()
        self.events = events
        self.sources = Source.objects.in_bulk({event.source_key for event in events}, field_name="key")
        self.rules = routing.load_rules()
        self.every_channel = outbox.every_channel() if routing.any_to_all(self.rules) else []
        self.store = lifecycle.OpenIncidents({event.dedup_key for event in events if event.dedup_key})

    def run(self):
        plans = [self._plan(event) for event in self.events]
        self.store.save_changes()
        self.store.create_new()
        outgoing = [self._outgoing(plan) for plan in plans if self._sends(plan)]
        outbox.notify(outgoing, now=self.now, due_at=routing.due_at, timeline=self._timeline(plans))
        self.store.link_rules([(plan.slot, plan.route.rules) for plan in plans if plan.slot])

    def _plan(self, event):
        route = routing.route(
            self.rules,
            kind=event.kind,
            dedup_key=event.dedup_key,
            source=self.sources.get(event.source_key),
            every_channel=self.every_channel,
            severity=event.severity,
        )
        kind = EVENT_KINDS[event.kind]
        plan = _Plan(event, route, routing.severity_of(event, route, default=kind.severity))
        handlers = {PROBLEM: self._problem, RECOVERY: self._recovery, ACKNOWLEDGE: self._acknowledge,
                    NOTICE: self._notice, CHANGE: self._notice}
        handlers[kind.role_of(event)](plan)
        if kind.silence_reason(event):
            plan.notify = ""
        return plan

    def _problem(self, plan):
        event = plan.event
        plan.slot = self.store.get(event.dedup_key)
        if plan.slot is None:
            plan.slot = self.store.open(event, title=event.summary, severity=plan.severity)
            plan.entry, plan.notify = TimelineEntry.Kind.OPENED, Notification.Kind.PROBLEM
        elif EVENT_KINDS[event.kind].notice_when_joining:
            plan.notify = Notification.Kind.NOTICE

    def _recovery(self, plan):
        """A recovery with no open incident is still announced (a monitor's down may have been
        sent before any incident existed), unless its kind says it needs one (an app's resolve
        is ignored, as PagerDuty does)."""
        plan.slot = self.store.get(plan.event.dedup_key)
        if plan.slot is not None:
            self.store.resolve(plan.slot, at=plan.event.occurred_at)
            plan.entry, plan.resolves = TimelineEntry.Kind.RESOLVED, True
        if plan.slot is not None or not EVENT_KINDS[plan.event.kind].recovery_needs_incident:
            plan.notify = Notification.Kind.RECOVERY

    def _acknowledge(self, plan):
        plan.slot = self.store.get(plan.event.dedup_key)
        if plan.slot is not None and self.store.acknowledge(plan.slot, at=plan.event.occurred_at):
            plan.entry = TimelineEntry.Kind.ACKNOWLEDGED

    def _notice(self, plan):
        plan.slot = self.store.get(plan.event.dedup_key)
        plan.notify = Notification.Kind.NOTICE

    def _sends(self, plan):
        return plan.notify and not (plan.slot and plan.slot.lost and plan.entry == TimelineEntry.Kind.OPENED)

    def _outgoing(self, plan):
        event, incident = plan.event, plan.slot.incident if plan.slot else None
        source = self.sources.get(event.source_key)
        payload = event_payload(
            event,
            severity=plan.severity,
            source_name=source.name if source else event.details.get("source") or event.source_key,
            incident=incident,
            runbook_url=runbooks.runbook_link(event.source_key, plan.route.rules),
            recovery=plan.notify == Notification.Kind.RECOVERY,
        )
        deliveries = dict(plan.route.deliveries)
        if plan.entry == TimelineEntry.Kind.OPENED and plan.severity in oncall.PAGED_SEVERITIES:
            for channel in self._oncall_channels():  # the on-call user hears of every P0/P1 directly
                deliveries.setdefault(channel, routing.Delivery.IMMEDIATE)
        return outbox.Outgoing(payload, deliveries, plan.notify, incident=incident, event=event)

    def _oncall_channels(self):
        if not hasattr(self, "paged_channels"):
            self.paged_channels = oncall.oncall_channels(self.now)
        return self.paged_channels

    def _timeline(self, plans):
        entries = []
        for plan in plans:
            if plan.slot is None:
                continue
            entry = plan.entry
            if plan.slot.lost and entry == TimelineEntry.Kind.OPENED:
                entry = TimelineEntry.Kind.EVENT
            text = _timeline_text(plan.event, entry)
            entries.append(
                TimelineEntry(incident=plan.slot.incident, at=plan.event.occurred_at, kind=entry, text=text, event=plan.event)
            )
        return entries + self._changes_noted(plans)

    def _changes_noted(self, plans):
        """A change (a deploy, a flag flipped) goes on the timeline of every open incident of
        its source, so whoever works on one sees what changed. One query, only when a batch
        holds changes."""
        changes = [plan.event for plan in plans if role_of(plan.event) == CHANGE]
        if not changes:
            return []
        open_incidents = (
            Incident.objects.filter(source_key__in={event.source_key for event in changes})
            .exclude(status=Incident.Status.RESOLVED)
            .values_list("pk", "source_key")
        )
        return [
            TimelineEntry(incident_id=pk, at=event.occurred_at, kind=TimelineEntry.Kind.EVENT,
                          text=f"Change: {event.summary}", event=event)
            for pk, source_key in open_incidents
            for event in changes
            if event.source_key == source_key
        ]


def _timeline_text(event, entry):
    prefix = {
        TimelineEntry.Kind.OPENED: "Opened: ",
        TimelineEntry.Kind.RESOLVED: "Resolved: ",
        TimelineEntry.Kind.ACKNOWLEDGED: "Acknowledged via events API: ",
    }.get(entry, "")
    reason = EVENT_KINDS[event.kind].silence_reason(event)
    suffix = f" ({reason}; not sent)" if reason else ""
    return f"{prefix}{event.summary}{suffix}"
