"""Re-encrypt every stored secret with the first key of ENCRYPTION_KEYS (after a key rotation)."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.crypto import UndecryptableSecret, encrypted_field_names


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of ENCRYPTION_KEYS, so older keys can be removed."

    def handle(self, *args, **options):
        """Every encrypted field of every model (channels, monitors, backup sources…), in one
        transaction: one secret no key decrypts changes nothing."""
        with transaction.atomic():
            counts = [
                _count(model, sum(_reencrypt(model, fields, pk) for pk in _locked_pks(model)))
                for model in apps.get_models()
                if (fields := encrypted_field_names(model))
            ]
        self.stdout.write(f"Re-encrypted the secrets of {', '.join(counts)} with the first key.")


def _locked_pks(model):
    return list(model._default_manager.select_for_update().order_by("pk").values_list("pk", flat=True))


def _reencrypt(model, fields, pk):
    """Reading decrypts with any key; the update encrypts again with the first one."""
    try:
        row = model._default_manager.only("pk", *fields).get(pk=pk)
    except UndecryptableSecret:
        noun = model._meta.verbose_name
        raise CommandError(f"{noun} {pk}: a secret no key in ENCRYPTION_KEYS decrypts; nothing was changed") from None
    model._default_manager.filter(pk=pk).update(**{name: getattr(row, name) for name in fields})
    return 1


def _count(model, count):
    return f"{count} {model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural}"
