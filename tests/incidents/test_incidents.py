"""Events open, join and resolve incidents, and write one outbox row per channel."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from incidents.lifecycle import OpenIncidents
from incidents.messages import human_duration, queued_text
from incidents.models import AlertRule, Channel, Event, Incident, Notification, Source, TimelineEntry

pytestmark = pytest.mark.django_db

PAYLOAD_KEYS = {
    "title", "text", "severity", "kind", "source", "status", "duration_seconds", "incident", "incident_url",
    "ack_url", "runbook_url", "occurred_at",
}


@pytest.fixture
def channels():
    slack = Channel.objects.create(name="slack", kind="slack", url="http://127.0.0.1:9/hook")
    mail = Channel.objects.create(name="mail", kind="email", recipients="ops@example.com")
    Channel.objects.create(name="muted", kind="email", recipients="x@example.com", enabled=False)
    Source.objects.create(key="monitor:1", kind="monitor", name="api", tags=["prod"])
    return slack, mail


def event(kind="monitor_down", *, at=None, dedup="monitor:1:down", source="monitor:1", severity="P1", summary=None, **details):
    return NewEvent(
        kind=kind,
        source_key=source,
        severity=severity,
        summary=summary or {"monitor_down": "api is down", "monitor_up": "api is back up"}.get(kind, kind),
        dedup_key=dedup,
        occurred_at=at or timezone.now(),
        details=details,
    )


def send(*events):
    with transaction.atomic():
        return receive_events(list(events))


def test_a_problem_opens_an_incident_and_tells_every_enabled_channel_once(channels):
    send(event(detail="connection refused"))

    incident = Incident.objects.get()
    year = timezone.localtime(incident.opened_at).year
    assert (incident.ref, incident.title, incident.severity, incident.status) == (
        f"INC-{year}-001", "api is down", "P1", "investigating",
    )
    assert list(incident.rules.values_list("name", flat=True)) == ["Critical: immediately"]
    rows = Notification.objects.order_by("channel__name")
    assert [(row.channel.name, row.kind, row.delivery) for row in rows] == [
        ("mail", "problem", "immediate"), ("slack", "problem", "immediate"),
    ]
    payload = rows[0].payload
    assert set(payload) == PAYLOAD_KEYS
    assert payload["title"] == "api is down"
    assert payload["text"] == "connection refused"
    assert (payload["source"], payload["severity"], payload["incident"]) == ("api", "P1", incident.ref)
    assert payload["incident_url"].endswith(f"/incidents/{incident.ref}/")
    assert "/incidents/ack/" in payload["ack_url"]
    assert list(incident.timeline.values_list("kind", "text")) == [
        ("opened", "Opened: api is down"), ("notification", "Message to mail queued"), ("notification", "Message to slack queued"),
    ]


def test_a_repeated_problem_joins_the_open_incident_without_a_message(channels):
    send(event())
    send(event(kind="heartbeat_missed", summary="api missed again"))
    assert Incident.objects.count() == 1
    assert Notification.objects.count() == 2
    assert Incident.objects.get().timeline.filter(kind="event").get().text == "api missed again"


def test_the_recovery_resolves_and_says_how_long_it_was_down(channels):
    start = timezone.now() - timedelta(minutes=20)
    send(event(at=start))
    send(event("monitor_up", at=start + timedelta(minutes=12, seconds=4)))

    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert incident.resolved_at == start + timedelta(minutes=12, seconds=4)
    recovery = Notification.objects.filter(kind="recovery").order_by("channel__name").first()
    assert recovery.payload["title"] == "api is back up after 12 min 4 s"
    assert recovery.payload["duration_seconds"] == 724
    assert recovery.payload["ack_url"] is None
    assert incident.timeline.filter(kind="resolved").get().text == "Resolved: api is back up"


def test_down_and_up_in_one_batch_leave_a_resolved_incident(channels):
    start = timezone.now()
    send(event(at=start), event("monitor_up", at=start + timedelta(seconds=90)))
    assert Incident.objects.get().status == "resolved"
    assert sorted(Notification.objects.values_list("kind", flat=True)) == ["problem", "problem", "recovery", "recovery"]


def test_after_a_recovery_the_next_problem_opens_a_new_incident_with_the_next_ref(channels):
    send(event())
    send(event("monitor_up"))
    send(event())
    refs = list(Incident.objects.order_by("pk").values_list("ref", flat=True))
    assert [ref[-3:] for ref in refs] == ["001", "002"]
    assert refs[0][:9] == refs[1][:9] == f"INC-{timezone.localtime().year}-"


def test_severity_is_the_events_else_the_rules_else_p2(channels):
    AlertRule.objects.create(name="backups", event_kinds=["backup_failed"], severity="P0", all_channels=True)
    send(event("backup_failed", dedup="backup:1", severity="", source="backup:1"))
    send(event("error_rate", dedup="app:1", severity="", source="app:1"))
    send(event("backup_stale", dedup="backup:2", severity="P3", source="backup:2"))
    assert dict(Incident.objects.values_list("dedup_key", "severity")) == {"backup:1": "P0", "app:1": "P2", "backup:2": "P3"}


def test_an_event_reaches_a_channel_once_whatever_rules_route_it(channels):
    slack, mail = channels
    hourly = AlertRule.objects.create(name="api hourly", delivery="hourly", tags=["prod"])
    hourly.channels.add(slack, mail)
    daily = AlertRule.objects.create(name="daily", delivery="daily", runbook_url="https://runbooks.example/api")
    daily.channels.add(mail)
    send(event())
    assert sorted(Notification.objects.values_list("channel__name", "delivery")) == [
        ("mail", "immediate"), ("slack", "immediate"),
    ]
    assert Notification.objects.first().payload["runbook_url"] == "https://runbooks.example/api"
    assert Incident.objects.get().rules.count() == 3


def test_hourly_rows_are_due_on_the_hour(channels):
    slack, _ = channels
    AlertRule.objects.update(enabled=False)
    rule = AlertRule.objects.create(name="slow", event_kinds=["monitor_degraded"], delivery="hourly")
    rule.channels.add(slack)
    send(event("monitor_degraded", dedup="monitor:1:degraded", summary="api is slow"))
    row = Notification.objects.get()
    assert (row.kind, row.incident, row.next_attempt_at.minute, row.next_attempt_at.second) == ("notice", None, 0, 0)
    assert row.next_attempt_at > row.created_at
    assert not Incident.objects.exists()


def test_the_end_of_a_slowness_does_not_go_to_the_down_and_up_rule(channels):
    """It goes where the slowness went: the shipped Warning tier's hourly summary."""
    send(event("monitor_up", dedup="monitor:1:degraded", summary="api is back up"))
    assert {row.delivery for row in Notification.objects.all()} == {"hourly"}
    assert not Incident.objects.exists()


