"""The audit log: who signed in (or failed to), changed roles, or changed anything in the admin."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """Written by `portal.audit` only; super admins read it in the admin, nobody edits it."""

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
