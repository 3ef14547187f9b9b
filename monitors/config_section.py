"""The `monitors:` section: one mapping per monitor, matched by name, saved by monitor_save.

A monitor's `channels: [names]` is a shortcut for an alert rule on that monitor alone
(every event kind, those channels, immediately). The rule ("<monitor> (monitor channels)")
belongs to the monitor's entry: created, updated and deleted with it, exported as its
`channels:` key, and left out of the `alert_rules:` section.
"""

from decimal import Decimal, InvalidOperation

from core.config import values as v
from core.config.base import ModelSection
from core.config.values import Key
from incidents.config_sections import MONITOR_RULE_SUFFIX, missing_names, monitor_rule_name, rows_named
from incidents.models import AlertRule, Channel, Source
from monitors.models import Monitor, Tag
from monitors.services import monitor_save
from monitors.status_spec import format_status_spec


def _status_spec(value):
    if isinstance(value, bool) or not isinstance(value, (int, str, list)):
        raise ValueError('must be a code, a string like "200-299, 301" or a list of codes and ranges')
    return format_status_spec(value)


def _percent(value):
    """An objective such as 99.9 (or "99.9%")."""
    text = str(value).strip().removesuffix("%") if isinstance(value, (int, float, str)) else None
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        raise ValueError("must be a percentage such as 99.9") from None


def _dump_percent(value):
    return None if value is None else float(value)


def _key(name, parse, dump=v.identity):
    """Monitor.SECRET_FIELDS are never exported and may be given as ${ENV_VAR}."""
    if name in Monitor.SECRET_FIELDS:
        return Key(name, v.from_env(parse), dump, secret=True)
    return Key(name, parse, dump)


class MonitorSection(ModelSection):
    key = "monitors"
    noun = "monitor"
    model = Monitor
    keys = (
        _key("name", v.text),
        _key("kind", v.text),
        _key("interval", v.whole_duration, v.dump_duration),
        _key("timeout", v.duration, v.dump_duration),
        _key("confirmations", v.integer),
        _key("slow_ms", v.optional(v.integer)),
        _key("severity", v.text),
        _key("tags", v.slug_list(Tag._meta.get_field("name"))),
        _key("channels", v.string_list),
        _key("public", v.boolean),
        _key("paused", v.boolean),
        _key("slo_target", v.optional(_percent), _dump_percent),
        _key("slo_window_days", v.integer),
        # http
        _key("url", v.text),
        _key("method", v.text),
        _key("body", v.text),
        _key("expected_status", _status_spec),
        _key("keyword", v.text),
        _key("keyword_absent", v.text),
        _key("headers", v.mapping),
        _key("auth_user", v.text),
        _key("auth_password", v.text),
        _key("tls_verify", v.boolean),
        # tcp, tls
        _key("host", v.text),
        _key("port", v.optional(v.integer)),
        _key("server_name", v.text),
        _key("expiry_warning_days", v.integer),
        # heartbeat
        _key("period", v.optional(v.whole_duration), v.dump_duration),
        _key("grace", v.optional(v.whole_duration), v.dump_duration),
        # Kept when absent and exported for heartbeats, so a rebuild keeps the ping URLs.
        Key("ping_uuid", v.uuid_value, str, keep_when_absent=True),
        # postgres
        _key("dsn", v.text),
        _key("query", v.text),
    )

    def queryset(self):
        """Monitors, each with `config_channels`: the channels of its shortcut rule."""
        monitors = list(super().queryset())
        rules = AlertRule.objects.filter(name__endswith=MONITOR_RULE_SUFFIX).prefetch_related("sources", "channels")
        channels = {
            source.key: sorted(channel.name for channel in rule.channels.all())
            for rule in rules
            for source in rule.sources.all()
        }
        for monitor in monitors:
            monitor.config_channels = channels.get(monitor.source_key, [])
        return monitors

    def default(self, name):
        return [] if name == "channels" else super().default(name)

    def current_value(self, instance, name):
        if name == "channels":
            return instance.config_channels
        return super().current_value(instance, name)

    def check_references(self, item, names, problems):
        if "channels" not in item.values:
            return
        if not hasattr(self, "_channel_names"):
            self._channel_names = names.available("channels", Channel.objects.values_list("name", flat=True))
        for line in missing_names("channel", item.values["channels"], self._channel_names):
            problems.add(item, line, key="channels")

    def apply(self, change):
        if change.action == "delete":
            _monitor_rule(Monitor.objects.get(pk=change.pk)).delete()
        super().apply(change)

    def save(self, instance, related):
        monitor_save(instance, tags=related.get("tags"))
        if "channels" in related:
            _set_monitor_channels(instance, related["channels"])

    def export_one(self, instance):
        entry = super().export_one(instance)
        if instance.kind != "heartbeat":
            entry.pop("ping_uuid", None)
        return entry


def _monitor_rule(monitor):
    return AlertRule.objects.filter(name__endswith=MONITOR_RULE_SUFFIX, sources__key=monitor.source_key)


def _set_monitor_channels(monitor, names):
    """Create, update or delete the monitor's shortcut rule (no channels: no rule)."""
    rule = _monitor_rule(monitor).first()
    if not names:
        if rule:
            rule.delete()
        return
    rule = rule or AlertRule()
    rule.name = monitor_rule_name(monitor.name)
    rule.event_kinds = []
    rule.full_clean()
    rule.save()
    rule.sources.set([Source.objects.get(key=monitor.source_key)])
    rule.channels.set(rows_named(Channel, names, "channel"))
