"""Monitor kinds as plug-ins: the registry drives the admin, the model's attributes and the
engine's special cases, so no code outside a kind's folder names the kind."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from monitors.kinds import KINDS
from monitors.models import Monitor
from monitors.services import monitor_save

ADD = "admin:monitors_monitor_add"


@pytest.fixture
def admin_client(superadmin):
    client = Client()
    client.force_login(superadmin)
    return client


def test_the_add_page_offers_each_kind_and_shows_the_chosen_kind_s_settings(admin_client):
    page = admin_client.get(reverse(ADD)).content.decode()
    for name in KINDS:
        assert f'href="?kind={name}"' in page
    form = admin_client.get(reverse(ADD), {"kind": "tcp"}).context["adminform"].form
    assert {"host", "port"} <= set(form.fields) and "url" not in form.fields


def test_choosing_a_kind_and_saving_opens_that_kind_s_form_with_what_was_typed(admin_client):
    response = admin_client.post(reverse(ADD), {"name": "db port", "kind": "tcp", "interval": "120", "_save": "Save"})

    assert response.status_code == 302
    assert not Monitor.objects.exists()
    form = admin_client.get(response["Location"]).context["adminform"].form
    assert (form.initial["name"], form.initial["kind"], form.initial["interval"]) == ("db port", "tcp", "120")
    assert {"host", "port"} <= set(form.fields)


def test_a_kind_s_settings_are_attributes_kept_in_its_documents(db):
    monitor = monitor_save(Monitor(name="db", kind="postgres", dsn="postgresql://u:pw-doc-1@127.0.0.1/app"))
    monitor.refresh_from_db()

    assert monitor.settings == {"query": ""} and monitor.secrets == {"dsn": "postgresql://u:pw-doc-1@127.0.0.1/app"}
    assert monitor.url == "" and monitor.port is None  # other kinds' settings read as their defaults


def test_changing_the_kind_drops_the_old_kind_s_settings(db):
    monitor = monitor_save(Monitor(name="x", kind="http", url="https://example.com/", auth_password="pw-old-2"))
    monitor.kind, monitor.host, monitor.port = "tcp", "db.example", 5432
    monitor_save(monitor)
    monitor.refresh_from_db()

    assert (monitor.settings, monitor.secrets) == ({"host": "db.example", "port": 5432}, {})


def test_only_pinged_kinds_have_ping_urls_and_deadlines(db):
    beat = monitor_save(Monitor(name="job", kind="heartbeat", period=60, grace=30))
    site = monitor_save(Monitor(name="site", kind="http", url="https://example.com/"))

    assert beat.ping_url.endswith(f"/ping/{beat.ping_uuid}") and site.ping_url is None
    assert beat.deadline() == beat.monitoring_since + timedelta(seconds=90) == beat.next_check_at
    assert site.deadline() is None
