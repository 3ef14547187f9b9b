"""A channel's kind-specific columns become two documents: `settings` (plain JSON) and
`secrets` (encrypted JSON), so a new channel kind needs no migration.

Every non-empty value moves, whatever the kind (the old columns kept values a kind did not
use), so going back restores each column exactly. The historical models decrypt the old
columns and encrypt the new document, so a secret is never written in plaintext.
"""

from django.db import migrations, models

import core.crypto
import incidents.channels

PLAIN = ("slack_channel", "recipients")
SECRET = ("url", "token", "signing_secret")


def to_documents(apps, schema_editor):
    Channel = apps.get_model("incidents", "Channel")
    for channel in Channel.objects.all():
        channel.settings = {name: getattr(channel, name) for name in PLAIN if getattr(channel, name)}
        channel.secrets = {name: getattr(channel, name) for name in SECRET if getattr(channel, name)}
        channel.save(update_fields=["settings", "secrets"])


def to_columns(apps, schema_editor):
    Channel = apps.get_model("incidents", "Channel")
    for channel in Channel.objects.all():
        for name in PLAIN:
            setattr(channel, name, str(channel.settings.get(name) or ""))
        for name in SECRET:
            setattr(channel, name, str(channel.secrets.get(name) or ""))
        channel.save(update_fields=[*PLAIN, *SECRET])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0009_shipped_tier_rules")]

    operations = [
        migrations.AddField(
            model_name="channel", name="settings", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.AddField(
            model_name="channel", name="secrets", field=core.crypto.EncryptedJSONField(blank=True, default=dict)
        ),
        migrations.RunPython(to_documents, to_columns),
        *[migrations.RemoveField(model_name="channel", name=name) for name in (*SECRET, *PLAIN)],
        migrations.AlterField(
            model_name="channel",
            name="kind",
            field=models.CharField(choices=incidents.channels.kind_choices, max_length=16),
        ),
    ]
