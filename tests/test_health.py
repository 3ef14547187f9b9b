"""/health for load balancers: database and background jobs."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from monitors.models import RunnerLease
from tests.servers import free_port


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
    assert body["services"] == {"database": "ok", "backgroundJobs": "ok"}
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
