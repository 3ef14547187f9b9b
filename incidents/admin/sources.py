"""Event sources: the team's apps are added here (each gets a routing key); monitors and
backup sources are listed read-only, since their own apps keep those rows in step."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from core.permissions import SuperAdminOnly
from incidents.admin.fields import TagsField
from incidents.sources.routing_keys import (
    event_source_check,
    event_source_create,
    event_source_curl,
    event_source_regenerate_key,
)
from incidents.models import Source


class SourceForm(forms.ModelForm):
    """Tags as one line, comma-separated; the key and routing key are made by the service."""

    tags = TagsField(required=False, help_text="Comma-separated, e.g. billing, prod.")

    class Meta:
        model = Source
        fields = ["name", "tags"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and "name" in cleaned and "tags" in cleaned:
            try:
                event_source_check(name=cleaned["name"], tags=cleaned["tags"])
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from None
        return cleaned

    def validate_unique(self):
        """event_source_check judges a new source's name; an existing one keeps its own."""


@admin.register(Source)
class SourceAdmin(SuperAdminOnly, admin.ModelAdmin):
    form = SourceForm
    list_display = ["name", "kind", "key", "tag_list", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "key"]
    actions = ["regenerate_routing_key"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "tags"]
        if obj.kind == Source.Kind.APP:
            return ["name", "key", "tags", "routing_key_and_use"]
        return ["name", "kind", "key", "tag_list"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["name", "kind", "key", "tag_list", "routing_key_and_use"]

    @admin.display(description="Tags")
    def tag_list(self, obj):
        return ", ".join(obj.tags)

    @admin.display(description="Routing key")
    def routing_key_and_use(self, obj):
        return format_html(
            "<code>{}</code><p>Send events with:</p><pre style='white-space:pre-wrap'>{}</pre>",
            obj.routing_key,
            event_source_curl(obj),
        )

    def save_model(self, request, obj, form, change):
        """A new source is made by event_source_create (key and routing key); a change saves tags."""
        if change:
            obj.save(update_fields=["tags"])
        else:
            created = event_source_create(name=obj.name, tags=obj.tags)
            obj.pk, obj.key, obj.routing_key = created.pk, created.key, created.routing_key

    def get_actions(self, request):
        """No bulk delete: it would take monitor and backup sources along."""
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, f"Routing key of {obj.name}: {obj.routing_key}", messages.SUCCESS)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Regenerate the routing key (the old one stops working)")
    def regenerate_routing_key(self, request, queryset):
        apps = list(queryset.filter(kind=Source.Kind.APP))
        for source in apps:
            event_source_regenerate_key(source)
            self.message_user(request, f"New routing key of {source.name}: {source.routing_key}", messages.SUCCESS)
        if len(apps) < queryset.count():
            self.message_user(request, "Monitor and backup sources have no routing key.", messages.WARNING)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.kind == Source.Kind.APP)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.kind == Source.Kind.APP)
