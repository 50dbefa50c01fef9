"""Nearest-place index: R*Tree on SQLite, GiST on ll_to_earth() on PostgreSQL (see places.spatial)."""
from django.db import migrations


def install(apps, schema_editor):
    from tilios.places.spatial import install_index

    install_index(schema_editor)


def remove(apps, schema_editor):
    from tilios.places.spatial import remove_index

    remove_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("places", "0002_kinds_taxonomy_v1")]
    operations = [migrations.RunPython(install, remove)]
