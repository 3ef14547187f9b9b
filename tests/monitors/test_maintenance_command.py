"""`manage.py maintenance start|end|list`, as deploy scripts run it, on a real database."""

from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from monitors.maintenance import maintenance_lookup
from monitors.models import MaintenanceWindow, Monitor
from monitors.models.maintenance import weekly_cron
from tests.support.processes import manage
from tests.core.test_config import make


def maintenance(*args):
    out = StringIO()
    call_command("maintenance", *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def maintenance_fails(*args):
    with pytest.raises(CommandError) as caught:
        maintenance(*args)
    return str(caught.value).splitlines()


def covered(name, at=None):
    """Whether the windows cover the monitor `name` at `at` (now), as the check engine asks."""
    at = at or timezone.now()
    monitor = Monitor.objects.get(name=name)
    return maintenance_lookup([monitor.pk], at, at)(monitor.pk, at)


@pytest.fixture
def monitors(db):
    make("api", tags=["web"])
    make("db", kind="tcp")
    make("shop", tags=["web"])


# start -------------------------------------------------------------------------------


def test_start_for_a_while_covers_the_monitor_until_then(monitors):
    before = timezone.now()

    output = maintenance("start", "deploy", "--monitor", "api", "--for", "30m", "--note", "release 4.2")

    window = MaintenanceWindow.objects.get(name="deploy")
    assert len(output) == 1
    assert output[0].startswith('Maintenance "deploy" started: covers api, until ')
    assert output[0].endswith(" (30 min).")
    assert window.is_active(timezone.now())
    assert before + timedelta(minutes=30) <= window.ends <= timezone.now() + timedelta(minutes=30)
    assert (window.recurring, window.note) == (False, "release 4.2")
    assert covered("api")
    assert not covered("db")
    assert not window.is_active(window.ends), "it ends by itself after --for"


def test_start_by_tag_and_by_all(monitors):
    assert maintenance("start", "web", "--tag", "web") == [
        'Maintenance "web" started: covers #web, until `manage.py maintenance end web`.'
    ]
    assert (covered("api"), covered("shop"), covered("db")) == (True, True, False)
    assert MaintenanceWindow.objects.get(name="web").ends is None

    maintenance("start", "everything", "--all", "--for", "1h")

    assert covered("db")


def test_end_makes_the_window_inactive(monitors):
    maintenance("start", "deploy", "--monitor", "api", "--monitor", "db")

    assert maintenance("end", "deploy") == ['Maintenance "deploy" ended; alerts are back on for what it covered.']

    assert not MaintenanceWindow.objects.get(name="deploy").is_active(timezone.now())
    assert not covered("api")
    assert maintenance_fails("end", "deploy") == ['Cannot end "deploy": it is not active now.']


def test_start_again_reuses_the_window_of_that_name(monitors):
    maintenance("start", "deploy", "--monitor", "api", "--for", "10m")
    maintenance("end", "deploy")

    maintenance("start", "deploy", "--monitor", "db")

    window = MaintenanceWindow.objects.get(name="deploy")
    assert (sorted(window.monitors.values_list("name", flat=True)), window.ends) == (["db"], None)
    assert (covered("db"), covered("api")) == (True, False)


def test_unknown_monitors_and_tags_are_one_line_and_nothing_is_written(monitors):
    lines = maintenance_fails("start", "deploy", "--monitor", "api", "--monitor", "dbb", "--tag", "wep")

    assert lines == ['no monitor named "dbb" (did you mean "db"?); no tag named "wep" (did you mean "web"?). '
                     "Nothing was changed."]
    assert not MaintenanceWindow.objects.exists()


def test_a_window_must_cover_something(monitors):
    assert maintenance_fails("start", "deploy", "--for", "10m") == [
        "Say what the window covers: --monitor NAME, --tag TAG or --all."
    ]
    assert not MaintenanceWindow.objects.exists()


@pytest.mark.parametrize(
    "given, line",
    [
        ("ten minutes", "--for: 'ten minutes' is not a duration (use 20s, 5m, 1h, 1d, 500ms or a number of seconds)"),
        ("0", "--for: must be longer than 0s (leave --for out for a window that lasts until ended)"),
    ],
)
def test_a_bad_duration_is_one_clear_line(monitors, given, line):
    assert maintenance_fails("start", "deploy", "--all", "--for", given) == [line]
    assert not MaintenanceWindow.objects.exists()


def test_start_leaves_a_recurring_window_of_that_name_alone(monitors):
    nightly = MaintenanceWindow.objects.create(name="nightly", all_monitors=True, cron="0 3 * * *", duration=3600)

    lines = maintenance_fails("start", "nightly", "--monitor", "api")

    assert lines == ['Cannot start \'nightly\': "nightly" is a recurring maintenance window; give the one-off window another name.']
    nightly.refresh_from_db()
    assert (nightly.cron, nightly.duration, nightly.starts) == ("0 3 * * *", 3600, None)


# end -------------------------------------------------------------------------------


def test_end_of_an_unknown_window_names_the_closest(monitors):
    maintenance("start", "deploy", "--all")

    assert maintenance_fails("end", "deplyo") == [
        'Cannot end: no maintenance window named "deplyo" (did you mean "deploy"?).'
    ]
    assert MaintenanceWindow.objects.get(name="deploy").is_active(timezone.now())


def test_a_recurring_window_cannot_be_ended(monitors):
    MaintenanceWindow.objects.create(name="nightly", all_monitors=True, cron="0 3 * * *", duration=3600)

    assert maintenance_fails("end", "nightly") == [
        'Cannot end "nightly": it is a recurring window, which ends on its own.'
    ]


# list -------------------------------------------------------------------------------


def test_list_shows_each_window_active_now_or_its_next_start(monitors):
    assert maintenance("list") == ["No maintenance windows."]
    maintenance("start", "deploy", "--monitor", "api", "--tag", "web")
    weekly = MaintenanceWindow.objects.create(
        name="weekly", all_monitors=True, cron=weekly_cron(["sun"], "02:00"), duration=7200, timezone="Europe/Berlin"
    )
    weekly.full_clean()
    soon = timezone.now() + timedelta(days=2)
    later = MaintenanceWindow.objects.create(name="later", starts=soon, ends=soon + timedelta(hours=1))
    later.monitors.set([Monitor.objects.get(name="db")])
    next_weekly = weekly.next_start(timezone.now())

    lines = maintenance("list")

    assert lines[0] == "deploy: active now, until ended; one-off; covers api, #web"
    assert lines[1] == f"later: next start {timezone.localtime(soon):%Y-%m-%d %H:%M %Z}; one-off; covers db"
    if weekly.is_active(timezone.now()):  # on a Sunday between 02:00 and 04:00 in Berlin
        assert lines[2].startswith("weekly: active now, until ")
    else:
        local = next_weekly.astimezone(ZoneInfo("Europe/Berlin"))  # shown on the window's own clock
        assert local.hour == 2 and lines[2].startswith(f"weekly: next start {local:%Y-%m-%d %H:%M %Z}; ")
    assert lines[2].endswith('; recurring "0 2 * * sun" in Europe/Berlin, 2 h each; covers every monitor')
    assert len(lines) == 3


# A real process: exit codes and stderr ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_deploy_script_exit_codes():
    make("api")

    unknown = manage("maintenance", "start", "deploy", "--monitor", "apii", "--for", "15m")
    started = manage("maintenance", "start", "deploy", "--monitor", "api", "--for", "15m")
    ended = manage("maintenance", "end", "deploy")
    again = manage("maintenance", "end", "deploy")
    nowhere = manage("maintenance", "end", "nowhere")

    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr.splitlines() == [
        'CommandError: no monitor named "apii" (did you mean "api"?). Nothing was changed.'
    ]
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith('Maintenance "deploy" started: covers api, until ')
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.splitlines() == ['Maintenance "deploy" ended; alerts are back on for what it covered.']
    assert (again.returncode, again.stderr.splitlines()) == (
        1, ['CommandError: Cannot end "deploy": it is not active now.']
    )
    assert (nowhere.returncode, nowhere.stderr.splitlines()) == (
        1, ['CommandError: Cannot end: no maintenance window named "nowhere".']
    )
    assert not MaintenanceWindow.objects.get(name="deploy").is_active(timezone.now())
