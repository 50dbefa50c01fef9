"""Version 1 of the taxonomy of kinds of places, with the CGET typology and OSM equivalents."""
from django.db import migrations

KINDS_V1 = [
    # code, label, label_en, cget_typology, osm_tags, description
    ("coworking", "Espace de coworking", "Coworking space", "Tiers lieux à dominante coworking",
     ["amenity=coworking_space", "office=coworking"],
     "Espace de travail partagé où des indépendants, salariés à distance et entrepreneurs travaillent "
     "côte à côte et forment une communauté."),
    ("fablab", "Fablab / makerspace", "Fablab / makerspace", "Tiers lieux à dominante fablab",
     ["hackerspace:type=fablab", "leisure=hackerspace"],
     "Atelier de fabrication numérique ouvert (impression 3D, découpe laser…), où l'on apprend en faisant."),
    ("hackerspace", "Hackerspace", "Hackerspace", "", ["leisure=hackerspace"],
     "Lieu géré par ses membres autour de l'informatique, de l'électronique et de la bidouille."),
    ("living-lab", "Living lab", "Living lab", "", [],
     "Dispositif d'innovation ouverte associant usagers, chercheurs, entreprises et collectivités."),
    ("epn", "EPN / espace numérique", "Public digital space", "", [],
     "Espace public numérique : accès accompagné aux outils numériques et médiation numérique."),
    ("telecentre", "Télécentre", "Telecentre", "", ["amenity=coworking_space"],
     "Bureaux équipés loués aux télétravailleurs, souvent portés par une collectivité rurale."),
    ("friche-culturelle", "Friche culturelle", "Cultural brownfield", "", [],
     "Ancien site industriel ou bâtiment réinvesti par des projets artistiques et citoyens."),
    ("atelier-partage", "Atelier partagé", "Shared workshop", "", [],
     "Atelier dont les machines et l'espace sont mutualisés entre artisans, artistes ou habitants."),
    ("tiers-lieu-nourricier", "Tiers-lieu nourricier", "Food third place", "", [],
     "Lieu autour de l'alimentation : jardin partagé, cuisine collective, ferme urbaine."),
    ("campus-connecte", "Campus connecté", "Connected campus", "", [],
     "Lieu labellisé où des étudiants suivent à distance une formation du supérieur, accompagnés."),
    ("repair-cafe", "Repair café", "Repair café", "", ["repair=assisted_self_service"],
     "Rencontre ou lieu où l'on répare ensemble objets et appareils."),
    ("autre", "Autre tiers-lieu", "Other third place", "", [],
     "Tiers-lieu qui ne relève d'aucun des types ci-dessus."),
]


def create_kinds(apps, schema_editor):
    Kind = apps.get_model("places", "Kind")
    for position, (code, label, label_en, cget, osm, description) in enumerate(KINDS_V1):
        Kind.objects.update_or_create(code=code, defaults=dict(
            label=label, label_en=label_en, cget_typology=cget, osm_tags=osm, description=description,
            position=position, introduced_in="1"))


def remove_kinds(apps, schema_editor):
    apps.get_model("places", "Kind").objects.filter(code__in=[k[0] for k in KINDS_V1]).delete()


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(create_kinds, remove_kinds)]
