"""The monitors admin: list, actions, change form (secrets, validation), read-only admins, roles."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.models import Event
from monitors.history import Entry
from monitors.kinds import KINDS
from monitors.models import Monitor, RunnerLease, StateChange, Status
from monitors.rollups import Recorded, add_to_rollups
from monitors.services import monitor_save, monitors_check_now
from tests.support.results import all_results

KIND_SETTINGS = {
    "http": {"url": "https://example.com/health"},
    "tcp": {"host": "db.example.com", "port": 5432},
    "tls": {"host": "example.com", "port": 443},
    "heartbeat": {"period": 300, "grace": 60},
    "postgres": {"dsn": "postgresql://vigil:dsn-secret-123@db.example.com/app"},
}
CHANGELIST = "admin:monitors_monitor_changelist"


def make(name, kind="http", tags=("prod",), **fields):
    return monitor_save(Monitor(name=name, kind=kind, **{**KIND_SETTINGS[kind], **fields}), tags=list(tags))


def make_many(count, start=0):
    kinds = list(KIND_SETTINGS)
    for i in range(start, start + count):
        make(f"monitor-{i:03}", kinds[i % len(kinds)], tags=["prod", f"team-{i % 3}"])


def change_url(monitor):
    return reverse("admin:monitors_monitor_change", args=[monitor.pk])


def change_form_data(client, monitor, **changes):
    """What the browser would post back from the change page, with `changes` applied."""
    form = client.get(change_url(monitor)).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    return {**data, **changes, "_save": "Save"}


def run_action(client, action, monitors):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [m.pk for m in monitors]},
        follow=True,
    )


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_client(superadmin):
    client = Client()
    client.force_login(superadmin)
    return client


# The list -------------------------------------------------------------------


def test_list_shows_every_kind_with_a_query_count_that_does_not_grow(admin_client):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse(CHANGELIST))
        assert response.status_code == 200
        return len(queries), response

    make_many(5)
    with_5, _ = count_queries()
    make_many(25, start=5)
    with_30, response = count_queries()

    assert with_30 == with_5
    page = response.content.decode()
    for kind in KIND_SETTINGS:
        assert KINDS[kind].LABEL in page
    assert "monitor-029" in page
    assert "team-2" in page  # tags column
    assert "background:#5f6673" in page  # the "not checked" badge


def test_list_filters_and_search(admin_client):
    make("api", "http", url="https://api.example.com/")
    make("db port", "tcp")

    by_kind = admin_client.get(reverse(CHANGELIST), {"kind__exact": "tcp"})
    by_search = admin_client.get(reverse(CHANGELIST), {"q": "api.example"})

    assert [m.name for m in by_kind.context["cl"].result_list] == ["db port"]
    assert [m.name for m in by_search.context["cl"].result_list] == ["api"]


# Actions --------------------------------------------------------------------


def test_pause_and_resume_actions_go_through_the_services(admin_client):
    first, second = make("first"), make("second")

    paused = run_action(admin_client, "pause", [first, second])
    assert message_texts(paused) == ["Paused 2 monitors."]
    first.refresh_from_db()
    assert (first.paused, first.status) == (True, Status.PAUSED)
    assert StateChange.objects.filter(monitor=first, reason="paused").count() == 1

    resumed = run_action(admin_client, "resume", [first])
    assert message_texts(resumed) == ["Resumed 1 monitor."]
    first.refresh_from_db()
    assert (first.paused, first.status) == (False, Status.NOT_CHECKED)


def test_check_now_runs_real_checks_and_reports_the_counts(admin_client, http_target):
    ok = make("site ok", url=http_target.route("/ok", status=200))
    broken = make("site broken", url=http_target.route("/broken", status=500))
    heartbeat = make("nightly job", "heartbeat")
    waiting = make("never pinged", "heartbeat")
    assert Client().get(f"/ping/{heartbeat.ping_uuid}").status_code == 200

    response = run_action(admin_client, "check_now", [ok, broken, heartbeat, waiting])

    assert message_texts(response) == [
        "Checked 3 monitors: 2 up, 1 down; 1 not checked (paused, or a heartbeat waiting for its first ping)."
    ]
    assert http_target.hits == {"/ok": 1, "/broken": 1}
    statuses = dict(Monitor.objects.values_list("name", "status"))
    assert statuses == {
        "site ok": Status.UP,
        "site broken": Status.SEEMS_DOWN,
        "nightly job": Status.UP,
        "never pinged": Status.NOT_CHECKED,
    }
    assert len(all_results()) == 3


# The change form ---------------------------------------------------------------


def test_heartbeat_change_page_shows_its_ping_urls_and_recent_history(admin_client):
    heartbeat = make("backup job", "heartbeat")
    Client().get(f"/ping/{heartbeat.ping_uuid}")
    monitors_check_now([heartbeat.pk])  # not checked → up: one result, one state change
    now = timezone.now()
    add_to_rollups([
        Recorded(heartbeat.pk, 60, None, Entry(now - timedelta(minutes=i + 1), Status.DOWN, detail=f"old-detail-{i:02}"))
        for i in reversed(range(25))
    ])

    page = admin_client.get(change_url(heartbeat)).content.decode()

    for url in (heartbeat.ping_url, f"{heartbeat.ping_url}/start", f"{heartbeat.ping_url}/fail"):
        assert f"<code>{url}</code>" in page
    assert "old-detail-00" in page and "old-detail-18" in page  # the newest 20: 1 real + 19
    assert "old-detail-19" not in page
    assert "Last 10 state changes" in page
    assert f"?monitor__id__exact={heartbeat.pk}" in page


def test_http_change_page_has_no_ping_urls(admin_client):
    monitor = make("site")

    page = admin_client.get(change_url(monitor)).content.decode()

    assert "/ping/" not in page
    assert "No checks yet." in page


def test_stored_secrets_never_appear_in_the_admin(admin_client):
    database = make("db", "postgres")
    site = make("site", auth_user="vigil", auth_password="pw-secret-456", headers={"X-Token": "hdr-secret-789"})

    pages = [admin_client.get(change_url(database)), admin_client.get(change_url(site))]
    pages.append(admin_client.get(reverse(CHANGELIST)))

    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        for secret in ("dsn-secret-123", "pw-secret-456", "hdr-secret-789"):
            assert secret not in page
    site_page = pages[1].content.decode()
    assert "Leave blank to keep the current headers (1 set)" in site_page
    assert "A password is set. Leave blank to keep it." in site_page


def test_blank_secrets_keep_the_stored_values(admin_client):
    database = make("db", "postgres")
    site = make("site", auth_password="pw-secret-456", headers={"X-Token": "hdr-secret-789"})

    for monitor, secrets in ((database, ["dsn"]), (site, ["auth_password", "headers"])):
        data = change_form_data(admin_client, monitor, name=f"{monitor.name} renamed")
        assert [data[secret] for secret in secrets] == [""] * len(secrets)
        response = admin_client.post(change_url(monitor), data)
        assert response.status_code == 302, response.context["adminform"].form.errors

    database.refresh_from_db()
    site.refresh_from_db()
    assert (database.name, database.dsn) == ("db renamed", KIND_SETTINGS["postgres"]["dsn"])
    assert (site.name, site.auth_password, site.headers) == ("site renamed", "pw-secret-456", {"X-Token": "hdr-secret-789"})


def test_secrets_can_be_replaced_and_cleared(admin_client):
    site = make("site", auth_password="pw-secret-456", headers={"X-Token": "hdr-secret-789"})

    admin_client.post(change_url(site), change_form_data(admin_client, site, auth_password="new-pw", headers='{"A": "b"}'))
    site.refresh_from_db()
    assert (site.auth_password, site.headers) == ("new-pw", {"A": "b"})

    admin_client.post(change_url(site), change_form_data(admin_client, site, clear_auth_password=True, headers="{}"))
    site.refresh_from_db()
    assert (site.auth_password, site.headers) == ("", {})


def test_headers_can_be_cleared_with_their_box(admin_client):
    site = make("site", headers={"X-Token": "hdr-secret-789"})

    admin_client.post(change_url(site), change_form_data(admin_client, site, clear_headers=True))

    site.refresh_from_db()
    assert site.headers == {}


def test_typed_secrets_are_not_rendered_back_into_a_form_with_errors(admin_client):
    site = make("site")
    typed = {"auth_password": "pw-typed-111", "headers": '{"X-Token": "hdr-typed-222"}', "dsn": "dsn-typed-333"}

    response = admin_client.post(change_url(site), change_form_data(admin_client, site, interval=10, **typed))

    assert response.context["adminform"].form.errors
    page = response.content.decode()
    assert [secret for secret in ("pw-typed-111", "hdr-typed-222", "dsn-typed-333") if secret in page] == []


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"interval": 10}, "interval", "greater than or equal to 20"),
        ({"url": "ftp://files.example.com/"}, "url", "Only http:// and https:// URLs can be checked."),
        ({"headers": "[1, 2]"}, "headers", "Give a JSON object"),
        ({"clear_auth_password": True, "kind": "postgres", "clear_dsn": True}, "dsn", "needs a DSN"),
    ],
)
def test_invalid_settings_are_shown_on_their_field(admin_client, changes, field, message):
    site = make("site", url="https://example.com/", auth_password="pw-secret-456")

    response = admin_client.post(change_url(site), change_form_data(admin_client, site, **changes))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    page = response.content.decode()
    assert message in page.replace("&quot;", '"')
    assert "pw-secret-456" not in page
    site.refresh_from_db()
    assert (site.interval, site.url, site.kind) == (60, "https://example.com/", "http")


def test_adding_a_monitor_goes_through_monitor_save_and_keeps_its_tags(admin_client):
    tag_source = make("tagged", tags=["prod", "edge"])
    data = change_form_data(admin_client, tag_source, name="new site", url="https://new.example.com/")
    data.pop("_save")

    response = admin_client.post(reverse("admin:monitors_monitor_add"), {**data, "_save": "Save"})

    assert response.status_code == 302
    created = Monitor.objects.get(name="new site")
    assert sorted(created.tags.values_list("name", flat=True)) == ["edge", "prod"]
    assert created.status == Status.NOT_CHECKED
    assert created.next_check_at <= timezone.now()


def test_tags_autocomplete_finds_tags_by_name(admin_client):
    make("tagged", tags=["prod", "edge", "preview"])

    response = admin_client.get(
        "/admin/autocomplete/", {"app_label": "monitors", "model_name": "monitor", "field_name": "tags", "term": "pr"}
    )

    assert [item["text"] for item in response.json()["results"]] == ["preview", "prod"]


# Who may use it -------------------------------------------------------------------


@pytest.mark.parametrize("is_staff, expected", [(False, 302), (True, 403)])
def test_anyone_but_a_super_admin_is_refused(staff_user, is_staff, expected):
    staff_user.is_staff = is_staff
    staff_user.save()
    client = Client()
    client.force_login(staff_user)
    monitor = make("site")

    assert client.get(reverse(CHANGELIST)).status_code == expected
    assert client.get(change_url(monitor)).status_code == expected
    assert client.post(change_url(monitor), {"name": "taken over"}).status_code == expected
    monitor.refresh_from_db()
    assert monitor.name == "site"


def _state_change():
    return make("site").state_changes.create(
        from_status=Status.UP, to_status=Status.DOWN, changed_at=timezone.now(), reason="connection refused"
    )


def _lease():
    return RunnerLease.objects.create(slot=1, holder="box-1:4242", expires_at=timezone.now(), renewed_at=timezone.now())


def _event():
    return Event.objects.create(
        kind="monitor_down",
        source_key="monitor:1",
        severity="P1",
        summary="site is down",
        dedup_key="monitor:1:down",
        occurred_at=timezone.now(),
    )


@pytest.mark.parametrize(
    "model, make_row, shown",
    [(StateChange, _state_change, "connection refused"), (RunnerLease, _lease, "box-1:4242"), (Event, _event, "site is down")],
)
def test_engine_records_are_read_only(admin_client, model, make_row, shown):
    row = make_row()
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"

    listing = admin_client.get(reverse(f"{name}_changelist"))
    detail = admin_client.get(reverse(f"{name}_change", args=[row.pk]))

    assert listing.status_code == 200
    assert shown in listing.content.decode()
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get(reverse(f"{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"{name}_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()
