"""Sentry error stats: the client against a loopback server shaped like Sentry's project
stats endpoint, and GET /api/monitoring/error-stats."""

import json
import logging
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client

from portal.sentry import stats as sentry_stats
from portal.models import SentryProject
from portal.sentry.stats import NOT_CONFIGURED, SentryUnavailable, error_stats
from tests.support.processes import child_env, manage
from tests.support.servers import HTTPTarget, SentryReceiver

pytestmark = pytest.mark.django_db

TOKEN = "sntrys_test-token-7f3a9c"
ORG = "acme"
URL = "/api/monitoring/error-stats"


class SentryAPI:
    """A loopback server answering `GET /api/0/projects/<org>/<project>/stats/` as Sentry
    does: a JSON list of [timestamp, count]. Requests without `Bearer <token>` get 401.
    `answer(project, counts=…)` or `answer(project, status=…, body=…)` sets what a project
    gets; every request is kept (path, query, headers)."""

    def __init__(self, token=TOKEN, org=ORG):
        self.token, self.org = token, org
        self.target = HTTPTarget()
        self.requests = []

    def start(self):
        self.target.start()
        return self

    def stop(self):
        self.target.stop()

    def api_url(self):
        return self.target.url("/api/0/")

    def answer(self, project, *, counts=(), status=200, body=None):
        if body is None:
            now = int(time.time())
            body = json.dumps([[now - 3600 * i, count] for i, count in enumerate(counts)]).encode()
        self.target.route(f"/api/0/projects/{self.org}/{project}/stats/", handler=self._handler(project, status, body))

    def issues(self, project, *pages, status=200):
        """`GET …/<project>/issues/` answers a page of issues at a time, with Sentry's `Link`
        header (`cursor="<n>"`, `results="true"` while another page follows)."""
        def page_of(request):
            cursor = parse_qs(urlsplit(request.path).query).get("cursor", ["0"])[0]
            index = int(cursor)
            more = index + 1 < len(pages)
            link = (f'<{self.api_url()}>; rel="previous"; results="false"; cursor="{max(index - 1, 0)}", '
                    f'<{self.api_url()}>; rel="next"; results="{str(more).lower()}"; cursor="{index + 1}"')
            return json.dumps(list(pages[index]) if pages else []).encode(), {"Link": link}

        self.target.route(f"/api/0/projects/{self.org}/{project}/issues/",
                          handler=self._handler(project, status, page_of, kind="issues"))

    def _handler(self, project, status, body, kind="stats"):
        def handle(request):
            self.requests.append({"project": project, "kind": kind, "query": parse_qs(urlsplit(request.path).query),
                                  "headers": dict(request.headers)})
            code, content, headers = status, body, {}
            if callable(body):
                content, headers = body(request)
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                code, content = 401, b'{"detail": "Invalid token"}'
            request.send_response(code)
            request.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                request.send_header(name, value)
            request.send_header("Content-Length", str(len(content)))
            request.end_headers()
            request.wfile.write(content)

        return handle


@pytest.fixture
def sentry_api(settings):
    """A running SentryAPI and the settings that point Vigil at it (projects web and worker)."""
    api = SentryAPI().start()
    settings.SENTRY_AUTH_TOKEN, settings.SENTRY_ORG = TOKEN, ORG
    settings.SENTRY_PROJECTS, settings.SENTRY_API_URL = ["web", "worker"], api.api_url()
    yield api
    api.stop()


def force_refresh():
    """Forget the one-minute answer (as if a minute passed); the last good answer stays."""
    cache.delete(sentry_stats.sentry_config().cache_key("fresh"))


# The client ------------------------------------------------------------------------------


