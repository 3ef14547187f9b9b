"""Config as code for maintenance windows: the `maintenance:` section of apply_config and export_config."""

from datetime import datetime, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.utils import timezone

from monitors.maintenance import maintenance_lookup
from monitors.models import MaintenanceWindow, Monitor, Tag
from tests.support.processes import manage
from tests.core.test_config import apply, apply_fails, export, make, write  # noqa: F401  (write is a fixture)

UTC = dt_timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")

MONITORS = """
monitors:
  - {name: api, kind: http, url: "https://api.example.com/health", tags: [prod]}
  - {name: db, kind: tcp, host: db.example.com, port: 5432}
"""

FILE = MONITORS + """
maintenance:
  - name: db-upgrade
    note: Postgres 17
    monitors: [db, api]
    starts: 2025-06-01T02:00:00+02:00
    ends: "2025-06-01T04:00:00Z"
  - name: sunday-backups
    tags: [prod, backups]
    recurrence: "0 2 * * sun"
    duration: 2h
    timezone: Europe/Berlin
  - name: weekend-reindex
    all: true
    recurrence: {days: [sun, sat], at: "03:30"}
    duration: 90m
"""


def window(name):
    return MaintenanceWindow.objects.get(name=name)


def names(manager):
    return sorted(row.name for row in manager.all())


def snapshot():
    """Every window's columns, monitors and tags, and every tag."""
    rows = MaintenanceWindow.objects.order_by("pk")
    windows = [(row, names(window.monitors), names(window.tags)) for row, window in zip(rows.values(), rows)]
    return windows, list(Tag.objects.order_by("name").values_list("name", flat=True))


def entry(text):
    """A file of MONITORS plus one maintenance entry (a YAML mapping in flow style)."""
    return MONITORS + f"maintenance:\n  - {text}\n"


# Applying -------------------------------------------------------------------------------


def test_apply_creates_one_off_and_recurring_windows(db, write):
    output = apply(write(FILE))

    assert output == [
        'created monitor "api"',
        'created monitor "db"',
        'created maintenance window "db-upgrade"',
        'created maintenance window "sunday-backups"',
        'created maintenance window "weekend-reindex"',
        "5 created, 0 updated, 0 deleted, 0 unchanged.",
    ]
    upgrade = window("db-upgrade")
    assert (upgrade.note, upgrade.all_monitors, names(upgrade.monitors), names(upgrade.tags)) == (
        "Postgres 17", False, ["api", "db"], []
    )
    assert upgrade.starts == datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
    assert upgrade.ends == datetime(2025, 6, 1, 4, 0, tzinfo=UTC)
    assert (upgrade.cron, upgrade.duration, upgrade.recurring) == ("", None, False)
    assert upgrade.is_active(datetime(2025, 6, 1, 3, 59, tzinfo=UTC))
    assert not upgrade.is_active(datetime(2025, 6, 1, 4, 0, tzinfo=UTC))


def test_a_recurring_window_takes_cron_in_its_time_zone_and_creates_new_tags(db, write):
    apply(write(FILE))

    backups = window("sunday-backups")
    assert (backups.cron, backups.duration, backups.timezone) == ("0 2 * * sun", 7200, "Europe/Berlin")
    assert names(backups.tags) == ["backups", "prod"]
    assert Tag.objects.filter(name="backups").exists(), "a tag no monitor has yet is created, as on monitors"
    # Sunday 2025-06-01, 03:59 in Berlin is inside; 04:00 is not; Saturday is not.
    assert backups.is_active(datetime(2025, 6, 1, 3, 59, tzinfo=BERLIN))
    assert not backups.is_active(datetime(2025, 6, 1, 4, 0, tzinfo=BERLIN))
    assert not backups.is_active(datetime(2025, 5, 31, 2, 30, tzinfo=BERLIN))
    at = datetime(2025, 6, 8, 2, 30, tzinfo=BERLIN)  # the next Sunday: the one-off window is over
    covered = maintenance_lookup(list(Monitor.objects.values_list("pk", flat=True)), at, at)
    assert covered(Monitor.objects.get(name="api").pk, at), "api is tagged prod"
    assert not covered(Monitor.objects.get(name="db").pk, at), "db has no tag the window names"


def test_a_weekly_mapping_becomes_cron(db, write):
    apply(write(FILE))

    reindex = window("weekend-reindex")
    assert (reindex.cron, reindex.duration, reindex.timezone, reindex.all_monitors) == (
        "30 3 * * sat,sun", 5400, "UTC", True
    )
    assert reindex.is_active(datetime(2025, 5, 31, 4, 59, tzinfo=UTC))
    assert not reindex.is_active(datetime(2025, 6, 2, 3, 45, tzinfo=UTC)), "Monday is not covered"


@pytest.mark.parametrize("at, cron", [("22:30", "30 22 * * mon,fri"), ('"7:05"', "5 7 * * mon,fri")])
def test_a_weekly_time_may_be_written_unquoted(db, write, at, cron):
    """YAML reads an unquoted 22:30 as the number 1350 (base 60); it still means 22:30."""
    apply(write(entry(f"{{name: w, all: true, recurrence: {{days: [friday, Mon], at: {at}}}, duration: 1h}}")))

    assert window("w").cron == cron


