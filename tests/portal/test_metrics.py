"""GET /metrics: Prometheus metrics for a scraper with the token or from an allowed address."""

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from incidents.models import Channel, DeliveryAttempt, Notification
from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.history import hour_of
from monitors.models import Monitor
from monitors.services import monitor_pause, monitor_save

pytestmark = pytest.mark.django_db

METRICS_TOKEN = "metrics-token-2b7e151628aed2a6"
SECRET_URL = "http://127.0.0.1:9/health?key=url-secret-5f1d"
SECRET_HEADER = "header-secret-77a0"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = METRICS_TOKEN, []
    return METRICS_TOKEN


def scrape(token=METRICS_TOKEN, **extra):
    return Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def samples(response):
    """{(name, frozenset(labels)): value} of every sample."""
    text = response.content.decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def http_monitor(name, **fields):
    return monitor_save(Monitor(name=name, kind="http", url=SECRET_URL, headers={"X-Key": SECRET_HEADER},
                                confirmations=1, interval=60, timeout=5, **fields))


def labels(monitor, **more):
    return frozenset({"id": str(monitor.pk), "name": monitor.name, "kind": monitor.kind, **more}.items())


# Access -----------------------------------------------------------------------------------


def test_the_view_says_it_checks_a_token_itself():
    assert resolve("/metrics").func.access == "token"


