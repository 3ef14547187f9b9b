"""POST /api/events (PagerDuty Events API v2 shape), event sources, their command and admin."""

import json
import shlex
import subprocess
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from incidents.sources.routing_keys import event_source_create
from incidents.events_api import MAX_BODY_BYTES
from incidents.lifecycle import escalate_and_remind
from incidents.models import AlertRule, Channel, Event, Incident, Notification, Source
from tests.support.processes import manage

DEDUP = "disk-full-db1"


@pytest.fixture
def app(db):
    return event_source_create(name="Billing API", tags=["payments"])


@pytest.fixture
def channel(db):
    return Channel.objects.create(name="ops", kind="webhook", url="http://127.0.0.1:9/hook", signing_secret="s3cret")


@pytest.fixture
def rule(app, channel):
    rule = AlertRule.objects.create(name="billing events", event_kinds=["external"])
    rule.sources.set([app])
    rule.channels.set([channel])
    return rule


@pytest.fixture
def api():
    """A client that enforces CSRF as a browser would: the routing key is the only credential."""
    return Client(enforce_csrf_checks=True)


def send(api, body, *, path="/api/events", content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return api.post(path, data=data, content_type=content_type)


def trigger(app, *, severity="critical", dedup_key=DEDUP, **payload):
    body = {
        "routing_key": app.routing_key,
        "event_action": "trigger",
        "payload": {"summary": "Disk full on db1", "source": "db1", "severity": severity, **payload},
    }
    if dedup_key is not None:
        body["dedup_key"] = dedup_key
    return body


def action(app, event_action, dedup_key=DEDUP):
    return {"routing_key": app.routing_key, "event_action": event_action, "dedup_key": dedup_key}


def written():
    return Event.objects.count(), Incident.objects.count(), Notification.objects.count()


# Valid events ---------------------------------------------------------------------------


def test_a_trigger_is_accepted_in_pagerdutys_reply_shape_and_recorded(api, app):
    response = send(api, trigger(app, component="postgres", group="db", custom_details={"free": "0%"},
                                 **{"class": "disk"}))

    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": DEDUP}
    event = Event.objects.get()
    assert (event.kind, event.source_key, event.severity, event.summary) == (
        "external", "app:billing-api", "P0", "Disk full on db1"
    )
    assert event.dedup_key == f"app:billing-api:{DEDUP}"
    assert event.details == {
        "action": "trigger", "source": "db1", "custom_details": {"free": "0%"}, "dedup_key": DEDUP,
        "component": "postgres", "group": "db", "class": "disk",
    }


@pytest.mark.parametrize(("severity", "stored"), [("critical", "P0"), ("error", "P1"), ("warning", "P2"), ("info", "P3")])
def test_severities_map_to_p0_to_p3(api, app, severity, stored):
    assert send(api, trigger(app, severity=severity)).status_code == 202
    assert Event.objects.get().severity == stored


def test_a_trigger_without_a_dedup_key_gets_one(api, app):
    response = send(api, trigger(app, dedup_key=None))

    assert response.status_code == 202
    generated = response.json()["dedup_key"]
    assert len(generated) == 32
    assert Event.objects.get().dedup_key == f"app:billing-api:{generated}"


def test_an_old_app_timestamp_is_kept_but_the_event_happens_on_receipt(api, app, rule, channel):
    """An app's clock is not trusted: an old timestamp would escalate at once and date the ref."""
    before = timezone.now()
    send(api, trigger(app, timestamp="2019-03-01T10:15:00+01:00"))

    event = Event.objects.get()
    assert before <= event.occurred_at <= timezone.now()
    assert event.details["timestamp"] == "2019-03-01T10:15:00+01:00"
    incident = Incident.objects.get()
    assert incident.opened_at == event.occurred_at
    assert incident.ref.startswith(f"INC-{timezone.localtime().year}-")
    assert escalate_and_remind() == (0, 0)
    assert incident.timeline.filter(kind="escalated").count() == 0


def test_a_future_app_timestamp_gives_no_negative_duration(api, app, rule, channel):
    send(api, trigger(app, timestamp="2099-01-01T00:00:00Z"))
    send(api, action(app, "resolve"))

    incident = Incident.objects.get()
    assert incident.opened_at <= incident.resolved_at <= timezone.now()
    recovery = Notification.objects.get(kind="recovery")
    assert recovery.payload["duration_seconds"] >= 0


def test_null_custom_details_are_taken_as_none_given(api, app):
    assert send(api, trigger(app, custom_details=None)).status_code == 202

    assert Event.objects.get().details["custom_details"] == {}


def test_a_trailing_slash_is_accepted(api, app):
    assert send(api, trigger(app), path="/api/events/").status_code == 202


def test_acknowledge_and_resolve_need_no_payload(api, app):
    assert send(api, action(app, "acknowledge")).status_code == 202
    assert send(api, action(app, "resolve")).status_code == 202

    events = Event.objects.order_by("pk")
    assert [(e.summary, e.severity, e.details["action"]) for e in events] == [
        ("Billing API: acknowledged", "", "acknowledge"),
        ("Billing API: resolved", "", "resolve"),
    ]


# Routing (incidents.events.receive_events) --------------------------------------------------


def test_a_trigger_opens_an_incident_and_writes_the_outbox_for_a_matching_rule(api, app, rule, channel):
    send(api, trigger(app))

    incident = Incident.objects.get()
    assert (incident.dedup_key, incident.source_key, incident.severity) == (
        f"app:billing-api:{DEDUP}", "app:billing-api", "P0"
    )
    assert incident.is_open
    notification = Notification.objects.get(channel=channel)
    assert notification.payload["title"]
    assert "Disk full on db1" in json.dumps(notification.payload)


def test_an_info_trigger_opens_no_incident(api, app, rule):
    send(api, trigger(app, severity="info", summary="Feature flag new-checkout turned on"))

    assert Event.objects.count() == 1
    assert not Incident.objects.exists()


def test_a_repeated_trigger_joins_the_open_incident(api, app, rule):
    send(api, trigger(app))
    send(api, trigger(app, summary="Disk still full on db1"))

    assert Event.objects.count() == 2
    assert Incident.objects.count() == 1


def test_acknowledge_acknowledges_the_open_incident(api, app, rule):
    send(api, trigger(app))

    assert send(api, action(app, "acknowledge")).status_code == 202

    incident = Incident.objects.get()
    assert incident.acknowledged_at is not None
    assert incident.is_open


def test_a_resolve_with_nothing_open_is_accepted_and_ignored(api, app, rule, channel):
    """As PagerDuty: no incident for that dedup key, so nothing to resolve and nothing to send."""
    send(api, trigger(app))
    send(api, action(app, "resolve"))
    sent = Notification.objects.count()

    assert send(api, action(app, "resolve")).status_code == 202
    assert send(api, action(app, "resolve", dedup_key="never-triggered")).status_code == 202

    assert Event.objects.count() == 4
    assert Notification.objects.count() == sent == 2


def test_resolve_resolves_the_open_incident(api, app, rule):
    send(api, trigger(app))

    assert send(api, action(app, "resolve")).status_code == 202

    incident = Incident.objects.get()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.resolved_at is not None


# Errors: 400 naming each field, 403, 405, 413, 415; nothing written -----------------------

INVALID = {  # id: (change to a valid trigger, errors expected)
    "no-action": ({"event_action": None}, ["event_action: required"]),
    "bad-action": ({"event_action": "explode"}, ["event_action: must be one of trigger, acknowledge, resolve"]),
    "no-payload": ({"payload": None}, ["payload: required"]),
    "payload-not-object": ({"payload": "disk full"}, ["payload: must be an object"]),
    "no-summary": ({"payload.summary": None}, ["payload.summary: required"]),
    "summary-not-text": ({"payload.summary": 5}, ["payload.summary: must be a string"]),
    "summary-too-long": ({"payload.summary": "x" * 1025}, ["payload.summary: must be at most 1024 characters"]),
    "no-source": ({"payload.source": None}, ["payload.source: required"]),
    "no-severity": ({"payload.severity": None}, ["payload.severity: required"]),
    "bad-severity": ({"payload.severity": "high"},
                     ["payload.severity: must be one of critical, error, warning, info"]),
    "bad-timestamp": ({"payload.timestamp": "yesterday"}, ["payload.timestamp: must be an ISO 8601 date and time"]),
    "bad-component": ({"payload.component": ["db"]}, ["payload.component: must be a string"]),
    "custom-details-text": ({"payload.custom_details": "disk full"}, ["payload.custom_details: must be an object"]),
    "custom-details-list": ({"payload.custom_details": ["disk"]}, ["payload.custom_details: must be an object"]),
    "dedup-not-text": ({"dedup_key": 42}, ["dedup_key: must be a string"]),
    "dedup-too-long": ({"dedup_key": "k" * 256}, ["dedup_key: must be at most 255 characters"]),
    "routing-key-missing": ({"routing_key": None}, ["routing_key: required"]),
    "routing-key-not-text": ({"routing_key": 1234}, ["routing_key: must be a string"]),
    "several": ({"payload.summary": None, "payload.severity": "loud", "dedup_key": 1},
                ["dedup_key: must be a string", "payload.summary: required",
                 "payload.severity: must be one of critical, error, warning, info"]),
}


def changed(body, changes):
    body = json.loads(json.dumps(body))
    for path, value in changes.items():
        where, _, name = path.rpartition(".")
        target = body[where] if where else body
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return body


@pytest.mark.parametrize(("changes", "errors"), INVALID.values(), ids=INVALID.keys())
def test_a_bad_event_is_a_400_naming_each_field_and_writes_nothing(api, app, rule, changes, errors):
    response = send(api, changed(trigger(app), changes))

    assert response.status_code == 400
    assert response.json() == {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
    assert written() == (0, 0, 0)


@pytest.mark.parametrize("event_action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_need_a_dedup_key(api, app, event_action):
    response = send(api, action(app, event_action, dedup_key=None) | {"dedup_key": ""})

    assert response.status_code == 400
    assert response.json()["errors"] == ["dedup_key: required"]
    assert written() == (0, 0, 0)


def test_an_unknown_routing_key_is_forbidden(api, app, rule):
    body = trigger(app) | {"routing_key": "0" * 32}

    response = send(api, body)

    assert response.status_code == 403
    assert response.json()["errors"] == ["routing_key: unknown"]
    assert written() == (0, 0, 0)


def test_a_monitor_sources_key_is_not_a_routing_key(api, app):
    """Only app sources have routing keys; a null column never matches a sent value."""
    Source.objects.create(key="monitor:1", kind="monitor", name="api")

    assert send(api, trigger(app) | {"routing_key": ""}).status_code == 400
    assert written() == (0, 0, 0)


@pytest.mark.parametrize(("body", "error"), [("{not json", "body: not valid JSON"), ("[1, 2]", "body: must be a JSON object")])
def test_a_body_that_is_not_a_json_object_is_a_400(api, app, body, error):
    response = send(api, body)

    assert response.status_code == 400
    assert response.json()["errors"] == [error]


def test_only_json_is_accepted(api, app):
    response = send(api, "routing_key=x", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert written() == (0, 0, 0)


def test_an_oversize_body_is_refused_before_it_is_read(api, app):
    body = trigger(app, custom_details={"log": "x" * MAX_BODY_BYTES})

    response = send(api, body)

    assert response.status_code == 413
    assert written() == (0, 0, 0)


def test_get_is_not_allowed(api, app):
    assert api.get("/api/events").status_code == 405


def test_a_failure_while_routing_writes_nothing(api, app, rule, monkeypatch):
    """receive_events runs in one transaction with the request's writes."""

    def fail_after_writing(events):
        Event.objects.create(kind="external", source_key="app:x", summary="half", dedup_key="x",
                             occurred_at=timezone.now())
        raise RuntimeError("routing failed")

    monkeypatch.setattr("incidents.events_api.receive_events", fail_after_writing)
    api.raise_request_exception = False

    assert send(api, trigger(app)).status_code == 500
    assert written() == (0, 0, 0)


# Event sources -------------------------------------------------------------------------


def test_an_event_source_gets_an_app_key_and_a_random_routing_key(db):
    first = event_source_create(name="Billing API", tags=["payments", "prod", "payments"])
    second = event_source_create(name="Auth")

    assert (first.key, first.kind, first.name, first.tags) == ("app:billing-api", "app", "Billing API",
                                                               ["payments", "prod"])
    assert len(first.routing_key) == 32 and int(first.routing_key, 16) >= 0
    assert first.routing_key != second.routing_key


def create_source(*args):
    out = StringIO()
    call_command("create_event_source", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_command_prints_the_routing_key_and_a_curl_line(db):
    lines = create_source("Billing API", "--tag", "payments", "--tag", "prod")

    source = Source.objects.get(key="app:billing-api")
    assert source.tags == ["payments", "prod"]
    assert lines[:3] == [
        'Created event source "Billing API" (app:billing-api).',
        f"Routing key: {source.routing_key}",
        "Send a test event:",
    ]
    assert lines[3].strip().startswith("curl -X POST ")
    assert source.routing_key in lines[3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["billing"], 'an event source named "billing" already exists (app:billing)'),
        (["Billing!"], 'an event source named "Billing!" already exists (app:billing)'),
        (["!!!"], "the name needs at least one letter or digit"),
        (["auth", "--tag", "not a slug"], "tag 'not a slug' must be letters, digits, hyphens or underscores"),
    ],
)
def test_the_command_refuses_a_taken_or_bad_name_in_one_line(db, args, message):
    event_source_create(name="billing")

    with pytest.raises(CommandError) as caught:
        create_source(*args)

    assert str(caught.value) == message
    assert Source.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_command_as_a_process_exits_non_zero_with_one_line():
    done = manage("create_event_source", "Billing API")
    again = manage("create_event_source", "Billing API")

    assert done.returncode == 0, done.stderr
    assert f"Routing key: {Source.objects.get().routing_key}" in done.stdout.splitlines()
    assert again.returncode == 1
    assert again.stderr.splitlines() == [
        'CommandError: an event source named "Billing API" already exists (app:billing-api)'
    ]


def test_the_printed_curl_line_sends_an_event(live_server, settings):
    settings.VIGIL_BASE_URL = live_server.url
    curl = create_source("Billing API")[3]

    result = subprocess.run([*shlex.split(curl), "--silent", "--max-time", "10"], capture_output=True, text=True)

    assert json.loads(result.stdout)["status"] == "success"
    event = Event.objects.get()
    assert (event.source_key, event.severity, event.details["source"]) == ("app:billing-api", "P3", "Billing API")


# The Source admin ----------------------------------------------------------------------


@pytest.fixture
def admin_client_(client, superadmin):
    client.force_login(superadmin)
    return client


def test_super_admins_add_an_app_source_and_see_its_key(admin_client_):
    response = admin_client_.post("/admin/incidents/source/add/", {"name": "Billing API", "tags": "payments, prod"},
                                  follow=True)

    source = Source.objects.get()
    assert (source.key, source.kind, source.tags) == ("app:billing-api", "app", ["payments", "prod"])
    assert source.routing_key in response.content.decode()
    page = admin_client_.get(f"/admin/incidents/source/{source.pk}/change/").content.decode()
    assert source.routing_key in page
    assert "curl -X POST" in page


def test_adding_a_taken_name_is_a_form_error(admin_client_, app):
    response = admin_client_.post("/admin/incidents/source/add/", {"name": "Billing API", "tags": ""})

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Source.objects.count() == 1


def test_an_app_sources_tags_can_change_but_not_its_key(admin_client_, app):
    response = admin_client_.post(f"/admin/incidents/source/{app.pk}/change/", {"tags": "payments, eu",
                                                                                 "name": "Other"})

    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.name, app.key, app.tags) == ("Billing API", "app:billing-api", ["eu", "payments"])


def test_regenerating_a_routing_key_retires_the_old_one(admin_client_, api, app):
    old = app.routing_key

    admin_client_.post("/admin/incidents/source/", {"action": "regenerate_routing_key", "_selected_action": [app.pk]})

    app.refresh_from_db()
    assert app.routing_key != old
    assert send(api, trigger(app) | {"routing_key": old}).status_code == 403
    assert send(api, trigger(app)).status_code == 202


def test_monitor_sources_are_listed_read_only(admin_client_):
    source = Source.objects.create(key="monitor:12", kind="monitor", name="api", tags=["prod"])

    listing = admin_client_.get("/admin/incidents/source/").content.decode()
    page = admin_client_.get(f"/admin/incidents/source/{source.pk}/change/")

    assert "monitor:12" in listing
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client_.post(f"/admin/incidents/source/{source.pk}/change/", {"tags": "x"}).status_code == 403
    assert admin_client_.post(f"/admin/incidents/source/{source.pk}/delete/", {"post": "yes"}).status_code == 403
    source.refresh_from_db()
    assert source.tags == ["prod"]


def test_only_super_admins_see_sources(client, staff_user, app):
    staff_user.is_staff = True
    staff_user.save()
    client.force_login(staff_user)

    assert client.get("/admin/incidents/source/").status_code == 403
    assert app.routing_key not in client.get(f"/admin/incidents/source/{app.pk}/change/").content.decode()
