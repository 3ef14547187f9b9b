"""The monitors API: who may use it, CRUD through the services, secrets, validation, actions."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from monitors.models import Monitor, StateChange, Status
from monitors.services import monitor_save

LIST = "/api/monitors/"
SECRETS = {"auth_password": "pw-secret-456", "headers": {"X-Token": "hdr-secret-789"}}
DSN = "postgresql://vigil:dsn-secret-123@db.example.com/app"


def detail(monitor_id, action=""):
    return f"{LIST}{monitor_id}/{action + '/' if action else ''}"


@pytest.fixture
def api(superadmin):
    client = APIClient()
    client.force_login(superadmin)
    return client


def create(api, **fields):
    response = api.post(LIST, {"name": "site", "kind": "http", "url": "https://example.com/", **fields}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def make_many(count, start=0):
    kinds = {"http": {"url": "https://example.com/"}, "tcp": {"host": "db", "port": 5432}, "heartbeat": {"period": 60}}
    for i in range(start, start + count):
        kind = list(kinds)[i % len(kinds)]
        monitor_save(Monitor(name=f"m{i:03}", kind=kind, **kinds[kind]), tags=["prod", f"team-{i % 4}"])


# Who may use it -------------------------------------------------------------------


def test_anonymous_requests_are_unauthenticated(db):
    client = APIClient()

    assert client.get(LIST).status_code == 401
    assert client.post(LIST, {"name": "x", "kind": "http"}, format="json").status_code == 401
    assert not Monitor.objects.exists()


@pytest.mark.parametrize("is_staff", [False, True])
def test_signed_in_users_who_are_not_super_admins_are_forbidden(staff_user, is_staff):
    staff_user.is_staff = is_staff
    staff_user.save()
    monitor = monitor_save(Monitor(name="site", kind="http", url="https://example.com/"))
    client = APIClient()
    client.force_login(staff_user)

    assert client.get(LIST).status_code == 403
    assert client.get(detail(monitor.pk)).status_code == 403
    assert client.patch(detail(monitor.pk), {"name": "taken"}, format="json").status_code == 403
    assert client.post(detail(monitor.pk, "pause")).status_code == 403
    assert client.delete(detail(monitor.pk)).status_code == 403
    monitor.refresh_from_db()
    assert (monitor.name, monitor.paused) == ("site", False)


def test_a_token_from_drf_create_token_authenticates(superadmin):
    out = StringIO()
    call_command("drf_create_token", superadmin.username, stdout=out)
    token = Token.objects.get(user=superadmin)
    assert token.key in out.getvalue()
    client = APIClient()

    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(LIST).status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(LIST).status_code == 401


# CRUD -------------------------------------------------------------------------


def test_super_admin_creates_reads_updates_and_deletes(api):
    created = create(api, tags=["prod", "edge"], interval=30, timeout=5)

    assert created["tags"] == ["edge", "prod"]
    assert (created["status"], created["status_code"], created["ping_url"]) == ("not_checked", 1, None)
    assert (created["interval"], created["timeout"]) == (30, 5.0)
    monitor = Monitor.objects.get(pk=created["id"])
    assert monitor.next_check_at is not None

    fetched = api.get(detail(created["id"])).json()
    assert fetched == created

    replaced = api.put(
        detail(created["id"]),
        {"name": "site v2", "kind": "tcp", "host": "db.example.com", "port": 5432, "tags": ["db"]},
        format="json",
    )
    assert replaced.status_code == 200, replaced.json()
    assert (replaced.json()["kind"], replaced.json()["tags"]) == ("tcp", ["db"])

    patched = api.patch(detail(created["id"]), {"severity": "P0"}, format="json")
    assert (patched.json()["severity"], patched.json()["name"], patched.json()["tags"]) == ("P0", "site v2", ["db"])

    assert api.delete(detail(created["id"])).status_code == 204
    assert not Monitor.objects.filter(pk=created["id"]).exists()


def test_pausing_through_an_update_goes_through_the_state_machine(api):
    created = create(api)

    response = api.patch(detail(created["id"]), {"paused": True}, format="json")

    assert (response.json()["status"], response.json()["status_code"]) == ("paused", 0)
    assert StateChange.objects.filter(monitor_id=created["id"], to_status=Status.PAUSED).count() == 1


def test_list_costs_the_same_number_of_queries_for_5_and_30_monitors(api):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(LIST)
        assert response.status_code == 200
        return len(queries), response.json()

    make_many(5)
    with_5, _ = count_queries()
    make_many(25, start=5)
    with_30, body = count_queries()

    assert with_30 == with_5
    assert body["count"] == 30
    assert body["results"][29]["tags"] == ["prod", "team-1"]


# Secrets ----------------------------------------------------------------------


def test_secrets_are_write_only(api):
    site = create(api, **SECRETS)
    database = create(api, name="db", kind="postgres", url="", dsn=DSN)

    bodies = [api.get(LIST).content.decode(), api.get(detail(site["id"])).content.decode(), str(site), str(database)]
    browsable = api.get(detail(database["id"]), HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200
    assert "dsn-secret-123" not in browsable.content.decode()

    for body in bodies:
        for secret in ("pw-secret-456", "hdr-secret-789", "dsn-secret-123", '"auth_password"', '"dsn"', '"headers"'):
            assert secret not in body.replace("'", '"')
    stored = Monitor.objects.get(pk=site["id"])
    assert (stored.auth_password, stored.headers) == ("pw-secret-456", {"X-Token": "hdr-secret-789"})


def test_omitted_secrets_are_kept_on_update_and_sent_ones_replace_them(api):
    site = create(api, **SECRETS)
    database = create(api, name="db", kind="postgres", url="", dsn=DSN)

    api.patch(detail(site["id"]), {"name": "site renamed"}, format="json")
    api.put(detail(database["id"]), {"name": "db", "kind": "postgres", "query": "SELECT 2 > 1"}, format="json")
    site_now = Monitor.objects.get(pk=site["id"])
    assert (site_now.name, site_now.auth_password, site_now.headers) == ("site renamed", *SECRETS.values())
    assert Monitor.objects.get(pk=database["id"]).dsn == DSN

    api.patch(detail(site["id"]), {"auth_password": "", "headers": {}}, format="json")
    site_now.refresh_from_db()
    assert (site_now.auth_password, site_now.headers) == ("", {})


# Validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"interval": 10}, "interval"),
        ({"url": "ftp://files.example.com/"}, "url"),
        ({"kind": "smtp"}, "kind"),
        ({"kind": "tcp", "url": "", "port": 22}, "host"),
        ({"kind": "heartbeat"}, "period"),
        ({"timeout": 90}, "timeout"),
        ({"tags": ["not a slug!"]}, "tags"),
        ({"headers": {"X-Count": 3}}, "headers"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, fields, field):
    response = api.post(LIST, {"name": "site", "kind": "http", "url": "https://example.com/", **fields}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Monitor.objects.exists()


def test_bad_update_is_a_400_and_changes_nothing(api):
    site = create(api)

    response = api.patch(detail(site["id"]), {"url": "ftp://files.example.com/"}, format="json")

    assert response.status_code == 400
    assert "url" in response.json()
    assert Monitor.objects.get(pk=site["id"]).url == "https://example.com/"


# Heartbeats and actions -----------------------------------------------------------


def test_a_heartbeat_has_a_working_ping_url(api):
    heartbeat = create(api, name="nightly", kind="heartbeat", url="", period=3600, grace=300)
    monitor = Monitor.objects.get(pk=heartbeat["id"])

    assert heartbeat["ping_url"] == f"{settings.VIGIL_BASE_URL}/ping/{monitor.ping_uuid}"
    assert Client().get(heartbeat["ping_url"].removeprefix(settings.VIGIL_BASE_URL)).status_code == 200
    monitor.refresh_from_db()
    assert monitor.last_ping_at is not None


def test_pause_and_resume_actions(api):
    site = create(api)

    paused = api.post(detail(site["id"], "pause"))
    assert paused.status_code == 200
    assert (paused.json()["paused"], paused.json()["status"]) == (True, "paused")

    resumed = api.post(detail(site["id"], "resume"))
    assert (resumed.json()["paused"], resumed.json()["status"]) == (False, "not_checked")
    reasons = list(StateChange.objects.filter(monitor_id=site["id"]).order_by("changed_at").values_list("reason", flat=True))
    assert reasons == ["paused", "resumed"]


def test_check_action_runs_a_heartbeat_check(api):
    heartbeat = create(api, name="nightly", kind="heartbeat", url="", period=3600)

    waiting = api.post(detail(heartbeat["id"], "check")).json()
    Client().get(heartbeat["ping_url"].removeprefix(settings.VIGIL_BASE_URL))
    checked = api.post(detail(heartbeat["id"], "check")).json()

    assert (waiting["checked"], waiting["monitor"]["status"]) == (0, "not_checked")
    assert (checked["checked"], checked["up"], checked["down"]) == (1, 1, 0)
    assert (checked["monitor"]["status"], checked["monitor"]["status_code"]) == ("up", 2)
    assert checked["monitor"]["last_checked_at"] is not None


def test_check_action_runs_a_real_http_check(api, http_target):
    site = create(api, url=http_target.route("/health", status=200, body=b"all good"))

    checked = api.post(detail(site["id"], "check")).json()

    assert (checked["checked"], checked["up"]) == (1, 1)
    assert checked["monitor"]["status"] == "up"
    assert checked["monitor"]["response_time_ms"] is not None
    assert http_target.hits == {"/health": 1}
