"""The `maintenance:` section: one mapping per maintenance window, matched by name.

A window covers `monitors` (names), `tags` (slugs; a tag nobody has yet is created, as on
monitors) or `all: true`, and is either one-off (`starts`, optional `ends`, ISO 8601 with
a UTC offset) or recurring (`recurrence` as cron, or `{days: [sat, sun], at: "02:00"}`,
with `duration` and `timezone`). Two keys are columns under another name: `all` is
`all_monitors` and `recurrence` is `cron` (export writes it as the cron string).
"""

from datetime import date, datetime, timezone as dt_timezone

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from core.config import values as v
from core.config.base import ModelSection
from core.config.values import Key
from incidents.config import missing_names, rows_named
from monitors.models import MaintenanceWindow, Monitor, Tag
from monitors.models.maintenance import WEEKDAYS, weekly_cron

# File key → model column, for the keys that are named differently.
COLUMNS = {"all": "all_monitors", "recurrence": "cron"}
KEYS = {column: key for key, column in COLUMNS.items()}
EXAMPLE_TIME = "2025-06-01T02:00:00+02:00"
RECURRENCE_HINT = 'a cron string such as "0 2 * * sun", or {days: [sat, sun], at: "02:00"}'
# Stands in for a recurrence already reported, so the model judges the rest as a recurring window.
_ANY_CRON = "* * * * *"


def _moment(value):
    """An aware datetime from ISO 8601 text (or the datetime YAML makes of an unquoted one)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise ValueError(f"{value.isoformat()} is a date; give a time with a UTC offset, e.g. {EXAMPLE_TIME}")
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time (e.g. {EXAMPLE_TIME})") from None
    else:
        raise ValueError(f"must be an ISO 8601 time (e.g. {EXAMPLE_TIME})")
    if moment.utcoffset() is None:
        raise ValueError(
            f"{moment.isoformat()} has no UTC offset; add one, e.g. {EXAMPLE_TIME} or 2025-06-01T00:00:00Z"
        )
    return moment


def _dump_moment(moment):
    if moment is None:
        return None
    return moment.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z")


def _recurrence(value):
    """A cron string as given, or the cron string of a {days, at} mapping."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if not isinstance(value, dict):
        raise ValueError(f"must be {RECURRENCE_HINT}")
    unknown = sorted(str(key) for key in value if key not in ("days", "at"))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]} in the mapping (it takes days and at)")
    if "days" not in value or "at" not in value:
        raise ValueError('the mapping needs days and at, e.g. {days: [sat, sun], at: "02:00"}')
    return weekly_cron(_weekdays(value["days"]), _time_of_day(value["at"]))


WEEKDAY_NAMES = dict(zip(WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")))


def _weekdays(value):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(day, str) for day in value):
        raise ValueError(f"days must be a list of weekdays ({', '.join(WEEKDAYS)})")
    days = set()
    for day in value:
        short = day.strip().lower()[:3]
        if short not in WEEKDAYS or day.strip().lower() not in (short, WEEKDAY_NAMES[short]):
            raise ValueError(f"days: {day!r} is not a weekday ({', '.join(WEEKDAYS)})")
        days.add(short)
    return [day for day in WEEKDAYS if day in days]


def _time_of_day(value):
    """"HH:MM" in the window's time zone. YAML reads an unquoted 22:30 as the number
    1350 (base 60), so a number is taken as minutes after midnight."""
    if isinstance(value, int) and not isinstance(value, bool):
        hour, minute = divmod(value, 60)
    elif isinstance(value, str) and value.count(":") == 1 and all(part.strip().isdigit() for part in value.split(":")):
        hour, minute = (int(part) for part in value.split(":"))
    else:
        raise ValueError(f'at: {value!r} is not a time of day; write it as "HH:MM", e.g. "02:00"')
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f'at: {value!r} is not a time of day; write it as "HH:MM", e.g. "02:00"')
    return f"{hour:02d}:{minute:02d}"


class MaintenanceSection(ModelSection):
    key = "maintenance"
    noun = "maintenance window"
    model = MaintenanceWindow
    keys = (
        Key("name", v.text),
        Key("note", v.text),
        Key("public_note", v.text),
        Key("monitors", v.string_list),
        Key("tags", v.slug_list(Tag._meta.get_field("name"))),
        Key("all", v.boolean),
        Key("starts", v.optional(_moment), _dump_moment),
        Key("ends", v.optional(_moment), _dump_moment),
        Key("recurrence", _recurrence),
        Key("duration", v.optional(v.whole_duration), v.dump_duration),
        Key("timezone", v.text),
    )

    def __init__(self):
        self._monitor_names = None

    # `all` and `recurrence` are columns under another name.

    def default(self, name):
        return super().default(COLUMNS.get(name, name))

    def current_value(self, instance, name):
        if name in COLUMNS:
            return getattr(instance, COLUMNS[name])
        return super().current_value(instance, name)

    def _split(self, values):
        scalars, related = super()._split(values)
        for key, column in COLUMNS.items():
            if key in related:
                scalars[column] = related.pop(key)
        return scalars, related

    def _validate(self, item, instance, problems):
        """The model's judgement, its columns named as the file's keys."""
        if "recurrence" in item.failed:
            instance.cron = _ANY_CRON
        try:
            instance.full_clean(exclude=["monitors", "tags", *(COLUMNS.get(key, key) for key in item.failed)])
        except ValidationError as exc:
            for column, errors in exc.update_error_dict({}).items():
                key = KEYS.get(column, column)
                if key in item.failed:
                    continue
                for error in errors:
                    problems.add(item, self.describe_error(key, error), key=None if column == NON_FIELD_ERRORS else key)

    # Checks that need more than one key, and names of monitors ------------------------

    def check_references(self, item, names, problems):
        if item.values.get("monitors"):
            if self._monitor_names is None:
                self._monitor_names = names.available("monitors", Monitor.objects.values_list("name", flat=True))
            for line in missing_names("monitor", item.values["monitors"], self._monitor_names):
                problems.add(item, line, key="monitors")
        targets = ("monitors", "tags", "all")
        if not any(item.values.get(key) for key in targets) and not item.failed.intersection(targets):
            problems.add(item, "covers nothing: give monitors, tags or all: true")
        recurring = "recurrence" in item.values or "recurrence" in item.failed
        if "duration" in item.values and item.values["duration"] is not None and not recurring:
            problems.add(item, "only a recurring window has one (give recurrence, or ends)", key="duration")
            item.failed.add("duration")

    def save(self, instance, related):
        instance.full_clean(exclude=["monitors", "tags"])
        instance.save()
        if "monitors" in related:
            instance.monitors.set(rows_named(Monitor, related["monitors"], "monitor"))
        if "tags" in related:
            instance.tags.set([Tag.objects.get_or_create(name=name)[0] for name in related["tags"]])
