"""On PostgreSQL, the live places' sort names and texts in a narrow table of their own, with the words' index, for
a text's page by name and its count (see places.text_index). Nothing changes on SQLite."""
from django.db import migrations


def install(apps, schema_editor):
    from tilios.places.text_index import install_index

    install_index(schema_editor)


def remove(apps, schema_editor):
    from tilios.places.text_index import SEARCH_TEARDOWN

    if schema_editor.connection.vendor == "postgresql":
        for sql in SEARCH_TEARDOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("places", "0017_kind_index")]
    operations = [migrations.RunPython(install, remove)]
