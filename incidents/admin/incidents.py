"""Incidents in the admin: read their timeline, acknowledge and resolve through `incidents.lifecycle`."""

from django.contrib import admin, messages

from core.permissions import SuperAdminOnly
from incidents.lifecycle import incident_acknowledge, incident_resolve
from incidents.models import Incident, TimelineEntry


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fields = ["at", "kind", "text", "user"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(SuperAdminOnly, admin.ModelAdmin):
    list_display = ["ref", "title", "severity", "status", "opened_at", "acknowledged_at", "resolved_at"]
    list_filter = ["status", "severity", "opened_at"]
    search_fields = ["ref", "title", "dedup_key", "source_key"]
    date_hierarchy = "opened_at"
    list_per_page = 100
    fields = [
        "ref", "title", "severity", "status", "source_key", "dedup_key", "rules", "opened_at",
        "acknowledged_at", "acknowledged_by", "escalated_at", "last_reminded_at", "resolved_at",
    ]
    readonly_fields = fields
    inlines = [TimelineInline]
    actions = ["acknowledge", "resolve"]

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Acknowledge the selected incidents")
    def acknowledge(self, request, queryset):
        done = sum(incident_acknowledge(incident, user=request.user, via="admin") for incident in queryset)
        skipped = len(queryset) - done
        text = f"Acknowledged {done} of {len(queryset)}"
        text += f"; {skipped} already acknowledged or resolved." if skipped else "."
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(description="Resolve the selected incidents")
    def resolve(self, request, queryset):
        done = sum(incident_resolve(incident, user=request.user, via="admin") for incident in queryset)
        skipped = len(queryset) - done
        text = f"Resolved {done} of {len(queryset)}" + (f"; {skipped} already resolved." if skipped else ".")
        self.message_user(request, text, messages.SUCCESS)
