"""Drop the rollups' index on `monitor_id` alone: the unique (monitor, start) index serves
every lookup by monitor, and the single-column one misled SQLite's planner into reading
every row ever kept (docs/BENCHMARKS.md).

Only the index is dropped. Django's own AlterField would rebuild both tables on SQLite
(copying every packed raw result) and re-validate the foreign key on PostgreSQL, locking
the tables the engine writes to for as long.
"""

import django.db.models.deletion
from django.db import migrations, models

ROLLUPS = ("HourlyRollup", "DailyRollup")


def _monitor_field(model):
    return model._meta.get_field("monitor")


def drop_monitor_indexes(apps, schema_editor):
    for name in ROLLUPS:
        model = apps.get_model("monitors", name)
        for index in schema_editor._constraint_names(model, [_monitor_field(model).column], index=True, unique=False):
            schema_editor.execute(schema_editor._delete_index_sql(model, index))


def create_monitor_indexes(apps, schema_editor):
    for name in ROLLUPS:
        model = apps.get_model("monitors", name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[_monitor_field(model)]))


def _without_index():
    return models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                             to="monitors.monitor")


class Migration(migrations.Migration):

    dependencies = [
        ('monitors', '0006_maintenance_public_note'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_monitor_indexes, create_monitor_indexes)],
            state_operations=[
                migrations.AlterField(model_name="dailyrollup", name="monitor", field=_without_index()),
                migrations.AlterField(model_name="hourlyrollup", name="monitor", field=_without_index()),
            ],
        ),
    ]
