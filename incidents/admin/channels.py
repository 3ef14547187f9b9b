"""Channels, the outbox and its delivery log in the admin (super admins only).

Channel secrets are write-only: the form never renders a stored URL, token or signing
secret; a blank field keeps the stored value unless its "clear" box is ticked.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.permissions import ReadOnly, SuperAdminOnly
from core.secret_forms import WriteOnlySecretsForm, clear_field, secret_field
from incidents.delivery import notifications_retry, send_test
from incidents.models import Channel, DeliveryAttempt, Notification


# Channels -----------------------------------------------------------------------------


class ChannelAdminForm(WriteOnlySecretsForm):
    secret_labels = {"url": "A URL", "token": "A token", "signing_secret": "A signing secret"}

    url = secret_field("URL", "Slack incoming-webhook URL, or the webhook's URL.")
    clear_url = clear_field("URL")
    token = secret_field("Bot token", "Slack bot token (xoxb-…).")
    clear_token = clear_field("token")
    signing_secret = secret_field("Signing secret", "The webhook's HMAC-SHA256 secret.")
    clear_signing_secret = clear_field("signing secret")

    class Meta:
        model = Channel
        fields = ["name", "kind", "enabled", "url", "token", "slack_channel", "recipients", "signing_secret"]


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
    fieldsets = [
        (None, {"fields": ["name", "kind", "enabled"]}),
        (
            "Slack incoming webhook / webhook",
            {"fields": [("url", "clear_url"), ("signing_secret", "clear_signing_secret")]},
        ),
        ("Slack bot", {"fields": [("token", "clear_token"), "slack_channel"]}),
        ("Email", {"fields": ["recipients"]}),
    ]
    state_fieldset = (
        "Delivery (written by the deliverer)",
        {"fields": ["failing", "last_error", "last_error_at", "last_delivered_at", "next_send_at", "test_button",
                    "recent_attempts"]},
    )

    def get_fieldsets(self, request, obj=None):
        return [*self.fieldsets, self.state_fieldset] if obj else self.fieldsets

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
