"""Runbooks: which one applies, how it is shown, and that notifications link it."""

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from incidents.models import AlertRule, Channel, Incident, Notification, Runbook, Source
from incidents.runbooks import load, render_markdown, runbook_for_incident

SEEDED = {
    "Backend returning 500 errors",
    "Frontend not loading",
    "Database connection issues",
    "SSL certificate issues",
}


@pytest.fixture
def source(db):
    return Source.objects.create(key="monitor:7", kind=Source.Kind.MONITOR, name="orders-db", tags=["database", "prod"])


@pytest.fixture
def rule(db):
    channel = Channel.objects.create(name="ops", kind="email", recipients="ops@example.com")
    rule = AlertRule.objects.create(name="everything")
    rule.channels.add(channel)
    return rule


def down(source_key="monitor:7"):
    return NewEvent(
        kind="monitor_down",
        source_key=source_key,
        severity="",
        summary="orders-db is down",
        dedup_key=f"{source_key}:down",
        occurred_at=timezone.now(),
    )


def make(title, **attached):
    sources, rules = attached.pop("sources", []), attached.pop("rules", [])
    runbook = Runbook.objects.create(title=title, body=f"# {title}", **attached)
    runbook.sources.set(sources)
    runbook.rules.set(rules)
    return runbook


@pytest.mark.django_db
def test_the_seed_runbooks_exist_as_editable_rows():
    assert SEEDED <= set(Runbook.objects.values_list("title", flat=True))
    assert "pg_isready" in Runbook.objects.get(title="Database connection issues").body


@pytest.mark.django_db
def test_the_most_specific_runbook_wins_source_then_tag_then_rule(source, rule):
    Runbook.objects.all().delete()
    by_rule = make("by rule", rules=[rule])
    assert load().pick(source, [rule]) == by_rule
    by_tag = make("by tag", tags=["prod"])
    assert load().pick(source, [rule]) == by_tag
    by_source = make("by source", sources=[source])
    assert load().pick(source, [rule]) == by_source
    other = Source.objects.create(key="monitor:8", kind=Source.Kind.MONITOR, name="web", tags=["frontend"])
    assert load().pick(other, [rule]) == by_rule
    assert load().pick(other, []) is None
    assert load().pick(None, []) is None


def test_markdown_is_rendered_and_raw_html_is_not():
    html = render_markdown(
        "# Steps\n\n1. run `pg_isready`\n\n<script>alert('x')</script>\n\n"
        "[bad](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    assert "<h1>Steps</h1>" in html and "<code>pg_isready</code>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and 'href="javascript:' not in html


@pytest.mark.django_db
def test_a_notification_links_the_matching_runbook_when_the_rule_has_no_runbook_url(source, rule, role_clients):
    runbook = Runbook.objects.get(title="Database connection issues")  # seeded, tag "database"
    with transaction.atomic():
        receive_events([down()])
    link = Notification.objects.get().payload["runbook_url"]
    assert link.startswith(settings.VIGIL_BASE_URL + "/runbooks/match/?")
    page = role_clients["staff"].get(link.removeprefix(settings.VIGIL_BASE_URL))
    assert page.status_code == 200 and page.context["runbook"] == runbook
    assert b"pg_isready" in page.content


@pytest.mark.django_db
def test_a_rules_own_runbook_url_still_wins(source, rule):
    AlertRule.objects.filter(pk=rule.pk).update(runbook_url="https://wiki.example.com/db")
    with transaction.atomic():
        receive_events([down()])
    assert Notification.objects.get().payload["runbook_url"] == "https://wiki.example.com/db"


@pytest.mark.django_db
def test_the_link_shows_a_runbook_written_after_the_alert(rule, role_clients):
    with transaction.atomic():
        receive_events([down("monitor:99")])
    link = Notification.objects.get().payload["runbook_url"].removeprefix(settings.VIGIL_BASE_URL)
    page = role_clients["staff"].get(link)
    assert page.status_code == 200 and page.context["runbook"] is None and b"No runbook yet" in page.content
    written = make("catch-all", rules=[rule])
    assert role_clients["staff"].get(link).context["runbook"] == written
    assert role_clients["anonymous"].get(link).status_code == 302
    assert role_clients["no_role"].get(link).status_code == 403


@pytest.mark.django_db
def test_writing_a_notification_reads_no_runbook(source, rule):
    with transaction.atomic():
        receive_events([down()])
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        receive_events([down("monitor:8")])
    assert not [query for query in queries.captured_queries if "incidents_runbook" in query["sql"]]


@pytest.mark.django_db
def test_the_incident_page_gets_its_runbook(source, rule, role_clients):
    with transaction.atomic():
        receive_events([down()])
    incident = Incident.objects.get()
    runbook = runbook_for_incident(incident)
    assert runbook.title == "Database connection issues"
    page = role_clients["staff"].get(f"/incidents/{incident.ref}/").content.decode()
    assert f'href="/runbooks/{runbook.pk}/"' in page and "Database connection issues" in page


@pytest.mark.django_db
def test_the_runbook_page_is_for_staff_and_above(role_clients):
    runbook = Runbook.objects.create(title="Disk full", body="## Free space\n\n<script>alert(1)</script>")
    url = f"/runbooks/{runbook.pk}/"
    for role in ("staff", "engineer", "super_admin"):
        response = role_clients[role].get(url)
        assert response.status_code == 200, role
        assert b"<h2>Free space</h2>" in response.content and b"<script>alert" not in response.content
    assert role_clients["no_role"].get(url).status_code == 403
    assert role_clients["anonymous"].get(url).status_code == 302
    assert role_clients["staff"].get("/runbooks/999999/").status_code == 404
