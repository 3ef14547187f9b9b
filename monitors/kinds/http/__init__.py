"""HTTP(S): status code, keyword, redirects — the whole exchange inside one total deadline."""

from urllib.parse import urlsplit

from django import forms

from core.config import values as v
from monitors.kinds.fields import text
from monitors.kinds.http.checker import check
from monitors.status_spec import format_status_spec, parse_status_spec

LABEL = "HTTP(S)"
SECRETS = ("headers", "auth_password")
METHODS = [("HEAD", "HEAD"), ("GET", "GET"), ("POST", "POST")]
ADMIN_ROWS = (
    "url",
    ("method", "expected_status"),
    "body",
    ("keyword", "keyword_absent"),
    "headers",
    "auth_user",
    "auth_password",
    "tls_verify",
)


def _status_spec(value):
    if isinstance(value, bool) or not isinstance(value, (int, str, list)):
        raise ValueError('must be a code, a string like "200-299, 301" or a list of codes and ranges')
    return format_status_spec(value)


CONFIG_VALUES = {"expected_status": (_status_spec, v.identity)}


class Settings(forms.Form):
    url = text(2000, help_text="http:// or https:// only.")
    method = forms.ChoiceField(choices=METHODS, initial="GET")
    body = text(help_text="Request body for POST.")
    expected_status = text(200, help_text='Codes and ranges, e.g. "200-299, 301". Empty: any 2xx or 3xx.')
    keyword = text(500, help_text="The body must contain this.")
    keyword_absent = text(500, help_text="The body must not contain this.")
    headers = forms.JSONField(required=False, initial=dict, help_text="Header names to values. A secret.")
    headers.json_schema = {"type": "object", "additionalProperties": {"type": "string"}}
    auth_user = text(200)
    auth_password = text(200, label="Password", help_text="A secret.")
    tls_verify = forms.BooleanField(required=False, initial=True)

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url:
            raise forms.ValidationError("An http monitor needs a URL.", code="missing")
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise forms.ValidationError("Only http:// and https:// URLs can be checked.")
        if not parts.hostname:
            raise forms.ValidationError("The URL has no host.")
        return url

    def clean_expected_status(self):
        try:
            parse_status_spec(self.cleaned_data["expected_status"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return format_status_spec(self.cleaned_data["expected_status"])

    def clean_headers(self):
        headers = self.cleaned_data["headers"]
        if headers is None:
            return {}
        if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            raise forms.ValidationError("Headers must be a mapping of names to string values.")
        return headers

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("keyword") and cleaned.get("keyword_absent"):
            self.add_error("keyword_absent", "Give keyword or keyword_absent, not both.")
        if (cleaned.get("keyword") or cleaned.get("keyword_absent")) and cleaned.get("method") == "HEAD":
            self.add_error("method", "A keyword needs a body: use GET or POST.")
        return cleaned


__all__ = ["check"]
