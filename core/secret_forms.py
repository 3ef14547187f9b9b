"""Write-only secrets in forms (the admin's channels, monitors and backup sources).

A stored secret is never rendered, not even back into a form that failed validation; a
blank input keeps the stored value; ticking its `clear_<name>` box empties it.
"""

from django import forms


class SecretTextarea(forms.Textarea):
    """A textarea that never renders a value (PasswordInput's render_value=False, for text
    such as a JSON mapping of headers)."""

    def format_value(self, value):
        return None


def secret_field(label, help_text="", *, multiline=False, size=60, **kwargs):
    widget = (
        SecretTextarea(attrs={"rows": 3, "autocomplete": "off"})
        if multiline
        else forms.PasswordInput(render_value=False, attrs={"size": size, "autocomplete": "off"})
    )
    return forms.CharField(required=False, label=label, help_text=help_text, widget=widget, **kwargs)


def clear_field(what):
    return forms.BooleanField(required=False, label=f"Clear the {what}")


class WriteOnlySecretsForm(forms.ModelForm):
    """A model form whose `secret_labels` fields ({name: "A password"}) are write-only.

    Each needs a `clear_<name>` field (`clear_field`). A secret's cleaned value is None or
    "" when left blank: the stored value (or, on a new row, the field's default) is kept.
    """

    secret_labels = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in self.secret_labels.items():
            self.initial[name] = ""
            if self.instance.pk and getattr(self.instance, name):
                self.fields[name].help_text = f"{label} is set. Leave blank to keep it."

    def clean(self):
        cleaned = super().clean()
        for name in self.secret_labels:
            if cleaned.get(f"clear_{name}"):
                cleaned[name] = self._empty(name)
            elif name in cleaned and cleaned[name] in (None, ""):
                cleaned[name] = getattr(self.instance, name) if self.instance.pk else self._empty(name)
        return cleaned

    def _empty(self, name):
        return self._meta.model._meta.get_field(name).get_default()
