"""The unauthenticated endpoints under abuse: any body that does not parse is a 400 (never
a 500), and events and pings are limited per routing key, per check and per client address
(429 with Retry-After), while /health keeps answering."""

import json
import os
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
import redis
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.utils import timezone

from core.rate_limits import Rate, parse_rate
from incidents.sources.routing_keys import event_source_create
from incidents.events_api import MAX_DEPTH
from incidents.models import Event
from monitors.models import Monitor, RunnerLease
from monitors.services import monitor_save
from tests.support.processes import child_env, manage
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
MID_MINUTE = 1_800_000_030.0  # half a minute before its window ends


@pytest.fixture(autouse=True)
def steady_clock(monkeypatch):
    """The limits' clock stands in the middle of a minute, so no window ends during a test."""
    monkeypatch.setattr("core.rate_limits.time", SimpleNamespace(time=lambda: MID_MINUTE))


@pytest.fixture
def app():
    return event_source_create(name="Billing API")


@pytest.fixture
def other_app():
    return event_source_create(name="Auth")


@pytest.fixture
def api():
    return Client(enforce_csrf_checks=True)


def post_event(api, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return api.post("/api/events", data=data, content_type="application/json", **extra)


def info(source, summary="Feature flag changed"):
    return {"routing_key": source.routing_key, "event_action": "trigger",
            "payload": {"summary": summary, "source": "flags", "severity": "info"}}


def nested(depth):
    """Lists within lists, for custom_details["x"], so the body is `depth` levels deep (the
    body, payload and custom_details are the first three)."""
    lists = depth - 3
    return "[" * lists + "]" * lists


# Bodies that do not parse --------------------------------------------------------------


def body_with_details(app, details_json):
    return ('{"routing_key": "%s", "event_action": "trigger", "payload": {"summary": "s", "source": "s",'
            ' "severity": "info", "custom_details": {"x": %s}}}') % (app.routing_key, details_json)


UNPARSABLE = {
    "nested-past-the-recursion-limit": (lambda app: body_with_details(app, nested(100_000)),
                                        f"body: nested deeper than {MAX_DEPTH} levels"),
    "nested-past-the-depth-limit": (lambda app: body_with_details(app, nested(MAX_DEPTH + 1)),
                                    f"body: nested deeper than {MAX_DEPTH} levels"),
    "nan": (lambda app: body_with_details(app, "NaN"), "body: not valid JSON"),
    "infinity": (lambda app: body_with_details(app, "-Infinity"), "body: not valid JSON"),
    "latin-1-bytes": (lambda app: body_with_details(app, '"caf\xe9"').encode("latin-1"), "body: not valid JSON"),
}


@pytest.mark.parametrize(("make_body", "error"), UNPARSABLE.values(), ids=UNPARSABLE.keys())
def test_a_body_that_does_not_parse_or_store_is_a_400_with_a_json_error(api, app, make_body, error):
    response = post_event(api, make_body(app))

    assert response.status_code == 400
    assert response.json() == {"status": "invalid event", "message": "Event object is invalid", "errors": [error]}
    assert not Event.objects.exists()


@pytest.mark.parametrize(("details_json", "stored"), [
    ('"a\\u0000b"', "a\ufffdb"),
    ('"\\ud800 and \\ud83d\\ude00"', "\ufffd and \U0001f600"),  # a lone surrogate; a pair is kept
    ('{"a\\u0000": 1}', {"a\ufffd": 1}),
], ids=["nul-character", "unpaired-surrogate", "nul-in-a-key"])
def test_text_postgresql_cannot_store_is_kept_with_a_replacement_character(api, app, details_json, stored):
    """Any JSON string is valid input (as the schema says): NUL and unpaired surrogates,
    which PostgreSQL refuses, become U+FFFD instead of failing the request."""
    response = post_event(api, body_with_details(app, details_json))

    assert response.status_code == 202
    assert Event.objects.get().details["custom_details"]["x"] == stored


def test_nesting_up_to_the_limit_is_accepted(api, app):
    response = post_event(api, body_with_details(app, nested(MAX_DEPTH)))

    assert response.status_code == 202
    assert Event.objects.get().details["custom_details"]["x"] == json.loads(nested(MAX_DEPTH))


# Events: per routing key and per address ---------------------------------------------------


def assert_throttled(response, error):
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert response.json() == {"status": "throttled", "message": "Too many events",
                               "errors": [f"{error}: too many events, retry in 30 s"]}


def test_a_burst_from_one_key_is_throttled_at_the_default_rate(api, app, other_app, settings):
    """The default, 300 a minute, lets a chatty app through and stops a runaway loop."""
    assert settings.EVENTS_RATE_PER_KEY == Rate(300, 60)
    answers = [post_event(api, info(app, f"flag {n}")).status_code for n in range(320)]

    assert answers == [202] * 300 + [429] * 20
    assert Event.objects.filter(source_key=app.key).count() == 300
    assert post_event(api, info(other_app)).status_code == 202


def test_a_key_over_its_rate_gets_429_with_retry_after_and_nothing_is_written(api, app, other_app, settings):
    settings.EVENTS_RATE_PER_KEY = Rate(3, 60)
    for _ in range(3):
        assert post_event(api, info(app)).status_code == 202

    assert_throttled(post_event(api, info(app)), "routing_key")
    assert Event.objects.count() == 3
    assert post_event(api, info(other_app)).status_code == 202


def test_an_address_over_its_rate_is_throttled_whatever_the_key_or_body(api, app, other_app, settings):
    settings.EVENTS_RATE_PER_IP = Rate(2, 60)
    one = {"REMOTE_ADDR": "192.0.2.10"}
    assert post_event(api, info(app), **one).status_code == 202
    assert post_event(api, "{not json", **one).status_code == 400

    assert_throttled(post_event(api, info(other_app), **one), "address")
    forged = post_event(api, info(other_app), HTTP_X_FORWARDED_FOR="198.51.100.7", **one)
    assert forged.status_code == 429
    assert post_event(api, info(other_app), REMOTE_ADDR="192.0.2.11").status_code == 202


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(api, app, settings):
    settings.EVENTS_RATE_PER_IP = Rate(1, 60)
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    assert post_event(api, info(app), HTTP_X_FORWARDED_FOR="192.0.2.20", **proxy).status_code == 202
    assert post_event(api, info(app), HTTP_X_FORWARDED_FOR="192.0.2.20", **proxy).status_code == 429
    assert post_event(api, info(app), HTTP_X_FORWARDED_FOR="192.0.2.21", **proxy).status_code == 202


def test_the_count_is_kept_in_redis_when_it_is_the_cache(api, app, settings):
    """Every gunicorn worker and machine reads the same counter."""
    prefix = f"vigil-test-{uuid.uuid4().hex}"
    shared = {**settings.CACHES, "limits": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                            "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    settings.EVENTS_RATE_PER_KEY = Rate(2, 60)
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.ConnectionError:
        pytest.skip("Redis at TEST_REDIS_URL does not answer")
    try:
        with override_settings(CACHES=shared):  # the test's own keys are removed, not the database
            assert [post_event(api, info(app)).status_code for _ in range(3)] == [202, 202, 429]
        counters = [server.get(key) for key in server.scan_iter(f"{prefix}:*:rate:events-key:*")]
        assert counters == [b"3"]
    finally:
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)
        server.close()


def test_when_redis_does_not_answer_events_go_through(api, app, settings):
    settings.EVENTS_RATE_PER_KEY = Rate(1, 60)
    gone = {**settings.CACHES, "limits": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                          "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    with override_settings(CACHES=gone):  # restored before the cache is cleared after the test
        answers = [post_event(api, info(app)).status_code for _ in range(2)]

    assert answers == [202, 202]


def test_counters_never_push_cached_pages_out(client, settings):
    """The default cache keeps 300 entries; a thousand checks' counters live elsewhere."""
    cache = caches["default"]
    cache.set("status-page", "rendered")

    answers = {client.get(f"/ping/{uuid.uuid4()}").status_code for _ in range(400)}

    assert answers == {404}
    assert cache.get("status-page") == "rendered"


# Pings: per check and per address ------------------------------------------------------------


@pytest.fixture
def heartbeat():
    return monitor_save(Monitor(name="nightly-job", kind="heartbeat", period=60, grace=30))


@pytest.fixture
def other_heartbeat():
    return monitor_save(Monitor(name="hourly-job", kind="heartbeat", period=3600, grace=60))


def ping(client, monitor, **extra):
    return client.post(f"/ping/{monitor.ping_uuid}", data=b"ok", content_type="text/plain", **extra)


def test_a_check_pinged_over_its_rate_gets_429_and_the_ping_is_not_recorded(client, heartbeat, other_heartbeat,
                                                                           settings):
    settings.PING_RATE_PER_CHECK = Rate(2, 60)
    assert [ping(client, heartbeat).status_code for _ in range(2)] == [200, 200]
    recorded = Monitor.objects.get(pk=heartbeat.pk).last_ping_at

    response = ping(client, heartbeat)

    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert response.content.decode() == "too many pings, retry in 30 s\n"
    assert Monitor.objects.get(pk=heartbeat.pk).last_ping_at == recorded
    assert ping(client, other_heartbeat).status_code == 200


def test_an_address_pinging_over_its_rate_is_throttled_for_every_check(client, heartbeat, other_heartbeat, settings):
    settings.PING_RATE_PER_IP = Rate(2, 60)
    host = {"REMOTE_ADDR": "192.0.2.30"}
    assert ping(client, heartbeat, **host).status_code == 200
    assert client.get(f"/ping/{uuid.uuid4()}", **host).status_code == 404

    assert ping(client, other_heartbeat, **host).status_code == 429
    assert ping(client, other_heartbeat, REMOTE_ADDR="192.0.2.31").status_code == 200


def test_a_busy_cron_host_is_not_throttled_at_the_defaults(client, heartbeat, other_heartbeat, settings):
    """Two jobs on one host, each sending start and success every second for a minute."""
    assert (settings.PING_RATE_PER_CHECK, settings.PING_RATE_PER_IP) == (Rate(120, 60), Rate(6000, 60))
    answers = {ping(client, monitor).status_code for _ in range(60) for monitor in (heartbeat, other_heartbeat)
               for _ in ("start", "success")}

    assert answers == {200}


# /health keeps answering ---------------------------------------------------------------------------


def test_health_answers_while_events_and_pings_are_throttled(client, api, app, heartbeat, settings):
    now = timezone.now()
    RunnerLease.objects.create(slot=0, holder="test", expires_at=now + timedelta(minutes=1), renewed_at=now)
    settings.EVENTS_RATE_PER_KEY = settings.EVENTS_RATE_PER_IP = Rate(1, 60)
    settings.PING_RATE_PER_CHECK = settings.PING_RATE_PER_IP = Rate(1, 60)
    post_event(api, info(app))
    ping(client, heartbeat)
    assert post_event(api, info(app)).status_code == 429
    assert ping(client, heartbeat).status_code == 429

    answers = [client.get("/health").status_code for _ in range(5)]

    assert answers == [200] * 5


# Settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "rate"), [
    ("600/min", Rate(600, 60)), ("60/minute", Rate(60, 60)), ("10/s", Rate(10, 1)), ("5 / seconds", Rate(5, 1)),
    ("1000/h", Rate(1000, 3600)), ("20000/day", Rate(20000, 86400)), ("off", None), ("OFF", None),
])
def test_rates_read_as_count_per_unit(text, rate):
    assert parse_rate(text, name="X") == rate


@pytest.mark.parametrize("text", ["fast", "600", "0/min", "600/fortnight", "-1/s", ""])
def test_a_bad_rate_names_the_setting(text):
    with pytest.raises(ImproperlyConfigured, match=r'^X must be like "600/min"'):
        parse_rate(text, name="X")


def test_a_bad_rate_in_the_environment_stops_vigil_with_one_line():
    result = manage("check", env=child_env(PING_RATE_PER_CHECK="lots"))

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: "
        "PING_RATE_PER_CHECK must be like \"600/min\" (per s, min, h or day) or \"off\", not 'lots'"
    )


def test_off_turns_a_limit_off(api, app, settings):
    settings.EVENTS_RATE_PER_KEY = parse_rate("off", name="EVENTS_RATE_PER_KEY")

    assert {post_event(api, info(app)).status_code for _ in range(5)} == {202}
