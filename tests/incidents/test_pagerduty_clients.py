"""PagerDuty's official clients (pdpyras, and the newer `pagerduty`) talk to Vigil as to
PagerDuty: events through `/v2/enqueue`, change events through `/v2/change/enqueue`, over
real HTTP."""

import json
import ssl
import warnings
from types import SimpleNamespace
from urllib.parse import urlsplit

import pagerduty
import pytest
import trustme
from django.test import Client

from core.rate_limits import Rate
from incidents.sources.routing_keys import event_source_create
from incidents.models import AlertRule, Channel, Event, Incident, Notification
from tests.support.servers import TLSRelay

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # "deprecated, use pagerduty": both are in use
    import pdpyras


@pytest.fixture
def app(db):
    return event_source_create(name="Checkout")


@pytest.fixture
def channel(db):
    return Channel.objects.create(name="ops", kind="webhook", url="http://127.0.0.1:9/hook", signing_secret="s3cret")


@pytest.fixture
def rule(app, channel):
    """Routes the app's external events, as a team routes its info events."""
    rule = AlertRule.objects.create(name="checkout events", event_kinds=["external"])
    rule.sources.set([app])
    rule.channels.set([channel])
    return rule


@pytest.fixture
def events_session(live_server, app):
    session = pdpyras.EventsAPISession(app.routing_key)
    session.url = live_server.url
    yield session
    session.close()


@pytest.fixture
def changes_session(live_server, app):
    session = pdpyras.ChangeEventsAPISession(app.routing_key)
    session.url = live_server.url
    yield session
    session.close()


def test_pdpyras_triggers_acknowledges_and_resolves_an_incident(events_session, rule, channel):
    dedup_key = events_session.trigger("Checkout returns 500s", "web-1", dedup_key="checkout-500", severity="error",
                                       custom_details={"rate": "12%"}, links=[{"href": "https://ci.example.com"}])
    incident = Incident.objects.get()
    assert (dedup_key, incident.title, incident.severity, incident.status) == (
        "checkout-500", "Checkout returns 500s", "P1", "investigating")
    assert Notification.objects.get(incident=incident).channel == channel

    assert events_session.acknowledge(dedup_key) == dedup_key
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None

    assert events_session.resolve(dedup_key) == dedup_key
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert [event.details["action"] for event in Event.objects.order_by("pk")] == ["trigger", "acknowledge", "resolve"]


def test_pdpyras_gets_a_dedup_key_when_it_sends_none(events_session, rule):
    dedup_key = events_session.trigger("Queue backing up", "worker-2")

    assert Incident.objects.get().dedup_key == f"app:checkout:{dedup_key}"


def test_a_pdpyras_change_event_is_recorded_routed_and_noted_on_open_incidents(
        events_session, changes_session, app, rule, channel):
    events_session.trigger("Checkout returns 500s", "web-1", dedup_key="checkout-500")
    incident = Incident.objects.get()

    changes_session.submit("Deployed checkout v2.3.1", source="ci", custom_details={"commit": "4f1c2e9"},
                           links=[{"href": "https://ci.example.com/builds/812", "text": "build 812"}])

    change = Event.objects.get(details__action="change")
    assert (change.kind, change.source_key, change.severity, change.summary) == (
        "external", "app:checkout", "P3", "Deployed checkout v2.3.1")
    assert change.details["source"] == "ci"
    assert change.details["custom_details"] == {"commit": "4f1c2e9"}
    assert change.details["links"] == [{"href": "https://ci.example.com/builds/812", "text": "build 812"}]
    assert change.details["timestamp"].endswith("Z")
    notice = Notification.objects.get(event=change)
    assert (notice.kind, notice.channel, notice.incident) == ("notice", channel, None)
    noted = incident.timeline.get(event=change)
    assert (noted.kind, noted.text) == ("event", "Change: Deployed checkout v2.3.1")
    assert Incident.objects.count() == 1


# The change events endpoint, its answers and refusals ---------------------------------------


@pytest.fixture
def api():
    return Client(enforce_csrf_checks=True)


def send_change(api, body):
    return api.post("/v2/change/enqueue", data=json.dumps(body), content_type="application/json")


def change(app, **payload):
    return {"routing_key": app.routing_key, "payload": {"summary": "Flag checkout-v2 on", **payload}}


def test_a_change_is_answered_as_pagerduty_does(api, app):
    response = send_change(api, change(app))

    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Change event processed"}
    assert Event.objects.get().details == {"action": "change", "source": "Checkout", "custom_details": {}, "links": []}


def test_a_change_opens_nothing_and_joins_no_incident_of_another_source(api, app, rule):
    other = event_source_create(name="Auth")
    Client().post("/v2/enqueue", content_type="application/json", data=json.dumps({
        "routing_key": other.routing_key, "event_action": "trigger",
        "payload": {"summary": "Logins fail", "source": "auth-1", "severity": "critical"}}))

    assert send_change(api, change(app)).status_code == 202
    assert Incident.objects.count() == 1
    assert not Incident.objects.get().timeline.filter(text__startswith="Change:").exists()


