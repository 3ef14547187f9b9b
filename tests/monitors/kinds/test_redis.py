"""The redis kind: its checker against this machine's Redis (keys of the test's own in a
database of its own, removed afterwards), and its settings through the admin, config
files and the API, none of which names the kind."""

import uuid
from io import StringIO

import pytest
import redis
import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from monitors.kinds.redis.checker import check
from monitors.models import Monitor, Status
from monitors.services import monitor_save, monitors_check_now
from tests.support.fixtures_targets import silent_port  # noqa: F401 (fixture)
from tests.support.servers import free_port

DB = 11
PASSWORD = "pw-redis-Kx47"


@pytest.fixture
def redis_url():
    """The machine's Redis, database DB; the test's keys (a prefix of its own) are removed."""
    url = f"redis://127.0.0.1:6379/{DB}"
    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    prefix = f"vigil-test-{uuid.uuid4().hex}:"
    client.prefix = prefix
    yield url, client
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def redis_monitor(url, min_hit_rate=None, timeout=2):
    return Monitor(kind="redis", url=url, min_hit_rate=min_hit_rate, timeout=timeout)


def miss_and_hit(client, misses=50):
    """Lookups of the test's own keys: `misses` absent ones, then one present."""
    for i in range(misses):
        client.get(f"{client.prefix}absent-{i}")
    client.set(f"{client.prefix}present", "1")
    client.get(f"{client.prefix}present")


# The checker ----------------------------------------------------------------------


def test_a_redis_that_answers_ping_is_up_with_memory_clients_and_hit_rate(redis_url):
    url, client = redis_url
    miss_and_hit(client, misses=1)

    outcome = check(redis_monitor(url))

    assert (outcome.ok, outcome.healthy, outcome.detail) == (True, True, "PONG")
    assert outcome.facts["used_memory"] > 0 and outcome.gauge == outcome.facts["used_memory"]
    assert outcome.facts["clients"] >= 2  # this test's client and the check's
    assert 0 < outcome.facts["hit_rate"] < 100  # one hit and one miss at least, server-wide
    assert 0 <= outcome.response_time_ms < 2000


def test_a_hit_rate_under_the_minimum_is_degraded(redis_url):
    url, client = redis_url
    miss_and_hit(client)

    outcome = check(redis_monitor(url, min_hit_rate=100))
    assert (outcome.ok, outcome.healthy) == (True, False)
    assert outcome.detail == f"keyspace hit rate {outcome.facts['hit_rate']:g}% is under 100%"
    assert check(redis_monitor(url, min_hit_rate=0)).healthy is True


def test_the_engine_makes_an_unhealthy_hit_rate_degraded(db, redis_url):
    url, client = redis_url
    miss_and_hit(client)
    monitor = monitor_save(Monitor(name="cache", kind="redis", url=url, min_hit_rate=100, timeout=2))

    report = monitors_check_now([monitor.pk])
    monitor.refresh_from_db()

    assert (report.checked, report.up) == (1, 1)
    assert monitor.status == Status.DEGRADED and "is under 100%" in monitor.last_detail


def test_an_unreachable_url_is_down():
    outcome = check(redis_monitor(f"redis://127.0.0.1:{free_port()}/0"))
    assert (outcome.ok, outcome.detail) == (False, "connection refused")


def test_a_silent_server_is_down_at_the_deadline(silent_port):
    outcome = check(redis_monitor(f"redis://127.0.0.1:{silent_port}/0", timeout=1))
    assert (outcome.ok, outcome.detail) == (False, "timed out after 1.0s")
    assert outcome.response_time_ms < 1900


def test_refused_credentials_are_down_without_quoting_them(redis_url):
    outcome = check(redis_monitor(f"redis://nobody-{uuid.uuid4().hex[:6]}:{PASSWORD}@127.0.0.1:6379/{DB}"))
    assert (outcome.ok, outcome.detail) == (False, "authentication failed")


