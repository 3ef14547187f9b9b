"""The monitors admin: where super admins define monitors. Every write goes through `monitors.services`."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.views.main import ChangeList
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.permissions import ReadOnly, SuperAdminOnly
from monitors.admin.monitor_form import kind_links, kind_rows, monitor_form
from monitors.kinds import KINDS, kind_of
from monitors.models import Monitor, RunnerLease, StateChange, Status, Tag
from monitors.services import (
    monitor_pause,
    monitor_register_source,
    monitor_resume,
    monitor_save,
    monitors_check_now,
)
from monitors.slo import burn_rates, label, recent_spans
from monitors.uptime import EMPTY, objective, recent_results, summaries

# White text reads at 4.5:1 or more on each (the pages' stylesheet uses the same colours).
STATUS_COLOURS = {
    Status.NOT_CHECKED: "#5f6673",
    Status.UP: "#2e7d32",
    Status.DEGRADED: "#8d6708",
    Status.SEEMS_DOWN: "#c2410c",
    Status.DOWN: "#c62828",
    Status.PAUSED: "#616161",
    Status.MAINTENANCE: "#1565c0",
}


def badge(status):
    return format_html(
        '<span style="background:{};color:#fff;padding:1px 7px;border-radius:8px;white-space:nowrap">{}</span>',
        STATUS_COLOURS.get(status, "#5f6673"),
        Status(status).label,
    )


# Read-only renderings on the change form ------------------------------------------


def render_ping_urls(monitor):
    if monitor.pk is None or not monitor.pinged:
        return "—"
    base = monitor.ping_url
    rows = [(base, "success"), (f"{base}/start", "the job started"), (f"{base}/fail", "the job failed")]
    return format_html(
        '<table class="vigil-ping-urls"><tbody>{}</tbody></table>',
        format_html_join("", "<tr><td><code>{}</code></td><td>{}</td></tr>", rows),
    )


def render_recent_results(monitor, limit=20):
    return _table(
        ["Checked at", "Status", "Response time", "Detail"],
        [
            (_when(e.at), badge(Status.MAINTENANCE if e.maintenance else e.status), _ms(e.latency_ms), e.detail)
            for e in recent_results(monitor.pk, limit)
        ],
        empty="No checks yet.",
    )


def render_history(monitor, summary):
    """Uptime per window, the last day's average response time, and the objective."""
    rows = [(window, _percent(summary.uptime(window))) for window in summary.windows]
    rows.append(("Average response (24 h)", _ms(summary.response_ms_24h)))
    slo = objective(monitor, summary)
    if slo:
        rows.append((f"Objective ({slo.window_days} days)", f"{slo.target}%"))
        rows.append(("Error budget left", _percent(slo.budget_remaining)))
        rows.append(("Burning fast", "yes" if monitor.slo_burning else "no"))
        now = timezone.now()
        rates = burn_rates(recent_spans([monitor], now)[monitor.pk], now=now, target=float(slo.target))
        shown = ", ".join(f"{label(window)} {'—' if rate is None else f'{rate:.1f}x'}" for window, rate in rates.items())
        rows.append(("Burn rate", shown))
    return format_html(
        "<table><tbody>{}</tbody></table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
    )


def render_state_changes(monitor, limit=10):
    rows = StateChange.objects.filter(monitor_id=monitor.pk).values_list(
        "changed_at", "from_status", "to_status", "reason"
    )[:limit]
    table = _table(
        ["Changed at", "From", "To", "Reason"],
        [(_when(at), badge(old), badge(new), reason) for at, old, new, reason in rows],
        empty="No state changes yet.",
    )
    every = reverse("admin:monitors_statechange_changelist") + f"?monitor__id__exact={monitor.pk}"
    return format_html('{}<p><a href="{}">All state changes</a></p>', table, every)


def _table(headings, rows, *, empty):
    if not rows:
        return empty
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<th>{}</th>", ((heading,) for heading in headings)),
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
    )


