"""Encrypt the backup sources' `source_database_url` (it may hold a password) at rest."""

import django.core.validators
from django.db import migrations

import core.crypto
from core.crypto_migrations import encrypt_columns, forget_deleted_plaintext


class Migration(migrations.Migration):

    dependencies = [
        ('backups', '0001_initial'),
    ]

    operations = [
        forget_deleted_plaintext(),
        migrations.AlterField(
            model_name='backupsource',
            name='source_database_url',
            field=core.crypto.EncryptedTextField(blank=True, help_text='Optional: the database this backup is taken from; a restore server equal to it is refused. A secret: encrypted at rest, never shown again.', validators=[django.core.validators.MaxLengthValidator(500)]),
        ),
        encrypt_columns('backups_backupsource', text=('source_database_url',)),
    ]
