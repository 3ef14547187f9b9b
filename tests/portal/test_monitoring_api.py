"""/api/monitoring/system-status, incidents and backup-status: the seed's shapes exactly,
each endpoint refused to the roles it is not for, with and without a trailing slash."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.portal.test_dashboard import give_history, make_incident, make_monitor

pytestmark = pytest.mark.django_db

SYSTEM_STATUS = "/api/monitoring/system-status"
INCIDENTS = "/api/monitoring/incidents"
BACKUP_STATUS = "/api/monitoring/backup-status"
ALLOWED = {
    SYSTEM_STATUS: {"super_admin"},
    INCIDENTS: {"super_admin", "engineer"},
    BACKUP_STATUS: {"super_admin"},
}
CASES = [(path, role) for path in ALLOWED for role in ("no_role", "staff", "engineer", "super_admin")]


@pytest.mark.parametrize("path", ALLOWED)
def test_anonymous_callers_must_authenticate(role_clients, path):
    response = role_clients["anonymous"].get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("path, role", CASES)
def test_each_endpoint_is_for_its_roles_only(role_clients, path, role):
    expected = 200 if role in ALLOWED[path] else 403
    assert role_clients[role].get(path).status_code == expected
    assert role_clients[role].get(path + "/").status_code == expected


def test_a_token_authenticates(client, superadmin):
    token = Token.objects.create(user=superadmin)
    response = client.get(BACKUP_STATUS, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_system_status_lists_every_monitor_and_the_overall_verdict(role_clients):
    give_history(make_monitor("api", status="up", response_time_ms=120.5), up=9990, down=10, latency_ms=120.6)
    make_monitor("db", status="down", response_time_ms=3.25)
    make_monitor("cron", kind="heartbeat", period=60, status="paused", paused=True)

    body = role_clients["super_admin"].get(SYSTEM_STATUS).json()

    assert body == {
        "success": True,
        "monitors": [
            {"name": "api", "status": "up", "state": "up", "uptime": "99.90", "response_time": 121,
             "uptime_24h": 100.0, "uptime_30d": 99.9, "last_response_time": 120.5},
            {"name": "cron", "status": "up", "state": "paused", "uptime": None, "response_time": None,
             "uptime_24h": None, "uptime_30d": None, "last_response_time": None},
            {"name": "db", "status": "down", "state": "down", "uptime": None, "response_time": None,
             "uptime_24h": None, "uptime_30d": None, "last_response_time": 3.25},
        ],
        "overall_status": "degraded",
    }


def test_uptime_is_the_guides_string_rounded_down(role_clients):
    give_history(make_monitor("api", status="up"), up=999_949, down=51, latency_ms=87.4)

    [monitor] = role_clients["super_admin"].get(SYSTEM_STATUS).json()["monitors"]

    assert monitor["uptime"] == "99.99"  # 99.9949: never rounded up to "100.00"
    assert monitor["response_time"] == 87


def test_maintenance_paused_and_seems_down_leave_the_system_operational(role_clients):
    make_monitor("api", status="up")
    make_monitor("db", status="down", in_maintenance=True)
    make_monitor("cron", kind="heartbeat", period=60, status="paused", paused=True)
    make_monitor("queue", status="seems_down")

    body = role_clients["super_admin"].get(SYSTEM_STATUS + "/").json()

    assert body["overall_status"] == "operational"
    assert [monitor["state"] for monitor in body["monitors"]] == ["up", "paused", "maintenance", "seems_down"]
    assert [monitor["status"] for monitor in body["monitors"]] == ["up", "up", "up", "up"]


def test_a_slow_monitor_degrades_the_system(role_clients):
    make_monitor("api", status="degraded")
    assert role_clients["super_admin"].get(SYSTEM_STATUS).json()["overall_status"] == "degraded"


def test_incidents_newest_first_with_their_durations(role_clients):
    opened = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    make_incident("INC-2025-001", opened=opened, severity="P0", title="checkout fails", status="resolved",
                  acknowledged_at=opened + timedelta(minutes=4), resolved_at=opened + timedelta(minutes=95, seconds=59))
    still_open = timezone.now() - timedelta(minutes=42, seconds=30)
    make_incident("INC-2025-002", opened=still_open, severity="P2", title="slow search", status="monitoring")

    body = role_clients["engineer"].get(INCIDENTS).json()

    assert body == {
        "success": True,
        "incidents": [
            {"id": "INC-2025-002", "title": "slow search", "status": "monitoring",
             "started_at": still_open.isoformat().replace("+00:00", "Z"), "resolved_at": None,
             "duration_minutes": None, "severity": "P2"},
            {"id": "INC-2025-001", "title": "checkout fails", "status": "resolved",
             "started_at": "2025-03-01T10:00:00Z", "resolved_at": "2025-03-01T11:35:59Z",
             "duration_minutes": 95, "severity": "P0"},
        ],
    }


def test_incidents_stop_at_the_latest_100(role_clients):
    start = timezone.now() - timedelta(days=1)
    for number in range(105):
        make_incident(f"INC-{number:03}", opened=start + timedelta(minutes=number))

    with CaptureQueriesContext(connection) as captured:
        incidents = role_clients["super_admin"].get(INCIDENTS).json()["incidents"]

    assert len(incidents) == 100
    assert (incidents[0]["id"], incidents[-1]["id"]) == ("INC-104", "INC-005")
    assert len(captured) <= 5


def test_backup_status_has_no_sources_until_backups_are_configured(role_clients):
    assert role_clients["super_admin"].get(BACKUP_STATUS).json() == {"success": True, "sources": []}


def test_system_status_costs_the_same_for_3_or_30_monitors(role_clients):
    client = role_clients["super_admin"]

    def populate(start, count):
        for number in range(start, start + count):
            give_history(make_monitor(f"m{number:03}", status="up"), up=10, down=0, latency_ms=3)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert len(client.get(SYSTEM_STATUS).json()["monitors"]) in (3, 30)
        return len(captured)

    populate(0, 3)
    client.get(SYSTEM_STATUS)
    few = queries()
    populate(3, 27)
    assert queries() == few
