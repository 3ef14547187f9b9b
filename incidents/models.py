"""Events handed to incidents by every source. Alerting (rules, incidents, outbox) builds on them."""

from django.db import models


class Severity(models.TextChoices):
    P0 = "P0", "P0 critical"
    P1 = "P1", "P1 high"
    P2 = "P2", "P2 medium"
    P3 = "P3", "P3 low"


class Event(models.Model):
    """Something a source reports. Sources are named by a stable key ("monitor:12"),
    so incidents never imports the app that produced the event."""

    kind = models.CharField(max_length=40)
    source_key = models.CharField(max_length=200)
    severity = models.CharField(max_length=2, choices=Severity.choices)
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
