"""Runbooks and on-call rotations: edited by super admins; the logic is in incidents.runbooks and incidents.oncall."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from core.permissions import SuperAdminOnly
from incidents.admin.fields import TagsField
from incidents.models import Rotation, RotationMember, RotationOverride, Runbook
from incidents.oncall import next_handoff, oncall_next, oncall_now
from incidents.runbooks import runbook_url


class RunbookForm(forms.ModelForm):
    tags = TagsField(required=False, help_text="Comma-separated source tags, e.g. prod, database.")

    class Meta:
        model = Runbook
        fields = "__all__"


@admin.register(Runbook)
class RunbookAdmin(SuperAdminOnly, admin.ModelAdmin):
    form = RunbookForm
    list_display = ["title", "attached_to", "updated_at", "page"]
    search_fields = ["title", "body"]
    filter_horizontal = ["sources", "rules"]
    fields = ["title", "body", "sources", "tags", "rules"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sources", "rules")

    @admin.display(description="Attached to")
    def attached_to(self, obj):
        parts = [str(source) for source in obj.sources.all()] + [f"tag {tag}" for tag in obj.tags]
        return "; ".join(parts + [f"rule {rule}" for rule in obj.rules.all()]) or "nothing yet"

    @admin.display(description="Page")
    def page(self, obj):
        return format_html('<a href="{}">view</a>', runbook_url(obj))


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 1
    autocomplete_fields = ["user"]
    fields = ["position", "user"]


class RotationOverrideInline(admin.TabularInline):
    model = RotationOverride
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "starts_at", "ends_at", "note"]


@admin.register(Rotation)
class RotationAdmin(SuperAdminOnly, admin.ModelAdmin):
    list_display = ["name", "time_zone", "handoff_weekday", "handoff_time", "now", "next"]
    inlines = [RotationMemberInline, RotationOverrideInline]
    fields = ["name", "time_zone", "handoff_weekday", "handoff_time", "start_date", "channel"]
    readonly_fields = ["channel"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members__user", "overrides__user")

    @admin.display(description="On call now")
    def now(self, obj):
        return oncall_now(obj, timezone.now()) or "nobody"

    @admin.display(description="Next (from the hand-off)")
    def next(self, obj):
        at = timezone.now()
        return f"{oncall_next(obj, at) or 'nobody'} from {timezone.localtime(next_handoff(obj, at)):%Y-%m-%d %H:%M}"
