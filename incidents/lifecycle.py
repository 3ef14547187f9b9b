"""Incidents from open to resolved: the batch store `receive_events` works through,
acknowledgement and resolution by people, escalation and reminders.

Every change that two workers could make at once is claimed with a conditional UPDATE
(go on only if one row changed), so a double click, two clusters or a retried task
record it once.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.utils import timezone

from incidents import oncall, outbox, runbooks
from incidents.messages import incident_payload, source_name
from incidents.models import (
    RESPONSE_SLA,
    Channel,
    Incident,
    IncidentCounter,
    Notification,
    Severity,
    TimelineEntry,
)

RESOLVED = Incident.Status.RESOLVED
REMINDED_SEVERITIES = (Severity.P0, Severity.P1)


# References ------------------------------------------------------------------


def allocate_refs(count, year):
    """`count` new INC-YYYY-NNN references. The counter row is locked until commit, so
    references increase and are never handed out twice."""
    if not IncidentCounter.objects.filter(year=year).update(last=F("last") + count):
        IncidentCounter.objects.get_or_create(year=year)
        IncidentCounter.objects.filter(year=year).update(last=F("last") + count)
    last = IncidentCounter.objects.get(year=year).last
    return [f"INC-{year}-{number:03d}" for number in range(last - count + 1, last + 1)]


# The open incidents of one batch of events --------------------------------------


@dataclass
class Slot:
    incident: Incident
    new: bool = False
    lost: bool = False  # another transaction opened this dedup key first: ours joined it


class OpenIncidents:
    """The open incidents for a batch's dedup keys (locked), and the ones the batch opens,
    resolves or acknowledges; written in bulk by `create_new` and `save_changes`."""

    def __init__(self, dedup_keys):
        found = Incident.objects.select_for_update().filter(dedup_key__in=dedup_keys).exclude(status=RESOLVED)
        self.by_key = {incident.dedup_key: Slot(incident) for incident in found.order_by("pk")} if dedup_keys else {}
        self.new, self.changed = [], {}

    def get(self, dedup_key):
        return self.by_key.get(dedup_key) if dedup_key else None

    def open(self, event, *, title, severity):
        incident = Incident(
            title=title[:500],
            severity=severity,
            dedup_key=event.dedup_key,
            source_key=event.source_key,
            opened_at=event.occurred_at,
        )
        slot = Slot(incident, new=True)
        self.new.append(slot)
        if event.dedup_key:
            self.by_key[event.dedup_key] = slot
        return slot

    def resolve(self, slot, *, at):
        slot.incident.status, slot.incident.resolved_at = RESOLVED, at
        self.by_key.pop(slot.incident.dedup_key, None)
        self._changed(slot)

    def acknowledge(self, slot, *, at):
        if slot.incident.acknowledged_at:
            return False
        slot.incident.acknowledged_at = at
        self._changed(slot)
        return True

    def _changed(self, slot):
        if not slot.new:
            self.changed[slot.incident.pk] = slot.incident

    def create_new(self):
        """Insert the incidents this batch opens. If another transaction opened one of the
        same dedup keys meanwhile, the unique constraint refuses ours and we join theirs."""
        if not self.new:
            return
        years = {}
        for slot in self.new:
            years.setdefault(timezone.localtime(slot.incident.opened_at).year, []).append(slot)
        for year, slots in years.items():
            for slot, ref in zip(slots, allocate_refs(len(slots), year)):
                slot.incident.ref = ref
        try:
            with transaction.atomic():
                Incident.objects.bulk_create([slot.incident for slot in self.new])
        except IntegrityError:
            for slot in self.new:
                _create_or_join(slot)

    def save_changes(self):
        """Write resolutions and acknowledgements (before `create_new`: a resolved incident
        frees its dedup key for the one the same batch opens next)."""
        if self.changed:
            Incident.objects.bulk_update(self.changed.values(), ["status", "resolved_at", "acknowledged_at"])

    def link_rules(self, plans_rules):
        links = {(slot.incident.pk, rule.pk) for slot, rules in plans_rules for rule in rules}
        Through = Incident.rules.through
        Through.objects.bulk_create(
            [Through(incident_id=incident, alertrule_id=rule) for incident, rule in links], ignore_conflicts=True
        )


def _create_or_join(slot):
    try:
        with transaction.atomic():
            slot.incident.save(force_insert=True)
    except IntegrityError:
        slot.incident = (
            Incident.objects.select_for_update().exclude(status=RESOLVED).get(dedup_key=slot.incident.dedup_key)
        )
        slot.lost = True


# People ---------------------------------------------------------------------


def _by(user, via):
    return f"{user.get_username()} ({via})" if user else via


@transaction.atomic
def incident_acknowledge(incident, *, user=None, via):
    """Acknowledge an open incident; True if this call did it (a second one changes nothing)."""
    now = timezone.now()
    done = (
        Incident.objects.filter(pk=incident.pk, acknowledged_at__isnull=True)
        .exclude(status=RESOLVED)
        .update(acknowledged_at=now, acknowledged_by=user)
    )
    if done:
        text = f"Acknowledged by {_by(user, via)}"
        TimelineEntry.objects.create(incident=incident, at=now, kind=TimelineEntry.Kind.ACKNOWLEDGED, text=text, user=user)
    incident.refresh_from_db()
    return bool(done)


@transaction.atomic
def incident_resolve(incident, *, user=None, via, note=""):
    """Resolve an open incident by hand; True if this call did it."""
    now = timezone.now()
    done = Incident.objects.filter(pk=incident.pk).exclude(status=RESOLVED).update(status=RESOLVED, resolved_at=now)
    if done:
        text = f"Resolved by {_by(user, via)}" + (f": {note}" if note else "")
        TimelineEntry.objects.create(incident=incident, at=now, kind=TimelineEntry.Kind.RESOLVED, text=text, user=user)
    incident.refresh_from_db()
    return bool(done)


# Escalation and reminders -------------------------------------------------------------


def response_sla(incident, rules):
    """The smallest escalate_after of the incident's rules, else its severity's SLA."""
    seconds = [rule.escalate_after for rule in rules if rule.escalate_after is not None]
    return timedelta(seconds=min(seconds)) if seconds else RESPONSE_SLA[incident.severity]


def repeat_interval(rules):
    """The smallest repeat_every of the incident's rules; None: no reminders."""
    seconds = [rule.repeat_every for rule in rules if rule.repeat_every]
    return timedelta(seconds=min(seconds)) if seconds else None


