"""Register every existing monitor as an alerting Source (new ones register when saved)."""

from django.db import migrations


def register_sources(apps, schema_editor):
    Monitor = apps.get_model("monitors", "Monitor")
    Source = apps.get_model("incidents", "Source")
    for monitor in Monitor.objects.prefetch_related("tags"):
        Source.objects.update_or_create(
            key=f"monitor:{monitor.pk}",
            defaults={"kind": "monitor", "name": monitor.name, "tags": sorted(tag.name for tag in monitor.tags.all())},
        )


def forget_sources(apps, schema_editor):
    apps.get_model("incidents", "Source").objects.filter(kind="monitor").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitors", "0002_flapping"),
        ("incidents", "0003_default_rule"),
    ]

    operations = [migrations.RunPython(register_sources, forget_sources)]
