"""incidents.outbox: one way into the outbox for every notification, with one payload type."""

from dataclasses import replace
from datetime import date

import pytest
from django.utils import timezone

from incidents import outbox
from incidents.messages import channel_test_payload
from incidents.models import Channel, Incident, Notification, Rotation, TimelineEntry
from incidents.routing import due_at

KEYS = ["title", "text", "severity", "kind", "source", "status", "duration_seconds", "incident", "incident_url",
        "ack_url", "runbook_url", "occurred_at"]


def test_a_payload_is_the_json_senders_read_with_a_postmortem_link_only_when_there_is_one():
    payload = channel_test_payload(timezone.now())
    assert list(payload.to_json()) == KEYS
    linked = replace(payload, postmortem_url="https://vigil.example/incidents/INC-1/postmortem/")
    assert list(linked.to_json()) == [*KEYS, "postmortem_url"]


@pytest.mark.django_db
def test_notify_writes_every_row_and_its_queued_line_after_the_callers_own(django_assert_num_queries):
    now = timezone.now()
    mail = Channel.objects.create(name="mail", kind="email", recipients="ops@example.com")
    hook = Channel.objects.create(name="hook", kind="webhook", url="https://hooks.example/x", signing_secret="s")
    incident = Incident.objects.create(ref="INC-2026-001", title="api is down", severity="P1", opened_at=now)
    opened = TimelineEntry(incident=incident, at=now, kind=TimelineEntry.Kind.OPENED, text="Opened: api is down")
    message = outbox.Outgoing(channel_test_payload(now), {mail: "immediate", hook: "hourly"}, "problem",
                              incident=incident)
    with django_assert_num_queries(2):  # one insert of rows, one of timeline lines
        rows = outbox.notify([message], now=now, due_at=due_at, timeline=[opened])
    assert [(row.channel.name, row.delivery, row.next_attempt_at) for row in rows] == [
        ("mail", "immediate", now), ("hook", "hourly", due_at("hourly", now))
    ]
    assert Notification.objects.get(channel=mail).payload == message.payload.to_json()
    assert list(incident.timeline.order_by("id").values_list("text", flat=True)) == [
        "Opened: api is down", "Message to mail queued", "Message to hook queued for the hourly summary"
    ]


@pytest.mark.django_db
def test_every_channel_leaves_out_disabled_and_on_call_channels():
    Channel.objects.create(name="mail", kind="email", recipients="ops@example.com")
    Channel.objects.create(name="muted", kind="email", recipients="ops@example.com", enabled=False)
    paged = Channel.objects.create(name="On-call: ops", kind="email", recipients="oncall@example.com")
    Rotation.objects.create(name="ops", start_date=date(2026, 1, 1), channel=paged)
    assert [channel.name for channel in outbox.every_channel()] == ["mail"]
    assert outbox.every_channel()[0].get_deferred_fields() == {"secrets"}