def test_sums_each_projects_buckets_over_24_hours(sentry_api):
    sentry_api.answer("web", counts=[3, 0, 7, 12])
    sentry_api.answer("worker", counts=[1, 1])
    before = time.time()

    stats = error_stats()

    assert stats["success"] is True and stats["stale"] is False
    assert [(p["slug"], p["label"], p["errors_24h"]) for p in stats["projects"]] == [("web", "web", 22), ("worker", "worker", 2)]
    assert stats["total_24h"] == 24 and stats["web_errors_24h"] == 22 and stats["worker_errors_24h"] == 2
    assert "T" in stats["updated_at"]
    query = sentry_api.requests[0]["query"]
    assert query["stat"] == ["received"] and query["resolution"] == ["1h"]
    assert before - 24 * 3600 - 2 <= int(query["since"][0]) <= time.time() - 24 * 3600 + 2


def test_the_hourly_buckets_are_kept_oldest_first_as_a_24_hour_trend(sentry_api):
    sentry_api.answer("web", counts=[3, 0, 7, 12])  # newest first, as the server lists them
    sentry_api.answer("worker", counts=[])

    [web, worker] = error_stats()["projects"]

    assert [count for _at, count in web["hourly"]] == [12, 7, 0, 3]
    assert [at for at, _count in web["hourly"]] == sorted(at for at, _count in web["hourly"])
    assert worker["hourly"] == []


def test_sentry_projects_rows_replace_the_setting_and_name_the_seeds_keys(sentry_api):
    SentryProject.objects.create(slug="dutycall-backend")
    SentryProject.objects.create(slug="dutycall-frontend", label="web_app")
    sentry_api.answer("dutycall-backend", counts=[40, 2])
    sentry_api.answer("dutycall-frontend", counts=[5])

    stats = error_stats()

    assert stats["backend_errors_24h"] == 42 and stats["web_app_errors_24h"] == 5
    assert [p["slug"] for p in stats["projects"]] == ["dutycall-backend", "dutycall-frontend"]
    assert {r["project"] for r in sentry_api.requests} == {"dutycall-backend", "dutycall-frontend"}  # not web, worker


def test_sentry_environment_filters_the_stats_only_when_set(sentry_api, settings):
    sentry_api.answer("web", counts=[1])
    sentry_api.answer("worker", counts=[1])
    error_stats()
    assert "environment" not in sentry_api.requests[0]["query"]

    settings.SENTRY_STATS_ENVIRONMENT = "staging"
    error_stats()  # another configuration: not the cached answer

    assert [r["query"]["environment"] for r in sentry_api.requests[2:]] == [["staging"], ["staging"]]


def test_sends_the_token_as_a_bearer_header_only(sentry_api):
    sentry_api.answer("web", counts=[1])
    sentry_api.answer("worker", counts=[1])

    error_stats()

    assert [r["headers"]["Authorization"] for r in sentry_api.requests] == [f"Bearer {TOKEN}"] * 2
    assert not any(TOKEN in json.dumps(r["query"]) for r in sentry_api.requests)


def test_answers_from_the_cache_for_a_minute(sentry_api):
    sentry_api.answer("web", counts=[5])
    sentry_api.answer("worker", counts=[])

    first, second = error_stats(), error_stats()

    assert first == second
    assert len(sentry_api.requests) == 2  # one per project, once


def test_a_failure_too_is_remembered_for_a_minute(sentry_api):
    sentry_api.answer("web", status=500, body=b"")
    sentry_api.answer("worker", counts=[1])

    for _ in range(3):
        with pytest.raises(SentryUnavailable, match="Sentry answered 500 for project web"):
            error_stats()

    assert len(sentry_api.requests) == 1  # web failed once; nobody asked again
    sentry_api.answer("web", counts=[2])
    force_refresh()
    assert error_stats()["total_24h"] == 3


def test_a_wrong_token_is_reported_without_the_token(sentry_api, settings):
    settings.SENTRY_AUTH_TOKEN = "sntrys_wrong-one"
    sentry_api.answer("web", counts=[5])

    with pytest.raises(SentryUnavailable) as raised:
        error_stats()

    assert "refused the token (401)" in str(raised.value)
    assert "sntrys_" not in str(raised.value)