def test_the_address_policy_applies():
    outcome = check(redis_monitor("redis://169.254.169.254:6379/0"))
    assert outcome.ok is False and "169.254.169.254" in outcome.detail and "link-local" in outcome.detail


# Its settings through the admin, config files and the API ---------------------------


SECRET_URL = f"redis://:{PASSWORD}@127.0.0.1:6379/{DB}"


@pytest.fixture
def admin_client(superadmin):
    client = Client()
    client.force_login(superadmin)
    return client


def test_the_admin_adds_and_shows_a_redis_monitor_without_its_url(admin_client):
    add = reverse("admin:monitors_monitor_add")
    form = admin_client.get(add, {"kind": "redis"}).context["adminform"].form
    assert {"url", "clear_url", "min_hit_rate"} <= set(form.fields)

    data = {"name": "cache", "kind": "redis", "url": SECRET_URL, "min_hit_rate": "90", "interval": "60",
            "timeout": "5", "confirmations": "2", "severity": "P2", "slo_window_days": "30", "_save": "Save"}
    assert admin_client.post(f"{add}?kind=redis", data).status_code == 302
    cache = Monitor.objects.get(name="cache")
    assert (cache.url, cache.min_hit_rate, cache.secrets, cache.settings) == (
        SECRET_URL, 90, {"url": SECRET_URL}, {"min_hit_rate": 90})
    page = admin_client.get(reverse("admin:monitors_monitor_change", args=[cache.pk])).content.decode()
    assert PASSWORD not in page and "A URL is set. Leave blank to keep it." in page


def test_a_config_file_round_trips_through_export_without_the_url(db, tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIL_TEST_REDIS_URL", SECRET_URL)
    path = tmp_path / "vigil.yaml"
    path.write_text("monitors:\n- {name: cache, kind: redis, url: '${VIGIL_TEST_REDIS_URL}', min_hit_rate: 90}\n")
    call_command("apply_config", str(path), stdout=StringIO())

    exported = StringIO()
    call_command("export_config", stdout=exported)
    entry = yaml.safe_load(exported.getvalue())["monitors"][0]
    assert entry == {"name": "cache", "kind": "redis", "min_hit_rate": 90}

    path.write_text(exported.getvalue())
    out = StringIO()
    call_command("apply_config", str(path), stdout=out)
    assert out.getvalue().startswith("No changes")
    assert Monitor.objects.get(name="cache").url == SECRET_URL


def test_a_config_file_s_bad_url_is_named_without_quoting_it(db, tmp_path):
    path = tmp_path / "vigil.yaml"
    path.write_text(f"monitors:\n- {{name: cache, kind: redis, url: 'http://:{PASSWORD}@h/'}}\n")
    with pytest.raises(Exception) as caught:
        call_command("apply_config", str(path), stdout=StringIO(), stderr=StringIO())
    assert 'monitors[0] "cache": url: only redis:// and rediss:// URLs can be checked' in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_the_api_takes_the_url_write_only(superadmin):
    api = APIClient()
    api.force_login(superadmin)
    created = api.post("/api/monitors/", {"name": "cache", "kind": "redis", "url": SECRET_URL, "min_hit_rate": 75},
                       format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert "url" not in body and body["min_hit_rate"] == 75 and PASSWORD not in str(body)

    updated = api.patch(f"/api/monitors/{body['id']}/", {"min_hit_rate": 80}, format="json")
    assert updated.status_code == 200 and Monitor.objects.get(name="cache").url == SECRET_URL

    for fields, errors in (({"url": ""}, {"url": ["A redis monitor needs a URL."]}),
                           ({"url": SECRET_URL, "min_hit_rate": 101},
                            {"min_hit_rate": ["Ensure this value is less than or equal to 100."]})):
        bad = api.post("/api/monitors/", {"name": "other", "kind": "redis", **fields}, format="json")
        assert (bad.status_code, bad.json()) == (400, errors)
