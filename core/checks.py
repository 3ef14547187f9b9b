"""System checks: configuration that would otherwise fail only when a secret is first used."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from core.crypto import check_keys


@checks.register(checks.Tags.security)
def encryption_keys(app_configs, **kwargs):
    try:
        check_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="core.E001")]
    return []