def test_when_sentry_fails_the_last_good_answer_comes_back_stale(sentry_api):
    sentry_api.answer("web", counts=[4, 4])
    sentry_api.answer("worker", counts=[1])
    good = error_stats()
    sentry_api.answer("web", status=500, body=b"oops")
    force_refresh()

    stale = error_stats()

    assert stale["stale"] is True
    assert stale["projects"] == good["projects"] and stale["updated_at"] == good["updated_at"]
    assert stale["error"] == "Sentry answered 500 for project web"


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"<html>maintenance</html>", "is not a list of [timestamp, count]"),
        (b'{"detail": "x"}', "is not a list of [timestamp, count]"),
        (b'[[1700000000, "many"]]', "is not a list of [timestamp, count]"),
    ],
)
def test_an_answer_not_in_sentrys_shape_is_a_failure(sentry_api, body, reason):
    sentry_api.answer("web", body=body)
    sentry_api.answer("worker", counts=[1])

    with pytest.raises(SentryUnavailable, match=r"no earlier figures are kept") as raised:
        error_stats()

    assert reason in str(raised.value)


def test_a_sentry_that_does_not_answer_in_time_is_a_failure(sentry_api, settings):
    settings.SENTRY_API_TIMEOUT = 0.5
    sentry_api.answer("worker", counts=[1])
    sentry_api.target.route(f"/api/0/projects/{ORG}/web/stats/", handler=lambda request: time.sleep(3))

    started = time.monotonic()
    with pytest.raises(SentryUnavailable, match="timed out"):
        error_stats()

    assert time.monotonic() - started < 2.5


def test_private_addresses_are_refused_as_for_channels(sentry_api, settings):
    settings.CHANNELS_ALLOW_PRIVATE_IPS = False
    sentry_api.answer("web", counts=[1])

    with pytest.raises(SentryUnavailable, match="refused address 127.0.0.1 \\(loopback\\)"):
        error_stats()

    assert sentry_api.requests == []


def test_not_configured_says_what_to_set(settings):
    settings.SENTRY_AUTH_TOKEN, settings.SENTRY_ORG, settings.SENTRY_PROJECTS = "", ORG, ["web"]

    with pytest.raises(SentryUnavailable) as raised:
        error_stats()

    assert str(raised.value) == NOT_CONFIGURED


def test_failures_never_log_the_token(sentry_api, caplog):
    sentry_api.answer("web", status=503, body=b"")
    caplog.set_level(logging.DEBUG, logger="urllib3")

    with pytest.raises(SentryUnavailable):
        error_stats()

    assert "/api/0/projects/acme/web/stats/" in caplog.text  # urllib3 logged the request, but
    assert TOKEN not in caplog.text


# The API --------------------------------------------------------------------------------


def test_the_api_gives_super_admins_the_figures(sentry_api, role_clients):
    sentry_api.answer("web", counts=[2, 3])
    sentry_api.answer("worker", counts=[0])

    response = role_clients["super_admin"].get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["total_24h"] == 5 and body["stale"] is False
    assert TOKEN not in response.content.decode()


@pytest.mark.parametrize("who, code", [("anonymous", 401), ("no_role", 403), ("staff", 403), ("engineer", 403)])
def test_the_api_refuses_everyone_else(sentry_api, role_clients, who, code):
    sentry_api.answer("web", counts=[1])

    assert role_clients[who].get(URL).status_code == code
    assert sentry_api.requests == []


def test_the_api_answers_503_when_sentry_fails_and_nothing_is_kept(sentry_api, role_clients):
    sentry_api.answer("web", status=502, body=b"bad gateway")
    sentry_api.answer("worker", counts=[1])

    response = role_clients["super_admin"].get(URL)

    assert response.status_code == 503
    assert response.json() == {
        "success": False, "error": "Sentry answered 502 for project web, and no earlier figures are kept",
    }


