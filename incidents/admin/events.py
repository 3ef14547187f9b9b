"""Events are the record of what sources reported: readable in the admin, never edited there."""

from django.contrib import admin

from core.permissions import ReadOnly
from incidents.models import Event


@admin.register(Event)
class EventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "source_key", "severity", "summary"]
    list_filter = ["kind", "severity"]
    search_fields = ["source_key", "summary", "dedup_key"]
    date_hierarchy = "occurred_at"
    list_per_page = 100