def escalate_and_remind(now=None):
    """Escalate each open incident unacknowledged past its SLA (once), and remind about each
    unresolved P0/P1 at its rules' interval. Safe to run on every cluster at once."""
    now = now or timezone.now()
    channels = Channel.objects.for_routing()
    open_incidents = Incident.objects.exclude(status=RESOLVED).prefetch_related(
        Prefetch("rules__channels", queryset=channels), Prefetch("rules__escalation_channels", queryset=channels)
    )
    escalated = reminded = 0
    every_channel = None
    for incident in open_incidents:
        rules = [rule for rule in incident.rules.all() if rule.enabled]
        if _escalation_due(incident, rules, now):
            escalated += _escalate(incident, rules, now)
        interval = repeat_interval(rules) if incident.severity in REMINDED_SEVERITIES else None
        if interval and (incident.last_reminded_at or incident.opened_at) + interval <= now:
            if every_channel is None and any(rule.all_channels for rule in rules):
                every_channel = outbox.every_channel()
            reminded += _remind(incident, rules, every_channel, now)
    return escalated, reminded


def _escalation_due(incident, rules, now):
    waiting = not incident.acknowledged_at and not incident.escalated_at
    return waiting and incident.opened_at + response_sla(incident, rules) <= now


@transaction.atomic
def _escalate(incident, rules, now):
    claimed = Incident.objects.filter(
        pk=incident.pk, escalated_at__isnull=True, acknowledged_at__isnull=True
    ).exclude(status=RESOLVED).update(escalated_at=now)
    if not claimed:
        return 0
    incident.escalated_at = now
    channels = {channel for rule in rules for channel in rule.escalation_channels.all() if channel.enabled}
    # Escalation starts from the on-call user (their email), then the rules' escalation channels.
    channels |= set(oncall.oncall_channels(now))
    text = "Escalated: not acknowledged in time" + ("" if channels else "; no rule names an escalation channel")
    _notify(incident, rules, channels, Notification.Kind.ESCALATION, TimelineEntry.Kind.ESCALATED, text, now)
    return 1


@transaction.atomic
def _remind(incident, rules, every_channel, now):
    claimed = Incident.objects.filter(pk=incident.pk, last_reminded_at=incident.last_reminded_at).exclude(
        status=RESOLVED
    ).update(last_reminded_at=now)
    if not claimed:
        return 0
    incident.last_reminded_at = now
    channels = outbox.channels_of(rules, every_channel)
    _notify(incident, rules, channels, Notification.Kind.REMINDER, TimelineEntry.Kind.REMINDER, "Reminder sent", now)
    return 1


def _notify(incident, rules, channels, kind, entry, text, now):
    """The escalation's or reminder's timeline line, and its messages."""
    payload = incident_payload(
        incident,
        kind=kind,
        source_name=source_name(incident.source_key),
        runbook_url=runbooks.runbook_link(incident.source_key, rules),
        now=now,
    )
    message = outbox.Outgoing.immediate(channels, payload, kind=kind, incident=incident)
    outbox.notify([message], now=now, timeline=[TimelineEntry(incident=incident, at=now, kind=entry, text=text)])
