"""The rule a new install starts with: monitor down and up, to every enabled channel, at once."""

from django.db import migrations

DEFAULT_RULE = "Monitors down and up"


def create_default_rule(apps, schema_editor):
    AlertRule = apps.get_model("incidents", "AlertRule")
    AlertRule.objects.get_or_create(
        name=DEFAULT_RULE,
        defaults={
            "event_kinds": ["monitor_down", "monitor_up", "heartbeat_missed"],
            "all_channels": True,
            "delivery": "immediate",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_alerting")]

    operations = [migrations.RunPython(create_default_rule, migrations.RunPython.noop)]
