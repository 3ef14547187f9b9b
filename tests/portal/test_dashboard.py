"""/dashboard/monitoring/ and its refreshed panels: super admins only; every panel shows
what the database and Sentry say; the cost does not grow with the number of monitors."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Channel, Incident
from monitors.history import day_of, hour_of
from monitors.models import DailyRollup, HourlyRollup, Monitor
from portal.sentry.stats import NOT_CONFIGURED

pytestmark = pytest.mark.django_db

PAGES = ["/dashboard/monitoring/", "/dashboard/monitoring/panels"]


def make_monitor(name, **fields):
    """A monitor row as the engine would leave it (the pages only read it)."""
    fields = {"kind": "tcp", "host": "127.0.0.1", "port": 5432, **fields}
    return Monitor.objects.create(name=name, **fields)


def give_history(monitor, *, up, down, latency_ms=None, now=None):
    """Yesterday's daily row (counted in 30 d, not 24 h) and the last hour's row."""
    now = now or timezone.now()
    DailyRollup.objects.create(monitor=monitor, start=day_of(now) - timedelta(days=1), up_seconds=up, down_seconds=down)
    if latency_ms is not None:
        HourlyRollup.objects.create(monitor=monitor, start=hour_of(now), up_seconds=60, latency_count=2,
                                    latency_sum=2 * latency_ms)


def make_incident(ref, *, opened, severity="P1", title="api is down", **fields):
    return Incident.objects.create(ref=ref, title=title, severity=severity, opened_at=opened, **fields)


@pytest.fixture(autouse=True)
def no_sentry(settings):
    settings.SENTRY_AUTH_TOKEN = ""


@pytest.fixture
def admin_client(role_clients):
    return role_clients["super_admin"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(role_clients, path):
    response = role_clients["anonymous"].get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/dashboard/monitoring/")


@pytest.mark.parametrize("role", ["no_role", "staff", "engineer"])
@pytest.mark.parametrize("path", PAGES)
def test_only_super_admins_see_the_dashboard(role_clients, role, path):
    assert role_clients[role].get(path).status_code == 403


def test_every_panel_shows_what_the_database_says(admin_client):
    now = timezone.now()
    give_history(make_monitor("api", status="up", response_time_ms=120.4), up=9990, down=10, latency_ms=100)
    give_history(make_monitor("db", status="down", last_detail="connection refused"), up=900, down=100, latency_ms=300)
    make_monitor("cron", kind="heartbeat", period=60, status="paused", paused=True)
    make_incident("INC-2025-007", opened=now - timedelta(minutes=30), severity="P0", title="db is down")
    Channel.objects.create(name="ops-slack", kind="slack", url="https://hooks.slack.com/services/SECRET",
                           failing=True, last_error="HTTP 500", last_error_at=now)

    response = admin_client.get("/dashboard/monitoring/")
    page = response.content.decode()

    assert response.status_code == 200
    assert 'id="overall-status"' in page and "Degraded" in page
    assert [row.monitor.name for row in response.context["rows"]] == ["api", "cron", "db"]
    assert "99.90 %" in page and "120 ms" in page  # api's tile: 30-day uptime, last response
    # uptime: (99.9 + 90) / 2 over the active monitors; response: (100 + 300) / 2
    assert "94.950 %" in page and "mean of 2 active monitors; 1 of 2 meet 99.9 %" in page
    assert "200 ms" in page and "≤ 500 ms" in page
    assert NOT_CONFIGURED in page
    assert "INC-2025-007" in page and "db is down" in page and "so far" in page
    assert "ops-slack" in page and "HTTP 500" in page and "dash-delivery-failing" in page
    assert "SECRET" not in page
    assert "No backup sources configured." in page
    assert "Updated at" in page


def test_mtta_and_mttr_are_shown_against_their_targets(admin_client):
    now = timezone.now()
    make_incident("INC-1", opened=now - timedelta(hours=3), severity="P0",
                  acknowledged_at=now - timedelta(hours=3) + timedelta(minutes=10),
                  resolved_at=now - timedelta(hours=1), status="resolved")

    response = admin_client.get("/dashboard/monitoring/panels")
    p0 = response.context["severity_kpis"][0]

    assert (p0.severity, p0.times.opened) == ("P0", 1)
    assert (p0.mtta.shown, p0.mtta.met) == ("10 min", True)
    assert (p0.mttr.shown, p0.mttr.target, p0.mttr.met) == ("2 h", "≤ 1 h", False)
    assert 'id="kpi-P0"' in response.content.decode()


def test_the_page_refreshes_its_panels_every_30_seconds(admin_client):
    page = admin_client.get("/dashboard/monitoring/").content.decode()
    assert 'data-src="/dashboard/monitoring/panels"' in page and 'data-every="30"' in page
    assert "fetch(panels.dataset.src" in page and "setInterval(refresh" in page


def test_the_panels_alone_carry_their_own_updated_at_time(admin_client):
    make_monitor("api", status="up")
    response = admin_client.get("/dashboard/monitoring/panels")
    fragment = response.content.decode()

    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    assert "<html" not in fragment and "<nav" not in fragment
    assert 'id="dash-updated-at"' in fragment and "api" in fragment and 'id="overall-status"' in fragment
    assert "All systems operational" in fragment


def test_sentry_figures_are_shown_when_sentry_answers(admin_client, settings, http_target):
    as_json = {"Content-Type": "application/json"}
    http_target.route("/api/0/projects/acme/web/stats/", body=json.dumps([[1, 3], [2, 4]]).encode(), headers=as_json)
    http_target.route("/api/0/projects/acme/jobs/stats/", body=b"[[1, 5]]", headers=as_json)
    settings.SENTRY_AUTH_TOKEN, settings.SENTRY_ORG = "token-123", "acme"
    settings.SENTRY_PROJECTS, settings.SENTRY_API_URL = ["web", "jobs"], http_target.url("/api/0/")

    page = admin_client.get("/dashboard/monitoring/panels").content.decode()

    assert "12 errors" in page and "<td>web</td><td>7</td>" in page and "<td>jobs</td><td>5</td>" in page
    assert "12 errors in 24 h; no request count" in page
    assert "token-123" not in page


def test_sentrys_hourly_buckets_are_drawn_as_a_24_hour_trend(admin_client, settings, http_target):
    hour = 1_796_774_400  # 2026-12-09 00:00 UTC
    buckets = [[hour + 3600 * i, count] for i, count in enumerate([0] * 20 + [2, 10, 0, 5, 1])]  # 25, as Sentry gives
    http_target.route("/api/0/projects/acme/web/stats/", body=json.dumps(buckets).encode(),
                      headers={"Content-Type": "application/json"})
    settings.SENTRY_AUTH_TOKEN, settings.SENTRY_ORG = "token-123", "acme"
    settings.SENTRY_PROJECTS, settings.SENTRY_API_URL = ["web"], http_target.url("/api/0/")

    page = admin_client.get("/dashboard/monitoring/panels").content.decode()

    row = page.split('id="errors-web"', 1)[1].split("</tr>", 1)[0]
    bars = re.findall(r'<rect x="(\d+)" y="(\d+)" width="3" height="(\d+)"><title>([^<]*)</title>', row)
    assert len(bars) == 24  # the last 24 hours
    assert [int(height) for *_, height, _title in bars][-6:] == [0, 5, 24, 0, 12, 2]  # scaled to the busiest hour
    assert bars[-1][3] == "00:00 UTC: 1" and bars[-4][3] == "21:00 UTC: 10"
    assert "<td>web</td><td>18</td>" in row  # the total counts every bucket


def test_sentry_trouble_is_shown_instead_of_figures(admin_client, settings, http_target):
    http_target.route("/api/0/projects/acme/web/stats/", status=401, body=b"{}")
    settings.SENTRY_AUTH_TOKEN, settings.SENTRY_ORG = "token-123", "acme"
    settings.SENTRY_PROJECTS, settings.SENTRY_API_URL = ["web"], http_target.url("/api/0/")

    page = admin_client.get("/dashboard/monitoring/panels").content.decode()

    assert "Sentry refused the token (401)" in page


def populate(count, start=0):
    now = timezone.now()
    for number in range(start, start + count):
        monitor = make_monitor(f"m{number:03}", status="up" if number % 3 else "down", response_time_ms=50)
        give_history(monitor, up=100, down=number % 5, latency_ms=40)
        make_incident(f"INC-{number}", opened=now - timedelta(hours=1), severity="P2",
                      acknowledged_at=now - timedelta(minutes=50))


@pytest.mark.parametrize("path", PAGES)
def test_queries_do_not_grow_with_the_number_of_monitors(admin_client, path):
    Channel.objects.create(name="mail", kind="email", recipients="ops@example.com")
    populate(3)
    admin_client.get(path)  # the first request may fill per-process caches

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(path).status_code == 200
        return len(captured)

    few = queries()
    populate(27, start=3)
    assert queries() == few
    assert few <= 17  # the page, its frame (banner, role) and every panel, action items included
