"""Monitor.slug, the public badge's address, filled for existing monitors from their names
(the rule of `monitors.services.free_slug`, frozen here as migrations must be)."""

from itertools import count

from django.db import migrations, models
from django.utils.text import slugify


def fill_slugs(apps, schema_editor):
    Monitor = apps.get_model("monitors", "Monitor")
    taken = set()
    for monitor in Monitor.objects.order_by("pk").only("pk", "name"):
        base = slugify(monitor.name)[:190].strip("-") or "monitor"
        slug = next(s for s in (base if n == 1 else f"{base}-{n}" for n in count(1)) if s not in taken)
        taken.add(slug)
        Monitor.objects.filter(pk=monitor.pk).update(slug=slug)


class Migration(migrations.Migration):

    dependencies = [
        ("monitors", "0004_history_maintenance_slo"),
    ]

    operations = [
        migrations.AddField(
            model_name="monitor",
            name="slug",
            field=models.SlugField(blank=True, editable=False, max_length=200, null=True, unique=True),
        ),
        migrations.RunPython(fill_slugs, migrations.RunPython.noop),
    ]
