"""Operations on places that the CLI, the API and the web pages share."""
from tilios.territories.services import commune_by_code, haversine_km, locate, locator

from . import kind_index, text_index
from .models import Place

FAR_KM = 10.0
# What a place's territory is derived from (assign_territory), and what it derives.
TERRITORY_INPUTS = ("latitude", "longitude", "postcode", "town", "declared_commune_code")
TERRITORY_FIELDS = ("declared_commune", "declared_distance_km", "commune", "commune_check", "located_by", "epci",
                    "departement", "region", "in_metropole")


def doubtful_locations():
    """Published places whose position lies far from their declared commune, farthest first."""
    return (Place.objects.published().filter(merged_into=None, commune_check=Place.CommuneCheck.FAR)
            .select_related("declared_commune", "departement").order_by("-declared_distance_km", "id"))


def unparsed_hours():
    """Published places holding hours a source gave that the OSM syntax parser refused, by name."""
    return (Place.objects.live().exclude(opening_hours_unparsed="")
            .order_by("sort_name", "id"))


def unrecognised_values():
    """Published places holding values a source gave for what they offer that no term of the vocabulary
    means (places.taxonomy), by name."""
    return Place.objects.live().exclude(unrecognised={}).order_by("sort_name", "id")


def assign_territory(place):
    """Derive commune, EPCI, département, région and métropole membership of a place.

    The declared commune (INSEE code, or postcode + town) is kept beside the derived one, and
    `commune_check` says whether they agree: a disagreement is shown, never silently resolved.
    Disagreements a few kilometres wide are border approximations of the nearest-centre rule, so the
    commune calculated from the point stands. A point farther than FAR_KM from the declared commune's
    centre is flagged « far » for review; the place is then counted in its declared commune when the
    address corroborates it (« 18020 BOURGES CEDEX » geocoded near Narbonne: the position is wrong), and
    by its position when only a code says so (a mistyped INSEE code beside « Sophia Antipolis »).
    """
    declared = commune_by_code(place.declared_commune_code)
    corroborated = declared is not None and _address_names(place, declared)
    if declared is None and (place.postcode or place.town):
        cid = locator().commune_for_postcode(place.postcode, place.town)
        declared = locator().commune(cid) if cid else None
        corroborated = declared is not None
    place.declared_commune = declared
    place.declared_distance_km = None
    if place.has_location and declared is not None and declared.latitude is not None:
        place.declared_distance_km = round(haversine_km(place.latitude, place.longitude,
                                                        declared.latitude, declared.longitude), 3)
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
        elif place.declared_distance_km is not None and place.declared_distance_km > FAR_KM:
            check = Place.CommuneCheck.FAR
            if corroborated:
                commune, place.located_by = declared, "declared"
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


def _address_names(place, commune):
    """Whether the declared postcode or town name designates `commune` too."""
    if place.postcode and place.postcode.strip() in commune.postcodes.split():
        return True
    return locator().commune_for_postcode(place.postcode, place.town) == commune.pk if place.town else False


def relocate_all():
    """Derive every place's territory again (after a change of the reference or of the rules above).
    Returns how many places changed, by their new commune check."""
    columns = [Place._meta.get_field(name).attname for name in TERRITORY_FIELDS]
    changed = {}
    for place in Place.objects.order_by("id").iterator(chunk_size=2000):
        before = [getattr(place, column) for column in columns]
        assign_territory(place)
        if before != [getattr(place, column) for column in columns]:
            place.save(update_fields=TERRITORY_FIELDS)
            changed[place.commune_check] = changed.get(place.commune_check, 0) + 1
    return changed


def tidy_indexes(using="default"):
    """After a large write (an import, a restore, a migration): SQLite's text index puts every place in name order
    again when many are recent, and PostgreSQL's kinds' counts fold what the write appended."""
    text_index.tidy(using)
    kind_index.tidy(using)
