"""Alerting: sources and their events, rules, channels, incidents, and the notification outbox.

The flow, all inside the transaction of whatever caused an event:
event → matching AlertRules → an Incident opened, joined or resolved (with TimelineEntry
rows) → one Notification per channel (the outbox) → delivered later by
`incidents.delivery`, which records each DeliveryAttempt.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from incidents.models.channel import Channel


class Severity(models.TextChoices):
    P0 = "P0", "P0 critical"
    P1 = "P1", "P1 high"
    P2 = "P2", "P2 medium"
    P3 = "P3", "P3 low"


# How long an incident may wait for an acknowledgement before it escalates (the seed's SLAs).
RESPONSE_SLA = {
    Severity.P0: timedelta(minutes=15),
    Severity.P1: timedelta(hours=1),
    Severity.P2: timedelta(hours=4),
    Severity.P3: timedelta(days=1),
}
DEFAULT_SEVERITY = Severity.P2


class Source(models.Model):
    """Something that emits events: a monitor, a backup source, or one of the team's apps.

    Monitors and backup sources register themselves here (through `incidents.sources`), so
    rules can name them and follow renames without incidents importing those apps. App
    sources are created in the admin or with `create_event_source`, and own a routing key
    for `POST /api/events`.
    """

    class Kind(models.TextChoices):
        MONITOR = "monitor", "Monitor"
        BACKUP = "backup", "Backup source"
        APP = "app", "App (events API)"

    key = models.CharField(max_length=200, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)
    tags = models.JSONField(default=list, blank=True)
    routing_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="source_unique_kind_name")]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display().lower()})"


class Event(models.Model):
    """Something a source reports. Sources are named by a stable key ("monitor:12"),
    so incidents never imports the app that produced the event."""

    kind = models.CharField(max_length=40)
    source_key = models.CharField(max_length=200)
    # Blank when the source has none: the matching rule's severity applies.
    severity = models.CharField(max_length=2, choices=Severity.choices, blank=True)
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    dedup_key = models.CharField(max_length=300)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["source_key", "-occurred_at"]),
            models.Index(fields=["dedup_key"]),
        ]

    def __str__(self):
        return f"{self.kind} {self.source_key}: {self.summary}"


class AlertRule(models.Model):
    """Which events go to which channels, how soon, and who hears when nobody acknowledges.

    A rule with no sources and no tags matches every source; with no event kinds, every kind;
    with no severities, every severity (an event matches `severities` by its own severity,
    as the events API gives it, so app events can be routed by how bad they say they are).
    """

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "Immediately"
        HOURLY = "hourly", "Hourly summary"
        DAILY = "daily", "Daily summary"

    name = models.CharField(max_length=200, unique=True)
    enabled = models.BooleanField(default=True)
    event_kinds = models.JSONField(default=list, blank=True, help_text="Empty: every kind.")
    sources = models.ManyToManyField(Source, blank=True, related_name="rules")
    tags = models.JSONField(default=list, blank=True, help_text="Sources with any of these tags.")
    severities = models.JSONField(
        default=list, blank=True, help_text="Only events that come with one of these severities. Empty: every event."
    )
    severity = models.CharField(
        max_length=2, choices=Severity.choices, blank=True, help_text="Applied when the event's source gives none."
    )
    channels = models.ManyToManyField(Channel, blank=True, related_name="rules")
    all_channels = models.BooleanField(default=False, help_text="Every enabled channel, present and future.")
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    escalate_after = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(60)],
        help_text="Seconds without acknowledgement before escalating (at least 60). Empty: the severity's SLA.",
    )
    escalation_channels = models.ManyToManyField(Channel, blank=True, related_name="escalating_rules")
    repeat_every = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=3600,
        validators=[MinValueValidator(60)],
        help_text="Seconds between reminders of unresolved P0/P1 incidents (at least 60). Empty: no reminders.",
    )
    runbook_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Incident(models.Model):
    """A problem being worked on: opened by a problem event (or a person), resolved by its
    recovery (or a person). At most one open incident per dedup key."""

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"

    ref = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=500)
    severity = models.CharField(max_length=2, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVESTIGATING)
    dedup_key = models.CharField(max_length=300, blank=True)
    source_key = models.CharField(max_length=200, blank=True)
    rules = models.ManyToManyField(AlertRule, blank=True, related_name="incidents")
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["status", "-opened_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=~Q(status="resolved") & ~Q(dedup_key=""),
                name="incident_one_open_per_dedup_key",
            ),
        ]

    def __str__(self):
        return f"{self.ref} {self.title}"

    def get_absolute_url(self):
        return reverse("incidents-page", args=[self.ref])

    @property
    def is_open(self):
        return self.status != self.Status.RESOLVED


class IncidentCounter(models.Model):
    """The last incident number of a year, for INC-YYYY-NNN references."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class TimelineEntry(models.Model):
    """One line of an incident's history: an event, a notification, or a person's update."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        EVENT = "event", "Event"
        NOTIFICATION = "notification", "Notification"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ESCALATED = "escalated", "Escalated"
        REMINDER = "reminder", "Reminder"
        UPDATE = "update", "Update"
        STATUS = "status", "Status changed"
        RESOLVED = "resolved", "Resolved"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField()
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notification = models.ForeignKey(
        "Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    public = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "timeline entries"

    def __str__(self):
        return f"{self.incident_id} {self.at:%Y-%m-%d %H:%M:%S} {self.kind}"


class Notification(models.Model):
    """The outbox: one message owed to one channel, written in the transaction that caused it.

    `payload` holds everything a sender needs, rendered when the row is written:
    title, text, severity, kind, source, status, duration_seconds, incident, incident_url,
    ack_url, runbook_url, occurred_at (and postmortem_url on post-mortem reminders). Senders
    never read other tables for content.
    """

    class Kind(models.TextChoices):
        PROBLEM = "problem", "Problem"
        RECOVERY = "recovery", "Recovery"
        NOTICE = "notice", "Notice"
        ESCALATION = "escalation", "Escalation"
        REMINDER = "reminder", "Reminder"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    delivery = models.CharField(max_length=16, choices=AlertRule.Delivery.choices, default=AlertRule.Delivery.IMMEDIATE)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(help_text="Due: now, the next digest, or the next retry.")
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["channel", "next_attempt_at"], condition=Q(status="pending"), name="notification_pending_idx"
            ),
        ]
        constraints = [
            # An event reaches a channel once, however many rules route it there.
            models.UniqueConstraint(
                fields=["channel", "event"], condition=Q(event__isnull=False), name="notification_once_per_event"
            ),
        ]

    def __str__(self):
        return f"{self.channel_id} {self.kind}: {self.payload.get('title', '')}"


class DeliveryAttempt(models.Model):
    """One try at sending one message (one or several coalesced notifications) to a channel."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        RETRY = "retry", "Failed, will retry"
        PERMANENT = "permanent", "Failed permanently"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="attempts")
    notifications = models.ManyToManyField(Notification, related_name="attempt_log")
    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["channel", "-started_at"])]

    def __str__(self):
        return f"{self.channel_id} {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"


class PostMortem(models.Model):
    """The written review of one incident (the seed's template). A draft may be incomplete;
    publishing requires impact, root cause, resolution steps and prevention."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    users_affected = models.CharField(max_length=200, blank=True)
    features_unavailable = models.TextField(blank=True)
    revenue_impact = models.CharField(max_length=200, blank=True)
    root_cause = models.TextField(blank=True)
    resolution_steps = models.TextField(blank=True)
    prevention = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    public_link = models.BooleanField(default=False, help_text="Link the published post-mortem from the public incident.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Post-mortem {self.incident_id} ({self.status})"

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED


class ActionItem(models.Model):
    """Follow-up work from a post-mortem; open ones show on the dashboard until done."""

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="action_items")
    description = models.CharField(max_length=500)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner_name = models.CharField(max_length=200, blank=True, help_text="When the owner has no account.")
    due_date = models.DateField(null=True, blank=True)
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["done", "due_date", "id"]
        indexes = [models.Index(fields=["done", "due_date"])]

    def __str__(self):
        return self.description

    @property
    def owner_label(self):
        if self.owner_id:
            return self.owner.get_full_name() or self.owner.get_username()
        return self.owner_name

