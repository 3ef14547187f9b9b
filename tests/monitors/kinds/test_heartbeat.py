"""Heartbeats: ping URLs, lateness, /start and /fail, through the real views and engine."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Event
from monitors.checks import run_check
from monitors.engine import claim_due, record_outcomes
from monitors.models import Monitor, Status
from monitors.services import monitor_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def heartbeat():
    return monitor_save(Monitor(name="nightly-job", kind="heartbeat", period=60, grace=30))


def tick(now):
    """One runner tick at `now`: claim what is due, check it, record it."""
    claimed = claim_due(now=now, limit=100)
    record_outcomes([(monitor, run_check(monitor, now=now), now) for monitor in claimed])
    return claimed


def ping(client, monitor, suffix="", method="get", **kwargs):
    return getattr(client, method)(f"/ping/{monitor.ping_uuid}{suffix}", **kwargs)


def test_unknown_and_malformed_uuids_are_404(client):
    assert client.get(f"/ping/{uuid.uuid4()}").status_code == 404
    assert client.get("/ping/not-a-uuid").status_code == 404


def test_a_non_heartbeat_monitor_has_no_ping_url(client):
    other = monitor_save(Monitor(name="web", kind="tcp", host="127.0.0.1", port=80))
    assert other.ping_url is None
    assert client.get(f"/ping/{other.ping_uuid}").status_code == 404


def test_get_head_and_post_are_accepted_other_methods_are_not(client, heartbeat):
    assert ping(client, heartbeat).status_code == 200
    assert ping(client, heartbeat, method="head").status_code == 200
    assert ping(client, heartbeat, method="post", data=b"ok", content_type="text/plain").status_code == 200
    assert ping(client, heartbeat, method="put").status_code == 405


def test_the_kept_body_is_capped(client, heartbeat, settings):
    ping(client, heartbeat, method="post", data=b"x" * 50_000, content_type="text/plain")
    heartbeat.refresh_from_db()
    assert len(heartbeat.last_ping_body) == settings.PING_BODY_LIMIT


def test_never_pinged_heartbeat_goes_down_after_period_plus_grace(heartbeat):
    deadline = heartbeat.deadline()
    assert tick(deadline - timedelta(seconds=1)) == []
    tick(deadline + timedelta(seconds=1))
    heartbeat.refresh_from_db()
    assert heartbeat.status == Status.DOWN
    assert Event.objects.get().kind == "heartbeat_missed"


def test_a_ping_brings_it_up_and_lateness_brings_it_down(client, heartbeat):
    ping(client, heartbeat)
    heartbeat.refresh_from_db()
    assert heartbeat.next_check_at <= timezone.now()
    tick(timezone.now())
    heartbeat.refresh_from_db()
    assert heartbeat.status == Status.UP

    pinged = heartbeat.last_ping_at
    assert tick(pinged + timedelta(seconds=61)) == [heartbeat]  # looked at every interval, for history
    heartbeat.refresh_from_db()
    assert heartbeat.status == Status.UP
    assert heartbeat.next_check_at == pinged + timedelta(seconds=90)  # the deadline comes before the next interval
    tick(pinged + timedelta(seconds=91))
    heartbeat.refresh_from_db()
    assert heartbeat.status == Status.DOWN
    assert "no ping since" in heartbeat.last_detail


def test_a_ping_while_up_moves_the_deadline_not_the_next_look(client, heartbeat):
    ping(client, heartbeat)
    tick(timezone.now())
    heartbeat.refresh_from_db()
    next_look = heartbeat.next_check_at
    ping(client, heartbeat)
    heartbeat.refresh_from_db()
    assert heartbeat.deadline() == heartbeat.last_ping_at + timedelta(seconds=90)
    assert heartbeat.next_check_at == next_look


def test_fail_marks_it_down_on_the_next_tick_and_a_ping_recovers(client, heartbeat):
    ping(client, heartbeat)
    tick(timezone.now())
    ping(client, heartbeat, "/fail")
    tick(timezone.now())
    heartbeat.refresh_from_db()
    assert heartbeat.status == Status.DOWN
    assert "reported failure" in heartbeat.last_detail

    ping(client, heartbeat)
    tick(timezone.now())
    heartbeat.refresh_from_db()
    assert heartbeat.status == Status.UP
    assert [e.kind for e in Event.objects.order_by("occurred_at")] == ["heartbeat_missed", "monitor_up"]


def test_start_records_the_run_start_without_changing_state(client, heartbeat):
    ping(client, heartbeat, "/start")
    heartbeat.refresh_from_db()
    assert heartbeat.last_start_at is not None
    assert heartbeat.last_ping_at is None
    assert heartbeat.status == Status.NOT_CHECKED


def test_a_nul_byte_in_the_body_does_not_lose_the_ping(client, heartbeat):
    response = ping(client, heartbeat, method="post", data=b"rows: 12\x00done", content_type="text/plain")
    assert response.status_code == 200
    heartbeat.refresh_from_db()
    assert heartbeat.last_ping_body == "rows: 12done"


def test_start_then_success_reports_how_long_the_run_took(client, heartbeat):
    ping(client, heartbeat, "/start")
    Monitor.objects.filter(pk=heartbeat.pk).update(last_start_at=timezone.now() - timedelta(seconds=42))
    ping(client, heartbeat)
    tick(timezone.now())
    heartbeat.refresh_from_db()
    assert heartbeat.status == Status.UP
    assert 42 <= heartbeat.last_facts["run_seconds"] < 44
