"""Runbooks (what to do) and on-call rotations (who does it).

Imported at the bottom of `incidents.models`, so these are models of the incidents app.
The logic lives in `incidents.runbooks` and `incidents.oncall`.
"""

import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

__all__ = ["Runbook", "Rotation", "RotationMember", "RotationOverride"]


class Runbook(models.Model):
    """Steps to follow for a kind of problem, in Markdown (rendered safely).

    It applies to the sources named, the sources with any of its tags, and the events the
    alert rules named route; the most specific match wins (source, then tag, then rule).
    """

    title = models.CharField(max_length=200, unique=True)
    body = models.TextField(help_text="Markdown. Raw HTML is shown as text, never run.")
    sources = models.ManyToManyField("incidents.Source", blank=True, related_name="runbooks")
    tags = models.JSONField(default=list, blank=True, help_text="Sources with any of these tags.")
    rules = models.ManyToManyField("incidents.AlertRule", blank=True, related_name="runbooks")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("runbook", args=[self.pk])


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (for example Europe/Berlin).")


class Rotation(models.Model):
    """Members take turns, in order, for a week each: the turn passes on the hand-off weekday
    at the hand-off time, on the wall clock of `time_zone` (so daylight saving never moves it).

    `channel` is the email channel its on-call user is written to (made on first use by
    `incidents.oncall`; its recipient is set to whoever is on call when a row is written).
    """

    name = models.CharField(max_length=200, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    handoff_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    handoff_time = models.TimeField(default=time(9))
    start_date = models.DateField(help_text="The first member is on call from this day at the hand-off time.")
    channel = models.OneToOneField(
        "incidents.Channel", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="rotation"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.rotation} #{self.position}: {self.user}"


class RotationOverride(models.Model):
    """Someone else on call for a period (a holiday, a swap). The latest-made override wins."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["rotation", "starts_at", "ends_at"])]

    def __str__(self):
        return f"{self.rotation}: {self.user} {self.starts_at:%Y-%m-%d %H:%M} → {self.ends_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The override must end after it starts."})
