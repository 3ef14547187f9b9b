"""Alert rules: which events go to which channels, how soon, and who hears when nobody acknowledges."""

from django import forms
from django.contrib import admin

from core.permissions import SuperAdminOnly
from incidents.admin.fields import TagsField
from incidents.event_kinds import EVENT_KINDS
from incidents.models import AlertRule, Severity


def kinds_help():
    """Which kinds the rules of other kinds route too, as their sources declared."""
    shared = [
        f"{name} by rules naming {', '.join(sorted(others))}"
        for name in EVENT_KINDS
        if (others := EVENT_KINDS[name].routing_kinds() - {name})
    ]
    also = f" Also routed: {'; '.join(shared)}." if shared else ""
    return f"None ticked: every kind.{also}"


class AlertRuleForm(forms.ModelForm):
    event_kinds = forms.MultipleChoiceField(
        choices=lambda: [(kind, kind) for kind in EVENT_KINDS],  # read late: sources declare kinds at start-up
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    severities = forms.MultipleChoiceField(
        choices=Severity.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every event. Ticked: only events that come with one of these severities "
        "(app events from the events API do; a monitor's events carry the monitor's).",
    )
    runbook_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    tags = TagsField(
        required=False, help_text="Comma-separated source tags, e.g. prod, billing. No sources and no tags: every source."
    )

    class Meta:
        model = AlertRule
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_kinds"].help_text = kinds_help()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_channels") and not cleaned.get("channels") and not cleaned.get("escalation_channels"):
            raise forms.ValidationError("Pick channels, or tick all channels: this rule would send nothing.")
        return cleaned


@admin.register(AlertRule)
class AlertRuleAdmin(SuperAdminOnly, admin.ModelAdmin):
    form = AlertRuleForm
    list_display = ["name", "enabled", "kinds", "event_severities", "delivery", "severity", "all_channels"]
    list_filter = ["enabled", "delivery", "severity"]
    search_fields = ["name"]
    filter_horizontal = ["sources", "channels", "escalation_channels"]
    fieldsets = [
        (None, {"fields": ["name", "enabled", "event_kinds", "severities"]}),
        ("Which sources", {"fields": ["sources", "tags"]}),
        ("Where and how soon", {"fields": ["severity", "channels", "all_channels", "delivery", "runbook_url"]}),
        ("Nobody acknowledged", {"fields": ["escalate_after", "escalation_channels", "repeat_every"]}),
    ]

    @admin.display(description="Event kinds")
    def kinds(self, obj):
        return ", ".join(obj.event_kinds) or "every kind"

    @admin.display(description="Severities")
    def event_severities(self, obj):
        return ", ".join(sorted(obj.severities)) or "any"
