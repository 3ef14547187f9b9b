"""An email channel's one setting: its recipients, one a line or comma-separated (in a
config file, also a list)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.config import values as v
from core.config.values import Key
from incidents.channels.targets import needs

LABEL = "Email"
SECRETS = ()


def recipients_list(text):
    """The addresses in a recipients field: one per line or comma-separated."""
    return [address.strip() for address in re.split(r"[,\n;]", text or "") if address.strip()]


class Settings(forms.Form):
    recipients = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=False,
        help_text="Email addresses, one per line or comma-separated.",
        error_messages={"required": needs(LABEL, "at least one recipient")},
    )

    def clean_recipients(self):
        text = self.cleaned_data["recipients"]
        if not recipients_list(text):
            raise ValidationError(needs(LABEL, "at least one recipient"))
        bad = [address for address in recipients_list(text) if not _is_address(address)]
        if bad:
            raise ValidationError(f"Not an email address: {', '.join(bad)}.")
        return text


def _is_address(address):
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _parse_recipients(value):
    """A list of addresses, or one string (one address a line, or comma-separated)."""
    if isinstance(value, list):
        v.string_list(value)
        return "\n".join(value)
    return v.text(value)


def _dump_recipients(text):
    """One address a line comes back as a list; anything else exactly as stored."""
    lines = text.split("\n")
    if len(lines) > 1 and all(line and line == line.strip() and "," not in line for line in lines):
        return lines
    return text


CONFIG_KEYS = (Key("recipients", _parse_recipients, _dump_recipients),)