def test_external_trigger_acknowledge_and_resolve(channels):
    catch_all = AlertRule.objects.create(name="apps", event_kinds=["external"], all_channels=True)
    assert catch_all
    send(event("external", dedup="pay-1", source="app:pay", summary="payments failing", severity="P0", action="trigger"))
    incident = Incident.objects.get()
    send(event("external", dedup="pay-1", source="app:pay", severity="P0", action="acknowledge"))
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None and incident.status == "investigating"
    send(event("external", dedup="pay-1", source="app:pay", summary="payments ok", severity="P0", action="resolve"))
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert list(Notification.objects.order_by("kind").values_list("kind", flat=True).distinct()) == ["problem", "recovery"]
    assert incident.timeline.filter(kind="acknowledged").exists()


def test_an_external_resolve_with_nothing_open_is_ignored(channels):
    """PagerDuty semantics: a resolve for a dedup key with no open incident does nothing."""
    AlertRule.objects.create(name="apps", event_kinds=["external"], all_channels=True)
    send(event("external", dedup="pay-1", source="app:pay", summary="payments ok", action="resolve"))
    assert Event.objects.get().details["action"] == "resolve"
    assert not Incident.objects.exists()
    assert not Notification.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_an_external_resolve_sent_twice_tells_the_channels_once(channels):
    AlertRule.objects.create(name="apps", event_kinds=["external"], all_channels=True)
    send(event("external", dedup="pay-1", source="app:pay", summary="payments failing", action="trigger"))
    resolve = event("external", dedup="pay-1", source="app:pay", summary="payments ok", action="resolve")
    send(resolve, resolve)
    send(resolve)
    assert sorted(Notification.objects.values_list("kind", "channel__name")) == [
        ("problem", "mail"), ("problem", "slack"), ("recovery", "mail"), ("recovery", "slack"),
    ]


def test_a_monitor_up_with_no_open_incident_is_still_announced(channels):
    """Its down may have been sent before incidents existed, so the up is news."""
    send(event("monitor_up"))
    assert not Incident.objects.exists()
    assert sorted(Notification.objects.values_list("kind", "channel__name")) == [
        ("recovery", "mail"), ("recovery", "slack"),
    ]


