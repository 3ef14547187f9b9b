"""Reading raw results back in tests: they live packed in the hourly rollups."""

from monitors.models import HourlyRollup


def all_results(**filters):
    """(monitor id, Entry) for every raw result kept, oldest hour first."""
    rows = HourlyRollup.objects.filter(**filters).order_by("start", "monitor_id")
    return [(row.monitor_id, entry) for row in rows for entry in row.entries()]
