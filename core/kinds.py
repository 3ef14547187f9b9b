"""Kinds as plug-ins: each kind of monitor or channel is one package, listed once in its
app's registry (`{"http": "monitors.kinds.http", …}`).

A kind package exposes what every kind has:

- `LABEL`: how pages and docs name it;
- `Settings`: a `django.forms.Form` of its own settings (fields, defaults, help texts and
  validation), the one place a kind's settings are declared: the admin shows its fields,
  config files and the API validate through it. Its cleaned values are kept as JSON, so
  its fields give JSON values (text, numbers, booleans, lists, mappings);
- `SECRETS`: which of those fields are secrets, stored encrypted and never shown again;

and what its app asks of it besides (a checker, a sender …). A kind's settings are kept
as two documents on the row, `settings` (plain JSON) and `secrets` (encrypted JSON), so a
new kind needs no schema migration.
"""

from functools import cached_property
from importlib import import_module

from django.core.exceptions import ValidationError


class Registry:
    """The kinds of one app, by name; each package is imported when first asked for."""

    def __init__(self, what, packages):
        self.what = what  # "monitor", "channel": for messages
        self.packages = dict(packages)

    def __contains__(self, name):
        return name in self.packages

    def __iter__(self):
        return iter(self.packages)

    def __getitem__(self, name):
        if name not in self.packages:
            raise KeyError(f"unknown {self.what} kind {name!r}")
        return self._modules.setdefault(name, import_module(self.packages[name]))

    @cached_property
    def _modules(self):
        return {}

    def names(self):
        return list(self.packages)

    def choices(self):
        """(name, label) pairs for a model field's or a form's choices."""
        return [(name, self[name].LABEL) for name in self.packages]


def settings_fields(kind):
    """The names of a kind's settings, in the order its form declares them."""
    return list(kind.Settings.base_fields)


def clean_settings(kind, data, *, stored_secrets=None):
    """Validate `data` (a mapping of a kind's settings) with the kind's form.

    Returns `(settings, secrets)`: the cleaned plain values and the cleaned secrets. A secret
    left out or blank keeps its stored value (write-only fields are never sent back). Raises
    ValidationError with the form's errors per field; messages never quote a secret.
    """
    stored_secrets = stored_secrets or {}
    data = dict(data)
    for name in kind.SECRETS:
        if data.get(name) in (None, "") and stored_secrets.get(name) not in (None, ""):
            data[name] = stored_secrets[name]
    form = kind.Settings(data=data)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())  # each error keeps its code and params
    cleaned = form.cleaned_data
    secrets = {name: cleaned[name] for name in kind.SECRETS if cleaned.get(name) not in (None, "", {})}
    plain = {name: value for name, value in cleaned.items() if name not in kind.SECRETS}
    return plain, secrets
