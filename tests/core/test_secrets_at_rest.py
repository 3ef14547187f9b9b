"""Monitor secrets (password, headers, DSN) and a backup source's database URL are
encrypted at rest and write-only, whichever way they are written (admin, API, config
file): the raw database, the admin pages, the API and exports never hold them in clear,
while checks and verifications still use them."""

import base64
import json
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from backups.models import BackupSource
from backups.services import backup_verify_now
from monitors.models import Monitor, Status
from monitors.services import monitors_check_now
from tests.support.pg_dumps import needs_postgres, source_db  # noqa: F401 (fixture)
from tests.support.raw_database import found_in_database
from tests.support.servers import Recorder

pytestmark = pytest.mark.django_db(transaction=True)

PATHS = ("admin", "api", "config")


def secrets_of(path):
    """Distinct secrets per write path, so a leak names its path."""
    return {
        "password": f"pw-{path}-Kq31",
        "token": f"tok-{path}-Wd58",
        "dsn_password": f"dsn-{path}-Hm24",
        "source_password": f"src-{path}-Tz96",
    }


def http_settings(path, url="http://127.0.0.1:9/"):
    found = secrets_of(path)
    return {"url": url, "auth_user": "vigil", "auth_password": found["password"],
            "headers": {"Authorization": f"Bearer {found['token']}", "X-Env": "prod"}}


def dsn(path):
    return f"host=127.0.0.1 port=5432 user=postgres dbname=postgres password={secrets_of(path)['dsn_password']}"


def source_url(path):
    return f"postgres://postgres:{secrets_of(path)['source_password']}@127.0.0.1:5432/postgres"


def every_secret():
    return [secret for path in PATHS for secret in secrets_of(path).values()]


@pytest.fixture
def admin_client(superadmin):
    client = Client()
    client.force_login(superadmin)
    return client


@pytest.fixture
def api(superadmin):
    client = APIClient()
    client.force_login(superadmin)
    return client


# Writing them --------------------------------------------------------------------------


