"""The backups admin: sources with their last result and "verify now"; the run history
(read-only, filterable by source). Every write goes through `backups.services`. The
source database's URL is write-only: never rendered, blank keeps it."""

from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from backups import tasks
from backups.models import BackupSource, Status, VerificationRun
from backups.services import backup_source_save
from core.permissions import ReadOnly, SuperAdminOnly
from core.secret_forms import WriteOnlySecretsForm, clear_field, secret_field

COLOURS = {Status.SUCCESS: "#2e7d32", Status.WARNING: "#8d6708", Status.FAILURE: "#c62828"}
RESULT_COLOURS = {"passed": "#2e7d32", "warning": "#8d6708", "failed": "#c62828", "skipped": "#616161"}


def badge(status, label=None, colours=COLOURS):
    if not status:
        return format_html('<span style="color:#5f6673">{}</span>', "not verified")
    return format_html(
        '<span style="background:{};color:#fff;padding:1px 7px;border-radius:8px;white-space:nowrap">{}</span>',
        colours.get(status, "#5f6673"), label or status,
    )


def _latest(field):
    return Subquery(VerificationRun.objects.filter(source=OuterRef("pk")).order_by("-verified_at", "-pk").values(field)[:1])


class BackupSourceAdminForm(WriteOnlySecretsForm):
    secret_labels = {"source_database_url": "A source database URL"}

    source_database_url = secret_field(
        "Source database URL",
        "Optional: the database this backup is taken from; a restore server equal to it is refused.",
    )
    clear_source_database_url = clear_field("source database URL")

    class Meta:
        model = BackupSource
        fields = "__all__"


@admin.register(BackupSource)
class BackupSourceAdmin(SuperAdminOnly, admin.ModelAdmin):
    form = BackupSourceAdminForm
    list_display = ["name", "enabled", "format", "path", "last_status", "last_verified", "last_detail", "next_run_at",
                    "history"]
    list_filter = ["enabled", "format"]
    search_fields = ["name", "path"]
    readonly_fields = ["next_run_at", "running_since", "last_good_at", "recent_runs"]
    actions = ["verify_now"]
    fieldsets = [
        (None, {"fields": ["name", "enabled", "path", "format", "schedule"]}),
        ("Checks", {"fields": ["max_age", "min_size_mb", "critical_tables", "expected_rows", "restore_test",
                               ("source_database_url", "clear_source_database_url")]}),
        ("Verification", {"fields": ["next_run_at", "running_since", "last_good_at", "recent_runs"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            latest_status=_latest("status"), latest_at=_latest("verified_at"), latest_error=_latest("error_details"),
            latest_passed=_latest("checks_passed"),
        )

    def save_model(self, request, obj, form, change):
        backup_source_save(obj)

    @admin.display(description="Last result", ordering="latest_status")
    def last_status(self, obj):
        return badge(obj.latest_status)

    @admin.display(description="Verified", ordering="latest_at")
    def last_verified(self, obj):
        return obj.latest_at or "—"

    @admin.display(description="Detail")
    def last_detail(self, obj):
        if obj.latest_error:
            return obj.latest_error.splitlines()[0]
        return f"{obj.latest_passed} checks passed" if obj.latest_status else "—"

    @admin.display(description="Runs")
    def history(self, obj):
        url = reverse("admin:backups_verificationrun_changelist") + f"?source__id__exact={obj.pk}"
        return format_html('<a href="{}">history</a>', url)

    @admin.display(description="Last 10 runs")
    def recent_runs(self, obj):
        runs = obj.runs.all()[:10] if obj.pk else []
        if not runs:
            return "No runs yet."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((run.verified_at, badge(run.status), run.backup_id, run.error_details or "—") for run in runs),
        )
        return format_html("<table><thead><tr><th>Verified</th><th>Status</th><th>Backup</th><th>Problems</th>"
                           "</tr></thead><tbody>{}</tbody></table>", rows)

    @admin.action(description="Verify the selected backup sources now")
    def verify_now(self, request, queryset):
        disabled = [source.name for source in queryset if not source.enabled]
        if disabled:
            self.message_user(request, f"Not verified, disabled: {', '.join(disabled)} (enable them first).",
                              messages.WARNING)
        queued, busy = tasks.verify_later([source for source in queryset if source.enabled], now=timezone.now())
        if queued:
            self.message_user(request, f"Verification queued for {', '.join(queued)}; the results appear in "
                              "their run history when done.", messages.SUCCESS)
        if busy:
            self.message_user(request, f"Already being verified: {', '.join(busy)}.", messages.WARNING)


@admin.register(VerificationRun)
class VerificationRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["verified_at", "source", "status_badge", "backup_id", "backup_age_hours", "backup_size_mb",
                    "checks_passed", "checks_failed", "duration_seconds"]
    list_filter = ["status", "source"]
    list_select_related = ["source"]
    date_hierarchy = "verified_at"
    fields = ["source", "verified_at", "status", "backup_id", "backup_path", "backup_age_hours", "backup_size_mb",
              "checks_passed", "checks_failed", "duration_seconds", "error_details", "checks"]
    readonly_fields = fields

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return badge(obj.status)

    @admin.display(description="Checks")
    def checks(self, obj):
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((c.get("name"), badge(c.get("result"), colours=RESULT_COLOURS), c.get("message"), f"{c.get('seconds', 0)} s")
             for c in obj.verification_details or []),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows)
