"""Every link lands where its reader can act: messages link the incident page (or the
post-mortem form), references are links on every page, runbooks have pages of their own,
and the banner names what is affected."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from incidents.delivery import deliver_pending
from incidents.events import NewEvent, receive_events
from incidents.lifecycle import escalate_and_remind
from incidents.models import AlertRule, Channel, Incident, Notification, Runbook
from incidents.updates import postmortem_remind
from monitors.models import Monitor
from portal.dashboards.kpi_report import send_weekly_report
from tests.support.receivers import SlackWebhook
from tests.portal.test_dashboard import make_incident, make_monitor
from tests.portal.test_kpi_report import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack():
    receiver = SlackWebhook().start()
    yield receiver
    receiver.stop()


def open_p0(slack):
    AlertRule.objects.all().delete()
    channel = Channel.objects.create(name="slack", kind="slack", url=slack.url("/services/T0/B0/x"))
    rule = AlertRule.objects.create(name="down", event_kinds=["monitor_down"], repeat_every=3600)
    rule.channels.add(channel)
    rule.escalation_channels.add(channel)
    with transaction.atomic():
        receive_events([NewEvent(kind="monitor_down", source_key="monitor:1", severity="P0", summary="api is down",
                                 dedup_key="monitor:1:down", occurred_at=timezone.now())])
    return Incident.objects.get()


@pytest.mark.django_db(transaction=True)  # deliveries run on threads with their own connections
def test_alerts_and_escalations_link_the_incident_page_not_the_admin(slack, settings):
    incident = open_p0(slack)
    deliver_pending()
    Incident.objects.filter(pk=incident.pk).update(opened_at=timezone.now() - timedelta(minutes=16))
    escalate_and_remind()
    deliver_pending()

    page = f"{settings.VIGIL_BASE_URL}/incidents/{incident.ref}/"
    texts = [str(body) for body in slack.bodies()]
    assert len(texts) == 2 and "Escalated" in texts[1]
    assert all(page in text for text in texts)
    assert not any("/admin/" in text for text in texts)


@pytest.mark.django_db(transaction=True)
def test_a_post_mortem_reminder_links_the_post_mortem_form(slack, settings):
    incident = open_p0(slack)
    deliver_pending()
    Incident.objects.filter(pk=incident.pk).update(status="resolved", resolved_at=timezone.now())

    assert postmortem_remind([incident]) == 1
    deliver_pending()

    alert, reminder = slack.bodies()
    assert f"{settings.VIGIL_BASE_URL}/incidents/{incident.ref}/postmortem/" in str(reminder)
    assert Notification.objects.get(kind="notice").payload["postmortem_url"].endswith(f"/incidents/{incident.ref}/postmortem/")


def test_an_engineer_following_a_message_link_signs_in_and_lands_on_the_page(engineer):
    incident = make_incident("INC-2026-007", opened=timezone.now())
    client = Client()

    answer = client.get(incident.get_absolute_url())
    assert answer.status_code == 302
    assert answer["Location"] == f"/accounts/login/?next=/incidents/{incident.ref}/"

    signed_in = client.post(answer["Location"], {"username": "engineer", "password": "pw-engineer-123"})
    assert signed_in.status_code == 302 and signed_in["Location"] == f"/incidents/{incident.ref}/"
    page = client.get(signed_in["Location"])
    assert page.status_code == 200 and "INC-2026-007 api is down" in page.content.decode()


def test_the_weekly_report_links_each_incident_and_action_item(smtp, superadmin, settings):
    from incidents.models import ActionItem, PostMortem

    incident = make_incident("INC-2026-003", opened=timezone.now() - timedelta(days=1))
    ActionItem.objects.create(postmortem=PostMortem.objects.create(incident=incident), description="add a replica")

    assert send_weekly_report() == 1

    [message] = smtp.messages
    text = text_of(message)
    assert f"{settings.VIGIL_BASE_URL}/incidents/INC-2026-003/\n" in text
    assert f"{settings.VIGIL_BASE_URL}/incidents/INC-2026-003/postmortem/\n" in text
    assert "/admin/" not in message["data"]


def test_references_are_links_on_the_dashboard_and_the_internal_status_page(role_clients):
    make_incident("INC-2026-011", opened=timezone.now())
    link = '<a href="/incidents/INC-2026-011/">INC-2026-011</a>'

    assert link in role_clients["super_admin"].get("/dashboard/monitoring/panels").content.decode()
    assert link in role_clients["staff"].get("/status/internal/").content.decode()


def test_the_admins_incident_page_has_view_on_site(admin_client):
    incident = make_incident("INC-2026-012", opened=timezone.now())

    page = admin_client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    assert "View on site" in page
    # The admin's own redirect to the page, as the "View on site" button follows it.
    follow = admin_client.get(f"/admin/r/{_content_type(Incident)}/{incident.pk}/")
    assert follow.status_code == 302 and follow["Location"].endswith("/incidents/INC-2026-012/")


def _content_type(model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model).pk


def test_runbooks_have_a_list_and_pages_for_staff_linked_from_the_menu(role_clients):
    Runbook.objects.create(title="Database down", body="# Steps\n\n1. Check `pg_isready`\n\n<script>x</script>",
                           tags=["db"])
    Runbook.objects.create(title="API slow", body="Look at the p95.")

    listing = role_clients["staff"].get("/runbooks/").content.decode()
    assert '<a href="/runbooks/">Runbooks</a>' in listing  # the menu
    assert listing.index("API slow") < listing.index("Database down")
    runbook = Runbook.objects.get(title="Database down")
    assert f'href="/runbooks/{runbook.pk}/"' in listing and "tags db" in listing

    page = role_clients["engineer"].get(f"/runbooks/{runbook.pk}/").content.decode()
    assert "<h1>Steps</h1>" in page and "<code>pg_isready</code>" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert '<a href="/runbooks/">Runbooks</a>' in page  # the site's frame, not a bare page

    assert role_clients["no_role"].get("/runbooks/").status_code == 403
    assert role_clients["anonymous"].get("/runbooks/").status_code == 302


def test_the_banner_names_what_is_down_then_counts_the_rest(role_clients):
    for name in ("search", "api", "web", "db", "cron"):
        make_monitor(name, status="down")
    make_monitor("mail")

    page = role_clients["staff"].get("/status/internal/").content.decode()
    assert "5 monitors are down: api, cron, db and 2 more." in page


def test_the_banner_lists_every_name_when_few_and_down_comes_before_maintenance(role_clients):
    make_monitor("web", status="down")
    make_monitor("api", status="down")
    make_monitor("backup", status="down", in_maintenance=True)

    page = role_clients["staff"].get("/incidents/").content.decode()
    assert "2 monitors are down: api, web." in page
    assert "maintenance" not in page.split('id="system-banner"')[1].split("</div>")[0]

    Monitor.objects.filter(status="down", in_maintenance=False).update(status="up")
    page = role_clients["staff"].get("/incidents/").content.decode()
    assert "1 monitor is in maintenance: backup." in page
