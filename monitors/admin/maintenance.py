"""Maintenance windows in the admin: one-off or recurring (weekdays and a time, or cron)."""

from django import forms
from django.contrib import admin
from django.utils import timezone

from core.durations import HINT, format_duration, parse_duration
from core.permissions import SuperAdminOnly
from monitors.admin.monitors import badge
from monitors.models import MaintenanceWindow, Status
from monitors.models.maintenance import WEEKDAYS, weekly_cron


class MaintenanceWindowForm(forms.ModelForm):
    weekdays = forms.MultipleChoiceField(
        required=False, choices=[(day, day.title()) for day in WEEKDAYS], widget=forms.CheckboxSelectMultiple,
        help_text="Recurring weekly: these days at the time below (fills cron).",
    )
    at = forms.TimeField(required=False, label="At (local time)", help_text="HH:MM in the window's time zone.")
    duration = forms.CharField(required=False, help_text=f"Recurring window: how long each lasts ({HINT}).")

    class Meta:
        model = MaintenanceWindow
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.duration:
            self.initial["duration"] = format_duration(self.instance.duration)

    def clean_duration(self):
        text = self.cleaned_data["duration"].strip()
        if not text:
            return None
        try:
            return int(parse_duration(text))
        except ValueError as exc:
            raise forms.ValidationError(str(exc).capitalize() + ".") from exc

    def clean(self):
        data = super().clean()
        days, at = data.get("weekdays"), data.get("at")
        if days or at:
            if not (days and at):
                self.add_error("weekdays", "Give both the days and the time, or neither.")
            elif data.get("cron"):
                self.add_error("cron", "Give weekdays and a time, or cron, not both.")
            else:
                data["cron"] = self.instance.cron = weekly_cron(days, at.strftime("%H:%M"))
        if not (data.get("all_monitors") or data.get("monitors") or data.get("tags")):
            self.add_error("monitors", "Choose monitors, tags, or all monitors.")
        return data


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(SuperAdminOnly, admin.ModelAdmin):
    form = MaintenanceWindowForm
    list_display = ["name", "active_badge", "when", "covers", "note"]
    search_fields = ["name", "note"]
    filter_horizontal = ["monitors", "tags"]
    fieldsets = [
        (None, {"fields": ["name", "note", "public_note"]}),
        ("What it covers", {"fields": ["all_monitors", "monitors", "tags"]}),
        ("One-off", {"fields": [("starts", "ends")]}),
        ("Recurring", {"fields": [("weekdays", "at"), "cron", "duration", "timezone"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("monitors", "tags")

    @admin.display(description="Now")
    def active_badge(self, obj):
        return badge(Status.MAINTENANCE) if obj.is_active(timezone.now()) else "—"

    @admin.display(description="When")
    def when(self, obj):
        if obj.recurring:
            return f"{obj.cron} ({obj.timezone}), {format_duration(obj.duration)} each"
        ends = timezone.localtime(obj.ends).strftime("%Y-%m-%d %H:%M") if obj.ends else "until ended"
        return f"{timezone.localtime(obj.starts):%Y-%m-%d %H:%M} → {ends}"

    @admin.display(description="Covers")
    def covers(self, obj):
        if obj.all_monitors:
            return "all monitors"
        names = [monitor.name for monitor in obj.monitors.all()] + [f"#{tag.name}" for tag in obj.tags.all()]
        return ", ".join(names)
