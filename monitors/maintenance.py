"""Which monitors a maintenance window covers, and starting and ending windows by hand."""

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from monitors.models import MaintenanceWindow, Monitor


def maintenance_lookup(monitor_ids, start, end):
    """A function (monitor id, moment) → covered, for these monitors between start and end.

    Costs one query when no window can be active, four when some can.
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

    def covered(monitor_id, at):
        return any(
            window.is_active(at)
            and (window.all_monitors or monitor_id in window_monitors[window.pk]
                 or bool(monitor_tags[monitor_id] & window_tags[window.pk]))
            for window in windows
        )

    return covered


def _pairs(queryset, key, value):
    found = defaultdict(set)
    for left, right in queryset.values_list(key, value):
        found[left].add(right)
    return found


@transaction.atomic
def maintenance_start(*, name, monitors=(), tags=(), all_monitors=False, duration=None, note=""):
    """Start a one-off window now (for deploy scripts); ends after `duration` seconds, or
    when `maintenance_end` is called. Reuses the window of that name if there is one."""
    now = timezone.now()
    window = MaintenanceWindow.objects.filter(name=name).first() or MaintenanceWindow(name=name)
    window.starts, window.cron, window.duration = now, "", None
    window.ends = now + timedelta(seconds=duration) if duration else None
    window.all_monitors = all_monitors
    window.note = note or window.note
    window.full_clean()
    window.save()
    window.monitors.set(monitors)
    window.tags.set(tags)
    return window


def maintenance_end(*, name):
    """End the one-off window `name` now; returns False when it was not active."""
    now = timezone.now()
    window = MaintenanceWindow.objects.filter(name=name, cron="").first()
    if window is None or not window.is_active(now):
        return False
    window.ends = now
    window.save(update_fields=["ends"])
    return True
