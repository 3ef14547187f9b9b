"""What is checked (Monitor) and how its state moved (StateChange). What checks found is
kept in the rollups (`monitors.models.history`)."""

import uuid
from decimal import Decimal
from urllib.parse import urlsplit
from datetime import timedelta

import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from psycopg.conninfo import conninfo_to_dict

from core.crypto import EncryptedJSONField, EncryptedTextField
from incidents.models import Severity
from monitors.status_spec import format_status_spec, parse_status_spec

MIN_INTERVAL = 20
MAX_INTERVAL = 24 * 3600
MAX_HEARTBEAT_SECONDS = 366 * 24 * 3600  # a yearly job, with a day to spare


class Kind(models.TextChoices):
    HTTP = "http", "HTTP(S)"
    TCP = "tcp", "TCP port"
    TLS = "tls", "TLS certificate"
    HEARTBEAT = "heartbeat", "Heartbeat (cron job)"
    POSTGRES = "postgres", "PostgreSQL"


class Status(models.TextChoices):
    NOT_CHECKED = "not_checked", "Not checked"
    UP = "up", "Up"
    DEGRADED = "degraded", "Degraded"
    SEEMS_DOWN = "seems_down", "Seems down"
    DOWN = "down", "Down"
    PAUSED = "paused", "Paused"
    MAINTENANCE = "maintenance", "Maintenance"


# UptimeRobot's numbers where it has one (0, 1, 2, 8, 9); Vigil's own for the rest.
STATUS_CODES = {
    Status.PAUSED: 0,
    Status.NOT_CHECKED: 1,
    Status.UP: 2,
    Status.DEGRADED: 3,
    Status.MAINTENANCE: 5,
    Status.SEEMS_DOWN: 8,
    Status.DOWN: 9,
}


class Method(models.TextChoices):
    HEAD = "HEAD", "HEAD"
    GET = "GET", "GET"
    POST = "POST", "POST"


class Tag(models.Model):
    name = models.SlugField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MonitorQuerySet(models.QuerySet):
    def active(self):
        return self.filter(paused=False)

    def due(self, now):
        return self.active().filter(next_check_at__lte=now)


