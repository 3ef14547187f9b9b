"""What is checked (Monitor) and how its state moved (StateChange). What checks found is
kept in the rollups (`monitors.models.history`)."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.crypto import EncryptedJSONField
from incidents.models import Severity
from monitors.kinds import kind_choices, kind_of
from monitors.models.kind_settings import KindSettings

MIN_INTERVAL = 20
MAX_INTERVAL = 24 * 3600


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


class Monitor(KindSettings, models.Model):
    """One thing to check, its settings, and the state it is in now.

    Settings every kind shares are columns; a kind's own settings are kept in the
    `settings` (plain) and `secrets` (encrypted, write-only everywhere) documents, read
    and written as attributes (`monitor.url`, see KindSettings) and validated by the
    kind's form (`monitors.kinds`).
    State columns are written only by `monitors.engine` and `monitors.services`.
    """

    # What a user configures. Saving settings writes only these (plus scheduling), never
    # the state columns the engine may be writing at the same moment.
    SETTINGS_FIELDS = (
        "name", "kind", "interval", "timeout", "confirmations", "slow_ms", "severity", "public",
        "settings", "secrets", "slo_target", "slo_window_days",
    )
    # What a check's outcome writes (only `monitors.engine` writes these).
    CHECK_STATE_FIELDS = (
        "status", "status_changed_at", "consecutive_failures", "last_checked_at",
        "response_time_ms", "last_detail", "last_facts", "flap_history", "flapping",
        "in_maintenance", "maintenance_entered_status", "maintenance_entered_expiring",
    )

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=kind_choices)
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

    # The kind's own settings (monitors.kinds.<kind>.Settings): plain, and secrets.
    settings = models.JSONField(default=dict, blank=True)
    secrets = EncryptedJSONField(default=dict, blank=True)
    # A pinged kind's ping URL (/ping/<uuid>), looked up by index.
    ping_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

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
    def pinged(self):
        """The monitored job reports in through ping URLs (a heartbeat)."""
        kind = kind_of(self.kind)
        return bool(kind and getattr(kind, "PINGED", False))

    @property
    def ping_url(self):
        if not self.pinged:
            return None
        return f"{settings.VIGIL_BASE_URL}/ping/{self.ping_uuid}"

    def deadline(self):
        """When a pinged monitor goes down without news; None for a kind that is checked."""
        return kind_of(self.kind).deadline(self) if self.pinged else None

    def clean(self):
        errors = {}
        try:
            self.clean_kind_settings()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if not self.pinged and self.timeout is not None and self.interval is not None:
            if self.timeout >= self.interval:
                errors.setdefault("timeout", []).append("Must be shorter than the interval.")
        if errors:
            raise ValidationError(errors)


_clashes = {field.name for field in [*Monitor._meta.local_fields, *Monitor._meta.local_many_to_many]} & set(KindSettings.__dict__)
if _clashes:
    raise ImproperlyConfigured(f"monitor kind settings named like columns: {sorted(_clashes)}")


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
