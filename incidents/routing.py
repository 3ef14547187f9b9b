"""Which rules match an event, which channels hear of it, how soon: pure functions over rows
loaded once per batch (`load_rules`), so routing costs no query per event."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from incidents.event_kinds import EVENT_KINDS
from incidents.models import DEFAULT_SEVERITY, AlertRule, Channel

Delivery = AlertRule.Delivery
URGENCY = {Delivery.IMMEDIATE: 0, Delivery.HOURLY: 1, Delivery.DAILY: 2}


@dataclass(frozen=True)
class LoadedRule:
    """An enabled AlertRule with its relations read once."""

    rule: AlertRule
    source_ids: frozenset
    channels: tuple


@dataclass(frozen=True)
class Route:
    rules: tuple  # matching AlertRules, by name
    deliveries: dict  # Channel → delivery mode (the most urgent of the rules sending there)
    severity: str  # the most urgent severity the rules give, or ""
    runbook_url: str


def load_rules():
    rules = (
        AlertRule.objects.filter(enabled=True)
        .prefetch_related("sources", Prefetch("channels", queryset=Channel.objects.for_routing()))
        .order_by("name")
    )
    return [
        LoadedRule(rule, frozenset(source.pk for source in rule.sources.all()), tuple(rule.channels.all()))
        for rule in rules
    ]


def any_to_all(rules):
    """Whether some rule sends to every channel (then the batch reads them, once)."""
    return any(loaded.rule.all_channels for loaded in rules)


def kinds_routing(kind, dedup_key=""):
    """The event kinds a rule may name to route an event of this kind, as the kind declares
    (its own name unless it says otherwise)."""
    return EVENT_KINDS[kind].routing_kinds(dedup_key)


def rule_matches(loaded, *, kinds, source, severity=""):
    rule = loaded.rule
    if not rule.enabled:
        return False
    if rule.event_kinds and not kinds & set(rule.event_kinds):
        return False
    if rule.severities and severity not in rule.severities:
        return False
    if not loaded.source_ids and not rule.tags:
        return True
    if source is None:
        return False
    return source.pk in loaded.source_ids or bool(set(rule.tags) & set(source.tags))


def route(rules, *, kind, dedup_key, source, every_channel, severity=""):
    """`severity` is the event's own (blank when its source gives none)."""
    kinds = kinds_routing(kind, dedup_key)
    matching = [loaded for loaded in rules if rule_matches(loaded, kinds=kinds, source=source, severity=severity)]
    deliveries = {}
    for loaded in matching:
        for channel in every_channel if loaded.rule.all_channels else loaded.channels:
            if channel.enabled:
                deliveries[channel] = most_urgent(deliveries.get(channel), loaded.rule.delivery)
    severities = [loaded.rule.severity for loaded in matching if loaded.rule.severity]
    runbooks = [loaded.rule.runbook_url for loaded in matching if loaded.rule.runbook_url]
    return Route(
        rules=tuple(loaded.rule for loaded in matching),
        deliveries=deliveries,
        severity=min(severities, default=""),
        runbook_url=runbooks[0] if runbooks else "",
    )


def most_urgent(current, candidate):
    if current is None:
        return candidate
    return min(current, candidate, key=URGENCY.__getitem__)


def severity_of(event, route, default=""):
    """The event's own severity, else the rules', else its kind's default, else the portal's."""
    return event.severity or route.severity or default or DEFAULT_SEVERITY


def due_at(delivery, now):
    """When a notification is due: now, at the next full hour, or at the next daily summary."""
    if delivery == Delivery.HOURLY:
        return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if delivery == Delivery.DAILY:
        return next_daily_summary(now)
    return now


def next_daily_summary(now):
    hour, minute = (int(part) for part in settings.DAILY_DIGEST_AT.split(":"))
    local = timezone.localtime(now)
    day = local.date()
    while True:
        candidate = timezone.make_aware(datetime.combine(day, time(hour, minute)))
        if candidate > now:
            return candidate
        day += timedelta(days=1)