def post_add_form(client, model, **values):
    """The admin's add form as a browser posts it: its initial values with `values` typed in.
    A monitor's add form is the one of its kind (the page a kind link opens)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    if "kind" in values:
        url += f"?kind={values['kind']}"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, [], {})}
    return client.post(url, {**data, **values, "_save": "Save"})


def admin_add(client, model, **values):
    response = post_add_form(client, model, **values)
    assert response.status_code == 302, response.context["adminform"].form.errors


def save_through_the_admin(client):
    settings = http_settings("admin")
    admin_add(client, Monitor, name="admin-http", kind="http", **{**settings, "headers": json.dumps(settings["headers"])})
    admin_add(client, Monitor, name="admin-pg", kind="postgres", dsn=dsn("admin"))
    admin_add(client, BackupSource, name="admin-backup", path="/backups/*.dump", format="pg_dump",
              critical_tables="[]", expected_rows="{}", source_database_url=source_url("admin"))


def save_through_the_api(api):
    for fields in ({"name": "api-http", "kind": "http", **http_settings("api")},
                   {"name": "api-pg", "kind": "postgres", "dsn": dsn("api")}):
        response = api.post("/api/monitors/", fields, format="json")
        assert response.status_code == 201, response.json()


def save_through_a_config_file(tmp_path):
    document = {
        "monitors": [{"name": "config-http", "kind": "http", **http_settings("config")},
                     {"name": "config-pg", "kind": "postgres", "dsn": dsn("config")}],
        "backup_sources": [{"name": "config-backup", "path": "/backups/*.dump",
                            "source_database_url": source_url("config")}],
    }
    apply_file(tmp_path / "vigil.yaml", yaml.safe_dump(document))


def apply_file(path, text):
    path.write_text(text)
    call_command("apply_config", str(path), stdout=StringIO(), stderr=StringIO())


def export():
    out = StringIO()
    call_command("export_config", stdout=out)
    return out.getvalue()


@pytest.fixture
def saved_every_way(admin_client, api, tmp_path):
    save_through_the_admin(admin_client)
    save_through_the_api(api)
    save_through_a_config_file(tmp_path)


def stored_secrets():
    monitors = {m.name: m for m in Monitor.objects.all()}
    return {
        path: (
            monitors[f"{path}-http"].auth_password,
            monitors[f"{path}-http"].headers,
            monitors[f"{path}-pg"].dsn,
            BackupSource.objects.get(name=f"{path}-backup").source_database_url if path != "api" else None,
        )
        for path in PATHS
    }


def expected_secrets():
    return {
        path: (
            secrets_of(path)["password"],
            http_settings(path)["headers"],
            dsn(path),
            source_url(path) if path != "api" else None,
        )
        for path in PATHS
    }


# At rest ---------------------------------------------------------------------------------


def test_no_secret_is_in_the_raw_database_yet_each_reads_back(saved_every_way):
    assert found_in_database(*every_secret(), "X-Env") == []
    assert stored_secrets() == expected_secrets()


# Write-only -------------------------------------------------------------------------------


def test_admin_pages_api_answers_and_exports_never_show_them(saved_every_way, admin_client, api):
    pages = [admin_client.get(reverse("admin:monitors_monitor_changelist")),
             admin_client.get(reverse("admin:backups_backupsource_changelist"))]
    pages += [admin_client.get(reverse("admin:monitors_monitor_change", args=[m.pk])) for m in Monitor.objects.all()]
    pages += [admin_client.get(reverse("admin:backups_backupsource_change", args=[s.pk]))
              for s in BackupSource.objects.all()]
    answers = [api.get("/api/monitors/")] + [api.get(f"/api/monitors/{m.pk}/") for m in Monitor.objects.all()]
    texts = [response.content.decode() for response in pages + answers] + [export()]

    assert all(response.status_code == 200 for response in pages + answers)
    assert [secret for secret in every_secret() if any(secret in text for text in texts)] == []
    assert "A source database URL is set. Leave blank to keep it." in pages[-1].content.decode()


def test_reapplying_an_exported_file_keeps_the_stored_secrets(saved_every_way, tmp_path):
    apply_file(tmp_path / "exported.yaml", export())

    assert stored_secrets() == expected_secrets()


def test_a_backup_sources_url_is_kept_when_left_blank_and_emptied_when_cleared(admin_client):
    admin_add(admin_client, BackupSource, name="shop", path="/backups/*.dump", format="pg_dump", critical_tables="[]",
              expected_rows="{}", source_database_url=source_url("admin"))
    source = BackupSource.objects.get()
    url = reverse("admin:backups_backupsource_change", args=[source.pk])
    data = {name: value for name, value in admin_client.get(url).context["adminform"].form.initial.items()
            if name in ("name", "path", "format", "max_age", "min_size_mb", "schedule", "restore_test")}
    data.update(critical_tables="[]", expected_rows="{}", _save="Save")

    assert admin_client.post(url, {**data, "name": "shop-2"}).status_code == 302
    assert BackupSource.objects.values_list("name", "source_database_url").get() == ("shop-2", source_url("admin"))
    assert admin_client.post(url, {**data, "clear_source_database_url": "on"}).status_code == 302
    assert BackupSource.objects.get().source_database_url == ""


# Used where they are needed ---------------------------------------------------------------


@needs_postgres
def test_checks_use_the_decrypted_headers_and_dsn(api, http_target):
    recorder = Recorder()
    url = http_target.route("/private", handler=recorder)
    bearer_only = {**http_settings("api", url), "auth_user": "", "auth_password": ""}
    for fields in ({"name": "api-http", "kind": "http", "confirmations": 1, **bearer_only},
                   {"name": "api-pg", "kind": "postgres", "confirmations": 1, "dsn": dsn("api")}):
        assert api.post("/api/monitors/", fields, format="json").status_code == 201

    report = monitors_check_now(list(Monitor.objects.values_list("pk", flat=True)))

    assert (report.checked, report.up) == (2, 2), list(Monitor.objects.values_list("name", "last_detail"))
    assert set(Monitor.objects.values_list("status", flat=True)) == {Status.UP}
    headers = recorder.requests[0]["headers"]
    assert headers["Authorization"] == f"Bearer {secrets_of('api')['token']}"
    assert headers["X-Env"] == "prod"
    assert found_in_database(secrets_of("api")["token"], secrets_of("api")["dsn_password"]) == []


def test_basic_auth_is_sent_from_the_decrypted_password(api, http_target):
    recorder = Recorder()
    url = http_target.route("/basic", handler=recorder)
    fields = {**http_settings("api", url), "headers": {}}
    assert api.post("/api/monitors/", {"name": "basic", "kind": "http", **fields}, format="json").status_code == 201

    monitors_check_now([Monitor.objects.get().pk])

    credentials = base64.b64encode(f"vigil:{secrets_of('api')['password']}".encode()).decode()
    assert recorder.requests[0]["headers"]["Authorization"] == f"Basic {credentials}"


def test_a_verification_uses_the_decrypted_source_url(admin_client, source_db, settings, tmp_path):  # noqa: F811
    settings.BACKUP_RESTORE_DATABASE_URL = "postgres://postgres@localhost:5432/postgres"
    source_db.dump(tmp_path / "shop.dump")
    admin_add(admin_client, BackupSource, name="shop", path=str(tmp_path / "shop.dump"), format="pg_dump",
              min_size_mb="0.001", critical_tables="[]", expected_rows="{}", source_database_url=source_url("admin"))

    run = backup_verify_now(BackupSource.objects.get())

    restore = next(check for check in run.verification_details if check["name"] == "restore")
    assert restore["message"].startswith("refused: BACKUP_RESTORE_DATABASE_URL is the backup's own database")
    assert found_in_database(secrets_of("admin")["source_password"]) == []


def test_a_malformed_source_url_is_refused_without_being_quoted(admin_client):
    malformed = "postgresql://u:src-bad-Vn17@127.0.0.1/db?sslmode"

    response = post_add_form(admin_client, BackupSource, name="shop", path="/b/*.dump", critical_tables="[]",
                             expected_rows="{}", source_database_url=malformed)

    errors = response.context["adminform"].form.errors
    assert errors == {"source_database_url": ["Not a PostgreSQL URL (postgres://user:password@host:5432/db)."]}
    assert "src-bad-Vn17" not in response.content.decode()
    assert not BackupSource.objects.exists()
