"""A monitor's kind settings as attributes: `monitor.url` reads and writes its `settings`
(or, for a secret of its kind, its `secrets`) document.

Every setting name of every registered kind is an attribute, so `Monitor(kind="http",
url=…)`, the admin, config files and the API use the same flat names as ever, and a new
kind's settings need no column. A name the monitor's kind does not have reads as the
default of a kind that has it (an http monitor's `port` is None), as the columns did.
"""

from django.core.exceptions import ImproperlyConfigured

from monitors.kinds import KINDS, default, kind_of, setting_names, validate


def _default_elsewhere(name):
    kind = next(KINDS[kind] for kind in KINDS if name in KINDS[kind].Settings.base_fields)
    return default(kind, name)


def _setting(name):
    def read(monitor):
        kind = kind_of(monitor.kind)
        if kind is None or name not in kind.Settings.base_fields:
            return _default_elsewhere(name)
        found = monitor.secrets if name in kind.SECRETS else monitor.settings
        return found[name] if name in found else default(kind, name)

    def write(monitor, value):
        kind = kind_of(monitor.kind)
        secret = kind is not None and name in kind.SECRETS
        kept, other = ("secrets", "settings") if secret else ("settings", "secrets")
        # New documents, not changed ones: a copied monitor (config plans copy) shares them.
        setattr(monitor, kept, {**getattr(monitor, kept), name: value})
        setattr(monitor, other, {key: item for key, item in getattr(monitor, other).items() if key != name})

    return property(read, write, doc=f"The kind setting {name!r}.")


class KindSettings:
    """Mixed into Monitor, which has `kind`, `settings` and `secrets`."""

    def clean_kind_settings(self):
        """Validate the settings with the kind's form and keep its cleaned documents
        (the settings of another kind, after a change of kind, are dropped)."""
        kind = kind_of(self.kind)
        if kind is not None:
            self.settings, self.secrets = validate(kind, {**self.settings, **self.secrets})


for _name in setting_names():
    if _name in ("kind", "settings", "secrets") or _name.startswith("_"):
        raise ImproperlyConfigured(f"a monitor kind may not have a setting named {_name!r}")
    setattr(KindSettings, _name, _setting(_name))
