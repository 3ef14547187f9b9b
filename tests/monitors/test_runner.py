"""A check runner in this process, against real loopback targets and a real database."""

import logging
import sqlite3
import threading
import time

import pytest
from django.db import connection

from monitors.models import Monitor, RunnerLease, Status
from monitors.runner import CheckRunner
from monitors.services import monitor_save
from tests.support.results import all_results


def slow_ok(request):
    time.sleep(0.5)
    request.send_response(200)
    request.send_header("Content-Length", "2")
    request.end_headers()
    request.wfile.write(b"OK")


@pytest.mark.django_db(transaction=True)
def test_a_runner_checks_due_monitors_and_releases_its_slot(http_target):
    up = monitor_save(Monitor(name="up", kind="http", url=http_target.route("/ok"), timeout=2))
    down = monitor_save(Monitor(name="down", kind="http", url=http_target.route("/err", status=500), timeout=2))

    assert CheckRunner(concurrency=4).run(slot=0, lifetime=1) is True

    assert len(all_results()) == 2
    assert Monitor.objects.get(pk=up.pk).status == Status.UP
    assert Monitor.objects.get(pk=down.pk).status == Status.SEEMS_DOWN
    assert RunnerLease.objects.get(slot=0).holder == ""


@pytest.mark.django_db(transaction=True)
def test_a_slot_held_by_another_runner_is_not_taken(http_target):
    monitor_save(Monitor(name="up", kind="http", url=http_target.route("/ok"), timeout=2))
    first = CheckRunner(concurrency=2)
    worker = threading.Thread(target=first.run, kwargs={"slot": 0, "lifetime": 2})
    worker.start()
    time.sleep(0.5)
    try:
        assert CheckRunner(concurrency=2).run(slot=0, lifetime=1) is False
    finally:
        worker.join()
    assert len(all_results()) == 1


@pytest.mark.django_db(transaction=True)
def test_stop_finishes_the_checks_in_flight_and_starts_no_successor(http_target):
    monitor_save(Monitor(name="slow", kind="http", url=http_target.route("/slow", handler=slow_ok), timeout=2))
    runner = CheckRunner(concurrency=2)
    successors = []
    threading.Timer(0.3, runner.stop).start()
    started = time.monotonic()
    runner.run(slot=0, lifetime=30, on_expiry=lambda: successors.append(True))
    assert time.monotonic() - started < 5
    assert len(all_results()) == 1
    assert successors == []


@pytest.mark.django_db(transaction=True)
def test_results_survive_a_locked_database_and_are_recorded_once(http_target, caplog):
    if connection.vendor != "sqlite":
        pytest.skip("holds SQLite's write lock; PostgreSQL has no database-wide write lock")
    for i in range(3):
        monitor_save(Monitor(name=f"slow{i}", kind="http", url=http_target.route(f"/s{i}", handler=slow_ok), timeout=2))
    connection.close()
    connection.settings_dict["OPTIONS"] = {**connection.settings_dict["OPTIONS"], "timeout": 0.2}

    def hold_write_lock():
        time.sleep(0.25)  # the claim has happened; the checks are in flight
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        time.sleep(1.5)
        other.execute("ROLLBACK")
        other.close()

    blocker = threading.Thread(target=hold_write_lock)
    blocker.start()
    try:
        with caplog.at_level(logging.WARNING, logger="monitors.runner"):
            CheckRunner(concurrency=4).run(slot=0, lifetime=3)
    finally:
        blocker.join()
        connection.close()
        connection.settings_dict["OPTIONS"] = {**connection.settings_dict["OPTIONS"], "timeout": 30}
    assert "could not record results" in caplog.text
    assert len(all_results()) == 3
    assert set(Monitor.objects.values_list("status", flat=True)) == {Status.UP}


def hang(request):
    time.sleep(3)


@pytest.mark.django_db(transaction=True)
def test_hanging_targets_do_not_delay_healthy_ones(http_target):
    """Threads stuck on targets that hang until their timeout leave the rest of the pool free."""
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now()
    for i in range(4):
        monitor_save(Monitor(name=f"hangs{i}", kind="http", url=http_target.route(f"/h{i}", handler=hang), timeout=2))
    healthy_due = start + timedelta(seconds=0.5)
    for i in range(6):
        monitor = monitor_save(Monitor(name=f"ok{i}", kind="http", url=http_target.route(f"/ok{i}"), timeout=2))
        Monitor.objects.filter(pk=monitor.pk).update(next_check_at=healthy_due)

    CheckRunner(concurrency=8).run(slot=0, lifetime=1.5)

    lags = [
        (entry.at - healthy_due).total_seconds()
        for _, entry in all_results(monitor__name__startswith="ok")
    ]
    assert len(lags) == 6
    assert max(lags) < 0.5, lags
    assert set(Monitor.objects.filter(name__startswith="ok").values_list("status", flat=True)) == {Status.UP}
    hung = [entry for _, entry in all_results(monitor__name__startswith="hangs") if "timed out" in entry.detail]
    assert len(hung) == 4
