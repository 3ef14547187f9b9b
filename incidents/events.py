"""The one door into incidents: every source hands its events to `receive_events`.

Inside the caller's transaction, a batch of events is recorded, routed by the alert rules,
opens, joins, acknowledges or resolves incidents (with timeline entries), and writes the
outbox rows that `incidents.delivery` sends after commit. Everything is read once per
batch and written in bulk, so a batch costs the same number of queries however long it is.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from incidents import delivery, lifecycle, oncall, routing, runbooks
from incidents.messages import event_payload, queued_text
from incidents.models import Event, Incident, Notification, Severity, Source, TimelineEntry

EVENT_KINDS = (
    "monitor_down",
    "monitor_up",
    "monitor_degraded",
    "certificate_expiring",
    "heartbeat_missed",
    "backup_failed",
    "backup_succeeded",
    "backup_stale",
    "backup_verified",
    "backup_warning",
    "error_rate",
    "error_rate_normal",
    "external",
    "monitor_flapping",
    "monitor_flapping_stopped",
    "slo_burn",
    "slo_burn_stopped",
)
PROBLEM_KINDS = {
    "monitor_down", "heartbeat_missed", "backup_failed", "backup_stale", "error_rate", "monitor_flapping", "slo_burn",
}

PROBLEM, RECOVERY, ACKNOWLEDGE, NOTICE = "problem", "recovery", "acknowledge", "notice"


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
    unknown = {event.kind for event in events} - set(EVENT_KINDS)
    if unknown:
        raise ValueError(f"unknown event kinds: {', '.join(sorted(unknown))}")
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
    """What an event does to incidents: open (problem), resolve (recovery), acknowledge, or
    nothing (notice). While a monitor flaps, its up does not resolve."""
    details = event.details or {}
    if event.kind == "external":
        action = details.get("action")
        if action == "trigger":
            return NOTICE if event.severity == Severity.P3 else PROBLEM
        return {"resolve": RECOVERY, "acknowledge": ACKNOWLEDGE}.get(action, NOTICE)
    if event.kind in PROBLEM_KINDS:
        return PROBLEM
    if event.kind == "monitor_up" and not event.dedup_key.endswith(":degraded"):
        return NOTICE if details.get("flapping") else RECOVERY
    if event.kind in ("backup_succeeded", "slo_burn_stopped", "error_rate_normal"):
        return RECOVERY
    if event.kind == "monitor_flapping_stopped" and details.get("status") != "down":
        return RECOVERY
    return NOTICE


def is_silent(event):
    """A flapping monitor's own down and up are recorded, not sent: its flapping notices replace them."""
    return bool((event.details or {}).get("flapping"))


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
        self.every_channel = routing.load_every_channel(self.rules)
        self.store = lifecycle.OpenIncidents({event.dedup_key for event in events if event.dedup_key})

    def run(self):
        plans = [self._plan(event) for event in self.events]
        self.store.save_changes()
        self.store.create_new()
        notifications = self._write_notifications(plans)
        self._write_timeline(plans, notifications)
        self.store.link_rules([(plan.slot, plan.route.rules) for plan in plans if plan.slot])
        if notifications:
            delivery.kick()

    def _plan(self, event):
        route = routing.route(
            self.rules,
            kind=event.kind,
            dedup_key=event.dedup_key,
            source=self.sources.get(event.source_key),
            every_channel=self.every_channel,
            severity=event.severity,
        )
        plan = _Plan(event, route, routing.severity_of(event, route))
        {PROBLEM: self._problem, RECOVERY: self._recovery, ACKNOWLEDGE: self._acknowledge, NOTICE: self._notice}[
            role_of(event)
        ](plan)
        if is_silent(event):
            plan.notify = ""
        return plan

    def _problem(self, plan):
        event = plan.event
        plan.slot = self.store.get(event.dedup_key)
        if plan.slot is None:
            plan.slot = self.store.open(event, title=event.summary, severity=plan.severity)
            plan.entry, plan.notify = TimelineEntry.Kind.OPENED, Notification.Kind.PROBLEM
        elif event.kind == "monitor_flapping":
            plan.notify = Notification.Kind.NOTICE

    def _recovery(self, plan):
        """An app's resolve with no open incident is ignored (as PagerDuty does); a monitor's
        up is still announced, since its down may have been sent before any incident existed."""
        plan.slot = self.store.get(plan.event.dedup_key)
        if plan.slot is not None:
            self.store.resolve(plan.slot, at=plan.event.occurred_at)
            plan.entry, plan.resolves = TimelineEntry.Kind.RESOLVED, True
        if plan.slot is not None or plan.event.kind != "external":
            plan.notify = Notification.Kind.RECOVERY

    def _acknowledge(self, plan):
        plan.slot = self.store.get(plan.event.dedup_key)
        if plan.slot is not None and self.store.acknowledge(plan.slot, at=plan.event.occurred_at):
            plan.entry = TimelineEntry.Kind.ACKNOWLEDGED

    def _notice(self, plan):
        plan.slot = self.store.get(plan.event.dedup_key)
        plan.notify = Notification.Kind.NOTICE

    def _write_notifications(self, plans):
        rows = []
        for plan in plans:
            if not plan.notify or (plan.slot and plan.slot.lost and plan.entry == TimelineEntry.Kind.OPENED):
                continue
            rows.extend(self._notifications_for(plan))
        return Notification.objects.bulk_create(rows)

    def _notifications_for(self, plan):
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
        return [
            Notification(
                channel=channel,
                event=event,
                incident=incident,
                kind=plan.notify,
                delivery=mode,
                payload=payload,
                created_at=self.now,
                next_attempt_at=routing.due_at(mode, self.now),
            )
            for channel, mode in deliveries.items()
        ]

    def _oncall_channels(self):
        if not hasattr(self, "paged_channels"):
            self.paged_channels = oncall.oncall_channels(self.now)
        return self.paged_channels

    def _write_timeline(self, plans, notifications):
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
        entries.extend(
            TimelineEntry(
                incident_id=row.incident_id,
                at=self.now,
                kind=TimelineEntry.Kind.NOTIFICATION,
                text=queued_text(row),
                event=row.event,
                notification=row,
            )
            for row in notifications
            if row.incident_id
        )
        TimelineEntry.objects.bulk_create(entries)


def _timeline_text(event, entry):
    prefix = {
        TimelineEntry.Kind.OPENED: "Opened: ",
        TimelineEntry.Kind.RESOLVED: "Resolved: ",
        TimelineEntry.Kind.ACKNOWLEDGED: "Acknowledged via events API: ",
    }.get(entry, "")
    suffix = " (flapping; not sent)" if (event.details or {}).get("flapping") else ""
    return f"{prefix}{event.summary}{suffix}"
