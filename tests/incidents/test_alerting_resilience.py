"""Alerting trouble never stops checks from being recorded, and bad settings are caught early."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from incidents.models import Channel, Notification
from monitors.models import Monitor, Status
from monitors.services import monitor_save, monitors_check_now
from tests.support.processes import child_env, manage


@pytest.mark.django_db
def test_a_channel_secret_no_key_decrypts_does_not_stop_a_state_change(settings, http_target):
    channel = Channel.objects.create(name="slack", kind="slack", url="https://hooks.example.com/services/x")
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the key it was written with is gone
    url = http_target.route("/down", status=500)
    monitor = monitor_save(Monitor(name="api", kind="http", url=url, confirmations=1, interval=60, timeout=5))

    monitors_check_now([monitor.pk])

    assert Monitor.objects.get(pk=monitor.pk).status == Status.DOWN
    assert Notification.objects.get(channel=channel).payload["title"].startswith("api is down")


def test_the_system_check_names_a_bad_encryption_key(settings):
    settings.ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(SystemCheckError, match="ENCRYPTION_KEYS must be Fernet keys"):
        call_command("check")


@pytest.mark.django_db
def test_a_bad_daily_digest_time_stops_startup_with_one_line():
    result = manage("check", env=child_env(DAILY_DIGEST_AT="25:00"))
    assert result.returncode != 0
    assert "DAILY_DIGEST_AT must be a 24-hour time like 08:00, not '25:00'" in result.stderr