def test_applying_the_same_file_twice_changes_nothing(db, write):
    path = write(FILE)
    apply(path)
    before = snapshot()

    assert apply(path) == ["No changes (5 unchanged)."]
    assert snapshot() == before


def test_a_changed_window_names_what_changed(db, write):
    apply(write(FILE))

    output = apply(write(FILE.replace("monitors: [db, api]", "monitors: [db]").replace("duration: 2h", "duration: 3h")))

    assert output == [
        'updated maintenance window "db-upgrade": monitors',
        'updated maintenance window "sunday-backups": duration',
        "0 created, 2 updated, 0 deleted, 3 unchanged.",
    ]
    assert names(window("db-upgrade").monitors) == ["db"]
    assert window("sunday-backups").duration == 3 * 3600


def test_a_one_off_window_may_have_no_end(db, write):
    apply(write(entry('{name: open, monitors: [api], starts: "2025-06-01T02:00:00Z"}')))

    open_window = window("open")
    assert open_window.ends is None
    assert open_window.is_active(timezone.now())


# Prune -------------------------------------------------------------------------------


def test_without_prune_windows_the_file_does_not_name_are_kept(db, write):
    apply(write(FILE))

    output = apply(write(FILE.split("  - name: sunday-backups")[0]))

    assert output == ["No changes (3 unchanged). 2 not in the file kept (--prune deletes them)."]
    assert MaintenanceWindow.objects.count() == 3


def test_prune_deletes_windows_the_file_no_longer_names(db, write):
    apply(write(FILE))

    output = apply(write(FILE.split("  - name: sunday-backups")[0]), "--prune")

    assert output == [
        'deleted maintenance window "sunday-backups"',
        'deleted maintenance window "weekend-reindex"',
        "0 created, 0 updated, 2 deleted, 3 unchanged.",
    ]
    assert list(MaintenanceWindow.objects.values_list("name", flat=True)) == ["db-upgrade"]
    assert Monitor.objects.count() == 2, "the monitors the file names are kept"


def test_a_file_without_a_maintenance_section_leaves_windows_alone_even_with_prune(db, write):
    apply(write(FILE))

    assert apply(write(MONITORS), "--prune") == ["No changes (2 unchanged)."]
    assert MaintenanceWindow.objects.count() == 3


# Export -------------------------------------------------------------------------------


def test_export_writes_recurrence_as_cron_and_times_in_utc(db, write):
    apply(write(FILE))

    entries = yaml.safe_load(export())["maintenance"]

    assert entries == [
        {"name": "db-upgrade", "note": "Postgres 17", "monitors": ["api", "db"],
         "starts": "2025-06-01T00:00:00Z", "ends": "2025-06-01T04:00:00Z"},
        {"name": "sunday-backups", "tags": ["backups", "prod"], "recurrence": "0 2 * * sun", "duration": "2h",
         "timezone": "Europe/Berlin"},
        {"name": "weekend-reindex", "all": True, "recurrence": "30 3 * * sat,sun", "duration": "90m"},
    ]


def test_export_then_apply_changes_nothing(db, write):
    apply(write(FILE))
    before = snapshot()

    # 2 monitors, 3 windows and the 6 shipped alert rules (the tiers), which export writes too
    assert apply(write(export()), "--prune") == ["No changes (11 unchanged)."]
    assert snapshot() == before


def test_an_export_rebuilds_the_same_windows_in_an_empty_database(db, write):
    apply(write(FILE))
    first = export()
    MaintenanceWindow.objects.all().delete()
    Monitor.objects.all().delete()
    Tag.objects.all().delete()

    # the 6 shipped alert rules are there already
    assert apply(write(first))[-1] == "5 created, 0 updated, 0 deleted, 6 unchanged."
    assert export() == first
    assert names(window("sunday-backups").tags) == ["backups", "prod"]


