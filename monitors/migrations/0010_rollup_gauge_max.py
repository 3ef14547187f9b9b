# The hour's and day's highest gauge reading: a nullable column, added without a table rebuild.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitors', '0009_encrypt_secrets'),
    ]

    operations = [
        migrations.AddField(
            model_name='dailyrollup',
            name='gauge_max',
            field=models.FloatField(help_text='The highest gauge reading (PostgreSQL: connections in use).', null=True),
        ),
        migrations.AddField(
            model_name='hourlyrollup',
            name='gauge_max',
            field=models.FloatField(help_text='The highest gauge reading (PostgreSQL: connections in use).', null=True),
        ),
    ]
