"""The SQLite text index holds the live places alone, in name order, so that it counts them and finds a first
page without sorting (see places.text_index)."""
from django.db import migrations


def reinstall(apps, schema_editor):
    from tilios.places.text_index import install_index, remove_index

    remove_index(schema_editor)  # the same names, indexing every place: dropped, then built anew
    install_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("places", "0014_live_places_indexes")]
    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
