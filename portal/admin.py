"""The audit log in the admin (super admins read it; nobody adds, edits or deletes entries)
and the Sentry projects (super admins)."""

from django.contrib import admin

from core.permissions import ReadOnly, SuperAdminOnly
from portal.models import AuditEntry, SentryProject


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "action", "actor_name", "target", "ip_address"]
    list_filter = ["action", "at"]
    search_fields = ["actor_name", "target", "ip_address"]
    date_hierarchy = "at"
    list_per_page = 100
    readonly_fields = ["at", "action", "actor", "actor_name", "target", "ip_address", "details"]


@admin.register(SentryProject)
class SentryProjectAdmin(SuperAdminOnly, admin.ModelAdmin):
    """The Sentry projects Vigil reads; once one exists, SENTRY_PROJECTS is no longer read."""

    list_display = ["slug", "shown_label", "error_threshold", "window"]
    search_fields = ["slug", "label"]
    fields = ["slug", "label", "error_threshold", "window"]

    @admin.display(description="label")
    def shown_label(self, project):
        return project.shown_label
