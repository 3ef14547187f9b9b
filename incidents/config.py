"""The `channels:` and `alert_rules:` sections of a config file.

Rules name their channels, monitors and event sources; a name must exist once the file is
applied (in the database, or defined by the same file). Names become rows when the change
is applied, inside the one transaction, after the sections before (channels, monitors)
have written theirs.

With --prune, a section deletes the rows its list no longer names. The shipped rules (the
alert tiers, made by a migration) are ordinary rules once they exist: export writes them,
and --prune deletes them when the file leaves them out. Rules owned by a monitor's
`channels:` key (named "<monitor> (monitor channels)") belong to the monitors section and
are neither exported nor pruned here.
"""

import difflib
from functools import cached_property

from django.db import models

from core.config import values as v
from core.config.base import ModelSection
from core.config.values import Key
from incidents.channels import KINDS, secret_names, setting_fields
from incidents.event_kinds import EVENT_KINDS
from incidents.models import AlertRule, Channel, Severity, Source

MONITOR_RULE_SUFFIX = " (monitor channels)"


def monitor_rule_name(monitor_name):
    """The rule behind a monitor's `channels:` key (cut so it fits AlertRule.name)."""
    limit = AlertRule._meta.get_field("name").max_length - len(MONITOR_RULE_SUFFIX)
    return f"{monitor_name[:limit]}{MONITOR_RULE_SUFFIX}"


