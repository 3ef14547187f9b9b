"""Encrypt the monitors' secrets (password, DSN, headers) at rest, existing rows included."""

import django.core.validators
from django.db import migrations

import core.crypto
from core.crypto_migrations import encrypt_columns, forget_deleted_plaintext


class Migration(migrations.Migration):

    dependencies = [
        ('monitors', '0008_maintenance_entered_expiring'),
    ]

    operations = [
        forget_deleted_plaintext(),
        migrations.AlterField(
            model_name='monitor',
            name='auth_password',
            field=core.crypto.EncryptedTextField(blank=True, help_text='A secret.', validators=[django.core.validators.MaxLengthValidator(200)]),
        ),
        migrations.AlterField(
            model_name='monitor',
            name='dsn',
            field=core.crypto.EncryptedTextField(blank=True, help_text='A secret: never shown again.', validators=[django.core.validators.MaxLengthValidator(1000)]),
        ),
        migrations.AlterField(
            model_name='monitor',
            name='headers',
            field=core.crypto.EncryptedJSONField(blank=True, default=dict, help_text='Header names to values. A secret.'),
        ),
        encrypt_columns('monitors_monitor', text=('auth_password', 'dsn'), json_mappings=('headers',)),
    ]
