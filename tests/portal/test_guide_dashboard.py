"""The guide's own dashboard client works unchanged: its JSX expressions, run by Node
(tests/support/guide_dashboard.mjs), render the answers of the live /api/monitoring/* endpoints,
with the error counts read from a Sentry-shaped loopback server."""

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.portal.test_dashboard import give_history, make_incident, make_monitor
from tests.portal.test_sentry_stats import ORG, TOKEN, SentryAPI

CLIENT = Path(__file__).parents[1] / "support" / "guide_dashboard.mjs"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the live server reads what the test writes
    pytest.mark.skipif(NODE is None, reason="node is not installed (scripts/run-tests installs Debian's nodejs)"),
]


@pytest.fixture
def sentry_api(settings):
    """The guide's two projects, set the simple way (SENTRY_PROJECTS)."""
    api = SentryAPI().start()
    settings.SENTRY_AUTH_TOKEN, settings.SENTRY_ORG = TOKEN, ORG
    settings.SENTRY_PROJECTS, settings.SENTRY_API_URL = ["dutycall-backend", "dutycall-frontend"], api.api_url()
    api.answer("dutycall-backend", counts=[30, 12, 0, 5])
    api.answer("dutycall-frontend", counts=[3])
    yield api
    api.stop()


@pytest.fixture
def api(live_server, superadmin):
    """GET an /api/monitoring/ endpoint of the live server as the guide's backend would."""
    headers = {"Authorization": f"Token {Token.objects.create(user=superadmin).key}"}

    def get(endpoint):
        response = requests.get(f"{live_server.url}/api/monitoring/{endpoint}", headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    return get


def render(system_status, error_stats, incidents):
    """The lines the guide's component renders from these three answers."""
    answers = json.dumps({"systemStatus": system_status, "errorStats": error_stats, "incidents": incidents})
    result = subprocess.run([NODE, str(CLIENT)], input=answers, capture_output=True, text=True, timeout=30, check=True)
    return json.loads(result.stdout)


def a_team_like_the_guides():
    """Voice API down (private), Web API up at 99.95 % over 30 days answering in 123.4 ms
    (public); one incident resolved after 75 minutes, one still open."""
    give_history(make_monitor("Web API", status="up", public=True), up=99_950, down=50, latency_ms=123.4)
    give_history(make_monitor("Voice API", status="down"), up=9_000, down=1_000, latency_ms=480.0)
    opened = timezone.now() - timedelta(days=2)
    make_incident("INC-2026-001", opened=opened, title="API Latency Increase", status="resolved",
                  resolved_at=opened + timedelta(minutes=75, seconds=30))
    make_incident("INC-2026-002", opened=timezone.now() - timedelta(minutes=5), title="Voice calls failing",
                  status="investigating")


def test_the_guides_dashboard_renders_the_live_api(sentry_api, api):
    a_team_like_the_guides()

    lines = render(api("system-status"), api("error-stats"), api("incidents"))

    assert lines == [
        "System Degraded",
        "Voice API DOWN", "Uptime: 90.00%", "Response Time: 480ms",
        "Web API UP", "Uptime: 99.95%", "Response Time: 123ms",
        "47 Backend Errors",
        "3 Frontend Errors",
        "Voice calls failing", "Status: investigating | Duration:  minutes",  # null while open
        "API Latency Increase", "Status: resolved | Duration: 75 minutes",
    ]


def test_all_up_reads_operational(sentry_api, api):
    give_history(make_monitor("Web API", status="up"), up=100, down=0, latency_ms=40.0)

    lines = render(api("system-status"), api("error-stats"), api("incidents"))

    assert lines[:4] == ["All Systems Operational", "Web API UP", "Uptime: 100.00%", "Response Time: 40ms"]
    assert lines[-1] == "No incidents in the last 30 days"


def test_the_public_status_renders_public_monitors_only(sentry_api, live_server):
    a_team_like_the_guides()
    public = requests.get(f"{live_server.url}/api/monitoring/public-status", timeout=10).json()

    lines = render(public, None, {"incidents": []})

    assert lines[:4] == ["All Systems Operational", "Web API UP", "Uptime: 99.95%", "Response Time: 123ms"]
    assert not any("Voice" in line for line in lines)
    assert public["components"] and "maintenance" in public  # Vigil's own fields are still there
