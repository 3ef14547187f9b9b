"""Unacknowledged incidents escalate once; open P0/P1 incidents are reminded at an interval."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from incidents.lifecycle import escalate_and_remind, incident_acknowledge, incident_resolve
from incidents.models import AlertRule, Channel, Incident, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    AlertRule.objects.all().delete()
    ops = Channel.objects.create(name="ops", kind="email", recipients="ops@example.com")
    lead = Channel.objects.create(name="lead", kind="email", recipients="lead@example.com")
    rule = AlertRule.objects.create(name="down", event_kinds=["monitor_down"], repeat_every=3600)
    rule.channels.add(ops)
    rule.escalation_channels.add(lead)
    return rule


def open_incident(severity="P0", at=None):
    with transaction.atomic():
        receive_events(
            [
                NewEvent(
                    kind="monitor_down",
                    source_key="monitor:1",
                    severity=severity,
                    summary="api is down",
                    dedup_key=f"monitor:1:down:{severity}",
                    occurred_at=at or timezone.now(),
                )
            ]
        )
    return Incident.objects.get(severity=severity)


def sent(kind):
    return list(Notification.objects.filter(kind=kind).values_list("channel__name", flat=True))


def test_an_unacknowledged_p0_escalates_to_the_escalation_channels_exactly_once(setup):
    opened = timezone.now()
    incident = open_incident(at=opened)

    escalate_and_remind(now=opened + timedelta(minutes=14))
    assert sent("escalation") == []

    escalate_and_remind(now=opened + timedelta(minutes=15))
    escalate_and_remind(now=opened + timedelta(minutes=16))
    assert sent("escalation") == ["lead"]
    incident.refresh_from_db()
    assert incident.escalated_at == opened + timedelta(minutes=15)
    row = Notification.objects.get(kind="escalation")
    assert row.payload["title"] == f"Escalated: {incident.ref} api is down (not acknowledged after 15 min)"
    assert row.incident == incident and row.next_attempt_at == incident.escalated_at
    assert incident.timeline.filter(kind="escalated").count() == 1


def test_an_acknowledged_incident_does_not_escalate(setup, superadmin):
    opened = timezone.now()
    incident = open_incident(at=opened)
    assert incident_acknowledge(incident, user=superadmin, via="admin") is True
    assert incident_acknowledge(incident, user=superadmin, via="admin") is False
    escalate_and_remind(now=opened + timedelta(minutes=20))
    assert sent("escalation") == []
    assert incident.timeline.filter(kind="acknowledged").count() == 1
    assert incident.acknowledged_by == superadmin


def test_the_rules_escalate_after_beats_the_severity_sla(setup):
    setup.escalate_after = 60
    setup.save()
    opened = timezone.now()
    open_incident(severity="P2", at=opened)
    escalate_and_remind(now=opened + timedelta(seconds=61))
    assert sent("escalation") == ["lead"]


def test_reminders_come_at_the_interval_and_not_on_every_run(setup):
    opened = timezone.now()
    incident = open_incident(severity="P1", at=opened)
    incident_acknowledge(incident, via="admin")
    for minute in range(0, 60):
        escalate_and_remind(now=opened + timedelta(minutes=minute))
    assert sent("reminder") == []
    for minute in range(60, 125):
        escalate_and_remind(now=opened + timedelta(minutes=minute))
    assert sent("reminder") == ["ops", "ops"]
    incident.refresh_from_db()
    assert incident.last_reminded_at == opened + timedelta(minutes=120)
    assert incident.timeline.filter(kind="reminder").count() == 2


def test_no_reminders_for_p2_resolved_or_rules_without_an_interval(setup):
    opened = timezone.now()
    open_incident(severity="P2", at=opened)
    resolved = open_incident(severity="P0", at=opened)
    incident_resolve(resolved, via="admin", note="fixed by hand")
    escalate_and_remind(now=opened + timedelta(hours=5))
    assert sent("reminder") == []
    assert resolved.timeline.get(kind="resolved").text == "Resolved by admin: fixed by hand"

    AlertRule.objects.update(repeat_every=None)
    open_incident(severity="P1", at=opened)
    escalate_and_remind(now=opened + timedelta(hours=5))
    assert sent("reminder") == []


def test_a_stale_copy_cannot_escalate_or_remind_twice(setup):
    """What two clusters running the job at once would do: the conditional UPDATE lets one through."""
    from incidents.lifecycle import _escalate, _remind

    opened = timezone.now()
    incident = open_incident(at=opened)
    rules = list(incident.rules.all())
    now = opened + timedelta(hours=2)
    stale = Incident.objects.get(pk=incident.pk)
    assert _escalate(Incident.objects.get(pk=incident.pk), rules, now) == 1
    assert _escalate(stale, rules, now) == 0
    assert _remind(Incident.objects.get(pk=incident.pk), rules, [], now) == 1
    assert _remind(stale, rules, [], now) == 0
    assert (sent("escalation"), sent("reminder")) == (["lead"], ["ops"])
