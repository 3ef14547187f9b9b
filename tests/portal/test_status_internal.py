"""/status/internal/: Staff, Engineers and super admins see every monitor in detail, the
open incidents and the backups; nobody else does; the cost does not grow with monitors."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.portal.test_dashboard import give_history, make_incident, make_monitor

pytestmark = pytest.mark.django_db

PATH = "/status/internal/"


def test_anonymous_visitors_are_sent_to_sign_in(role_clients):
    response = role_clients["anonymous"].get(PATH)
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/status/internal/")


def test_signed_in_users_without_a_role_are_refused(role_clients):
    assert role_clients["no_role"].get(PATH).status_code == 403


@pytest.mark.parametrize("role", ["staff", "engineer", "super_admin"])
def test_staff_engineers_and_super_admins_read_it(role_clients, role):
    make_monitor("internal-only", status="up", public=False)
    response = role_clients[role].get(PATH)
    assert response.status_code == 200
    assert "internal-only" in response.content.decode()


def test_every_monitor_with_its_details(role_clients):
    now = timezone.now()
    api = make_monitor("api", kind="http", url="http://127.0.0.1/", status="down", response_time_ms=812.6,
                       last_detail="status 503 (expected 2xx)", last_checked_at=now - timedelta(minutes=1))
    give_history(api, up=9000, down=1000, latency_ms=700)
    make_monitor("nightly-backup", kind="heartbeat", period=86400, status="up",
                 last_ping_at=now - timedelta(hours=2, minutes=5))
    make_monitor("cert", kind="tls", status="up", last_detail="certificate expires in 12 days",
                 last_facts={"days_left": 12, "expiring": True})
    make_monitor("replica", kind="postgres", dsn="postgresql://vigil:hunter2@db/app", status="up")
    make_monitor("old-box", status="paused", paused=True)

    response = role_clients["staff"].get(PATH)
    page = response.content.decode()
    rows = {row.monitor.name: row for row in response.context["rows"]}

    assert sorted(rows) == ["api", "cert", "nightly-backup", "old-box", "replica"]
    assert "Degraded" in page
    assert "813 ms" in page and "status 503 (expected 2xx)" in page
    assert (rows["api"].uptime_24h, rows["api"].uptime_30d) == (100.0, 90.0)
    assert "100.00 %" in page and "90.00 %" in page
    assert "2\xa0hours, 5\xa0minutes ago" in page  # the heartbeat's last ping
    assert rows["cert"].tls_days_left == 12 and 'class="internal-expiring">12<' in page
    assert rows["cert"].last_error == ""  # an up monitor's detail is not an error
    assert "Paused" in page
    assert "hunter2" not in page and "postgresql://" not in page


def test_open_incidents_with_who_acknowledged_them(role_clients, engineer):
    now = timezone.now()
    make_incident("INC-2025-001", opened=now - timedelta(hours=1), severity="P0", title="checkout fails",
                  acknowledged_at=now - timedelta(minutes=50), acknowledged_by=engineer, status="identified")
    make_incident("INC-2025-002", opened=now - timedelta(minutes=5), severity="P2", title="slow search")
    make_incident("INC-2025-000", opened=now - timedelta(days=1), title="long gone",
                  resolved_at=now - timedelta(hours=20), status="resolved")

    response = role_clients["engineer"].get(PATH)
    page = response.content.decode()

    assert [incident.ref for incident in response.context["incidents"]] == ["INC-2025-002", "INC-2025-001"]
    assert "checkout fails" in page and "yes, by engineer" in page and "Identified" in page
    assert "slow search" in page and '<strong class="internal-unacked">no</strong>' in page
    assert "long gone" not in page


def test_backups_say_none_are_configured(role_clients):
    response = role_clients["staff"].get(PATH)
    assert response.context["backups"] == []
    assert "No backup sources configured." in response.content.decode()


def test_queries_do_not_grow_with_the_number_of_monitors(role_clients):
    client = role_clients["staff"]
    now = timezone.now()

    def populate(start, count):
        for number in range(start, start + count):
            give_history(make_monitor(f"m{number:03}", status="down", last_detail="refused"), up=10, down=1,
                         latency_ms=5)
            make_incident(f"INC-{number}", opened=now - timedelta(minutes=number))

    populate(0, 3)
    client.get(PATH)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PATH).status_code == 200
        return len(captured)

    few = queries()
    populate(3, 27)
    assert queries() == few
