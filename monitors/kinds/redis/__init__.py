"""Redis: up when PING answers; reports used memory, clients and the keyspace hit rate,
and is degraded while the hit rate is under `min_hit_rate`."""

from urllib.parse import urlsplit

from django import forms

from monitors.kinds.redis.checker import check

LABEL = "Redis"
SECRETS = ("url",)
SCHEMES = ("redis", "rediss")


class Settings(forms.Form):
    url = forms.CharField(
        max_length=2000, required=False, strip=False, label="URL",
        help_text="redis://[user:password@]host:6379/0, or rediss:// for TLS. A secret: never shown again.",
    )
    min_hit_rate = forms.FloatField(
        required=False, min_value=0, max_value=100,
        help_text="Keyspace hit rate in percent under which the monitor is degraded. Empty: none.",
    )

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url:
            raise forms.ValidationError("A redis monitor needs a URL.", code="missing")
        # Never quote the URL back: it may hold a password.
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (a bad port raises here)
        except ValueError:
            raise forms.ValidationError("Not a Redis URL (redis://host:6379/0).") from None
        if parts.scheme.lower() not in SCHEMES:
            raise forms.ValidationError("Only redis:// and rediss:// URLs can be checked.")
        if not parts.hostname:
            raise forms.ValidationError("The URL has no host.")
        return url


__all__ = ["check"]
