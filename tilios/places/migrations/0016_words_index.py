"""On PostgreSQL, text search by a GIN index on search_text's words, in place of the trigram index (see
places.text_index)."""
from django.db import migrations


def reinstall(apps, schema_editor):
    from tilios.places.text_index import install_index

    install_index(schema_editor)  # drops the trigram index, builds the words one; on SQLite, nothing changes


class Migration(migrations.Migration):
    dependencies = [("places", "0015_live_text_index")]
    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
