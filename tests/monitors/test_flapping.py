"""Flap detection: the percent math as pure functions, and a flapping monitor driven through
the engine sending one flapping notice and one when it settles, instead of a storm."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Channel, Event, Incident, Notification
from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.models import Monitor, Status
from monitors.services import monitor_save
from monitors.state import flap_history_after, flap_percent, is_flapping


def test_a_steady_history_is_not_flapping():
    assert flap_percent("") == 0
    assert flap_percent("u" * 21) == 0
    assert flap_percent("d" * 21) == 0


def test_every_check_changing_is_a_hundred_percent():
    assert flap_percent("ud" * 10 + "u") == pytest.approx(100)


def test_recent_changes_weigh_more_than_old_ones():
    newest = "u" * 20 + "d"
    oldest = "u" + "d" * 20
    assert flap_percent(newest) == pytest.approx(6.0)  # 1.2 / 20
    assert flap_percent(oldest) == pytest.approx(4.0)  # 0.8 / 20
    assert flap_percent("ud") == flap_percent(newest)  # a short history ends a full window


def test_history_keeps_the_last_21_checks_and_seems_down_is_not_down():
    history = flap_history_after("u" * 21, Status.DOWN)
    assert (len(history), history[-1]) == (21, "d")
    assert flap_history_after("", Status.SEEMS_DOWN) == "u"
    assert flap_history_after("", Status.DEGRADED) == "u"


def test_hysteresis_between_the_start_and_stop_thresholds():
    assert is_flapping(was_flapping=False, percent=31, start=30, stop=15)
    assert not is_flapping(was_flapping=False, percent=20, start=30, stop=15)
    assert is_flapping(was_flapping=True, percent=20, start=30, stop=15)
    assert not is_flapping(was_flapping=True, percent=14.9, start=30, stop=15)


@pytest.mark.django_db
def test_a_flapping_target_gives_a_flapping_notice_not_a_storm():
    Channel.objects.create(name="ops", kind="email", recipients="ops@example.com")
    monitor = monitor_save(Monitor(name="api", kind="tcp", host="127.0.0.1", port=9, confirmations=1))
    start = timezone.now()
    for i in range(40):
        outcome = Outcome.down("connection refused") if i % 2 == 0 else Outcome.up(5.0)
        record_outcomes([(monitor, outcome, start + timedelta(minutes=i))])
    monitor.refresh_from_db()
    assert monitor.flapping
    for i in range(40, 70):
        record_outcomes([(monitor, Outcome.up(5.0), start + timedelta(minutes=i))])
    monitor.refresh_from_db()
    assert not monitor.flapping

    sent = list(Notification.objects.order_by("created_at", "id").values_list("kind", "payload__kind"))
    assert sent == [
        *[("problem", "monitor_down"), ("recovery", "monitor_up")] * 3,
        ("problem", "monitor_flapping"),
        ("recovery", "monitor_flapping_stopped"),
    ]
    flapping = Incident.objects.get(title="api is flapping")
    assert flapping.status == "resolved"
    assert flapping.timeline.filter(kind="event", text__endswith="(flapping; not sent)").count() > 20
    last = Notification.objects.get(payload__kind="monitor_flapping_stopped")
    assert last.payload["title"] == "api stopped flapping and is up"
    assert Event.objects.filter(kind="monitor_down", details__flapping=True).exists()
    assert Incident.objects.exclude(status="resolved").count() == 0


@pytest.mark.django_db
def test_a_monitor_that_stops_flapping_while_down_keeps_its_incident_open():
    Channel.objects.create(name="ops", kind="email", recipients="ops@example.com")
    monitor = monitor_save(Monitor(name="api", kind="tcp", host="127.0.0.1", port=9, confirmations=1))
    start = timezone.now()
    for i in range(12):
        outcome = Outcome.down("refused") if i % 2 == 0 else Outcome.up(5.0)
        record_outcomes([(monitor, outcome, start + timedelta(minutes=i))])
    for i in range(12, 50):
        record_outcomes([(monitor, Outcome.down("refused"), start + timedelta(minutes=i))])
    monitor.refresh_from_db()
    assert (monitor.flapping, monitor.status) == (False, Status.DOWN)
    stopped = Notification.objects.get(payload__kind="monitor_flapping_stopped")
    assert (stopped.kind, stopped.payload["title"]) == ("notice", "api stopped flapping and is down")
    assert Incident.objects.get(title="api is flapping").is_open


@pytest.mark.django_db
def test_recording_a_batch_costs_no_query_per_check(django_assert_max_num_queries):
    monitors = [
        monitor_save(Monitor(name=f"m{i}", kind="tcp", host="127.0.0.1", port=9, confirmations=1)) for i in range(40)
    ]
    Channel.objects.create(name="ops", kind="email", recipients="ops@example.com")
    start = timezone.now()
    for round_ in range(8):
        outcome = Outcome.down("refused") if round_ % 2 == 0 else Outcome.up(5.0)
        with django_assert_max_num_queries(30):
            record_outcomes([(monitor, outcome, start + timedelta(minutes=round_)) for monitor in monitors])
    assert Monitor.objects.filter(flapping=True).count() == 40
