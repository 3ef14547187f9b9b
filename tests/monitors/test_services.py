"""Settings writes (admin, API, config) and the engine's state writes do not undo each other."""

import pytest
from django.utils import timezone

from monitors.checks.base import Outcome
from monitors.engine import record_outcomes
from monitors.models import Monitor, StateChange, Status
from monitors.services import monitor_save

pytestmark = pytest.mark.django_db


def test_saving_settings_from_a_stale_copy_keeps_the_engines_state():
    monitor = monitor_save(Monitor(name="api", kind="tcp", host="127.0.0.1", port=9, confirmations=1))
    stale = Monitor.objects.get(pk=monitor.pk)  # e.g. an admin form opened a minute ago
    record_outcomes([(monitor, Outcome.down("connection refused"), timezone.now())])

    stale.interval = 120
    monitor_save(stale)
    saved = Monitor.objects.get(pk=monitor.pk)
    assert saved.interval == 120
    assert saved.status == Status.DOWN
    assert saved.last_detail == "connection refused"


def test_pausing_through_settings_records_the_change():
    monitor = monitor_save(Monitor(name="api", kind="tcp", host="127.0.0.1", port=9))
    monitor.paused = True
    monitor_save(monitor)
    assert Monitor.objects.get(pk=monitor.pk).status == Status.PAUSED
    monitor.paused = False
    monitor_save(monitor)
    assert Monitor.objects.get(pk=monitor.pk).status == Status.NOT_CHECKED
    assert list(StateChange.objects.order_by("changed_at").values_list("reason", flat=True)) == ["paused", "resumed"]


def test_expected_status_is_stored_in_one_canonical_form():
    monitor = monitor_save(Monitor(name="web", kind="http", url="http://127.0.0.1/", expected_status="200-299,301"))
    assert Monitor.objects.get(pk=monitor.pk).expected_status == "200-299, 301"


def test_an_invalid_dsn_is_refused_without_being_quoted_back():
    from django.core.exceptions import ValidationError

    secret_dsn = "not a dsn but hunter2 the password"
    with pytest.raises(ValidationError) as refused:
        monitor_save(Monitor(name="db", kind="postgres", dsn=secret_dsn))
    assert "dsn" in refused.value.message_dict
    assert "hunter2" not in str(refused.value)