class Monitor(models.Model):
    """One thing to check, its settings, and the state it is in now.

    Settings are plain columns (one table for every kind, so the admin, the API and
    config files share one shape); the fields a kind does not use stay empty. The
    SECRET_FIELDS are encrypted at rest and write-only everywhere.
    State columns are written only by `monitors.engine` and `monitors.services`.
    """

    SECRET_FIELDS = ("auth_password", "dsn", "headers")
    # What a user configures. Saving settings writes only these (plus scheduling), never
    # the state columns the engine may be writing at the same moment.
    SETTINGS_FIELDS = (
        "name", "kind", "interval", "timeout", "confirmations", "slow_ms", "severity", "public",
        "url", "method", "body", "expected_status", "keyword", "keyword_absent", "headers",
        "auth_user", "auth_password", "tls_verify", "host", "port", "server_name",
        "expiry_warning_days", "period", "grace", "ping_uuid", "dsn", "query", "slo_target", "slo_window_days",
    )
    # What a check's outcome writes (only `monitors.engine` writes these).
    CHECK_STATE_FIELDS = (
        "status", "status_changed_at", "consecutive_failures", "last_checked_at",
        "response_time_ms", "last_detail", "last_facts", "flap_history", "flapping",
        "in_maintenance", "maintenance_entered_status", "maintenance_entered_expiring",
    )

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    interval = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(MIN_INTERVAL), MaxValueValidator(MAX_INTERVAL)],
        help_text="Seconds between checks (20 s to 24 h).",
    )
    timeout = models.FloatField(
        default=10,
        validators=[MinValueValidator(0.1), MaxValueValidator(settings.CHECK_MAX_TIMEOUT)],
        help_text="Total deadline of one check in seconds.",
    )
    confirmations = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Consecutive failed checks before the monitor is down.",
    )
    slow_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="Slower than this is degraded (still counted as up)."
    )
    severity = models.CharField(max_length=2, choices=Severity.choices, default=Severity.P2)
    tags = models.ManyToManyField(Tag, blank=True, related_name="monitors")
    public = models.BooleanField(default=False, help_text="Shown on the public status page.")
    paused = models.BooleanField(default=False)
    # The badge's address (/badge/<slug>.svg): set once from the name, kept across renames.
    # Null until set, so rows bulk-created without `monitor_save` never collide.
    slug = models.SlugField(max_length=200, unique=True, null=True, blank=True, editable=False)

    # http
    url = models.CharField(max_length=2000, blank=True, help_text="http:// or https:// only.")
    method = models.CharField(max_length=4, choices=Method.choices, default=Method.GET)
    body = models.TextField(blank=True, help_text="Request body for POST.")
    expected_status = models.CharField(
        max_length=200, blank=True, help_text='Codes and ranges, e.g. "200-299, 301". Empty: any 2xx or 3xx.'
    )
    keyword = models.CharField(max_length=500, blank=True, help_text="The body must contain this.")
    keyword_absent = models.CharField(max_length=500, blank=True, help_text="The body must not contain this.")
    headers = EncryptedJSONField(default=dict, blank=True, help_text="Header names to values. A secret.")
    auth_user = models.CharField(max_length=200, blank=True)
    auth_password = EncryptedTextField(blank=True, validators=[MaxLengthValidator(200)], help_text="A secret.")
    tls_verify = models.BooleanField(default=True)

    # tcp, tls
    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(65535)])
    server_name = models.CharField(max_length=255, blank=True, help_text="TLS SNI name, if not the host.")
    expiry_warning_days = models.PositiveIntegerField(default=30)

    # heartbeat
    ping_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    period = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds between expected pings.")
    grace = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds a ping may be late.")

    # postgres
    dsn = EncryptedTextField(blank=True, validators=[MaxLengthValidator(1000)], help_text="A secret: never shown again.")
    query = models.TextField(blank=True, help_text="Default SELECT 1; the first value must be true.")

    # objective
    slo_target = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal("50")), MaxValueValidator(Decimal("99.999"))],
        help_text="Uptime objective in percent, e.g. 99.9. Empty: no objective.",
    )
    slo_window_days = models.PositiveSmallIntegerField(
        choices=[(7, "7 days"), (30, "30 days"), (90, "90 days")], default=30,
        help_text="The period the objective is measured over.",
    )

    # state
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_CHECKED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    consecutive_failures = models.PositiveIntegerField(default=0)
    monitoring_since = models.DateTimeField(default=timezone.now)
    next_check_at = models.DateTimeField(default=timezone.now)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    response_time_ms = models.FloatField(null=True, blank=True)
    last_detail = models.CharField(max_length=500, blank=True)
    last_facts = models.JSONField(default=dict, blank=True)
    # The last checks' alertable states, oldest first ("u" up, "d" down), for flap detection.
    flap_history = models.CharField(max_length=21, blank=True)
    flapping = models.BooleanField(default=False)
    # Inside a maintenance window at the last check; the status a window found the monitor
    # in (and whether its certificate was already expiring), so its end alerts only on what
    # changed meanwhile.
    in_maintenance = models.BooleanField(default=False)
    maintenance_entered_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    maintenance_entered_expiring = models.BooleanField(default=False)
    # Written by the SLO job alone: an `slo_burn` event is open.
    slo_burning = models.BooleanField(default=False)
    last_ping_at = models.DateTimeField(null=True, blank=True)
    last_ping_kind = models.CharField(max_length=8, blank=True)
    last_ping_body = models.TextField(blank=True)
    last_start_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MonitorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["next_check_at"], condition=Q(paused=False), name="monitor_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(interval__gte=MIN_INTERVAL), name="monitor_interval_min"),
        ]

    def __str__(self):
        return self.name

    @property
    def shown_status(self):
        """What people see: `maintenance` while a window covers the monitor (its state
        machine keeps running underneath, so the window's end knows what changed)."""
        if self.in_maintenance and not self.paused:
            return Status.MAINTENANCE
        return self.status

    @property
    def status_code(self):
        return STATUS_CODES[self.shown_status]

    @property
    def source_key(self):
        """How `incidents` refers to this monitor without importing it."""
        return f"monitor:{self.pk}"

    @property
    def ping_url(self):
        if self.kind != Kind.HEARTBEAT:
            return None
        return f"{settings.VIGIL_BASE_URL}/ping/{self.ping_uuid}"

    def heartbeat_deadline(self):
        """When the heartbeat goes down if no ping comes: last ping (or start) + period + grace."""
        anchor = self.monitoring_since
        if self.last_ping_at and self.last_ping_at > anchor:
            anchor = self.last_ping_at
        return anchor + timedelta(seconds=(self.period or 0) + (self.grace or 0))

    def clean(self):
        errors = {}
        for field, message in [*self._kind_errors(), *self._heartbeat_bound_errors()]:
            errors.setdefault(field, []).append(message)
        if self.kind != Kind.HEARTBEAT and self.timeout is not None and self.interval is not None:
            if self.timeout >= self.interval:
                errors.setdefault("timeout", []).append("Must be shorter than the interval.")
        if errors:
            raise ValidationError(errors)

    def _heartbeat_bound_errors(self):
        """Past a year, a deadline (last ping + period + grace) leaves the calendar."""
        for field in ("period", "grace"):
            if (getattr(self, field) or 0) > MAX_HEARTBEAT_SECONDS:
                yield field, f"Must be at most {MAX_HEARTBEAT_SECONDS} seconds (366 days)."

    def _kind_errors(self):
        if self.kind == Kind.HTTP:
            yield from self._http_errors()
        elif self.kind in (Kind.TCP, Kind.TLS):
            if not self.host:
                yield "host", f"A {self.kind} monitor needs a host."
            if not self.port:
                yield "port", f"A {self.kind} monitor needs a port."
        elif self.kind == Kind.HEARTBEAT:
            if not self.period:
                yield "period", "A heartbeat needs a period."
            elif self.period < MIN_INTERVAL:
                yield "period", f"Must be at least {MIN_INTERVAL} seconds."
        elif self.kind == Kind.POSTGRES:
            if not self.dsn:
                yield "dsn", "A postgres monitor needs a DSN."
            elif not _is_conninfo(self.dsn):
                # Never quote the DSN back: it holds a password.
                yield "dsn", "Not a PostgreSQL connection string (postgresql://user:password@host:5432/db or key=value pairs)."

    def _http_errors(self):
        if not self.url:
            yield "url", "An http monitor needs a URL."
        else:
            parts = urlsplit(self.url)
            if parts.scheme.lower() not in ("http", "https"):
                yield "url", "Only http:// and https:// URLs can be checked."
            elif not parts.hostname:
                yield "url", "The URL has no host."
        if self.keyword and self.keyword_absent:
            yield "keyword_absent", "Give keyword or keyword_absent, not both."
        if (self.keyword or self.keyword_absent) and self.method == Method.HEAD:
            yield "method", "A keyword needs a body: use GET or POST."
        try:
            parse_status_spec(self.expected_status)
            self.expected_status = format_status_spec(self.expected_status)
        except ValueError as exc:
            yield "expected_status", str(exc)
        if not isinstance(self.headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()
        ):
            yield "headers", "Headers must be a mapping of names to string values."


def _is_conninfo(dsn):
    try:
        conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return False
    return True


class StateChange(models.Model):
    """Every change of a monitor's status: from, to, when and why."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="state_changes")
    from_status = models.CharField(max_length=16, choices=Status.choices)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    changed_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["monitor", "-changed_at"]), models.Index(fields=["changed_at"])]

    def __str__(self):
        return f"{self.monitor_id}: {self.from_status} → {self.to_status}"


class RunnerLease(models.Model):
    """One check-runner slot. A runner holds its slot by renewing `expires_at`.

    At most one runner per slot runs at a time, whatever number of clusters pick up
    runner tasks; a slot whose lease has lapsed is refilled by `ensure_runners`.
    """

    slot = models.PositiveSmallIntegerField(primary_key=True)
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    renewed_at = models.DateTimeField()

    def __str__(self):
        return f"slot {self.slot} ({self.holder or 'free'})"
