"""Backup sources and their verification log (see the backup verification issue)."""

from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

from croniter import croniter
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models

from backups.postgres import Server
from core.crypto import EncryptedTextField

DEFAULT_SCHEDULE = "0 5 * * *"
DEFAULT_MAX_AGE = 24 * 3600


class Format(models.TextChoices):
    PG_DUMP = "pg_dump", "PostgreSQL custom format (pg_dump -Fc)"
    SQL = "sql", "Plain SQL (pg_dump)"
    FILE = "file", "Any file (age and size only)"


class Status(models.TextChoices):
    SUCCESS = "success", "Success"
    WARNING = "warning", "Warning"
    FAILURE = "failure", "Failure"


class BackupSource(models.Model):
    """One backup to verify: where its files appear, what they must hold, and when to look.

    The columns after `source_database_url` are the verifier's own bookkeeping.
    """

    name = models.CharField(max_length=200, unique=True)
    enabled = models.BooleanField(
        default=True, help_text="Off: not verified nor reported stale; its verification log is kept."
    )
    path = models.CharField(
        max_length=1000,
        help_text="A file, or a glob such as /backups/app-*.dump (the newest match wins; "
        "*.tmp, *.partial and other in-progress names are ignored).",
    )
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.PG_DUMP)
    max_age = models.PositiveIntegerField(
        default=DEFAULT_MAX_AGE, validators=[MinValueValidator(1)], help_text="Seconds; an older backup fails."
    )
    min_size_mb = models.DecimalField(
        max_digits=12, decimal_places=3, default=Decimal(100), validators=[MinValueValidator(0)],
        help_text="A smaller backup fails (MB of 1,000,000 bytes).",
    )
    critical_tables = models.JSONField(default=list, blank=True, help_text='Tables that must exist, e.g. ["public.users"].')
    expected_rows = models.JSONField(default=dict, blank=True, help_text='Minimum rows per table, e.g. {"users": 1000}.')
    restore_test = models.BooleanField(default=True, help_text="Restore dumps into a scratch database and inspect them.")
    schedule = models.CharField(max_length=100, default=DEFAULT_SCHEDULE, help_text="Cron, in UTC.")
    source_database_url = EncryptedTextField(
        blank=True, validators=[MaxLengthValidator(500)],
        help_text="Optional: the database this backup is taken from; a restore server equal to it is refused. "
        "A secret: encrypted at rest, never shown again.",
    )
    next_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    running_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_good_at = models.DateTimeField(null=True, blank=True, editable=False)
    alerting = models.BooleanField(default=False, editable=False)  # a problem event is out, no recovery yet
    stale_alerted = models.BooleanField(default=False, editable=False)  # backup_stale sent for this spell
    created_at = models.DateTimeField(auto_now_add=True)

    SECRET_FIELDS = ("source_database_url",)
    SETTINGS_FIELDS = (
        "name", "enabled", "path", "format", "max_age", "min_size_mb", "critical_tables", "expected_rows",
        "restore_test", "schedule", "source_database_url",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def source_key(self):
        """How `incidents` refers to this source without importing it."""
        return f"backup:{self.pk}"

    @property
    def restores(self):
        return self.restore_test and self.format in (Format.PG_DUMP, Format.SQL)

    def next_run_after(self, moment):
        """The schedule's next time after `moment`; cron is read in UTC."""
        return croniter(self.schedule, moment.astimezone(dt_timezone.utc)).get_next(datetime)

    def clean(self):
        errors = {}
        if not croniter.is_valid(self.schedule or ""):
            errors["schedule"] = f"{self.schedule!r} is not a cron expression (e.g. {DEFAULT_SCHEDULE})"
        if not isinstance(self.critical_tables, list) or not all(
            isinstance(t, str) and t for t in self.critical_tables
        ):
            errors["critical_tables"] = "Give a list of table names."
        if not isinstance(self.expected_rows, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in self.expected_rows.values()
        ):
            errors["expected_rows"] = "Give a mapping of table names to whole numbers of rows (0 or more)."
        if self.source_database_url and not _is_database_url(self.source_database_url):
            # Never quote the URL back: it may hold a password.
            errors["source_database_url"] = "Not a PostgreSQL URL (postgres://user:password@host:5432/db)."
        if errors:
            raise ValidationError(errors)


def _is_database_url(url):
    try:
        Server.from_url(url)
    except ValueError:
        return False
    return True


class VerificationRunQuerySet(models.QuerySet):
    def latest_per_source(self):
        """The newest run of every source (a source never verified shows as such), as dicts
        for the dashboards and `GET /api/monitoring/backup-status`."""
        from backups.selectors import latest_per_source

        return latest_per_source(self)


class VerificationRun(models.Model):
    """One verification, with the seed's `backup_verification_log` fields."""

    source = models.ForeignKey(BackupSource, on_delete=models.CASCADE, related_name="runs")
    verified_at = models.DateTimeField(db_index=True)
    backup_id = models.CharField(max_length=400, blank=True, help_text="The file's name and sha256 checksum.")
    backup_path = models.CharField(max_length=1000, blank=True)
    backup_age_hours = models.FloatField(null=True, blank=True)
    backup_size_mb = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    checks_passed = models.PositiveIntegerField(default=0)
    checks_failed = models.PositiveIntegerField(default=0)
    error_details = models.TextField(blank=True)
    verification_details = models.JSONField(default=list, blank=True)
    duration_seconds = models.FloatField(default=0)

    objects = VerificationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-verified_at", "-pk"]
        indexes = [models.Index(fields=["source", "-verified_at"], name="backups_run_source_latest")]

    def __str__(self):
        return f"{self.source} at {self.verified_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def age(self):
        return timedelta(hours=self.backup_age_hours) if self.backup_age_hours is not None else None