def test_off_without_a_token_or_addresses(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []

    assert scrape().status_code == 404
    assert Client().get("/metrics").status_code == 404


def test_the_right_bearer_token_is_accepted(token):
    response = scrape()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")  # the text exposition format
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Token {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"])
def test_a_missing_or_wrong_token_gets_401(token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = Client().get("/metrics", **extra)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"vigil_" not in response.content


@pytest.mark.parametrize("address, code", [("10.1.2.3", 200), ("192.168.1.1", 403), ("::ffff:10.9.9.9", 200),
                                           ("2001:db8::1", 403)])
def test_allowed_addresses_need_no_token(settings, address, code):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.0.0.0/8", "127.0.0.1"]

    assert Client().get("/metrics", REMOTE_ADDR=address).status_code == code


def test_a_forwarded_address_counts_only_behind_trusted_proxies(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.0.0.0/8"]
    spoofed = {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "10.0.0.1"}

    settings.TRUSTED_PROXY_COUNT = 0
    assert Client().get("/metrics", **spoofed).status_code == 403
    settings.TRUSTED_PROXY_COUNT = 1
    assert Client().get("/metrics", **spoofed).status_code == 200


def test_with_both_set_either_suffices(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = METRICS_TOKEN, ["10.0.0.0/8"]

    assert scrape(REMOTE_ADDR="203.0.113.5").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="10.0.0.7").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.5").status_code == 401


def test_only_get(token):
    assert Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


# What is measured ---------------------------------------------------------------------------


def test_a_monitor_s_state_uptime_and_response_time(token):
    monitor = http_monitor("checkout")
    start = hour_of(timezone.now()) - timedelta(hours=1)
    record_outcomes([(monitor, Outcome.up(120.0), start + timedelta(minutes=minute)) for minute in range(60)])
    record_outcomes([(monitor, Outcome.up(80.0), start + timedelta(minutes=60))])

    found = samples(scrape())

    assert found[("vigil_monitor_up", labels(monitor))] == 1
    assert found[("vigil_monitor_status_code", labels(monitor))] == 2
    assert found[("vigil_monitor_response_time_seconds", labels(monitor))] == 0.08
    assert found[("vigil_monitor_response_time_ms", labels(monitor))] == 80.0
    assert found[("vigil_monitor_uptime_ratio", labels(monitor, window="24h"))] == 1.0
    assert found[("vigil_monitor_uptime_ratio", labels(monitor, window="30d"))] == 1.0
    assert found[("vigil_checks_last_hour", frozenset())] == 60


def test_a_down_monitor_is_0_and_a_paused_one_is_1_and_says_it_is_paused(token):
    down, paused = http_monitor("api"), http_monitor("batch")
    record_outcomes([(down, Outcome.down("HTTP 502", 30.0), timezone.now())])
    record_outcomes([(paused, Outcome.down("HTTP 502", 30.0), timezone.now())])
    monitor_pause(paused)
    paused.refresh_from_db()

    found = samples(scrape())

    assert found[("vigil_monitor_up", labels(down))] == 0
    assert found[("vigil_monitor_paused", labels(down))] == 0
    assert found[("vigil_monitor_status_code", labels(down))] == 9
    assert found[("vigil_monitor_up", labels(paused))] == 1
    assert found[("vigil_monitor_paused", labels(paused))] == 1
    assert found[("vigil_monitor_in_maintenance", labels(paused))] == 0
    assert found[("vigil_monitor_status_code", labels(paused))] == 0


def test_a_down_monitor_in_maintenance_is_1_and_says_it_is_in_maintenance(token):
    monitor = http_monitor("nightly")
    record_outcomes([(monitor, Outcome.down("HTTP 502", 30.0), timezone.now())])
    Monitor.objects.filter(pk=monitor.pk).update(in_maintenance=True)  # as the engine marks it in a window
    monitor.refresh_from_db()
    assert (monitor.status, monitor.in_maintenance) == ("down", True)

    found = samples(scrape())

    assert found[("vigil_monitor_up", labels(monitor))] == 1
    assert found[("vigil_monitor_in_maintenance", labels(monitor))] == 1
    assert found[("vigil_monitor_paused", labels(monitor))] == 0
    assert found[("vigil_monitor_status_code", labels(monitor))] == 5


def test_a_monitor_not_checked_yet_has_every_state_series_but_no_response_time(token):
    monitor = http_monitor("new")

    found = samples(scrape())

    assert found[("vigil_monitor_up", labels(monitor))] == 1
    assert found[("vigil_monitor_status_code", labels(monitor))] == 1
    assert ("vigil_monitor_response_time_seconds", labels(monitor)) not in found
    assert ("vigil_monitor_uptime_ratio", labels(monitor, window="24h")) not in found  # no data yet


def test_notifications_delivery_attempts_and_queue_depth(token):
    from django_q.tasks import async_task

    channel = Channel.objects.create(name="ops", kind="email", recipients="ops@example.com")
    now = timezone.now()
    for status in ("delivered", "delivered", "failed", "pending"):
        Notification.objects.create(channel=channel, kind="problem", status=status, created_at=now,
                                    next_attempt_at=now, payload={"title": "x"})
    for outcome in ("delivered", "retry", "retry", "permanent"):
        DeliveryAttempt.objects.create(channel=channel, started_at=now, duration_ms=5, outcome=outcome)
    async_task("math.sqrt", 4)

    found = samples(scrape())

    assert found[("vigil_notifications_sent_total", frozenset())] == 2
    assert found[("vigil_notifications_failed_total", frozenset())] == 1
    assert found[("vigil_notifications_pending", frozenset())] == 1
    attempts = {dict(key[1])["outcome"]: value for key, value in found.items()
                if key[0] == "vigil_delivery_attempts_total"}
    assert attempts == {"delivered": 1, "retry": 2, "permanent": 1}
    assert found[("vigil_queue_depth", frozenset())] == 1


def test_no_url_header_or_secret_is_ever_shown(token):
    monitor = http_monitor("secretive")
    record_outcomes([(monitor, Outcome.up(10.0), timezone.now())])

    text = scrape().content.decode()

    assert 'name="secretive"' in text
    for secret in (SECRET_URL, "127.0.0.1", "url-secret", SECRET_HEADER, METRICS_TOKEN):
        assert secret not in text


def test_a_scrape_costs_the_same_queries_for_1_or_10_monitors(token):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert scrape().status_code == 200
        return len(captured)

    record_outcomes([(http_monitor("m0"), Outcome.up(10.0), timezone.now())])
    one = queries()
    record_outcomes([(http_monitor(f"m{n}"), Outcome.up(10.0), timezone.now()) for n in range(1, 10)])

    assert queries() == one
    assert one <= 8


# Lint ------------------------------------------------------------------------------------------


def promtool_problems(text):
    """What `promtool check metrics` (Prometheus's own linter) says about `text`."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package `prometheus`; scripts/run-tests installs it)")
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    return result.returncode, (result.stdout + result.stderr).strip()


def scrape_every_kind_of_monitor():
    checked, down, paused = http_monitor("checked"), http_monitor("down"), http_monitor("paused")
    now = timezone.now()
    record_outcomes([(checked, Outcome.up(80.0), now), (down, Outcome.down("HTTP 502", 30.0), now)])
    monitor_pause(paused)
    http_monitor("not checked yet")
    Channel.objects.create(name="ops", kind="email", recipients="ops@example.com")
    return scrape().content.decode()


def test_promtool_finds_no_problem_in_the_real_output(token, settings):
    settings.METRICS_DEPRECATED_NAMES = False

    text = scrape_every_kind_of_monitor()

    assert "vigil_monitor_response_time_seconds{" in text and "vigil_monitor_response_time_ms" not in text
    assert promtool_problems(text) == (0, "")


def test_the_deprecated_ms_name_is_still_served_and_is_all_promtool_mentions(token):
    text = scrape_every_kind_of_monitor()

    assert "# HELP vigil_monitor_response_time_ms Deprecated, use vigil_monitor_response_time_seconds" in text
    assert promtool_problems(text) == (
        3, "vigil_monitor_response_time_ms metric names should not contain abbreviated units")
