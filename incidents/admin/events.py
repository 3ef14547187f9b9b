"""Events are the record of what sources reported: readable in the admin, never edited there."""

from django.contrib import admin

from incidents.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "source_key", "severity", "summary"]
    list_filter = ["kind", "severity"]
    search_fields = ["source_key", "summary", "dedup_key"]
    date_hierarchy = "occurred_at"
    list_per_page = 100

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
