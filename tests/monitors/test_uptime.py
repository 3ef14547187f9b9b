"""Uptime math through the engine: pause, maintenance and no-data gaps are left out, seems
down is not down until confirmed, and a window's end alerts once on what changed."""

from datetime import timedelta

import pytest
from django.db import models
from django.utils import timezone

from incidents.models import Event
from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.history import hour_of
from monitors.models import DailyRollup, HourlyRollup, MaintenanceWindow, Monitor, StateChange, Status
from monitors.services import monitor_pause, monitor_resume, monitor_save
from monitors.uptime import summaries

pytestmark = pytest.mark.django_db


def make_tcp(name="db-port", **fields):
    return monitor_save(Monitor(name=name, kind="tcp", host="127.0.0.1", port=5432, interval=60, **fields))


def check(monitor, ok, at, ms=20.0):
    outcome = Outcome.up(ms) if ok else Outcome.down("connection refused", ms)
    record_outcomes([(monitor, outcome, at)])


def totals(model, monitor):
    rows = model.objects.filter(monitor=monitor)
    return tuple(sum(getattr(row, field) for row in rows) for field in ("up_seconds", "down_seconds", "maintenance_seconds"))


@pytest.fixture
def base():
    """Half past an hour, three hours ago: the story crosses an hour boundary at +1800 s."""
    return hour_of(timezone.now()) - timedelta(hours=3) + timedelta(minutes=30)


def test_uptime_leaves_out_gaps_pauses_and_maintenance_and_counts_seems_down_as_up(base):
    monitor = make_tcp()
    at = lambda seconds: base + timedelta(seconds=seconds)  # noqa: E731
    MaintenanceWindow.objects.create(name="deploy", starts=at(800), ends=at(1000), all_monitors=True)

    for seconds, ok in [(0, True), (60, True), (120, False), (180, False), (240, False), (300, True)]:
        check(monitor, ok, at(seconds))
    # no cluster for five minutes: 300 → 600 is no data
    check(monitor, True, at(600))
    check(monitor, True, at(660))
    monitor_pause(monitor)
    monitor_resume(monitor)
    check(monitor, True, at(720))  # after a pause there is no previous check to count from
    check(monitor, True, at(780))
    for seconds in (840, 900, 960):  # inside the window: recorded, not alerted
        check(monitor, False, at(seconds))
    for seconds, ok in [(1020, False), (1080, False), (1140, True)]:
        check(monitor, ok, at(seconds))

    # up: 0-60, 60-120, 120-180 (seems down), 600-660, 720-780, 780-840
    # down: 180-240, 240-300, 1020-1080, 1080-1140; maintenance: 840-900, 900-960, 960-1020
    assert totals(HourlyRollup, monitor) == (360.0, 240.0, 180.0)
    assert totals(DailyRollup, monitor) == (360.0, 240.0, 180.0)
    summary = summaries([monitor.pk])[monitor.pk]
    assert summary.uptime("24h") == 60.0
    assert summary.uptime("7d") == 60.0
    assert summary.response_ms_24h == 20.0


def test_a_window_ending_during_an_outage_alerts_once(base):
    monitor = make_tcp()
    at = lambda seconds: base + timedelta(seconds=seconds)  # noqa: E731
    MaintenanceWindow.objects.create(name="deploy", starts=at(30), ends=at(200), all_monitors=True)
    check(monitor, True, at(0))
    for seconds in (60, 120, 180):
        check(monitor, False, at(seconds))
    monitor.refresh_from_db()
    assert monitor.status == Status.DOWN and monitor.shown_status == Status.MAINTENANCE
    assert Event.objects.count() == 0

    for seconds in (240, 300, 360):
        check(monitor, False, at(seconds))
    check(monitor, True, at(420))

    assert list(Event.objects.order_by("occurred_at").values_list("kind", "occurred_at")) == [
        ("monitor_down", at(240)),
        ("monitor_up", at(420)),
    ]
    changes = list(StateChange.objects.order_by("changed_at", "id").values_list("from_status", "to_status"))
    assert changes == [
        ("not_checked", "up"),
        ("up", "maintenance"),
        ("up", "seems_down"),
        ("seems_down", "down"),
        ("maintenance", "down"),
        ("down", "up"),
    ]


