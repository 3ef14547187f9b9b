"""`load_demo` (run by `make run`): demo monitors and alerting, created once, usable at once."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from incidents.models import Channel, Incident, Notification, Source
from monitors.models import MaintenanceWindow, Monitor


def load_demo():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_load_demo_creates_monitors_a_console_email_channel_and_an_app_source_once(client):
    first = load_demo()
    second = load_demo()

    assert Monitor.objects.count() == 6 and "Demo monitors present." in second
    window = MaintenanceWindow.objects.get()
    assert window.recurring and list(window.tags.values_list("name", flat=True)) == ["backups"]
    assert Monitor.objects.get(name="Vigil health").slo_target == Decimal("99.9")
    channel = Channel.objects.get()
    assert channel.kind == "email" and channel.enabled
    assert Source.objects.filter(kind="app").count() == 1
    key = re.search(r'"routing_key": "([0-9a-f]+)"', second)[1]
    assert key == Source.objects.get(kind="app").routing_key and key in first

    answer = client.post(
        "/api/events",
        {"routing_key": key, "event_action": "trigger",
         "payload": {"summary": "Checkout is failing", "source": "demo", "severity": "critical"}},
        content_type="application/json",
    )
    assert answer.status_code == 202
    assert Incident.objects.get().severity == "P0"
    assert Notification.objects.get(channel=channel).payload["title"] == "Checkout is failing"
