"""Which monitors a maintenance window covers, and starting and ending windows by hand."""

from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from monitors.models import MaintenanceWindow, Monitor


def maintenance_lookup(monitor_ids, start, end):
    """A function (monitor id, moment) → covered, for these monitors between start and end.

    Costs one query when no window can be active, four when some can. A window is judged
    to the second (the first check of that second decides for the rest).
    """
    windows = list(MaintenanceWindow.objects.possibly_active(start, end))
    if not windows:
        return lambda monitor_id, at: False
    ids = [window.pk for window in windows]
    window_monitors = _pairs(MaintenanceWindow.monitors.through.objects.filter(maintenancewindow_id__in=ids),
                             "maintenancewindow_id", "monitor_id")
    window_tags = _pairs(MaintenanceWindow.tags.through.objects.filter(maintenancewindow_id__in=ids),
                         "maintenancewindow_id", "tag_id")
    monitor_tags = _pairs(Monitor.tags.through.objects.filter(monitor_id__in=monitor_ids), "monitor_id", "tag_id")

    active = {}

    def is_active(window, at):
        # A batch's checks start within a few seconds: read a cron once per window and second.
        key = (window.pk, at.replace(microsecond=0))
        if key not in active:
            active[key] = window.is_active(at)
        return active[key]

    def covered(monitor_id, at):
        return any(
            (window.all_monitors or monitor_id in window_monitors[window.pk]
             or bool(monitor_tags[monitor_id] & window_tags[window.pk]))
            and is_active(window, at)
            for window in windows
        )

    return covered


def _pairs(queryset, key, value):
    found = defaultdict(set)
    for left, right in queryset.values_list(key, value):
        found[left].add(right)
    return found


@transaction.atomic
def maintenance_start(*, name, monitors=(), tags=(), all_monitors=False, duration=None, note="", public_note=""):
    """Start a one-off window now (for deploy scripts); ends after `duration` seconds, or
    when `maintenance_end` is called. Reuses the one-off window of that name if there is
    one; a recurring window of that name is refused rather than overwritten."""
    if not (all_monitors or monitors or tags):
        raise ValidationError("A window must cover monitors, tags or all monitors.")
    if duration is not None and duration <= 0:
        raise ValidationError("The duration must be positive.")
    now = timezone.now()
    window = MaintenanceWindow.objects.select_for_update().filter(name=name).first() or MaintenanceWindow(name=name)
    if window.recurring:
        raise ValidationError(f'"{name}" is a recurring maintenance window; give the one-off window another name.')
    window.starts, window.duration = now, None
    window.ends = None if duration is None else now + timedelta(seconds=duration)
    window.all_monitors = all_monitors
    window.note = note or window.note
    window.public_note = public_note or window.public_note
    window.full_clean()
    window.save()
    window.monitors.set(monitors)
    window.tags.set(tags)
    return window


@transaction.atomic
def maintenance_end(*, name):
    """End the one-off window `name` now; returns False when it was not active."""
    now = timezone.now()
    window = MaintenanceWindow.objects.select_for_update().filter(name=name, cron="").first()
    if window is None or not window.is_active(now):
        return False
    window.ends = max(now, window.starts + timedelta(microseconds=1))
    window.save(update_fields=["ends"])
    return True
