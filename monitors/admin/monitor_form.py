"""The monitor change form: the shared columns, then the chosen kind's own settings
(built from its `Settings` form; its secrets write-only, each with a box that clears it)."""

import copy
import json

from django import forms
from django.utils.html import format_html, format_html_join

from core.secret_forms import WriteOnlySecretsForm, clear_field, secret_field
from monitors.kinds import KINDS, default, kind_of
from monitors.models import Monitor


def _label(name, field):
    return field.label or name.replace("_", " ").capitalize()


def _spoken(label):
    """How a secret is named in "… is set": "A password", "A DSN", "Headers"."""
    if label.endswith("s"):
        return label
    return f"A {label if label.isupper() else label.lower()}"


def _secret_fields(name, field):
    label = _label(name, field)
    multiline = isinstance(field, forms.JSONField)
    return {
        name: secret_field(label, field.help_text, multiline=multiline, size=20 if (field.max_length or 0) <= 200 else 60),
        f"clear_{name}": clear_field(label if label.isupper() else label.lower()),
    }


class KindSettingsForm(WriteOnlySecretsForm):
    """A monitor form for one kind (`settings_kind`, named `kind_name`; None until one is chosen)."""

    settings_kind = kind_name = None

    class Meta:
        model = Monitor
        exclude = ["settings", "secrets"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.settings_kind is None:
            return
        for name in self.settings_kind.Settings.base_fields:
            if name in self.settings_kind.SECRETS:
                self._describe_secret(name)
            elif self.instance.pk and self.instance.kind == self.kind_name:
                self.initial[name] = getattr(self.instance, name)

    def _describe_secret(self, name):
        if self.instance.pk and isinstance(self.settings_kind.Settings.base_fields[name], forms.JSONField):
            count = len(getattr(self.instance, name) or {})
            self.fields[name].help_text = (
                f"A JSON object. Leave blank to keep the current {self.fields[name].label.lower()} ({count} set);"
                " {} removes them."
            )

    def clean(self):
        cleaned = super().clean()
        for name in self.secret_labels:
            if isinstance(self.settings_kind.Settings.base_fields[name], forms.JSONField):
                cleaned[name] = self._json(name, cleaned.get(name))
        self.instance.kind = cleaned.get("kind", self.instance.kind)
        if self.settings_kind is not None:
            for name in self.settings_kind.Settings.base_fields:
                if name in cleaned:
                    setattr(self.instance, name, cleaned[name])
        return cleaned

    def _json(self, name, raw):
        if not isinstance(raw, str):
            return raw
        try:
            value = json.loads(raw)
        except ValueError as exc:
            self.add_error(name, f"Not valid JSON: {exc}")
            return raw
        if not isinstance(value, dict):
            self.add_error(name, "Give a JSON object, e.g. {}.")
        return value

    def _empty(self, name):
        return default(self.settings_kind, name)


def monitor_form(kind_name):
    """The admin form class for monitors of `kind_name` (unknown or None: the shared fields)."""
    kind = kind_of(kind_name)
    attrs, labels = {"settings_kind": kind, "kind_name": kind_name if kind else None}, {}
    for name, field in (kind.Settings.base_fields.items() if kind else ()):
        if name in kind.SECRETS:
            attrs.update(_secret_fields(name, field))
            labels[name] = _spoken(_label(name, field))
        else:
            attrs[name] = copy.deepcopy(field)
    attrs["secret_labels"] = labels
    return type(f"{(kind_name or 'Any').capitalize()}MonitorForm", (KindSettingsForm,), attrs)


def kind_rows(kind):
    """The kind's fieldset: its ADMIN_ROWS (or one field a line), each secret with its clear box."""
    rows = getattr(kind, "ADMIN_ROWS", None) or tuple(kind.Settings.base_fields)
    listed = {name for row in rows for name in (row if isinstance(row, tuple) else (row,))}
    rows = (*rows, *(name for name in kind.Settings.base_fields if name not in listed))
    return tuple((row, f"clear_{row}") if row in kind.SECRETS else row for row in rows)


def kind_links():
    """Links that open the add form with a kind chosen."""
    return format_html(
        "Choose one, or start from: {}",
        format_html_join(", ", '<a href="?kind={}">{}</a>', ((name, KINDS[name].LABEL) for name in KINDS)),
    )
