"""Event kinds are declared by their sources; incidents routes, opens, resolves and renders
from the declarations and names no source's kind."""

import json
import re
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from incidents.event_kinds import EVENT_KINDS, NOTICE, PROBLEM, RECOVERY, EventKind, Registry
from incidents.events import NewEvent, receive_events
from incidents.models import AlertRule, Channel, Event, Incident, Notification, Source
from tests.support.delivering import deliver_pending
from tests.support.receivers import SlackWebhook

SHIPPED = import_module("incidents.migrations.0009_shipped_tier_rules")
INCIDENTS = Path(__file__).resolve().parents[2] / "incidents"
# Kinds declared after migration 0009 (their own migration adds them to a tier's rule).
NOT_IN_0009 = set()


# The registry ----------------------------------------------------------------------------


def test_a_declared_kind_is_known_by_name_and_its_role_read_from_the_event():
    registry = Registry()
    registry.declare(EventKind("disk_full", role=PROBLEM, tier="warning"),
                     EventKind("disk_note", role=lambda event: event.details["role"], tier="info"))
    assert registry.names() == ["disk_full", "disk_note"]
    assert "disk_full" in registry and registry.unknown(["disk_full", "disk_gone"]) == ["disk_gone"]
    assert registry["disk_note"].role_of(Event(kind="disk_note", details={"role": NOTICE})) == NOTICE
    assert registry["disk_full"].routing_kinds("host:disk") == {"disk_full"}


def test_the_same_declaration_twice_is_harmless_but_two_sources_claiming_one_kind_are_refused():
    registry = Registry()
    kind = EventKind("disk_full", role=PROBLEM, tier="warning")
    registry.declare(kind)
    registry.declare(kind)  # an app's ready() run again
    with pytest.raises(ValueError, match="'disk_full' is declared twice"):
        registry.declare(EventKind("disk_full", role=NOTICE, tier="warning"))


def test_a_kind_needs_a_known_tier_and_an_unknown_name_says_so():
    registry = Registry()
    with pytest.raises(ValueError, match="tier 'urgent' is not one of critical, warning, info"):
        registry.declare(EventKind("disk_full", role=PROBLEM, tier="urgent"))
    with pytest.raises(KeyError, match="unknown event kind 'disk_full': no source declared it"):
        registry["disk_full"]


@pytest.mark.django_db
def test_receive_events_refuses_a_kind_no_source_declared():
    event = NewEvent(kind="disk_full", source_key="host:1", severity="", summary="disk full",
                     dedup_key="host:1:disk", occurred_at=timezone.now())
    with pytest.raises(ValueError, match=r"unknown event kinds: disk_full \(no source declared them\)"):
        receive_events([event])
    assert not Event.objects.exists()


# The declarations of the sources ---------------------------------------------------------


def shipped_tiers():
    """(kind, severity or "", tier) for each kind the shipped tier rules name."""
    for rule in SHIPPED.TIER_RULES:
        tier = rule["name"].split()[0].rstrip(":").lower()
        for kind in rule["event_kinds"]:
            for severity in rule["severities"] or [""]:
                yield kind, severity, tier


def test_every_kind_declares_the_tier_the_shipped_rules_send_it_at():
    """The tiers are declared with each kind and listed, as data, in migration 0009: they must agree."""
    assert [(kind, severity, EVENT_KINDS[kind].tier_of(severity)) for kind, severity, _ in shipped_tiers()] == list(
        shipped_tiers()
    )
    assert sorted(set(EVENT_KINDS) - NOT_IN_0009) == sorted({kind for kind, _, _ in shipped_tiers()})


def test_a_recovery_names_problems_that_are_declared():
    for name in EVENT_KINDS:
        assert set(EVENT_KINDS[name].recovers) <= set(EVENT_KINDS), name


def test_incidents_names_no_kind_of_another_source():
    """Only the events API's own `external` kind and the migrations (data as it was) may name kinds."""
    from incidents.events_api import EXTERNAL

    names = "|".join(name for name in EVENT_KINDS if name != EXTERNAL.name)
    pattern = re.compile(rf"\b({names})\b")
    code = [path for path in INCIDENTS.rglob("*.py") if "migrations" not in path.parts]
    assert [(path.name, match) for path in code for match in pattern.findall(path.read_text())] == []


# A new source plugs in without touching incidents ------------------------------------------


def disk_freed_text(event, duration):
    return f"{event.details['free_gb']} GB free again after {duration} s."


DISK_KINDS = (
    EventKind("disk_full", role=PROBLEM, tier="warning", severity="P1",
              title=lambda event, duration: f"💾 {event.summary}", status=lambda event: "full"),
    EventKind("disk_freed", role=RECOVERY, tier="warning", recovers=("disk_full",), text=disk_freed_text),
)


@pytest.fixture
def disk_source():
    EVENT_KINDS.declare(*DISK_KINDS)
    receiver = SlackWebhook().start()
    channel = Channel.objects.create(name="slack", kind="slack", url=receiver.url("/services/T0/B0/x"))
    AlertRule.objects.create(name="Disks", event_kinds=["disk_full", "disk_freed"]).channels.add(channel)
    Source.objects.create(key="host:1", kind="app", name="db host")
    yield receiver
    receiver.stop()
    EVENT_KINDS.forget(*(kind.name for kind in DISK_KINDS))


def disk_event(kind, summary, at, **details):
    return NewEvent(kind=kind, source_key="host:1", severity="", summary=summary, dedup_key="host:1:disk",
                    occurred_at=at, details=details)


@pytest.mark.django_db
def test_a_new_source_declares_its_kinds_and_incidents_opens_resolves_and_renders_them(disk_source):
    full_at = timezone.now() - timedelta(seconds=90)
    with transaction.atomic():
        receive_events([disk_event("disk_full", "/var is full", full_at, detail="0 bytes left")])
    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.status) == ("/var is full", "P1", "investigating")

    with transaction.atomic():
        receive_events([disk_event("disk_freed", "/var has room", full_at + timedelta(seconds=90),
                                   free_gb=12)])
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED

    payloads = [row.payload for row in Notification.objects.order_by("pk")]
    assert [(p["kind"], p["title"], p["text"], p["status"], p["severity"]) for p in payloads] == [
        ("disk_full", "💾 /var is full", "0 bytes left", "full", "P1"),
        ("disk_freed", "/var has room", "12 GB free again after 90 s.", "", "P2"),
    ]
    deliver_pending()
    sent = json.dumps(disk_source.bodies(), ensure_ascii=False)
    assert "💾 /var is full" in sent and "12 GB free again after 90 s." in sent
