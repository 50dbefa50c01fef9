"""Sources Tilios knows how to describe without being told: their publisher, licence and attribution."""
import datetime

from .models import Source

KNOWN_SOURCES = {
    "cget-mission-coworking-2019": {
        "name": "Base des tiers-lieux de la Mission Coworking",
        "publisher": "CGET (Commissariat général à l'égalité des territoires), aujourd'hui ANCT",
        "url": "https://github.com/anct-carto/mission_coworking",
        "licence": "Licence Ouverte 2.0",
        "licence_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "attribution": "CGET — base des tiers-lieux de la Mission Coworking, mise à jour du 13 juin 2019",
        "data_date": datetime.date(2019, 6, 13),
        "description": "Base nationale constituée en 2018 par la Mission Coworking (Territoires, Travail, "
                       "Numérique) en croisant par géolocalisation les annuaires existants : 1 463 lieux "
                       "identifiés pendant la mission, 49 ajoutés depuis. Les lieux qui ne font que louer "
                       "des bureaux (cafés wifi, télécentres, centres d'affaires) en ont été exclus.",
    },
    "mednum-bfc": {
        "name": "Lieux de médiation numérique en Bourgogne-Franche-Comté (MedNum BFC)",
        "publisher": "MedNum BFC, hub régional de médiation numérique (publié par la coopérative multi)",
        "url": "https://github.com/multi-coop/data-bfc-ternum",
        "licence": "ODbL 1.0",
        "licence_url": "https://opendatacommons.org/licenses/odbl/1-0/",
        "attribution": "MedNum BFC — lieux de médiation numérique en Bourgogne-Franche-Comté",
        "data_date": datetime.date(2022, 5, 17),
        "description": "697 lieux de médiation numérique, dont 125 marqués tiers-lieux (code_typo TL). "
                       "Mises à jour des fiches du 18/05/2020 au 17/05/2022. Licence ODbL avec conditions "
                       "particulières : toute base dérivée de même nature est partagée à l'identique ; "
                       "à importer à l'exécution, pas à embarquer.",
    },
    "mednum-hinaura": {
        "name": "Lieux de médiation numérique en Auvergne-Rhône-Alpes (Hinaura)",
        "publisher": "Hinaura, hub régional Auvergne-Rhône-Alpes ; publié par l'ANCT (cartographie nationale)",
        "url": "https://github.com/anct-cartographie-nationale/client-application",
        "licence": "Licence Ouverte 2.0",
        "licence_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "attribution": "Hinaura — lieux de médiation numérique en Auvergne-Rhône-Alpes (ANCT, cartographie "
                       "nationale des lieux d'inclusion numérique)",
        "data_date": datetime.date(2022, 9, 30),
        "description": "687 lieux au schéma national des lieux de médiation numérique ; fiches mises à jour "
                       "du 05/05/2021 au 30/09/2022.",
    },
    "mednum-hub-du-sud": {
        "name": "Lieux de médiation numérique en Provence-Alpes-Côte d'Azur (Hub du Sud)",
        "publisher": "Hub du Sud, hub régional PACA ; publié par l'ANCT (cartographie nationale)",
        "url": "https://github.com/anct-cartographie-nationale/client-application",
        "licence": "Licence Ouverte 2.0",
        "licence_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "attribution": "Hub du Sud — lieux de médiation numérique en Provence-Alpes-Côte d'Azur (ANCT, "
                       "cartographie nationale des lieux d'inclusion numérique), 16 mai 2023",
        "data_date": datetime.date(2023, 5, 16),
        "description": "792 lieux, agrégat brut de cinq sources d'un même territoire (conseiller-numerique, "
                       "france-services, cr93 Région Sud, france-tiers-lieux, dora) : un même lieu peut y "
                       "figurer plusieurs fois sous des noms différents.",
    },
    "maplabbzh": {
        "name": "#MapLabBZH — carte des FabLabs & Tiers-Lieux de Bretagne",
        "publisher": "Guillaume Rouan",
        "url": "https://github.com/grouan/bzh_fablab",
        "licence": "CC BY 4.0",
        "licence_url": "https://creativecommons.org/licenses/by/4.0/",
        "attribution": "Guillaume Rouan — #MapLabBZH",
        "data_date": datetime.date(2020, 5, 26),
        "description": "Fablabs et tiers-lieux de Bretagne et de Loire-Atlantique ; instantanés du 26/08/2016 "
                       "(65 lieux) et du 26/05/2020 (121 lieux), mêmes identifiants d'un instantané à l'autre.",
    },
    "fablabs-io": {
        "name": "Annuaire des labs de fablabs.io (France)",
        "publisher": "fablabs.io (Fab Foundation), via le jeu OpenDataSoft « fablabs-in-the-world » "
                     "(La Poste Datanova) ; extrait conservé par le projet python-bonobo/bonobo",
        "url": "https://www.fablabs.io/labs",
        "licence": "non précisée",
        "attribution": "fablabs.io — annuaire des labs, extrait France d'avril 2017",
        "data_date": datetime.date(2017, 4, 26),
        "description": "135 labs français (fab_lab, mini_fab_lab, supernode). Licence des données non "
                       "indiquée en amont (le dépôt qui la conserve est sous Apache-2.0, pas les données) : "
                       "pour les tests, à vérifier avant toute rediffusion.",
    },
    "openstreetmap": {
        "name": "OpenStreetMap",
        "publisher": "Contributeurs OpenStreetMap",
        "url": "https://www.openstreetmap.org/",
        "licence": "ODbL 1.0",
        "licence_url": "https://opendatacommons.org/licenses/odbl/1-0/",
        "attribution": "© les contributeurs d'OpenStreetMap",
        "description": "Lieux extraits d'OpenStreetMap par l'API Overpass (amenity=coworking_space, "
                       "office=coworking, leisure=hackerspace…). Base dérivée partagée à l'identique (ODbL).",
    },
}
DEFAULT_SOURCE_FOR_KIND = {"cget": "cget-mission-coworking-2019", "fablabs-io": "fablabs-io",
                           "osm": "openstreetmap"}


def get_or_register(slug):
    """The source named `slug`, registered from the catalogue on first use."""
    try:
        return Source.objects.get(slug=slug)
    except Source.DoesNotExist:
        if slug not in KNOWN_SOURCES:
            raise LookupError(slug) from None
        return Source.objects.create(slug=slug, **KNOWN_SOURCES[slug])
