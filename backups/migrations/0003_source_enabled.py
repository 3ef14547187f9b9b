from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("backups", "0002_encrypt_source_url")]

    operations = [
        migrations.AddField(
            model_name="backupsource",
            name="enabled",
            field=models.BooleanField(
                default=True, help_text="Off: not verified nor reported stale; its verification log is kept."
            ),
        ),
    ]
