from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion

ROLE_GROUPS = ("Engineers", "Staff")


def make_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(make_groups, migrations.RunPython.noop),
    ]
