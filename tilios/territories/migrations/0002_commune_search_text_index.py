"""Communes by their folded name: reading a query looks a town up by its words (places.understanding)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('territories', '0001_initial'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='commune',
            index=models.Index(fields=['search_text'], name='commune_search_text'),
        ),
    ]
