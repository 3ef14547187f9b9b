"""Channels, the outbox and its delivery log in the admin (super admins only).

The channel form shows every kind's settings, from the kinds' own forms. Secrets are
write-only: the form never renders a stored URL, token or signing secret; a blank field
keeps the stored value unless its "clear" box is ticked.
"""

import copy

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.permissions import ReadOnly, SuperAdminOnly
from core.secret_forms import clear_field
from incidents.channels import KINDS, secret_names, setting_fields
from incidents.delivery import notifications_retry, send_test
from incidents.models import Channel, DeliveryAttempt, Notification


# Channels -----------------------------------------------------------------------------


class ChannelFormBase(forms.ModelForm):
    """Name, kind and enabled, then every kind's settings (from the kinds' own forms; only
    the chosen kind's are kept and judged, by Channel.clean)."""

    class Meta:
        model = Channel
        fields = ["name", "kind", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in setting_fields().items():
            if name in secret_names():
                if self.instance.pk and self.instance.secrets.get(name):
                    self.fields[name].help_text = f"{_a(field.label)} is set. Leave blank to keep it."
            elif self.instance.pk:
                self.initial[name] = self.instance.settings.get(name, "")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind in KINDS:
            declared = KINDS[kind].Settings.base_fields
            stored = self.instance.secrets
            kept = {name: value for name, value in stored.items() if not cleaned.get(f"clear_{name}")}
            given = {name: cleaned.get(name) for name in declared if cleaned.get(name) not in (None, "")}
            self.instance.kind, self.instance.settings, self.instance.secrets = kind, {}, {}
            self.instance.assign({**kept, **given})
        return cleaned


def settings_fields():
    """The form fields of every kind's settings (and a "clear" box beside each secret)."""
    fields = {}
    for name, field in setting_fields().items():
        fields[name] = optional(field)
        if name in secret_names():
            fields[f"clear_{name}"] = clear_field(field.label.lower())
    return fields


def optional(field):
    """A copy of a kind's field that only reads the input: it is not required (other kinds
    leave it blank), and Channel.clean judges it with the chosen kind's form (once)."""
    field = copy.deepcopy(field)
    field.required, field.validators = False, []
    field.validate = forms.Field.validate.__get__(field)
    return field


def _a(label):
    """ "A URL", "A bot token": the label after an article."""
    return f"A {label if label[:2].isupper() else label[:1].lower() + label[1:]}"


def kind_fieldsets():
    """One fieldset per kind with the settings no kind before it showed (a secret beside
    its "clear" box)."""
    shown, fieldsets = set(), []
    for name in KINDS:
        kind = KINDS[name]
        fields = [field for field in kind.Settings.base_fields if field not in shown]
        shown.update(fields)
        if fields:
            rows = [(field, f"clear_{field}") if field in secret_names() else field for field in fields]
            fieldsets.append((kind.LABEL, {"fields": rows}))
    return fieldsets


ChannelAdminForm = type("ChannelAdminForm", (ChannelFormBase,), settings_fields())


@admin.register(Channel)
class ChannelAdmin(SuperAdminOnly, admin.ModelAdmin):
    form = ChannelAdminForm
    list_display = ["name", "kind", "enabled", "failing", "last_error", "last_delivered_at"]
    list_filter = ["kind", "enabled", "failing"]
    search_fields = ["name"]
    actions = ["send_test_message"]
    readonly_fields = [
        "failing", "last_error", "last_error_at", "last_delivered_at", "next_send_at", "test_button", "recent_attempts",
    ]
    fieldsets = [(None, {"fields": ["name", "kind", "enabled"]})]
    state_fieldset = (
        "Delivery (written by the deliverer)",
        {"fields": ["failing", "last_error", "last_error_at", "last_delivered_at", "next_send_at", "test_button",
                    "recent_attempts"]},
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = [*self.fieldsets, *kind_fieldsets()]
        return [*fieldsets, self.state_fieldset] if obj else fieldsets

    def get_urls(self):
        view = self.admin_site.admin_view(self.send_test_view)
        return [path("<path:object_id>/send-test/", view, name="incidents_channel_send_test"), *super().get_urls()]

    @admin.display(description="Test")
    def test_button(self, obj):
        """Submits the change form's CSRF token to the send-test view (the form is not saved)."""
        url = reverse("admin:incidents_channel_send_test", args=[obj.pk])
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post" name="_send_test">'
            "Send test message</button> <span class=\"help\">Sends to the channel as saved.</span>",
            url,
        )

    @admin.display(description="Last 10 attempts")
    def recent_attempts(self, obj):
        return render_attempts(obj.attempts.all()[:10])

    def send_test_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        channel = get_object_or_404(Channel, pk=object_id)
        if not self.has_change_permission(request, channel):
            raise PermissionDenied
        self._report(request, channel, send_test(channel))
        return HttpResponseRedirect(reverse("admin:incidents_channel_change", args=[channel.pk]))

    @admin.action(description="Send a test message to the selected channels")
    def send_test_message(self, request, queryset):
        for channel in queryset:
            self._report(request, channel, send_test(channel))

    def _report(self, request, channel, result):
        level = messages.SUCCESS if result.ok else messages.ERROR
        self.message_user(request, f"Test message to {channel.name}: {result}.", level)


def render_attempts(attempts):
    rows = [
        (timezone.localtime(a.started_at).strftime("%Y-%m-%d %H:%M:%S"), a.get_outcome_display(),
         a.response_code or "—", f"{a.duration_ms:.0f} ms", a.error or "—")
        for a in attempts
    ]
    if not rows:
        return "No attempts yet."
    return format_html(
        "<table><thead><tr><th>Started</th><th>Outcome</th><th>Code</th><th>Duration</th><th>Error</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
    )


# The outbox and its delivery log ----------------------------------------------------------


@admin.register(Notification)
class NotificationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["id", "channel", "kind", "delivery", "status", "attempts", "title", "created_at", "delivered_at"]
    list_filter = ["status", "kind", "delivery", "channel"]
    list_select_related = ["channel"]
    search_fields = ["payload__title"]
    date_hierarchy = "created_at"
    list_per_page = 100
    actions = ["retry_now"]
    fields = [
        "channel", "kind", "delivery", "status", "created_at", "next_attempt_at", "attempts", "delivered_at",
        "last_error", "incident", "event", "payload", "attempt_history",
    ]
    readonly_fields = fields

    @admin.display(description="Title")
    def title(self, obj):
        return obj.payload.get("title", "")

    @admin.display(description="Attempts")
    def attempt_history(self, obj):
        return render_attempts(obj.attempt_log.all()[:20])

    @admin.action(description="Retry the selected notifications now", permissions=["view"])
    def retry_now(self, request, queryset):
        count = notifications_retry(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} notification(s) will be delivered now.", messages.SUCCESS)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["started_at", "channel", "outcome", "response_code", "duration_ms", "error"]
    list_filter = ["outcome", "channel"]
    list_select_related = ["channel"]
    date_hierarchy = "started_at"
    list_per_page = 100
