"""What people do to incidents from the pages: declare one, post an update or a status
change, change severity, file a post-mortem, and the daily post-mortem reminder.

Acknowledgement and resolution stay in `incidents.lifecycle`; these call them.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from incidents import outbox
from incidents.lifecycle import allocate_refs, incident_resolve
from incidents.messages import postmortem_reminder_payload, source_name
from incidents.models import Channel, Incident, Notification, PostMortem, Source, TimelineEntry

RESOLVED = Incident.Status.RESOLVED
REMINDER_EVERY = timedelta(days=1)
REMINDER_TEXT = "Post-mortem reminder"


@transaction.atomic
def incident_declare(*, title, severity, source_keys, update, public=False, user):
    """Open an incident by hand (what no monitor saw), with its first update."""
    now = timezone.now()
    (ref,) = allocate_refs(1, timezone.localtime(now).year)
    incident = Incident.objects.create(
        ref=ref, title=title, severity=severity, source_key=source_keys[0] if source_keys else "", opened_at=now
    )
    names = dict(Source.objects.filter(key__in=source_keys).values_list("key", "name"))
    affected = ", ".join(names.get(key, key) for key in source_keys) or "no monitor"
    TimelineEntry.objects.bulk_create([
        TimelineEntry(incident=incident, at=now, kind=TimelineEntry.Kind.OPENED, user=user,
                      text=f"Declared by {user.get_username()}; affects {affected}"),
        TimelineEntry(incident=incident, at=now, kind=TimelineEntry.Kind.UPDATE, user=user, text=update, public=public),
    ])
    return incident


@transaction.atomic
def incident_update(incident, *, status, message="", public=False, user):
    """Post an update, changing the status if it differs. Resolving goes through
    `incident_resolve`. False if the incident was already resolved."""
    now = timezone.now()
    if status == RESOLVED:
        if not incident_resolve(incident, user=user, via="web"):
            return False
    elif status != incident.status:
        if not Incident.objects.filter(pk=incident.pk).exclude(status=RESOLVED).update(status=status):
            return False
        incident.status = status
    elif incident.status == RESOLVED:
        return False
    label = Incident.Status(status).label
    text = f"{label}: {message}" if message else f"Status changed to {label}"
    kind = TimelineEntry.Kind.UPDATE if message else TimelineEntry.Kind.STATUS
    TimelineEntry.objects.create(incident=incident, at=now, kind=kind, text=text, user=user, public=public and bool(message))
    return True


@transaction.atomic
def incident_set_severity(incident, *, severity, user):
    old = incident.severity
    if old == severity or not Incident.objects.filter(pk=incident.pk).update(severity=severity):
        return False
    incident.severity = severity
    TimelineEntry.objects.create(incident=incident, at=timezone.now(), kind=TimelineEntry.Kind.STATUS, user=user,
                                 text=f"Severity changed from {old} to {severity} by {user.get_username()}")
    return True


@transaction.atomic
def postmortem_save(*, form, items, user, publish):
    """Save a post-mortem (from its validated form) and its action items (a validated
    formset); publishing stamps it once."""
    postmortem = form.save(commit=False)
    postmortem.author = postmortem.author or user
    if publish and not postmortem.is_published:
        postmortem.status, postmortem.published_at = PostMortem.Status.PUBLISHED, timezone.now()
    postmortem.save()
    items.instance = postmortem
    items.save()
    return postmortem


def postmortem_remind(incidents, *, now=None):
    """Send one reminder notice a day per incident still lacking a published post-mortem,
    to the channels of the rules that routed it (the outbox, in this transaction).
    Returns how many incidents were reminded about."""
    now = now or timezone.now()
    return sum(_remind_one(incident.pk, now) for incident in incidents)


@transaction.atomic
def _remind_one(pk, now):
    incident = Incident.objects.select_for_update().filter(pk=pk).first()  # one cluster at a time
    if incident is None or PostMortem.objects.filter(incident=incident, status=PostMortem.Status.PUBLISHED).exists():
        return 0
    reminders = incident.timeline.filter(kind=TimelineEntry.Kind.REMINDER, text__startswith=REMINDER_TEXT)
    if reminders.filter(at__gt=now - REMINDER_EVERY).exists():
        return 0
    payload = postmortem_reminder_payload(incident, source_name=source_name(incident.source_key), now=now)
    notice = outbox.Outgoing.immediate(
        _rule_channels(incident), payload, kind=Notification.Kind.NOTICE, incident=incident
    )
    entry = TimelineEntry(incident=incident, at=now, kind=TimelineEntry.Kind.REMINDER, text=REMINDER_TEXT)
    outbox.notify([notice], now=now, timeline=[entry])
    return 1


def _rule_channels(incident):
    """The enabled channels of the enabled rules that routed the incident."""
    channels = Prefetch("channels", queryset=Channel.objects.for_routing())
    return outbox.channels_of(incident.rules.filter(enabled=True).prefetch_related(channels))