BAD_CHANGES = {
    "no-payload": ({"payload": None}, ["payload: required"]),
    "payload-not-object": ({"payload": "deployed"}, ["payload: must be an object"]),
    "no-summary": ({"payload": {"source": "ci"}}, ["payload.summary: required"]),
    "summary-too-long": ({"payload": {"summary": "x" * 1025}}, ["payload.summary: must be at most 1024 characters"]),
    "source-not-text": ({"payload": {"summary": "s", "source": 7}}, ["payload.source: must be a string"]),
    "bad-timestamp": ({"payload": {"summary": "s", "timestamp": "today"}},
                      ["payload.timestamp: must be an ISO 8601 date and time"]),
    "details-not-object": ({"payload": {"summary": "s", "custom_details": []}},
                           ["payload.custom_details: must be an object"]),
    "links-not-list": ({"links": {"href": "x"}}, ["links: must be a list of at most 20 objects"]),
    "too-many-links": ({"links": [{"href": "x"}] * 21}, ["links: must be a list of at most 20 objects"]),
    "link-not-object": ({"links": ["https://x"]}, ["links[0]: must be an object"]),
    "link-without-href": ({"links": [{"href": "a"}, {"text": "build"}]}, ["links[1].href: required"]),
    "link-text-too-long": ({"links": [{"href": "a", "text": "t" * 1025}]},
                           ["links[0].text: must be a string of at most 1024 characters"]),
}


@pytest.mark.parametrize(("changes", "errors"), BAD_CHANGES.values(), ids=BAD_CHANGES.keys())
def test_a_malformed_change_is_a_400_saying_what_is_wrong(api, app, changes, errors):
    body = change(app) | changes
    if body["payload"] is None:
        del body["payload"]

    response = send_change(api, body)

    assert response.status_code == 400
    assert response.json() == {"status": "invalid event", "message": "Change event object is invalid",
                               "errors": errors}
    assert not Event.objects.exists()


def test_a_change_with_an_unknown_or_missing_routing_key_is_refused(api, app):
    assert send_change(api, change(app) | {"routing_key": "0" * 32}).status_code == 403
    assert send_change(api, change(app) | {"routing_key": ""}).json()["errors"] == ["routing_key: required"]
    assert api.post("/v2/change/enqueue", data="{", content_type="application/json").status_code == 400
    assert not Event.objects.exists()


def test_changes_and_events_share_their_keys_limit(api, app, settings, monkeypatch):
    monkeypatch.setattr("core.rate_limits.time", SimpleNamespace(time=lambda: 1_800_000_030.0))  # mid-minute
    settings.EVENTS_RATE_PER_KEY = Rate(2, 60)
    assert send_change(api, change(app)).status_code == 202
    assert Client().post("/v2/enqueue", content_type="application/json", data=json.dumps({
        "routing_key": app.routing_key, "event_action": "resolve", "dedup_key": "x"})).status_code == 202

    response = send_change(api, change(app))

    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert Event.objects.count() == 2


# The newer official package, `pagerduty`, which only speaks HTTPS --------------------------------


@pytest.fixture
def https_base(live_server, tmp_path):
    """Vigil's live server behind a loopback TLS relay, and an SSL context that trusts it."""
    ca = trustme.CA()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    leaf = ca.issue_cert("127.0.0.1")
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    relay = TLSRelay(urlsplit(live_server.url).port, cert, key).start()
    context = ssl.create_default_context()
    ca.configure_trust(context)
    yield relay.url(), context
    relay.stop()


@pytest.fixture
def pagerduty_client(https_base, app):
    base_url, context = https_base
    client = pagerduty.EventsApiV2Client(app.routing_key, base_url=base_url, verify=context)
    yield client
    client.close()


def test_the_pagerduty_package_sends_events_and_changes(pagerduty_client, rule):
    client = pagerduty_client
    dedup_key = client.trigger("Checkout returns 500s", "web-1", dedup_key="checkout-500", severity="warning")
    assert Incident.objects.get(dedup_key="app:checkout:checkout-500").severity == "P2"
    client.acknowledge(dedup_key)
    # Given: pagerduty 7.2.0's own timestamp raises AttributeError (datetime.timezone).
    client.submit("Rolled back checkout to v2.3.0", source="ci", links=[{"href": "https://ci.example.com/813"}],
                  timestamp="2026-12-08T03:00:00Z")
    client.resolve(dedup_key)

    incident = Incident.objects.get()
    assert incident.status == "resolved" and incident.acknowledged_at is not None
    assert list(incident.timeline.filter(kind__in=["opened", "acknowledged", "event", "resolved"])
                .values_list("kind", "text")) == [
        ("opened", "Opened: Checkout returns 500s"),
        ("acknowledged", "Acknowledged via events API: Checkout: acknowledged"),
        ("event", "Change: Rolled back checkout to v2.3.0"),
        ("resolved", "Resolved: Checkout: resolved"),
    ]