def test_a_monitor_down_before_the_window_and_still_down_after_sends_nothing_new(base):
    monitor = make_tcp()
    at = lambda seconds: base + timedelta(seconds=seconds)  # noqa: E731
    for seconds in (0, 60):
        check(monitor, False, at(seconds))
    assert list(Event.objects.values_list("kind", flat=True)) == ["monitor_down"]
    window = MaintenanceWindow.objects.create(name="fix", starts=at(100), ends=at(200))
    window.monitors.add(monitor)
    for seconds in (120, 180, 240, 300):
        check(monitor, False, at(seconds))
    assert list(Event.objects.values_list("kind", flat=True)) == ["monitor_down"]


def tls_check(monitor, at, days_left):
    record_outcomes([(monitor, Outcome.up(5.0, days_left=days_left, expiring=days_left < 14), at)])


def test_a_certificate_that_starts_expiring_inside_a_window_is_announced_when_it_ends(base):
    monitor = monitor_save(Monitor(name="shop tls", kind="tls", host="127.0.0.1", port=443, interval=60))
    at = lambda seconds: base + timedelta(seconds=seconds)  # noqa: E731
    MaintenanceWindow.objects.create(name="renewal", starts=at(30), ends=at(200), all_monitors=True)
    tls_check(monitor, at(0), days_left=15)
    tls_check(monitor, at(60), days_left=13)  # expiring, inside the window: nothing yet
    tls_check(monitor, at(120), days_left=13)
    assert not Event.objects.exists()
    for seconds in (240, 300):
        tls_check(monitor, at(seconds), days_left=13)
    event = Event.objects.get()
    assert (event.kind, event.occurred_at) == ("certificate_expiring", at(240))
    assert "13 days" in event.summary


def test_a_certificate_already_expiring_before_a_window_is_not_announced_again_after_it(base):
    monitor = monitor_save(Monitor(name="shop tls", kind="tls", host="127.0.0.1", port=443, interval=60))
    at = lambda seconds: base + timedelta(seconds=seconds)  # noqa: E731
    MaintenanceWindow.objects.create(name="deploy", starts=at(30), ends=at(200), all_monitors=True)
    for seconds in (0, 60, 120, 240, 300):
        tls_check(monitor, at(seconds), days_left=10)
    assert list(Event.objects.values_list("kind", "occurred_at")) == [("certificate_expiring", at(0))]


def test_a_window_covers_monitors_by_tag_and_leaves_the_others_alone(base):
    tagged = monitor_save(Monitor(name="api", kind="tcp", host="127.0.0.1", port=1), tags=["api"])
    other = make_tcp("db")
    window = MaintenanceWindow.objects.create(name="api deploy", starts=base, ends=base + timedelta(hours=1))
    window.tags.add(tagged.tags.get())
    for monitor in (tagged, other):
        check(monitor, True, base + timedelta(seconds=10))
    tagged.refresh_from_db()
    other.refresh_from_db()
    assert tagged.shown_status == Status.MAINTENANCE and tagged.status_code == 5
    assert other.shown_status == Status.UP


def test_a_monitor_with_no_checks_has_no_uptime_rather_than_zero_or_a_hundred():
    monitor = make_tcp()
    summary = summaries([monitor.pk]).get(monitor.pk)
    assert summary is None


def test_restarts_inside_a_window_do_not_make_the_monitor_flap_after_it(base):
    """A deploy's restarts flip the state every check; after the window the next real
    outage must page, not be muted as flapping."""
    monitor = make_tcp(confirmations=1)
    at = lambda seconds: base + timedelta(seconds=seconds)  # noqa: E731
    MaintenanceWindow.objects.create(name="deploy", starts=at(30), ends=at(30 + 60 * 16), all_monitors=True)
    check(monitor, True, at(0))
    for minute in range(1, 17):
        check(monitor, minute % 2 == 0, at(60 * minute))
    for minute in range(17, 20):
        check(monitor, True, at(60 * minute))
    check(monitor, False, at(60 * 20))

    monitor.refresh_from_db()
    assert not monitor.flapping
    down = Event.objects.get(kind="monitor_down")
    assert down.occurred_at == at(60 * 20) and not down.details.get("flapping")


def test_a_check_older_than_the_last_one_is_kept_but_counts_no_time(base):
    monitor = make_tcp()
    at = lambda seconds: base + timedelta(seconds=seconds)  # noqa: E731
    check(monitor, True, at(0))
    check(monitor, True, at(60))
    check(monitor, False, at(30))  # "check now" that started before the runner's check
    check(monitor, True, at(120))
    monitor.refresh_from_db()
    assert monitor.status == Status.UP and monitor.last_checked_at == at(120)
    assert totals(HourlyRollup, monitor) == (120.0, 0.0, 0.0)
    assert HourlyRollup.objects.filter(monitor=monitor).aggregate(n=models.Sum("checks"))["n"] == 4
