"""The definitions Tilios ships with (version 1)."""
from django.db import migrations

DEFINITIONS = [
    ("cget-2018", "Mission Coworking 2018 (CGET)", {
        "kinds_any": ["coworking", "fablab"], "include_untyped": True, "kinds_none": ["telecentre"],
        "presence": ["physical", "hybrid"], "statuses": ["open", "suspended", "closed"], "min_sources": 1},
     "Reprend le périmètre de la base nationale de la Mission Coworking (« Faire ensemble pour mieux "
     "vivre ensemble », CGET, 2018) : les tiers-lieux **à dominante coworking ou fablab**, physiques. "
     "Les lieux qui ne font que louer des postes de travail (cafés wifi, télécentres, centres d'affaires) "
     "sont exclus, comme l'a fait la mission. Les lieux de la base sans typologie (49 ajoutés en 2019) "
     "sont comptés, puisque la base les retient.\n\n"
     "Un lieu compte à la date D s'il était ouvert ce jour-là (ouvert avant D, pas encore fermé ; "
     "sans date d'ouverture connue, depuis la date de la première source qui le cite)."),
    ("tiers-lieux", "Tiers-lieux, définition large", {
        "kinds_any": [], "include_untyped": True, "kinds_none": [], "presence": ["physical", "hybrid"],
        "statuses": ["open", "suspended", "closed"], "min_sources": 1},
     "Tous les lieux du registre, de tous types (coworking, fablab, hackerspace, EPN, télécentre, friche "
     "culturelle, atelier partagé, tiers-lieu nourricier…), qui ont une présence physique. Les "
     "communautés seulement numériques ne sont pas des *lieux* et ne sont pas comptées ici."),
    ("coworking", "Espaces de coworking", {
        "kinds_any": ["coworking"], "include_untyped": False, "kinds_none": [],
        "presence": ["physical", "hybrid"], "statuses": ["open", "suspended", "closed"], "min_sources": 1},
     "Les lieux typés « espace de coworking » seulement, ouverts à la date D."),
    ("tiers-lieux-confirmes", "Tiers-lieux confirmés", {
        "kinds_any": [], "include_untyped": True, "kinds_none": [], "presence": ["physical", "hybrid"],
        "statuses": ["open", "suspended", "closed"], "min_sources": 2, "or_verified": True},
     "La définition large, restreinte aux lieux attestés par **au moins deux sources indépendantes**, ou "
     "vérifiés par un contributeur de confiance ou un modérateur."),
]


def create(apps, schema_editor):
    CensusDefinition = apps.get_model("census", "CensusDefinition")
    for slug, name, criteria, text in DEFINITIONS:
        CensusDefinition.objects.get_or_create(slug=slug, version=1, defaults=dict(
            name=name, criteria=criteria, text=text, changelog="v1 (2026-11) : première version."))


def remove(apps, schema_editor):
    apps.get_model("census", "CensusDefinition").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("census", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
