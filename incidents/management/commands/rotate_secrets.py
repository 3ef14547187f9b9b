"""Re-encrypt every channel secret with the first key of ENCRYPTION_KEYS (after a key rotation)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from incidents.crypto import UndecryptableSecret
from incidents.models import Channel


class Command(BaseCommand):
    help = "Re-encrypt every channel secret with the first key of ENCRYPTION_KEYS, so older keys can be removed."

    def handle(self, *args, **options):
        with transaction.atomic():
            count = sum(_reencrypt(pk) for pk in Channel.objects.select_for_update().values_list("pk", flat=True))
        self.stdout.write(f"Re-encrypted the secrets of {count} channel(s) with the first key.")


def _reencrypt(pk):
    """Reading decrypts with any key; the update encrypts again with the first one."""
    fields = Channel.SECRET_FIELDS
    try:
        channel = Channel.objects.only("pk", "name", *fields).get(pk=pk)
    except UndecryptableSecret:
        raise CommandError(f"channel {pk}: a secret no key in ENCRYPTION_KEYS decrypts; nothing was changed") from None
    Channel.objects.filter(pk=pk).update(**{name: getattr(channel, name) for name in fields})
    return 1