def test_an_info_trigger_is_a_notice_not_an_incident(channels):
    AlertRule.objects.create(name="apps", event_kinds=["external"], all_channels=True, delivery="daily")
    send(event("external", dedup="flag-1", source="app:web", summary="flag on", severity="P3", action="trigger"))
    assert not Incident.objects.exists()
    assert set(Notification.objects.values_list("kind", "delivery")) == {("notice", "daily")}


def test_unknown_kinds_are_refused_and_nothing_is_written():
    with pytest.raises(ValueError, match="unknown event kinds: nope"):
        send(event("nope"))
    assert not Event.objects.exists()


def test_a_batch_costs_the_same_queries_however_many_events(channels, django_assert_max_num_queries):
    """About 16 statements (the on-call rotations are read once when P0/P1 incidents open),
    plus the chunks SQLite splits a bulk insert into (999 parameters each)."""
    AlertRule.objects.create(name="tagged", tags=["prod"], delivery="hourly").channels.add(*channels)
    start = timezone.now()
    send(event(dedup="warm-up"))
    downs = [event(at=start, dedup=f"monitor:{i}:down", source=f"monitor:{i}", summary=f"m{i} down") for i in range(100)]
    with django_assert_max_num_queries(28):
        send(*downs)
    ups = [event("monitor_up", at=start, dedup=f"monitor:{i}:down", source=f"monitor:{i}") for i in range(100)]
    with django_assert_max_num_queries(28):
        send(*ups, *downs[:50])
    assert Incident.objects.count() == 151
    assert Incident.objects.filter(status="resolved").count() == 100


def test_a_rival_that_opened_the_same_dedup_key_first_is_joined():
    """The fallback after the partial unique constraint refuses a second open incident."""
    with transaction.atomic():
        store = OpenIncidents({"k"})
        rival = Incident.objects.create(ref="INC-1999-001", title="t", severity="P1", dedup_key="k", opened_at=timezone.now())
        mine = store.open(Event(dedup_key="k", source_key="x", occurred_at=timezone.now()), title="t", severity="P1")
        other = store.open(Event(dedup_key="j", source_key="x", occurred_at=timezone.now()), title="u", severity="P1")
        store.create_new()
    assert (mine.lost, mine.incident.pk) == (True, rival.pk)
    assert not other.lost and other.incident.pk
    assert Incident.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_transactions_opening_the_same_dedup_key_end_with_one_incident():
    """On PostgreSQL: two connections race; the second waits on the first's locks, then joins.
    (SQLite takes the write lock at BEGIN, so there two writers never overlap.)"""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN: no race to test")
    Channel.objects.create(name="mail", kind="email", recipients="ops@example.com")
    AlertRule.objects.create(name="apps", event_kinds=["external"], all_channels=True)
    first_in = threading.Event()
    release = threading.Event()

    def first():
        with transaction.atomic():
            send(event("external", dedup="race", source="app:a", summary="first", action="trigger"))
            first_in.set()
            release.wait(30)
        connections.close_all()

    def second():
        send(event("external", dedup="race", source="app:a", summary="second", action="trigger"))
        connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert first_in.wait(30)
    two = threading.Thread(target=second)
    two.start()
    _wait_until_a_backend_waits_on_a_lock()
    release.set()
    one.join(30)
    two.join(30)

    incident = Incident.objects.get()
    assert incident.title == "first"
    assert list(incident.timeline.filter(kind__in=["opened", "event"]).values_list("kind", "text")) == [
        ("opened", "Opened: first"), ("event", "second"),
    ]
    assert list(Notification.objects.values_list("kind", flat=True)) == ["problem"]


def _wait_until_a_backend_waits_on_a_lock():
    with connection.cursor() as cursor:
        for _ in range(3000):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.01)
    raise AssertionError("the second transaction never waited on the first")


def test_human_durations():
    assert human_duration(724) == "12 min 4 s"
    assert human_duration(7500) == "2 h 5 min"
    assert human_duration(3 * 86400 + 4 * 3600 + 5) == "3 d 4 h"
    assert human_duration(0) == "0 s"


def test_the_timeline_says_a_message_is_queued_and_for_which_summary():
    channel = Channel(name="ops-mail")
    assert queued_text(Notification(channel=channel, delivery="immediate")) == "Message to ops-mail queued"
    assert queued_text(Notification(channel=channel, delivery="hourly")) == (
        "Message to ops-mail queued for the hourly summary"
    )
