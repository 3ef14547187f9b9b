"""The audit log in the admin: super admins read it; nobody adds, edits or deletes entries."""

from django.contrib import admin

from core.permissions import ReadOnly
from portal.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "action", "actor_name", "target", "ip_address"]
    list_filter = ["action", "at"]
    search_fields = ["actor_name", "target", "ip_address"]
    date_hierarchy = "at"
    list_per_page = 100
    readonly_fields = ["at", "action", "actor", "actor_name", "target", "ip_address", "details"]
