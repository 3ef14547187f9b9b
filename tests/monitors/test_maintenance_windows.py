"""When windows are active: one-off, and recurring in a time zone across daylight saving."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from monitors.models import MaintenanceWindow
from monitors.models.maintenance import weekly_cron


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_a_one_off_window_is_active_from_its_start_until_its_end():
    window = MaintenanceWindow(name="db", starts=utc(2026, 5, 1, 10), ends=utc(2026, 5, 1, 11))
    assert not window.is_active(utc(2026, 5, 1, 9, 59, 59))
    assert window.is_active(utc(2026, 5, 1, 10))
    assert window.is_active(utc(2026, 5, 1, 10, 59, 59))
    assert not window.is_active(utc(2026, 5, 1, 11))


def test_a_one_off_window_without_an_end_lasts_until_ended():
    window = MaintenanceWindow(name="db", starts=utc(2026, 5, 1, 10))
    assert window.is_active(utc(2027, 1, 1))


def test_a_weekly_window_in_new_york_keeps_its_local_time_across_the_end_of_daylight_saving():
    """Sundays 09:00 for an hour, America/New_York: EDT (UTC-4) until 1 November 2026, EST after."""
    window = MaintenanceWindow(name="weekly", cron=weekly_cron(["sun"], "09:00"), duration=3600,
                               timezone="America/New_York")
    # 25 October: 09:00 EDT is 13:00 UTC
    assert window.is_active(utc(2026, 10, 25, 13, 0))
    assert window.is_active(utc(2026, 10, 25, 13, 59))
    assert not window.is_active(utc(2026, 10, 25, 14, 0))
    # 1 November: 09:00 EST is 14:00 UTC
    assert not window.is_active(utc(2026, 11, 1, 13, 30))
    assert window.is_active(utc(2026, 11, 1, 14, 0))
    assert window.is_active(utc(2026, 11, 1, 14, 59))
    assert not window.is_active(utc(2026, 11, 1, 15, 0))
    assert window.next_start(utc(2026, 10, 26)) == utc(2026, 11, 1, 14, 0)


def test_a_daily_cron_window_in_berlin_across_the_start_of_daylight_saving():
    """03:15 daily for 30 minutes, Europe/Berlin: CET (UTC+1) until 29 March 2026 02:00, CEST after."""
    window = MaintenanceWindow(name="nightly", cron="15 3 * * *", duration=1800, timezone="Europe/Berlin")
    assert window.is_active(utc(2026, 3, 28, 2, 15))      # 03:15 CET
    assert not window.is_active(utc(2026, 3, 28, 1, 15))
    assert window.is_active(utc(2026, 3, 29, 1, 15))      # 03:15 CEST, the first summer morning
    assert window.is_active(utc(2026, 3, 29, 1, 44))
    assert not window.is_active(utc(2026, 3, 29, 2, 15))  # where it was a day earlier


def test_a_start_in_the_skipped_hour_is_read_with_the_winter_offset():
    """02:30 does not exist in Berlin on 29 March 2026; like Python (fold=0) Vigil reads it
    as 02:30 CET, 01:30 UTC (03:30 on the summer clock), and the window lasts its hour."""
    window = MaintenanceWindow(name="gap", cron="30 2 * * *", duration=3600, timezone="Europe/Berlin")
    assert not window.is_active(utc(2026, 3, 29, 1, 29))
    assert window.is_active(utc(2026, 3, 29, 1, 30))
    assert window.is_active(utc(2026, 3, 29, 2, 29))
    assert not window.is_active(utc(2026, 3, 29, 2, 30))


def test_a_start_in_the_repeated_hour_happens_once_without_a_hole():
    """02:30 happens twice in Berlin on 25 October 2026; the window starts at the first
    (02:30 CEST, 00:30 UTC) and runs one real hour, through the repeated hour."""
    window = MaintenanceWindow(name="repeat", cron="30 2 * * *", duration=3600, timezone="Europe/Berlin")
    assert not window.is_active(utc(2026, 10, 25, 0, 29))
    for minute in (30, 45, 59):
        assert window.is_active(utc(2026, 10, 25, 0, minute))
    for minute in (0, 15, 29):
        assert window.is_active(utc(2026, 10, 25, 1, minute))
    assert not window.is_active(utc(2026, 10, 25, 1, 30))
    assert not window.is_active(utc(2026, 10, 25, 2, 0))  # no second start at 02:30 CET


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"cron": "0 2 * * sun", "duration": 3600, "timezone": "Mars/Olympus"}, "timezone", "Unknown time zone"),
        ({"cron": "every sunday", "duration": 3600}, "cron", "Not a cron expression"),
        ({"cron": "0 2 * * sun"}, "duration", "needs a duration"),
        ({}, "starts", "needs starts"),
        ({"starts": utc(2026, 1, 2), "ends": utc(2026, 1, 1)}, "ends", "after starts"),
        ({"starts": utc(2026, 1, 1), "cron": "0 2 * * *", "duration": 60}, "cron", "not both"),
    ],
)
def test_a_bad_window_says_what_is_wrong(fields, field, message):
    window = MaintenanceWindow(name="bad", **fields)
    with pytest.raises(ValidationError) as caught:
        window.clean()
    assert message in " ".join(caught.value.message_dict[field])


def test_an_occurrence_lasting_past_midnight_is_still_active_the_next_day():
    window = MaintenanceWindow(name="late", cron="0 23 * * sat", duration=4 * 3600, timezone="UTC")
    assert window.is_active(utc(2026, 5, 3, 2, 59))  # Sunday, from Saturday 23:00
    assert not window.is_active(utc(2026, 5, 3, 3, 0))
    assert window.current_start(utc(2026, 5, 3, 1)) == utc(2026, 5, 2, 23)


def test_a_window_lasts_its_duration_in_real_time_across_a_clock_change():
    """Two hours from 01:00 on 29 March 2026 in Berlin: the clock jumps 02:00 → 03:00 meanwhile,
    so the window ends at 04:00 local (02:00 UTC), two real hours later."""
    window = MaintenanceWindow(name="dst", cron="0 1 * * sun", duration=7200, timezone="Europe/Berlin")
    assert window.is_active(utc(2026, 3, 29, 0, 0))
    assert window.is_active(utc(2026, 3, 29, 1, 59))
    assert not window.is_active(utc(2026, 3, 29, 2, 0))
