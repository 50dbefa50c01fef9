"""Version 2 of the shipped definitions: same criteria, the two clocks' rule for undated places written
in (certainly / possibly valid). Version 1 stays as it was, for the counts and snapshots that cite it."""
from django.db import migrations

RULE = (
    "\n\n**Certainement ou peut-être valide** (v2). La date de connaissance d'un lieu est la première date à "
    "laquelle une source (sa date de publication) ou une personne l'a attesté, quel que soit l'ordre des "
    "imports. Un lieu sans date d'ouverture connue est **certainement valide** le jour D s'il a été attesté "
    "au plus tard ce jour-là et n'était pas fermé ; il est seulement **peut-être valide** s'il n'a été attesté "
    "pour la première fois qu'après D : il existait peut-être déjà, rien ne le dit. Le compte donne les "
    "lieux certainement valides ; les lieux peut-être valides sont comptés à part, à côté. Un lieu fermé "
    "sans date de fermeture l'est depuis la première source ou personne qui l'a dit fermé.")
CHANGELOG = ("v2 (2026-12) : mêmes critères ; règle écrite des lieux sans date d'ouverture (certainement "
             "valides s'ils sont attestés au plus tard le jour D, peut-être valides sinon) et date de "
             "connaissance prise à la première attestation, indépendante de l'ordre des imports.\n")


def create(apps, schema_editor):
    CensusDefinition = apps.get_model("census", "CensusDefinition")
    for v1 in CensusDefinition.objects.filter(version=1):
        CensusDefinition.objects.get_or_create(slug=v1.slug, version=2, defaults=dict(
            name=v1.name, criteria=v1.criteria, text=v1.text + RULE, changelog=CHANGELOG + v1.changelog))


def remove(apps, schema_editor):
    apps.get_model("census", "CensusDefinition").objects.filter(version=2).delete()


class Migration(migrations.Migration):
    dependencies = [("census", "0002_definitions_v1")]
    operations = [migrations.RunPython(create, remove)]
