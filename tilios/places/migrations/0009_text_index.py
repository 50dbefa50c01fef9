"""Text search index: FTS5 on SQLite, pg_trgm GIN on PostgreSQL (see places.text_index)."""
from django.db import migrations


def install(apps, schema_editor):
    from tilios.places.text_index import install_index

    install_index(schema_editor)


def remove(apps, schema_editor):
    from tilios.places.text_index import remove_index

    remove_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("places", "0008_place_opening_hours_unparsed")]
    operations = [migrations.RunPython(install, remove)]
