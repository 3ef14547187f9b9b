"""The `monitors:` section: one mapping per monitor, matched by name, saved by monitor_save.

A monitor's `channels: [names]` is a shortcut for an alert rule on that monitor alone
(every event kind, those channels, immediately). The rule ("<monitor> (monitor channels)")
belongs to the monitor's entry: created, updated and deleted with it, exported as its
`channels:` key, and left out of the `alert_rules:` section.
"""

from decimal import Decimal, InvalidOperation

from django import forms

from core.config import values as v
from core.config.base import ModelSection
from core.config.values import Key
from incidents.config import MONITOR_RULE_SUFFIX, missing_names, monitor_rule_name, rows_named
from incidents.models import AlertRule, Channel, Source
from monitors.kinds import declaring_kinds, default, kind_of, setting_names
from monitors.models import Monitor, Tag
from monitors.services import monitor_save


def _percent(value):
    """An objective such as 99.9 (or "99.9%")."""
    text = str(value).strip().removesuffix("%") if isinstance(value, (int, float, str)) else None
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        raise ValueError("must be a percentage such as 99.9") from None


def _dump_percent(value):
    return None if value is None else float(value)


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    return value


# How a YAML value of a kind's setting is read, by the type of its form field (the first
# that fits: a FloatField is an IntegerField too).
PARSERS = (
    (forms.BooleanField, v.boolean),
    ((forms.FloatField, forms.DecimalField), v.optional(_number)),
    (forms.IntegerField, v.optional(v.integer)),
    (forms.JSONField, v.mapping),
    (forms.CharField, v.text),
    (forms.ChoiceField, v.text),
)


def _kind_key(name):
    """A kind setting's key; a secret (of any kind that has it) may be given as ${ENV_VAR}."""
    kind = declaring_kinds(name)[0]
    field = kind.Settings.base_fields[name]
    parse, dump = getattr(kind, "CONFIG_VALUES", {}).get(name) or (
        next(parse for field_type, parse in PARSERS if isinstance(field, field_type)), v.identity
    )
    secret = any(name in kind.SECRETS for kind in declaring_kinds(name))
    return Key(name, v.from_env(parse) if secret else parse, dump)


class MonitorSection(ModelSection):
    key = "monitors"
    noun = "monitor"
    model = Monitor
    keys = (
        Key("name", v.text),
        Key("kind", v.text),
        Key("interval", v.whole_duration, v.dump_duration),
        Key("timeout", v.duration, v.dump_duration),
        Key("confirmations", v.integer),
        Key("slow_ms", v.optional(v.integer)),
        Key("severity", v.text),
        Key("tags", v.slug_list(Tag._meta.get_field("name"))),
        Key("channels", v.string_list),
        Key("public", v.boolean),
        Key("paused", v.boolean),
        Key("slo_target", v.optional(_percent), _dump_percent),
        Key("slo_window_days", v.integer),
        # Kept when absent and exported for pinged kinds, so a rebuild keeps the ping URLs.
        Key("ping_uuid", v.uuid_value, str, keep_when_absent=True),
        # Each kind's own settings, as its form declares them (monitors.kinds).
        *(_kind_key(name) for name in setting_names()),
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

    def default(self, name, kind=None):
        if name == "channels":
            return []
        if self.model_field(name) is None:
            return default(kind or declaring_kinds(name)[0], name)
        return super().default(name)

    def related_names(self):
        return ["tags", "channels"]

    def desired(self, item):
        """The shared settings and the settings of the item's kind: what it gives, defaults
        for the rest. A secret it does not give is left out, so the row keeps it."""
        kind = kind_of(item.values.get("kind"))
        own, secrets = (kind.Settings.base_fields, kind.SECRETS) if kind else ({}, ())
        wanted = {}
        for key in self.keys:
            if key.name not in own and self.model_field(key.name) is None and key.name != "channels":
                continue  # a setting of another kind
            if key.name in item.values:
                wanted[key.name] = item.values[key.name]
            elif not (key.kept_when_absent or key.name in secrets):
                wanted[key.name] = self.default(key.name, kind)
        return wanted

    def describe_error(self, name, error):
        if error.code == "invalid_choice" and self.model_field(name) is None:
            choices = ", ".join(str(value) for kind in declaring_kinds(name)
                                for value, _ in kind.Settings.base_fields[name].choices)
            return f"{error.params['value']!r} is not one of: {choices}"
        return super().describe_error(name, error)

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
        """The shared settings, then the kind's own (never its secrets); the ping UUID of a pinged kind."""
        kind = kind_of(instance.kind)
        entry = {}
        for key in self.keys:
            if self.model_field(key.name) is None and key.name != "channels":
                if kind is None or key.name not in kind.Settings.base_fields or key.name in kind.SECRETS:
                    continue
                value, usual = getattr(instance, key.name), default(kind, key.name)
            else:
                value, usual = self.current_value(instance, key.name), self.default(key.name)
            if key.name in self.required() or value != usual:
                entry[key.name] = key.dump(value)
        if not instance.pinged:
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
