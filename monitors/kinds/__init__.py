"""Monitor kinds: one package each, listed once here (see core.kinds for the shape).

Besides `LABEL`, `Settings` and `SECRETS`, a monitor kind gives

- `check(monitor, now)`: its checker, pure, returning a `monitors.checks.base.Outcome`;
  `now` is when the check started (a pushed kind judges against it, others ignore it);

and may give

- `ADMIN_ROWS`: how its settings are laid out on the admin's change form (fields
  sharing a tuple share a line); default: one a line, in the form's order;
- `CONFIG_VALUES`: {setting: (parse, dump)} for config files, where the YAML value is not
  the form's own (durations such as `1h`); default: by the form field's type;
- `PINGED = True`: the monitored job reports in through ping URLs (a heartbeat). Checking
  it only reads what was reported, so it has no timeout, its grace is its confirmation,
  and its verdict is taken again on the latest ping when the result is recorded; then
  `deadline(monitor)`: when it goes down without news;
- `DOWN_EVENT`: the event kind its going down raises (default `monitor_down`).

The monitor's settings are kept in its `settings` (plain) and `secrets` (encrypted) JSON
documents and read as attributes (`monitor.url`): see `monitors.models.monitor`.
"""

from core.kinds import Registry, clean_settings, settings_fields

KINDS = Registry(
    "monitor",
    {
        "http": "monitors.kinds.http",
        "tcp": "monitors.kinds.tcp",
        "tls": "monitors.kinds.tls",
        "heartbeat": "monitors.kinds.heartbeat",
        "postgres": "monitors.kinds.postgres",
        "redis": "monitors.kinds.redis",
    },
)


def kind_choices():
    """The `kind` column's choices: a callable, so a new kind needs no migration."""
    return KINDS.choices()


def kind_of(name):
    """The kind package named `name`, or None for a name the registry does not know."""
    return KINDS[name] if name in KINDS else None


def setting_names():
    """Every kind's settings, each name once, in registry order (the flat keys of the API and config)."""
    names = {}
    for name in KINDS:
        names.update(dict.fromkeys(settings_fields(KINDS[name])))
    return list(names)


def declaring_kinds(setting):
    return [KINDS[name] for name in KINDS if setting in KINDS[name].Settings.base_fields]


def default(kind, setting):
    """The value a kind's setting has when none was given: the form field's initial, else its empty value."""
    field = kind.Settings.base_fields[setting]
    initial = field.initial() if callable(field.initial) else field.initial
    return initial if initial is not None else field.to_python(None)


def is_secret(kind, setting):
    return setting in kind.SECRETS


def pinged(kind):
    return getattr(kind, "PINGED", False)


def pinged_kinds():
    return [name for name in KINDS if pinged(KINDS[name])]


def validate(kind, values):
    """A monitor's `values` of its kind's settings cleaned by the kind's form: (plain, secrets).

    A setting left out takes its default; an empty secret is not kept.
    """
    return clean_settings(kind, {name: values.get(name, default(kind, name)) for name in settings_fields(kind)})
