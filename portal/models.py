"""The audit log: who signed in (or failed to), changed roles, or changed anything in the admin."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models


class AuditEntry(models.Model):
    """Written by `portal.accounts.audit` only; super admins read it in the admin, nobody edits it."""

    class Action(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Sign-in failed"
        LOGOUT = "logout", "Signed out"
        PASSWORD_CHANGE = "password_change", "Password changed"
        ROLE_CHANGE = "role_change", "Role changed"
        TWO_FACTOR = "two_factor", "Two-factor set up"
        ADMIN_ADD = "admin_add", "Added in the admin"
        ADMIN_CHANGE = "admin_change", "Changed in the admin"
        ADMIN_DELETE = "admin_delete", "Deleted in the admin"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Kept as text too: the user may be deleted later, or never existed (a failed sign-in).
    actor_name = models.CharField(max_length=150, blank=True)
    target = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit log"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.get_action_display()} {self.target}"


class WeeklyReport(models.Model):
    """One row per week whose report went out: the unique week is the claim, so several
    clusters running the hourly job send each week once."""

    week_ending = models.DateTimeField(unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"week ending {self.week_ending:%Y-%m-%d}"


LABEL = RegexValidator(r"^[a-z0-9_]+$", "Lower-case letters, digits and underscores only (it names `<label>_errors_24h`).")


def default_label(slug):
    """The slug's last hyphenated word: `dutycall-backend` → `backend`."""
    return slug.rsplit("-", 1)[-1].lower()


class SentryProject(models.Model):
    """A Sentry project Vigil reads: its error counts, its error-rate rule and its new issues.

    With no rows, the slugs in SENTRY_PROJECTS are read with SENTRY_ERROR_THRESHOLD and
    SENTRY_ERROR_WINDOW_MINUTES; once a row exists, the rows alone are the projects."""

    slug = models.SlugField(max_length=100, unique=True, help_text="The project's slug in Sentry.")
    label = models.CharField(
        max_length=50, blank=True, validators=[LABEL],
        help_text="Names its figure in /api/monitoring/error-stats (`<label>_errors_24h`); "
                  "blank: the slug's last hyphenated word (dutycall-backend → backend).",
    )
    error_threshold = models.PositiveIntegerField(
        default=50, validators=[MinValueValidator(1)],
        help_text="An error_rate event when this many errors arrive within the window.",
    )
    window = models.PositiveIntegerField(
        default=300, validators=[MinValueValidator(60), MaxValueValidator(3600)],
        help_text="The error-rate window in seconds (60 to 3600).",
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug

    @property
    def name(self):
        """What config files and the admin match rows by."""
        return self.slug

    @property
    def shown_label(self):
        return self.label or default_label(self.slug)

    def clean(self):
        others = SentryProject.objects.exclude(pk=self.pk).only("slug", "label")
        taken = {other.shown_label: other.slug for other in others}
        if self.slug and self.shown_label in taken:
            raise ValidationError({"label": f'"{self.shown_label}" is already the label of {taken[self.shown_label]}; give one of them another label'})


class KnownSentryIssues(models.Model):
    """The issue ids a project has shown, so a new one is announced once, across restarts
    and clusters. The row exists once the project was polled: its first poll records what
    is there without announcing it."""

    slug = models.CharField(max_length=100, unique=True)
    issue_ids = models.JSONField(default=list)
    polled_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name_plural = "known Sentry issues"

    def __str__(self):
        return f"{self.slug}: {len(self.issue_ids)} issues"
