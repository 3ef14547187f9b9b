"""The `monitors:` section: one mapping per monitor, matched by name, saved by monitor_save."""

from core.config import values as v
from core.config.base import ModelSection
from core.config.values import Key
from monitors.models import Monitor, Tag
from monitors.services import monitor_save
from monitors.status_spec import format_status_spec


def _status_spec(value):
    if isinstance(value, bool) or not isinstance(value, (int, str, list)):
        raise ValueError('must be a code, a string like "200-299, 301" or a list of codes and ranges')
    return format_status_spec(value)


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
        _key("public", v.boolean),
        _key("paused", v.boolean),
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

    def save(self, instance, related):
        monitor_save(instance, tags=related.get("tags"))

    def export_one(self, instance):
        entry = super().export_one(instance)
        if instance.kind != "heartbeat":
            entry.pop("ping_uuid", None)
        return entry