def _when(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _ms(value):
    return "—" if value is None else f"{value:.0f} ms"


def _percent(value):
    return "no data" if value is None else f"{value:.3f}%"


class HistoryChangeList(ChangeList):
    """Reads the page's uptime figures in two queries, whatever the page size."""

    def get_results(self, request):
        super().get_results(request)
        found = summaries([monitor.pk for monitor in self.result_list])
        for monitor in self.result_list:
            monitor.summary = found.get(monitor.pk, EMPTY)


# Monitor admin -----------------------------------------------------------------

# What the change form shows of a monitor's state, read-only: the status as a badge and
# code, then what each check writes, then scheduling.
STATE_SHOWN = (
    "status_badge",
    "status_code",
    *(name for name in Monitor.CHECK_STATE_FIELDS if name != "status"),
    "next_check_at",
    "monitoring_since",
)
PING_STATE_SHOWN = ("ping_urls", "last_ping_at", "last_ping_kind", "last_ping_body", "last_start_at")
SHARED = (
    "name",
    "kind",
    ("interval", "timeout"),
    ("confirmations", "slow_ms"),
    "severity",
    "tags",
    ("public", "paused"),
    ("slo_target", "slo_window_days"),
)


def chosen_kind(request, obj):
    """The kind whose settings the form shows: as posted, else the monitor's, else ?kind=."""
    return request.POST.get("kind") or (obj.kind if obj else None) or request.GET.get("kind")


@admin.register(Monitor)
class MonitorAdmin(SuperAdminOnly, admin.ModelAdmin):
    list_display = [
        "name",
        "status_badge",
        "kind",
        "last_check",
        "response_time",
        "uptime_24h",
        "uptime_7d",
        "uptime_30d",
        "uptime_90d",
        "average_response",
        "tag_names",
        "public",
        "paused",
    ]
    list_filter = ["kind", "status", "tags", "public", "paused", "severity"]
    search_fields = ["name", "settings__url", "settings__host"]
    ordering = ["name"]
    list_per_page = 100
    autocomplete_fields = ["tags"]
    readonly_fields = [*STATE_SHOWN, *PING_STATE_SHOWN, "history", "badge", "recent_results", "recent_state_changes"]
    actions = ["pause", "resume", "check_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def add_view(self, request, form_url="", extra_context=None):
        """Choosing a kind on the add page (and saving) opens the add page for that kind,
        with what was typed kept, instead of judging settings the page did not show."""
        kind = request.POST.get("kind")
        if request.method == "POST" and kind in KINDS and not set(KINDS[kind].Settings.base_fields) & set(request.POST):
            typed = {name: ",".join(request.POST.getlist(name)) for name in flatten_fieldsets([(None, {"fields": SHARED})])}
            return redirect(f"{request.path}?{urlencode({name: value for name, value in typed.items() if value})}")
        return super().add_view(request, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, form=monitor_form(chosen_kind(request, obj)), **kwargs)
        if obj is None and kind_of(chosen_kind(request, obj)) is None:
            form.base_fields["kind"].help_text = kind_links()
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": SHARED})]
        kind = kind_of(chosen_kind(request, obj))
        if kind is not None:
            rows = kind_rows(kind)
            if obj is not None and getattr(kind, "PINGED", False):
                rows += PING_STATE_SHOWN
            fieldsets.append((kind.LABEL, {"fields": rows}))
        if obj is not None:
            fieldsets.append(("State (written by the checks)", {"fields": STATE_SHOWN}))
            fieldsets.append(("History", {"fields": ["history", "badge"]}))
            fieldsets.append(("Recent checks", {"fields": ["recent_results", "recent_state_changes"]}))
        return fieldsets

    def get_changelist(self, request, **kwargs):
        return HistoryChangeList

    def save_model(self, request, obj, form, change):
        # Tags are saved afterwards by save_related (form.save_m2m).
        monitor_save(obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        monitor_register_source(form.instance)

    # Columns and read-only fields ------------------------------------------------

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return badge(obj.shown_status)

    @admin.display(description="Status code")
    def status_code(self, obj):
        return obj.status_code

    @admin.display(description="Last check", ordering="last_checked_at")
    def last_check(self, obj):
        if obj.last_checked_at is None:
            return "never"
        return format_html('<span title="{}">{}</span>', obj.last_checked_at.isoformat(), naturaltime(obj.last_checked_at))

    @admin.display(description="Response time", ordering="response_time_ms")
    def response_time(self, obj):
        return _ms(obj.response_time_ms)

    @admin.display(description="24 h")
    def uptime_24h(self, obj):
        return _percent(obj.summary.uptime("24h"))

    @admin.display(description="7 d")
    def uptime_7d(self, obj):
        return _percent(obj.summary.uptime("7d"))

    @admin.display(description="30 d")
    def uptime_30d(self, obj):
        return _percent(obj.summary.uptime("30d"))

    @admin.display(description="90 d")
    def uptime_90d(self, obj):
        return _percent(obj.summary.uptime("90d"))

    @admin.display(description="Avg response (24 h)")
    def average_response(self, obj):
        return _ms(obj.summary.response_ms_24h)

    @admin.display(description="Status badge")
    def badge(self, obj):
        if not (obj.public and obj.slug):
            return "Only public monitors have a badge."
        url = f"{settings.VIGIL_BASE_URL}/badge/{obj.slug}.svg"
        return format_html('<img src="{}" alt=""> <code>{}</code>', url, url)

    @admin.display(description="Uptime and objective")
    def history(self, obj):
        return render_history(obj, summaries([obj.pk]).get(obj.pk, EMPTY))

    @admin.display(description="Tags")
    def tag_names(self, obj):
        return ", ".join(tag.name for tag in obj.tags.all())

    @admin.display(description="Ping URLs")
    def ping_urls(self, obj):
        return render_ping_urls(obj)

    @admin.display(description="Last 20 results")
    def recent_results(self, obj):
        return render_recent_results(obj)

    @admin.display(description="Last 10 state changes")
    def recent_state_changes(self, obj):
        return render_state_changes(obj)

    # Actions ------------------------------------------------------------------

    @admin.action(description="Pause the selected monitors")
    def pause(self, request, queryset):
        for monitor in queryset:
            monitor_pause(monitor)
        self.message_user(request, f"Paused {_monitors(len(queryset))}.", messages.SUCCESS)

    @admin.action(description="Resume the selected monitors")
    def resume(self, request, queryset):
        for monitor in queryset:
            monitor_resume(monitor)
        self.message_user(request, f"Resumed {_monitors(len(queryset))}.", messages.SUCCESS)

    @admin.action(description="Check the selected monitors now")
    def check_now(self, request, queryset):
        selected = list(queryset.values_list("pk", flat=True))
        report = monitors_check_now(selected)
        text = f"Checked {_monitors(report.checked)}: {report.up} up, {report.down} down"
        skipped = len(selected) - report.checked
        if skipped:
            text += f"; {skipped} not checked (paused, or a heartbeat waiting for its first ping)"
        self.message_user(request, text + ".", messages.WARNING if report.down else messages.SUCCESS)


def _monitors(count):
    return f"{count} monitor" if count == 1 else f"{count} monitors"


# The engine's records and tags ---------------------------------------------------


@admin.register(StateChange)
class StateChangeAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["changed_at", "monitor", "from_badge", "to_badge", "reason"]
    list_filter = ["to_status", "from_status", "changed_at"]
    list_select_related = ["monitor"]
    search_fields = ["monitor__name", "reason"]
    date_hierarchy = "changed_at"
    list_per_page = 100

    @admin.display(description="From", ordering="from_status")
    def from_badge(self, obj):
        return badge(obj.from_status)

    @admin.display(description="To", ordering="to_status")
    def to_badge(self, obj):
        return badge(obj.to_status)


@admin.register(RunnerLease)
class RunnerLeaseAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["slot", "holder", "expires_at", "renewed_at"]
    ordering = ["slot"]


@admin.register(Tag)
class TagAdmin(SuperAdminOnly, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
