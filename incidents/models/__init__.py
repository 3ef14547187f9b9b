"""Alerting: sources and their events, rules, channels, incidents, and the notification outbox
(incident.py, channel.py); runbooks and on-call rotations (oncall.py)."""

from incidents.models.channel import Channel, ChannelQuerySet
from incidents.models.incident import (
    DEFAULT_SEVERITY, RESPONSE_SLA, ActionItem, AlertRule, DeliveryAttempt, Event, Incident, IncidentCounter,
    Notification, PostMortem, Severity, Source, TimelineEntry,
)
from incidents.models.oncall import Rotation, RotationMember, RotationOverride, Runbook, Weekday, validate_time_zone

__all__ = [
    "ActionItem", "AlertRule", "Channel", "ChannelQuerySet", "DEFAULT_SEVERITY", "DeliveryAttempt", "Event",
    "Incident", "IncidentCounter", "Notification", "PostMortem", "RESPONSE_SLA", "Rotation", "RotationMember",
    "RotationOverride", "Runbook", "Severity", "Source", "TimelineEntry", "Weekday", "validate_time_zone",
]
