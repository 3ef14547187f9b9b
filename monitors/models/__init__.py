from monitors.models.history import DailyRollup, HourlyRollup
from monitors.models.maintenance import MaintenanceWindow
from monitors.models.monitor import (
    MAX_INTERVAL, MIN_INTERVAL, STATUS_CODES, Monitor, MonitorQuerySet, RunnerLease, StateChange,
    Status, Tag,
)

__all__ = [
    "DailyRollup", "HourlyRollup", "MaintenanceWindow", "MAX_INTERVAL", "MIN_INTERVAL", "STATUS_CODES",
    "Monitor", "MonitorQuerySet", "RunnerLease", "StateChange", "Status", "Tag",
]
