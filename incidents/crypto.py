"""Secrets at rest: a text field stored encrypted with the keys in settings.ENCRYPTION_KEYS.

Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`) through MultiFernet: the
first key encrypts, every key decrypts, so keys rotate without downtime. A value that no
key decrypts raises, rather than handing ciphertext to a sender as if it were a URL.
"""

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


def rotate(token):
    """The same secret encrypted with the first key."""
    return _fernet(tuple(settings.ENCRYPTION_KEYS)).rotate(token.encode()).decode()


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
