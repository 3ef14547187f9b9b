"""Heartbeat (cron job): up while pings arrive within period + grace."""

from datetime import timedelta

from django import forms

from core.config import values as v
from monitors.kinds.heartbeat.checker import check

LABEL = "Heartbeat (cron job)"
SECRETS = ()
PINGED = True
DOWN_EVENT = "heartbeat_missed"
MIN_PERIOD = 20
MAX_SECONDS = 366 * 24 * 3600  # a yearly job, with a day to spare; past it a deadline leaves the calendar
ADMIN_ROWS = (("period", "grace"),)
CONFIG_VALUES = {
    "period": (v.optional(v.whole_duration), v.dump_duration),
    "grace": (v.optional(v.whole_duration), v.dump_duration),
}


class Settings(forms.Form):
    period = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_SECONDS, help_text="Seconds between expected pings.",
    )
    grace = forms.IntegerField(required=False, min_value=0, max_value=MAX_SECONDS, help_text="Seconds a ping may be late.")

    def clean_period(self):
        period = self.cleaned_data.get("period")
        if not period:
            raise forms.ValidationError("A heartbeat needs a period.", code="missing")
        if period < MIN_PERIOD:
            raise forms.ValidationError(f"Must be at least {MIN_PERIOD} seconds.")
        return period


def deadline(monitor):
    """When the heartbeat goes down if no ping comes: last ping (or start) + period + grace."""
    anchor = monitor.monitoring_since
    if monitor.last_ping_at and monitor.last_ping_at > anchor:
        anchor = monitor.last_ping_at
    return anchor + timedelta(seconds=(monitor.period or 0) + (monitor.grace or 0))


__all__ = ["check"]
