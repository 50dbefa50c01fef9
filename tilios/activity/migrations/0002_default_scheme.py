from django.db import migrations

SOURCE = ("Bruno Moriset, « Les télécentres dans les territoires ruraux français. Essai d'évaluation », "
          "note de recherche, 24 mars 2011 : sur 28 télécentres étudiés, 10 n'ont jamais vu de télétravailleur, "
          "8 ont de un à cinq usagers réguliers (cité dans la discussion Movilab sur la Mission Coworking, 2018).")


def create(apps, schema_editor):
    from tilios.activity.models import default_bands

    apps.get_model("activity", "BandScheme").objects.get_or_create(
        code="moriset-2011", version=1,
        defaults={"label": "Bandes de l’étude des télécentres ruraux (2011)", "source": SOURCE,
                  "window_months": 12, "unknown_after_months": 12, "statistic": "median",
                  "bands": default_bands()})


class Migration(migrations.Migration):
    dependencies = [("activity", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
