"""System checks: configuration that would otherwise fail only when a secret is first used."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def encryption_keys(app_configs, **kwargs):
    from incidents.crypto import _fernet

    try:
        _fernet(tuple(settings.ENCRYPTION_KEYS))
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="incidents.E001")]
    return []
