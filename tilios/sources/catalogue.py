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
}
DEFAULT_SOURCE_FOR_KIND = {"cget": "cget-mission-coworking-2019"}


def get_or_register(slug):
    """The source named `slug`, registered from the catalogue on first use."""
    try:
        return Source.objects.get(slug=slug)
    except Source.DoesNotExist:
        if slug not in KNOWN_SOURCES:
            raise LookupError(slug) from None
        return Source.objects.create(slug=slug, **KNOWN_SOURCES[slug])
