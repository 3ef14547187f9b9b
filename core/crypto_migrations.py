"""Migration operations that turn plaintext columns into `core.crypto` fields and back.

The rows are rewritten with raw SQL, so the historical model's encrypted field (which
would decrypt on read) never sees plaintext. Use, in order: `forget_deleted_plaintext()`,
the AlterFields to the encrypted field types, then `encrypt_columns(...)`. Backwards,
the columns are decrypted before their types are altered back. Migrations import this
module, so what its functions do must not change once a migration uses them.
"""

import json

from django.db import migrations

from core.crypto import decrypt, encrypt


def forget_deleted_plaintext():
    """On SQLite, make freed space be zeroed from here on, so the plaintext of the rows
    and tables this migration rewrites is not left readable in the database file."""

    def secure_delete(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute("PRAGMA secure_delete = ON")

    return migrations.RunPython(secure_delete, migrations.RunPython.noop, elidable=True)


def encrypt_columns(table, *, text=(), json_mappings=()):
    """Encrypt `text` columns (plain strings) and `json_mappings` columns (JSON text of a
    mapping; an empty one is stored as "") of every row of `table`; decrypt them backwards."""
    forward = {**dict.fromkeys(text, _encrypt_text), **dict.fromkeys(json_mappings, _encrypt_json)}
    backward = {**dict.fromkeys(text, _decrypt_text), **dict.fromkeys(json_mappings, _decrypt_json)}
    return migrations.RunPython(
        lambda apps, schema_editor: _rewrite(schema_editor, table, forward),
        lambda apps, schema_editor: _rewrite(schema_editor, table, backward),
    )


def _rewrite(schema_editor, table, converters):
    quote = schema_editor.quote_name
    columns = list(converters)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('id')}, {', '.join(map(quote, columns))} FROM {quote(table)}")
        rows = [
            [converters[column](value) for column, value in zip(columns, values)] + [pk]
            for pk, *values in cursor.fetchall()
        ]
        assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
        cursor.executemany(f"UPDATE {quote(table)} SET {assignments} WHERE {quote('id')} = %s", rows)


def _encrypt_text(value):
    return encrypt(value) if value else ""


def _decrypt_text(value):
    return decrypt(value) if value else ""


def _encrypt_json(value):
    mapping = json.loads(value) if value else {}
    return encrypt(json.dumps(mapping, sort_keys=True)) if mapping else ""


def _decrypt_json(value):
    return decrypt(value) if value else "{}"
