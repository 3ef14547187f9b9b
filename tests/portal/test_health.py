"""/health for load balancers: database, background jobs and notifications."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import Channel, Notification
from monitors.models import RunnerLease
from tests.support.servers import free_port


def renew(ago):
    now = timezone.now()
    RunnerLease.objects.update_or_create(
        slot=0, defaults={"holder": "test", "expires_at": now, "renewed_at": now - ago}
    )


@pytest.mark.django_db
def test_healthy_when_a_runner_renewed_its_lease_recently(client):
    renew(timedelta(seconds=10))
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["services"] == {"database": "ok", "backgroundJobs": "ok", "notifications": "ok"}
    assert set(body) == {"status", "services", "timestamp", "uptime"}


@pytest.mark.django_db
def test_degraded_when_no_cluster_ran_the_dispatcher_for_two_minutes(client):
    renew(timedelta(minutes=3))
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["services"]["backgroundJobs"] == "stalled"


@pytest.mark.django_db
def test_degraded_when_no_cluster_ever_ran(client):
    assert client.get("/health").status_code == 503


@pytest.mark.django_db(transaction=True)
def test_degraded_when_the_database_does_not_answer(client, tmp_path):
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing-dir" / "db.sqlite3")
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    try:
        response = client.get("/health")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json()["services"]["database"] == "down"


def owe(channel, *, due_ago):
    now = timezone.now()
    Notification.objects.create(
        channel=channel, kind="problem", payload={"title": "t"}, created_at=now - due_ago, next_attempt_at=now - due_ago
    )


@pytest.mark.django_db
def test_a_failing_channel_degrades_the_body_but_keeps_200(client):
    renew(timedelta(seconds=10))
    Channel.objects.create(name="off", kind="slack", enabled=False, failing=True)
    assert client.get("/health").json()["services"]["notifications"] == "ok"
    Channel.objects.create(name="slack", kind="slack", failing=True, last_error="Slack answered 404 (no_team)")
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["services"] == {"database": "ok", "backgroundJobs": "ok", "notifications": "failing"}
    assert "no_team" not in response.content.decode()


@pytest.mark.django_db
def test_a_notification_overdue_by_five_minutes_degrades_the_body_but_keeps_200(client):
    renew(timedelta(seconds=10))
    channel = Channel.objects.create(name="slack", kind="slack")
    owe(channel, due_ago=timedelta(minutes=4))
    assert client.get("/health").json()["services"]["notifications"] == "ok"
    owe(channel, due_ago=timedelta(minutes=6))
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["services"]["notifications"] == "backlog"


@pytest.mark.django_db
def test_stalled_jobs_answer_503_whatever_the_notifications(client):
    renew(timedelta(minutes=3))
    Channel.objects.create(name="slack", kind="slack", failing=True)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["services"] == {"database": "ok", "backgroundJobs": "stalled", "notifications": "failing"}
