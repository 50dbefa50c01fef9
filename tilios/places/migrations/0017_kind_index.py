"""The live places of each kind in name order, kept by triggers on both engines (see places.kind_index)."""
from django.db import migrations


def install(apps, schema_editor):
    from tilios.places.kind_index import install_index

    install_index(schema_editor)


def remove(apps, schema_editor):
    from tilios.places.kind_index import remove_index

    remove_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("places", "0016_words_index")]
    operations = [migrations.RunPython(install, remove)]
