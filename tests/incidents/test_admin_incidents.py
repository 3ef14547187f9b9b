"""The incident and alert rule admins: acknowledge and resolve actions, the rule form, roles."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.events import NewEvent, receive_events
from incidents.models import AlertRule, Channel, Incident, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(superadmin):
    client = Client()
    client.force_login(superadmin)
    return client


def open_incidents(count=2):
    with transaction.atomic():
        receive_events(
            [NewEvent("monitor_down", f"monitor:{i}", "P1", f"m{i} is down", f"monitor:{i}:down", timezone.now()) for i in range(count)]
        )
    return list(Incident.objects.order_by("pk"))


def act(client, action, incidents):
    return client.post(
        reverse("admin:incidents_incident_changelist"),
        {"action": action, "_selected_action": [incident.pk for incident in incidents]},
        follow=True,
    )


def test_acknowledge_and_resolve_actions_go_through_lifecycle(admin_client, superadmin):
    first, second = open_incidents()
    act(admin_client, "acknowledge", [first])
    response = act(admin_client, "acknowledge", [first, second])
    assert "Acknowledged 1 of 2; 1 already acknowledged or resolved." in response.content.decode()
    first.refresh_from_db()
    assert first.acknowledged_by == superadmin
    assert first.timeline.get(kind="acknowledged").text == "Acknowledged by root (admin)"

    act(admin_client, "resolve", [first])
    first.refresh_from_db()
    assert first.status == "resolved"


def test_the_change_page_shows_the_timeline(admin_client):
    incident = open_incidents(1)[0]
    page = admin_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert page.status_code == 200
    assert "Opened: m0 is down" in page.content.decode()


def rule_form(**changes):
    return {
        "name": "prod", "enabled": "on", "event_kinds": ["monitor_down", "backup_failed"], "tags": "prod, api",
        "delivery": "immediate", "repeat_every": "3600", "all_channels": "on", **changes,
    }


def test_a_rule_is_saved_with_kinds_as_checkboxes_and_tags_as_a_line(admin_client):
    channel = Channel.objects.create(name="ops", kind="email", recipients="ops@example.com")
    source = Source.objects.create(key="monitor:1", kind="monitor", name="api")
    response = admin_client.post(
        reverse("admin:incidents_alertrule_add"), rule_form(sources=[source.pk], escalation_channels=[channel.pk])
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = AlertRule.objects.get(name="prod")
    assert (rule.event_kinds, rule.tags) == (["monitor_down", "backup_failed"], ["api", "prod"])
    assert list(rule.sources.all()) == [source]
    page = admin_client.get(reverse("admin:incidents_alertrule_change", args=[rule.pk])).content.decode()
    assert 'value="api, prod"' in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"tags": "prod, not a slug"}, "must be letters, digits, hyphens or underscores"),
        ({"all_channels": ""}, "this rule would send nothing"),
        ({"event_kinds": ["monitor_exploded"]}, "Select a valid choice"),
        ({"escalate_after": "0"}, "greater than or equal to 60"),
        ({"repeat_every": "30"}, "greater than or equal to 60"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(admin_client, changes, message):
    response = admin_client.post(reverse("admin:incidents_alertrule_add"), rule_form(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AlertRule.objects.filter(name="prod").exists()


def test_only_super_admins_see_incidents_and_rules(staff_user):
    staff_user.is_staff = True
    staff_user.save()
    client = Client()
    client.force_login(staff_user)
    assert client.get(reverse("admin:incidents_incident_changelist")).status_code == 403
    assert client.get(reverse("admin:incidents_alertrule_changelist")).status_code == 403