def missing_names(kind, given, available):
    """One problem per name that will not exist, with the closest one as a hint."""
    for name in sorted(set(given) - set(available)):
        close = difflib.get_close_matches(name, sorted(available), n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        yield f'no {kind} named "{name}"{hint}'


def rows_named(model, names, noun, **filters):
    """The rows with these names; one missing (deleted meanwhile) aborts the whole apply."""
    rows = list(model.objects.filter(name__in=names, **filters))
    missing = set(names) - {row.name for row in rows}
    if missing:
        raise model.DoesNotExist(f'no {noun} named "{sorted(missing)[0]}"')
    return rows


# Channels ---------------------------------------------------------------


def _kind_keys():
    """The kinds' settings as flat keys of a channel (`url:`, `recipients:` …). A secret
    may be given as ${ENV_VAR} and is never exported; a kind's CONFIG_KEYS say how it
    writes other settings; the rest are text."""
    own = {key.name: key for name in KINDS for key in getattr(KINDS[name], "CONFIG_KEYS", ())}
    return tuple(
        Key(name, v.from_env(v.text), secret=True) if name in secret_names() else own.get(name, Key(name, v.text))
        for name in setting_fields()
    )


class ChannelSection(ModelSection):
    """Channels, with their kind's settings as flat keys (saved in `settings` and `secrets`)."""

    key = "channels"
    noun = "channel"
    model = Channel

    @cached_property
    def keys(self):
        return (Key("name", v.text), Key("kind", v.text), Key("enabled", v.boolean), *_kind_keys())

    def default(self, name):
        return super().default(name) if self.model_field(name) else ""

    def current_value(self, instance, name):
        return super().current_value(instance, name) if self.model_field(name) else instance.value(name)

    def _build(self, current, desired):
        """The row as the plan validates it: the kind's settings are no columns, so they
        are assigned here (Channel.clean judges them)."""
        instance = super()._build(current, desired)
        instance.assign(self._split(desired)[1])
        return instance

    def save(self, instance, related):
        """Channel.clean() judges the kind's settings (and refuses private addresses)."""
        instance.assign(related)
        instance.full_clean()
        instance.save()


# Alert rules ---------------------------------------------------------------


def _event_kinds(value):
    kinds = v.string_list(value)
    unknown = [kind for kind in kinds if kind not in EVENT_KINDS]
    if unknown:
        raise ValueError(f"unknown event kinds: {', '.join(unknown)} (known: {', '.join(EVENT_KINDS.names())})")
    return kinds


def _severities(value):
    severities = v.string_list(value)
    unknown = [severity for severity in severities if severity not in Severity.values]
    if unknown:
        raise ValueError(f"unknown severities: {', '.join(unknown)} (known: {', '.join(Severity.values)})")
    return sorted(set(severities))


# Keys that are no column of AlertRule: `events` is event_kinds; `monitors` and
# `event_sources` are its sources of those kinds.
SOURCE_KEYS = {"monitors": Source.Kind.MONITOR, "event_sources": Source.Kind.APP}
NOUNS = {"monitors": "monitor", "event_sources": "event source", "channels": "channel", "escalation_channels": "channel"}


class AlertRuleSection(ModelSection):
    key = "alert_rules"
    noun = "alert rule"
    model = AlertRule
    keys = (
        Key("name", v.text),
        Key("events", _event_kinds),
        Key("monitors", v.string_list),
        Key("event_sources", v.string_list),
        Key("tags", v.slug_list(models.SlugField(max_length=64))),
        Key("severities", _severities),
        Key("severity", v.text),
        Key("channels", v.string_list),
        Key("all_channels", v.boolean),
        Key("delivery", v.text),
        Key("escalate_after", v.optional(v.whole_duration), v.dump_duration),
        Key("escalation_channels", v.string_list),
        Key("repeat_every", v.optional(v.whole_duration), v.dump_duration),
        Key("runbook_url", v.text),
        Key("enabled", v.boolean),
    )

    def __init__(self):
        self._available = {}

    def queryset(self):
        rules = super().queryset().prefetch_related("sources")
        return rules.exclude(name__endswith=MONITOR_RULE_SUFFIX)

    def default(self, name):
        return [] if name in ("events", *SOURCE_KEYS) else super().default(name)

    def current_value(self, instance, name):
        if name == "events":
            return sorted(instance.event_kinds)
        if name in ("tags", "severities"):
            return sorted(getattr(instance, name))
        if name in SOURCE_KEYS:
            return sorted(source.name for source in instance.sources.all() if source.kind == SOURCE_KEYS[name])
        return super().current_value(instance, name)

    def check_references(self, item, names, problems):
        if item.name and item.name.endswith(MONITOR_RULE_SUFFIX):
            reserved = f'names ending in "{MONITOR_RULE_SUFFIX.strip()}" belong to monitors\' channels: key'
            problems.add(item, reserved, key="name")
            item.failed.add("name")
        for key in ("monitors", "event_sources", "channels", "escalation_channels"):
            for line in missing_names(NOUNS[key], item.values.get(key, ()), self._names(key, names)):
                problems.add(item, line, key=key)

    def _names(self, key, names):
        if key not in self._available:
            if key in SOURCE_KEYS:
                existing = Source.objects.filter(kind=SOURCE_KEYS[key]).values_list("name", flat=True)
                self._available[key] = names.available(key, existing)
            else:
                self._available[key] = names.available("channels", Channel.objects.values_list("name", flat=True))
        return self._available[key]

    def save(self, instance, related):
        if "events" in related:
            instance.event_kinds = related["events"]
        instance.full_clean(exclude=self.related_names())
        instance.save()
        if any(key in related for key in SOURCE_KEYS):
            instance.sources.set(self._sources(instance, related))
        for key in ("channels", "escalation_channels"):
            if key in related:
                getattr(instance, key).set(rows_named(Channel, related[key], "channel"))

    def _sources(self, instance, related):
        """The named monitors and event sources; sources of other kinds (backups) are kept."""
        kept = [source for source in instance.sources.all() if source.kind not in SOURCE_KEYS.values()]
        for key, kind in SOURCE_KEYS.items():
            if key in related:
                kept += rows_named(Source, related[key], NOUNS[key], kind=kind)
            else:
                kept += [source for source in instance.sources.all() if source.kind == kind]
        return kept
