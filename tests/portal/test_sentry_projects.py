"""Sentry projects as rows: the admin (super admins only), the `sentry_projects:` config
section (apply, validate, export), and their labels."""

import textwrap
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.models import SentryProject

pytestmark = pytest.mark.django_db
ADD = "/admin/portal/sentryproject/add/"

CONFIG = """
sentry_projects:
  - slug: dutycall-backend
    error_threshold: 50
    window: 5m
  - slug: dutycall-frontend
    label: web
    error_threshold: 100
    window: 10m
"""


def apply(tmp_path, text, *args):
    path = tmp_path / "vigil.yaml"
    path.write_text(textwrap.dedent(text))
    out = StringIO()
    call_command("apply_config", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def problems(tmp_path, text):
    with pytest.raises(CommandError) as caught:
        apply(tmp_path, text)
    return str(caught.value)


def export():
    out = StringIO()
    call_command("export_config", stdout=out)
    return out.getvalue()


def test_the_section_creates_one_row_per_project(tmp_path):
    apply(tmp_path, CONFIG)

    rows = SentryProject.objects.values_list("slug", "label", "error_threshold", "window")
    assert list(rows) == [("dutycall-backend", "", 50, 300), ("dutycall-frontend", "web", 100, 600)]
    assert [p.shown_label for p in SentryProject.objects.all()] == ["backend", "web"]
    assert "No changes (2 unchanged)." in apply(tmp_path, CONFIG)


def test_the_section_exports_what_it_applies(tmp_path):
    apply(tmp_path, CONFIG)

    exported = export()

    assert "sentry_projects:\n- slug: dutycall-backend\n- slug: dutycall-frontend\n" in exported  # defaults left out
    assert "  label: web\n  error_threshold: 100\n  window: 10m\n" in exported
    SentryProject.objects.all().delete()
    (tmp_path / "again.yaml").write_text(exported)
    call_command("apply_config", str(tmp_path / "again.yaml"), stdout=StringIO())
    assert SentryProject.objects.count() == 2


@pytest.mark.parametrize(
    "item, message",
    [
        ("- slug: api\n    error_threshold: 0", 'sentry_projects[0] "api": error_threshold: must be at least 1'),
        ("- slug: api\n    window: 2h", 'sentry_projects[0] "api": window: must be at most 1h'),
        ("- slug: api\n    window: 30s", 'sentry_projects[0] "api": window: must be at least 1m'),
        ("- slug: api\n    window: soon", 'sentry_projects[0] "api": window:'),
        ("- slug: api\n    label: Back End", 'sentry_projects[0] "api": label: lower-case letters'),
        ("- slug: a b", 'sentry_projects[0] "a b": slug:'),
        ("- label: web", "sentry_projects[0]: slug: required"),
        ("- slug: api\n    treshold: 5", 'sentry_projects[0] "api": treshold: unknown key'),
        ("- slug: a-api\n  - slug: b-api", 'sentry_projects[1] "b-api": label: "api" is already the label of'),
    ],
)
def test_bad_items_are_refused_with_a_clear_line(tmp_path, item, message):
    found = problems(tmp_path, f"sentry_projects:\n  {item}\n")

    assert message.lower() in found.lower()
    assert not SentryProject.objects.exists()


def test_the_admin_adds_a_project(admin_client):
    response = admin_client.post(ADD, {"slug": "dutycall-backend", "label": "", "error_threshold": "50", "window": "300"})

    assert response.status_code == 302
    assert SentryProject.objects.get().shown_label == "backend"
    assert "backend" in admin_client.get("/admin/portal/sentryproject/").content.decode()


def test_the_admin_refuses_a_label_already_taken(admin_client):
    SentryProject.objects.create(slug="dutycall-backend")

    response = admin_client.post(ADD, {"slug": "other-backend", "label": "", "error_threshold": "50", "window": "300"})

    assert response.status_code == 200
    assert "already the label of dutycall-backend" in response.content.decode()


@pytest.mark.parametrize("role", ["no_role", "staff", "engineer"])
def test_only_super_admins_see_the_projects_in_the_admin(role_clients, role):
    assert role_clients[role].get("/admin/portal/sentryproject/").status_code in (302, 403)
