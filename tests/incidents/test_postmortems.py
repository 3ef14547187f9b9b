"""Post-mortems through the real form: a draft may be incomplete, publishing needs the
template filled in (a missing root cause says so), action items stay open on the dashboard
until done, the Markdown export, and who is expected to write one and reminded daily."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from incidents.models import ActionItem, Incident, PostMortem
from incidents.postmortem_markdown import postmortem_markdown
from incidents.selectors import open_action_items
from monitors.models import Monitor
from monitors.services import monitor_save
from incidents import postmortems
from portal.schedules import PERIODIC_JOBS

pytestmark = pytest.mark.django_db

COMPLETE = {
    "users_affected": "About 1,200 shoppers",
    "features_unavailable": "Checkout and order history",
    "revenue_impact": "≈ €8,000 in delayed orders",
    "root_cause": "The connection pool was exhausted after a config change halved it.",
    "resolution_steps": "Rolled back the config; restarted the API.",
    "prevention": "Alert on pool saturation; review pool settings in CI.",
}


def monitor(name, slo_target=None):
    return monitor_save(Monitor(name=name, kind="tcp", host="10.9.8.7", port=5432, interval=60, confirmations=1,
                                slo_target=slo_target))


def incident_for(mon, severity="P1", minutes=42, resolved=True):
    key, opened = f"monitor:{mon.pk}", timezone.now() - timedelta(minutes=minutes)
    receive_events([NewEvent("monitor_down", key, severity, f"{mon.name} is down", f"{key}:down", opened)])
    if resolved:
        receive_events([NewEvent("monitor_up", key, severity, f"{mon.name} is up", f"{key}:down", timezone.now())])
    return Incident.objects.filter(source_key=key).latest("opened_at")


def items(*rows):
    data = {"items-TOTAL_FORMS": str(len(rows)), "items-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data.update({f"items-{index}-{name}": value for name, value in row.items()})
    return data


@pytest.fixture
def incident():
    return incident_for(monitor("Checkout API"))


def test_publishing_without_a_root_cause_says_so_and_saves_nothing(role_clients, incident):
    data = {**COMPLETE, "root_cause": "", "publish": "1", **items()}
    response = role_clients["engineer"].post(f"/incidents/{incident.ref}/postmortem/", data)
    assert response.status_code == 400
    assert "The root cause is required to publish." in response.content.decode()
    assert not PostMortem.objects.exists()


def test_a_draft_may_be_incomplete(role_clients, incident, engineer):
    data = {"root_cause": "", "users_affected": "unknown yet", "save": "1", **items()}
    response = role_clients["engineer"].post(f"/incidents/{incident.ref}/postmortem/", data)
    assert response.status_code == 302
    postmortem = PostMortem.objects.get(incident=incident)
    assert (postmortem.status, postmortem.author, postmortem.published_at) == ("draft", engineer, None)


def test_an_engineer_files_a_complete_post_mortem_shown_on_the_incident(role_clients, incident, engineer):
    data = {**COMPLETE, "publish": "1", "public_link": "on", **items(
        {"description": "Alert on pool saturation", "owner": str(engineer.pk), "due_date": "2026-12-24"},
        {"description": "Review pool settings", "owner_name": "Dana (DBA)", "done": "on"},
        {},  # an empty extra row is ignored
    )}
    response = role_clients["engineer"].post(f"/incidents/{incident.ref}/postmortem/", data)
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.ref}/postmortem/"
    postmortem = PostMortem.objects.get(incident=incident)
    assert postmortem.is_published and postmortem.published_at and postmortem.public_link
    assert postmortem.root_cause == COMPLETE["root_cause"]
    assert [(item.description, item.done) for item in postmortem.action_items.all()] == [
        ("Alert on pool saturation", False), ("Review pool settings", True)]
    page = role_clients["staff"].get(f"/incidents/{incident.ref}/").content.decode()
    assert "Published" in page and COMPLETE["root_cause"] in page
    read = role_clients["staff"].get(f"/incidents/{incident.ref}/postmortem/").content.decode()
    assert "Alert on pool saturation" in read and 'name="publish"' not in read


def test_an_action_item_needs_an_owner(role_clients, incident):
    data = {**COMPLETE, "save": "1", **items({"description": "Add an alert"})}
    response = role_clients["engineer"].post(f"/incidents/{incident.ref}/postmortem/", data)
    assert response.status_code == 400 and "Give each action item an owner." in response.content.decode()


def test_a_published_post_mortem_stays_complete(role_clients, incident):
    client, url = role_clients["engineer"], f"/incidents/{incident.ref}/postmortem/"
    client.post(url, {**COMPLETE, "publish": "1", **items()})
    response = client.post(url, {**COMPLETE, "prevention": "", "save": "1", **items()})
    assert response.status_code == 400 and "Say how this will be prevented." in response.content.decode()


def test_open_action_items_for_the_dashboard(incident, engineer):
    postmortem = PostMortem.objects.create(incident=incident, **COMPLETE)
    late = ActionItem.objects.create(postmortem=postmortem, description="Later", owner_name="Ann", due_date=date(2027, 1, 5))
    soon = ActionItem.objects.create(postmortem=postmortem, description="Soon", owner=engineer, due_date=date(2026, 12, 3))
    ActionItem.objects.create(postmortem=postmortem, description="Done", owner_name="Bo", done=True)
    assert list(open_action_items()) == [soon, late]
    assert open_action_items()[0].postmortem.incident == incident


def test_the_markdown_export(role_clients, incident, engineer):
    incident.opened_at = timezone.make_aware(timezone.datetime(2026, 11, 30, 9, 0))
    incident.resolved_at = incident.opened_at + timedelta(minutes=47, seconds=30)
    incident.save()
    postmortem = PostMortem.objects.create(incident=incident, status="published", **COMPLETE)
    ActionItem.objects.create(postmortem=postmortem, description="Alert on pool saturation", owner=engineer,
                              due_date=date(2026, 12, 24))
    ActionItem.objects.create(postmortem=postmortem, description="Review pool settings", owner_name="Dana", done=True)
    response = role_clients["staff"].get(f"/incidents/{incident.ref}/postmortem.md")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    assert response["Content-Disposition"] == f'attachment; filename="{incident.ref}-postmortem.md"'
    text = response.content.decode()
    assert text == postmortem_markdown(postmortem)
    start = timezone.localtime(incident.opened_at).strftime("%Y-%m-%d %H:%M %Z")
    for line in (
        f"# Post-mortem: {incident.ref} Checkout API is down",
        f"- **Incident ID:** {incident.ref}",
        "- **Severity:** P1 high",
        f"- **Start:** {start}",
        "- **Duration:** 47 min 30 s",
        "- **Users affected:** About 1,200 shoppers",
        "## Root cause\n\nThe connection pool was exhausted after a config change halved it.\n",
        "- [ ] Alert on pool saturation (engineer, due 2026-12-24)",
        "- [x] Review pool settings (Dana)",
    ):
        assert line in text, line
    assert role_clients["anonymous"].get(f"/incidents/{incident.ref}/postmortem.md").status_code == 302


def test_who_is_expected_to_write_one():
    plain, strict = monitor("Blog"), monitor("Checkout API", slo_target=Decimal("99.9"))  # budget: 43.2 min / 30 d
    p1 = incident_for(plain, "P1", minutes=5)
    p2_short = incident_for(plain, "P2", minutes=5)
    p2_over_budget = incident_for(strict, "P2", minutes=10)  # 10 min > 20% of 43.2 min
    p3_within = incident_for(strict, "P3", minutes=8)  # 8 min < 8.64 min
    assert postmortems.postmortem_expected([p1, p2_short, p2_over_budget, p3_within]) == [p1, p2_over_budget]
    assert set(postmortems.postmortems_due()) == {p1, p2_over_budget}
    PostMortem.objects.create(incident=p1, status="published", **COMPLETE)
    assert postmortems.postmortems_due() == [p2_over_budget]


def test_the_list_names_incidents_lacking_a_post_mortem(role_clients, incident):
    page = role_clients["staff"].get("/incidents/").content.decode()
    assert 'id="postmortems-due"' in page and f"/incidents/{incident.ref}/postmortem/" in page


def test_a_daily_reminder_to_the_rules_channels_until_published(incident):
    from incidents.models import Channel, Notification, TimelineEntry

    assert any(job.func == "incidents.postmortems.remind_postmortems_due" for job in PERIODIC_JOBS)
    channel = Channel.objects.create(name="ops mail", kind="email", recipients="ops@example.com")
    other = incident_for(monitor("Storefront"), "P0")  # a second one due
    open_one = incident_for(monitor("Search"), "P0", resolved=False)  # still being worked on: no reminder

    def reminders(target):
        return Notification.objects.filter(incident=target, payload__title__startswith="Post-mortem due")

    assert postmortems.remind_postmortems_due() == 2
    assert postmortems.remind_postmortems_due() == 0  # once a day
    (row,) = reminders(incident)
    assert row.channel == channel and row.kind == "notice" and row.payload["incident"] == incident.ref
    assert not reminders(open_one).exists()
    TimelineEntry.objects.filter(kind="reminder").update(at=timezone.now() - timedelta(days=1, minutes=1))
    assert postmortems.remind_postmortems_due() == 2  # a day later
    assert reminders(incident).count() == 2
    TimelineEntry.objects.filter(kind="reminder").update(at=timezone.now() - timedelta(days=2))
    PostMortem.objects.create(incident=incident, status="published", **COMPLETE)
    PostMortem.objects.create(incident=other, status="published", **COMPLETE)
    assert postmortems.remind_postmortems_due() == 0


def test_a_public_page_only_for_a_published_post_mortem_chosen_to_be_linked(client, incident):
    url = f"/incidents/{incident.ref}/postmortem/public/"
    assert client.get(url).status_code == 404
    postmortem = PostMortem.objects.create(incident=incident, status="draft", public_link=True, **COMPLETE)
    assert client.get(url).status_code == 404
    PostMortem.objects.filter(pk=postmortem.pk).update(status="published", published_at=timezone.now(), public_link=False)
    assert client.get(url).status_code == 404
    PostMortem.objects.filter(pk=postmortem.pk).update(public_link=True)
    page = client.get(url).content.decode()
    assert COMPLETE["root_cause"] in page and incident.ref in page
    assert incident.title not in page  # the internal title may hold error details


def test_the_public_incident_links_its_published_post_mortem(client):
    public = monitor_save(Monitor(name="Storefront", kind="tcp", host="10.9.8.7", port=443, interval=60,
                                  confirmations=1, public=True))
    incident = incident_for(public)
    link = f"/incidents/{incident.ref}/postmortem/public/"
    assert link not in client.get("/status/").content.decode()
    PostMortem.objects.create(incident=incident, status="published", published_at=timezone.now(), public_link=True,
                              **COMPLETE)
    from django.core.cache import cache

    cache.clear()  # the status page is cached for a few seconds
    assert link in client.get("/status/").content.decode()


def test_the_dashboard_lists_open_action_items(role_clients, incident, engineer):
    postmortem = PostMortem.objects.create(incident=incident, **COMPLETE)
    ActionItem.objects.create(postmortem=postmortem, description="Alert on pool saturation", owner=engineer,
                              due_date=date(2026, 12, 24))
    ActionItem.objects.create(postmortem=postmortem, description="Already done", owner_name="ops", done=True)
    panels = role_clients["super_admin"].get("/dashboard/monitoring/panels").content.decode()
    assert "Alert on pool saturation" in panels and "2026-12-24" in panels and incident.ref in panels
    assert "Already done" not in panels
