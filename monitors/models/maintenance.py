"""Maintenance windows: while one covers a monitor, checks run and are recorded, nothing
alerts, the monitor shows `maintenance`, and uptime leaves the time out."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from monitors.models.monitor import Monitor, Tag

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# More than any clock change: local and real time differ by at most this around one.
CLOCK_SLACK = timedelta(hours=3)


def weekly_cron(days, at):
    """The cron expression of "these weekdays at this local time": `weekly_cron(["sun"], "02:30")`."""
    hour, minute = (int(part) for part in at.split(":"))
    return f"{minute} {hour} * * {','.join(days)}"


def is_valid_timezone(name):
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class MaintenanceWindowQuerySet(models.QuerySet):
    def possibly_active(self, start, end):
        """Windows that may be active at some moment in [start, end]: every recurring one,
        and the one-off ones overlapping it."""
        return self.filter(Q(cron__gt="") | Q(starts__lte=end) & (Q(ends__isnull=True) | Q(ends__gt=start)))


class MaintenanceWindow(models.Model):
    """One-off (`starts`, `ends`; no end: until ended) or recurring (`cron` in `timezone`,
    lasting `duration` seconds from each start). Covers `all_monitors`, or the chosen
    `monitors` and every monitor with one of the `tags`."""

    name = models.CharField(max_length=200, unique=True)
    note = models.TextField(blank=True, help_text="For the team; never shown publicly, like the name.")
    public_note = models.TextField(
        blank=True, help_text="Shown on the public status page (which otherwise says only \"Scheduled maintenance\")."
    )
    all_monitors = models.BooleanField(default=False, help_text="Covers every monitor.")
    monitors = models.ManyToManyField(Monitor, blank=True, related_name="maintenance_windows")
    tags = models.ManyToManyField(Tag, blank=True, related_name="maintenance_windows")
    starts = models.DateTimeField(null=True, blank=True, help_text="One-off window: when it starts.")
    ends = models.DateTimeField(null=True, blank=True, help_text="One-off window: when it ends (empty: until ended).")
    cron = models.CharField(
        max_length=100, blank=True,
        help_text='Recurring window: when each one starts, as cron in the time zone, e.g. "0 2 * * sun" (Sundays 02:00).',
    )
    duration = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(60)], help_text="Recurring window: seconds each lasts."
    )
    timezone = models.CharField(max_length=64, default="UTC", help_text='An IANA time zone, e.g. "Europe/Berlin".')
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MaintenanceWindowQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def recurring(self):
        return bool(self.cron)

    def clean(self):
        errors = {}
        for field, message in self._errors():
            errors.setdefault(field, []).append(message)
        if errors:
            raise ValidationError(errors)

    def _errors(self):
        if not is_valid_timezone(self.timezone):
            yield "timezone", f"Unknown time zone {self.timezone!r}; use an IANA name such as Europe/Berlin."
        if self.cron:
            if not croniter.is_valid(self.cron):
                yield "cron", f"Not a cron expression: {self.cron!r} (five fields: minute hour day month weekday)."
            if not self.duration:
                yield "duration", "A recurring window needs a duration."
            if self.starts or self.ends:
                yield "cron", "Give either starts/ends (one-off) or a recurrence, not both."
        elif not self.starts:
            yield "starts", "A window needs starts (one-off) or a recurrence."
        elif self.ends and self.ends <= self.starts:
            yield "ends", "Must be after starts."

    def current_start(self, at):
        """When the occurrence covering `at` started (UTC), or None if the window is not active then."""
        if not self.cron:
            active = self.starts is not None and self.starts <= at and (self.ends is None or at < self.ends)
            return self.starts if active else None
        length = timedelta(seconds=self.duration)
        starts = [start for start in self._starts(at - length - CLOCK_SLACK, at) if start <= at < start + length]
        return max(starts, default=None)

    def is_active(self, at):
        return self.current_start(at) is not None

    def end_of(self, start):
        """When the occurrence (or the one-off window) starting at `start` ends; None: until ended."""
        return start + timedelta(seconds=self.duration) if self.cron else self.ends

    def next_start(self, after):
        """The next start after `after` (None for a one-off window already started)."""
        if not self.cron:
            return self.starts if self.starts and self.starts > after else None
        return next((start for start in self._starts(after, None) if start > after), None)

    def _starts(self, since, until):
        """Occurrence starts (UTC) from about `since` on, up to `until` (None: no end).

        The cron is read on the local wall clock and each start placed on the real time
        line as Python reads a local time (fold=0): a start in the hour skipped in spring
        is read with the winter offset, and one in the hour repeated in autumn happens
        once, the first time. Durations then run in real time, so a 2 h window lasts
        2 h across a clock change."""
        zone = ZoneInfo(self.timezone)
        local = (since.astimezone(zone) - CLOCK_SLACK).replace(tzinfo=None)
        occurrences = croniter(self.cron, local)
        while True:
            start = occurrences.get_next(datetime).replace(tzinfo=zone).astimezone(UTC)
            if until is not None and start > until + CLOCK_SLACK:
                return
            yield start