# Invalid files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "item, line",
    [
        (
            "{name: w, monitors: [api, dbb], starts: '2025-06-01T02:00:00Z'}",
            'maintenance[0] "w": monitors: no monitor named "dbb" (did you mean "db"?)',
        ),
        (
            "{name: w, all: true, recurrence: '0 2 * * sun', duration: 1h, timezone: Europe/Berln}",
            "maintenance[0] \"w\": timezone: unknown time zone 'Europe/Berln'; use an IANA name such as Europe/Berlin",
        ),
        (
            "{name: w, all: true, starts: 2025-06-01T02:00:00}",
            'maintenance[0] "w": starts: 2025-06-01T02:00:00 has no UTC offset; add one,'
            " e.g. 2025-06-01T02:00:00+02:00 or 2025-06-01T00:00:00Z",
        ),
        (
            "{name: w, all: true, starts: '2025-06-01T02:00:00Z', ends: '2025-06-01 04:00'}",
            'maintenance[0] "w": ends: 2025-06-01T04:00:00 has no UTC offset; add one,'
            " e.g. 2025-06-01T02:00:00+02:00 or 2025-06-01T00:00:00Z",
        ),
        (
            "{name: w, all: true, starts: '2025-06-01T04:00:00Z', ends: '2025-06-01T06:00:00+02:00'}",
            'maintenance[0] "w": ends: must be after starts',
        ),
        (
            "{name: w, all: true, starts: '2025-06-01T04:00:00Z', recurrence: '0 2 * * sun', duration: 1h}",
            'maintenance[0] "w": recurrence: give either starts/ends (one-off) or a recurrence, not both',
        ),
        (
            "{name: w, note: forgot what, starts: '2025-06-01T04:00:00Z'}",
            'maintenance[0] "w": covers nothing: give monitors, tags or all: true',
        ),
        (
            "{name: w, all: false, monitors: [], tags: [], starts: '2025-06-01T04:00:00Z'}",
            'maintenance[0] "w": covers nothing: give monitors, tags or all: true',
        ),
        (
            "{name: w, all: true, recurrence: '0 2 * *', duration: 1h}",
            "maintenance[0] \"w\": recurrence: not a cron expression: '0 2 * *'"
            " (five fields: minute hour day month weekday)",
        ),
        (
            "{name: w, all: true, recurrence: {days: [sun], at: '25:00'}, duration: 1h}",
            "maintenance[0] \"w\": recurrence: at: '25:00' is not a time of day; write it as \"HH:MM\", e.g. \"02:00\"",
        ),
        (
            "{name: w, all: true, recurrence: {days: [sunday, funday], at: '02:00'}, duration: 1h}",
            "maintenance[0] \"w\": recurrence: days: 'funday' is not a weekday (mon, tue, wed, thu, fri, sat, sun)",
        ),
        (
            "{name: w, all: true, recurrence: '0 2 * * sun'}",
            'maintenance[0] "w": duration: a recurring window needs a duration',
        ),
        (
            "{name: w, all: true, recurrence: '0 2 * * sun', duration: 30s}",
            'maintenance[0] "w": duration: must be at least 1m',
        ),
        (
            "{name: w, all: true, starts: '2025-06-01T04:00:00Z', duration: 2h}",
            'maintenance[0] "w": duration: only a recurring window has one (give recurrence, or ends)',
        ),
        (
            "{name: w, all: true}",
            'maintenance[0] "w": starts: a window needs starts (one-off) or a recurrence',
        ),
        (
            "{name: w, all: true, starts: '2025-06-01T04:00:00Z', every: 1d}",
            'maintenance[0] "w": every: unknown key',
        ),
    ],
)
def test_an_invalid_window_is_one_line_and_changes_nothing(db, write, item, line):
    assert apply_fails(write(entry(item))) == [line]
    assert not MaintenanceWindow.objects.exists()
    assert not Monitor.objects.exists(), "the valid monitors of an invalid file are not created either"


def test_every_problem_is_listed_and_a_valid_window_is_not_created(db, write):
    path = write(
        entry("{name: fine, monitors: [api], starts: '2025-06-01T02:00:00Z'}")
        + "  - {name: bad, recurrence: '0 2 * * sun', duration: 1h, timezone: Nowhere/Land, tags: [web]}\n"
        + "  - {name: fine, all: true, starts: '2025-06-01T02:00:00'}\n"
    )

    assert apply_fails(path) == [
        "maintenance[1] \"bad\": timezone: unknown time zone 'Nowhere/Land'; use an IANA name such as Europe/Berlin",
        'maintenance[2] "fine": starts: 2025-06-01T02:00:00 has no UTC offset; add one,'
        " e.g. 2025-06-01T02:00:00+02:00 or 2025-06-01T00:00:00Z",
        'maintenance[2] "fine": name: duplicate of maintenance[0] "fine"',
    ]
    assert not MaintenanceWindow.objects.exists()
    assert not Tag.objects.filter(name="web").exists()


def test_a_window_may_not_name_a_monitor_the_same_file_prunes(db, write):
    apply(write(FILE))
    without_db = FILE.replace("  - {name: db, kind: tcp, host: db.example.com, port: 5432}\n", "")

    assert apply_fails(write(without_db), "--prune") == [
        'maintenance[0] "db-upgrade": monitors: no monitor named "db"',
    ]
    assert Monitor.objects.filter(name="db").exists()


def test_a_window_may_name_a_monitor_that_exists_but_is_not_in_the_file(db, write):
    make("legacy")

    apply(write('maintenance: [{name: w, monitors: [legacy], starts: "2025-06-01T02:00:00Z"}]'))

    assert names(window("w").monitors) == ["legacy"]


# A real process ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_naming_the_window_and_the_key(write):
    path = write(entry("{name: db-upgrade, all: true, recurrence: '0 2 * * sun', duration: 1h, timezone: Mars/Base}"))

    result = manage("apply_config", str(path))

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "CommandError: maintenance[0] \"db-upgrade\": timezone: unknown time zone 'Mars/Base';"
        " use an IANA name such as Europe/Berlin",
    ]
    assert not MaintenanceWindow.objects.exists()
