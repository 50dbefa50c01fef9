"""The catalogue of shipped sources becomes rows (it was compiled into the code and registered on first use)."""
from django.db import migrations


def load_catalogue(apps, schema_editor):
    from tilios.sources import catalogue

    catalogue.load(apps.get_model("sources", "Source"))


class Migration(migrations.Migration):
    dependencies = [("sources", "0006_source_licence_registration")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
