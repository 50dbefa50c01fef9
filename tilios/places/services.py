"""Operations on places that the CLI, the API and the web pages share."""
from tilios.territories.services import commune_by_code, locate, locator

from .models import Place


def assign_territory(place):
    """Derive commune, EPCI, département, région and métropole membership of a place.

    The declared commune (INSEE code, or postcode + town) is kept beside the derived one, and
    `commune_check` says whether they agree: a disagreement is shown, never silently resolved.
    """
    declared = commune_by_code(place.declared_commune_code)
    if declared is None and (place.postcode or place.town):
        cid = locator().commune_for_postcode(place.postcode, place.town)
        declared = locator().commune(cid) if cid else None
    place.declared_commune = declared
    if place.has_location:
        location = locate(place.latitude, place.longitude, declared=declared)
        commune = location.commune
        place.located_by = location.method
        if commune is None:
            check = Place.CommuneCheck.UNKNOWN
        elif declared is None:
            check = Place.CommuneCheck.DERIVED
        elif declared.pk == commune.pk:
            check = Place.CommuneCheck.AGREE
        else:
            check = Place.CommuneCheck.DIFFERS
    else:
        commune = declared
        place.located_by = "declared" if declared else ""
        check = Place.CommuneCheck.DECLARED if declared else Place.CommuneCheck.UNKNOWN
    place.commune = commune
    place.commune_check = check
    place.epci = commune.epci if commune else None
    place.departement_id = commune.departement_id if commune else None
    place.region_id = commune.region_id if commune else None
    place.in_metropole = commune.in_metropole if commune else None
    return place