def test_the_api_serves_the_stale_answer_when_sentry_fails(sentry_api, role_clients):
    sentry_api.answer("web", counts=[9])
    sentry_api.answer("worker", counts=[1])
    assert role_clients["super_admin"].get(URL).json()["total_24h"] == 10
    sentry_api.answer("web", status=500, body=b"")
    force_refresh()

    body = role_clients["super_admin"].get(URL).json()

    assert body["stale"] is True and body["total_24h"] == 10


def test_the_api_answers_503_when_not_configured(role_clients, settings):
    settings.SENTRY_AUTH_TOKEN = ""

    response = role_clients["super_admin"].get(URL)

    assert response.status_code == 503
    assert response.json() == {"success": False, "error": NOT_CONFIGURED}


# The "Send a test error to Sentry" button --------------------------------------------------

BUTTON = "/sentry/test-error"


@pytest.mark.parametrize("who", ["no_role", "staff", "engineer"])
def test_only_super_admins_may_press_the_button(role_clients, who):
    assert role_clients[who].post(BUTTON).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(role_clients):
    response = role_clients["anonymous"].post(BUTTON)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_button_posts_only(role_clients):
    assert role_clients["super_admin"].get(BUTTON).status_code == 405


def test_the_button_needs_the_csrf_token(superadmin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superadmin)

    assert client.post(BUTTON).status_code == 403


def test_without_a_dsn_the_button_says_sentry_is_off(role_clients):
    response = role_clients["super_admin"].post(BUTTON, {"next": "/status/internal/"})

    assert response.status_code == 302 and response["Location"] == "/status/internal/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Sentry is off: set SENTRY_DSN to send Vigil's own errors to Sentry."
    ]


def test_the_button_goes_back_only_to_this_site(role_clients):
    response = role_clients["super_admin"].post(BUTTON, {"next": "https://evil.example/"})

    assert response["Location"] == "/dashboard/monitoring/"


def test_the_button_partial_renders_a_csrf_protected_form(rf, superadmin):
    request = rf.get("/dashboard/monitoring/")
    request.user = superadmin

    html = render_to_string("portal/test_error_button.html", request=request)

    assert f'action="{BUTTON}"' in html and 'method="post"' in html
    assert 'name="csrfmiddlewaretoken"' in html and 'value="/dashboard/monitoring/"' in html


PRESS_THE_BUTTON = """
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
client = Client()
client.force_login(User.objects.get(username="root"))
response = client.post("/sentry/test-error", {"next": "/dashboard/monitoring/"})
print(response.status_code, response["Location"])
print([str(m) for m in get_messages(response.wsgi_request)][0])
"""


@pytest.mark.django_db(transaction=True)
def test_the_button_sends_an_error_to_sentry_with_its_event_id(superadmin, tmp_path):
    """In a process of its own with SENTRY_DSN set, as production starts Sentry."""
    sentry = SentryReceiver()
    try:
        result = manage("shell", "-c", PRESS_THE_BUTTON,
                        env=child_env(SENTRY_DSN=sentry.dsn, SENTRY_ENVIRONMENT="test", ALLOWED_HOSTS="testserver"))
        deadline = time.monotonic() + 10
        while not sentry.exceptions() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sentry.server.shutdown()
        sentry.server.server_close()

    assert result.returncode == 0, result.stderr
    status_line, message = result.stdout.strip().splitlines()[-2:]
    assert status_line == "302 /dashboard/monitoring/"
    [error] = sentry.exceptions()
    assert error["type"] == "SentryTestError" and error["value"].startswith("Vigil test error ")
    [event] = [item for item in sentry.items if item.get("exception")]
    assert message == f"Test error sent to Sentry as event {event['event_id']}."
    assert sentry.dsn not in result.stdout
