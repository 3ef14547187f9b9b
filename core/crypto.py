"""Secrets at rest: model fields stored encrypted with the keys in settings.ENCRYPTION_KEYS.

Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`) through MultiFernet: the
first key encrypts, every key decrypts, so keys rotate without downtime. A value that no
key decrypts raises, rather than handing ciphertext to a checker or sender as if it were
a URL. Every app's secrets use these fields, so `rotate_secrets` finds them all by type.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class UndecryptableSecret(Exception):
    """A stored secret none of the configured keys decrypts (a key was removed too soon)."""


def encrypt(plaintext):
    return _fernet(tuple(settings.ENCRYPTION_KEYS)).encrypt(plaintext.encode()).decode()


def decrypt(token):
    try:
        return _fernet(tuple(settings.ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret("a stored secret cannot be decrypted with ENCRYPTION_KEYS") from None


def check_keys():
    """Raise ImproperlyConfigured unless every key in ENCRYPTION_KEYS is a Fernet key."""
    _fernet(tuple(settings.ENCRYPTION_KEYS))


@lru_cache(maxsize=4)
def _fernet(keys):
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes each), comma-separated"
        ) from exc


class EncryptedTextField(models.TextField):
    """Plain text in Python, Fernet ciphertext in the database; "" is stored as ""."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)


class EncryptedJSONField(models.TextField):
    """A JSON value (a mapping of HTTP headers, say) in Python; in the database, the Fernet
    ciphertext of its JSON text. An empty value is stored as "" and read as the default."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        if value == "":
            return self.get_default()
        return json.loads(decrypt(value))

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return value
        if not value:
            return ""
        return encrypt(json.dumps(value, sort_keys=True))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))


ENCRYPTED_FIELDS = (EncryptedTextField, EncryptedJSONField)


def encrypted_field_names(model):
    """The names of `model`'s encrypted columns."""
    return [field.name for field in model._meta.concrete_fields if isinstance(field, ENCRYPTED_FIELDS)]
