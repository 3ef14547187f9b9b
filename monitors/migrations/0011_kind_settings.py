"""A monitor's kind settings move from one column each into two documents: `settings`
(plain JSON) and `secrets` (encrypted JSON), so a new kind needs no migration.

Each row keeps the settings of its own kind (the columns of other kinds had no effect);
its secrets (DSN, password, headers) stay encrypted. Backwards, the columns come back
filled from the documents. The kinds and their columns are written out here, as they
were at this migration, not read from the live registry.
"""

from django.db import migrations, models

import core.crypto
import monitors.kinds
from core.crypto_migrations import forget_deleted_plaintext

HTTP = ("url", "method", "body", "expected_status", "keyword", "keyword_absent", "headers", "auth_user",
        "auth_password", "tls_verify")
COLUMNS = {
    "http": HTTP,
    "tcp": ("host", "port"),
    "tls": ("host", "port", "server_name", "expiry_warning_days", "tls_verify"),
    "heartbeat": ("period", "grace"),
    "postgres": ("dsn", "query"),
}
SECRETS = ("headers", "auth_password", "dsn")
EMPTY = (None, "", {})
BATCH = 500


def columns_to_documents(apps, schema_editor):
    Monitor = apps.get_model("monitors", "Monitor")
    rows = list(Monitor.objects.all())
    for row in rows:
        names = COLUMNS.get(row.kind, ())
        row.settings = {name: getattr(row, name) for name in names if name not in SECRETS}
        row.secrets = {name: getattr(row, name) for name in names if name in SECRETS and getattr(row, name) not in EMPTY}
    Monitor.objects.bulk_update(rows, ["settings", "secrets"], batch_size=BATCH)


def documents_to_columns(apps, schema_editor):
    Monitor = apps.get_model("monitors", "Monitor")
    rows = list(Monitor.objects.all())
    changed = set()
    for row in rows:
        for name, value in {**row.settings, **row.secrets}.items():
            if name in COLUMNS.get(row.kind, ()):
                setattr(row, name, value)
                changed.add(name)
    if changed:
        Monitor.objects.bulk_update(rows, sorted(changed), batch_size=BATCH)


class Migration(migrations.Migration):

    dependencies = [
        ('monitors', '0010_rollup_gauge_max'),
    ]

    operations = [
        forget_deleted_plaintext(),
        migrations.AddField(
            model_name='monitor',
            name='settings',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='monitor',
            name='secrets',
            field=core.crypto.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name='monitor',
            name='kind',
            field=models.CharField(choices=monitors.kinds.kind_choices, max_length=16),
        ),
        migrations.RunPython(columns_to_documents, documents_to_columns),
        migrations.RemoveField(model_name='monitor', name='url'),
        migrations.RemoveField(model_name='monitor', name='method'),
        migrations.RemoveField(model_name='monitor', name='body'),
        migrations.RemoveField(model_name='monitor', name='expected_status'),
        migrations.RemoveField(model_name='monitor', name='keyword'),
        migrations.RemoveField(model_name='monitor', name='keyword_absent'),
        migrations.RemoveField(model_name='monitor', name='headers'),
        migrations.RemoveField(model_name='monitor', name='auth_user'),
        migrations.RemoveField(model_name='monitor', name='auth_password'),
        migrations.RemoveField(model_name='monitor', name='tls_verify'),
        migrations.RemoveField(model_name='monitor', name='host'),
        migrations.RemoveField(model_name='monitor', name='port'),
        migrations.RemoveField(model_name='monitor', name='server_name'),
        migrations.RemoveField(model_name='monitor', name='expiry_warning_days'),
        migrations.RemoveField(model_name='monitor', name='period'),
        migrations.RemoveField(model_name='monitor', name='grace'),
        migrations.RemoveField(model_name='monitor', name='dsn'),
        migrations.RemoveField(model_name='monitor', name='query'),
    ]
