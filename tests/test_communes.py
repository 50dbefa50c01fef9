"""Communes from real postal addresses: CEDEX codes, delegated communes, and positions far from the
commune an address declares (flagged for review with their distance, counted where the address says)."""
import io

import pytest
from django.core.management import call_command
from django.test import Client
from people import make_user

from tilios.accounts.models import Role
from tilios.places.models import Place
from tilios.places.services import assign_territory
from tilios.territories.services import departement_of_postcode, locate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("postcode, town, expected", [
    ("18020", "BOURGES", "18033"),                  # a CEDEX code belongs to no commune
    ("18020", "BOURGES CEDEX", "18033"),
    ("26901", "VALENCE CEDEX 9", "26362"),          # as in the CGET base
    ("13625", "Aix-en-Provence cedex 1", "13001"),
    ("41700", "CONTRES", "41059"),                  # delegated commune of Le Controis-en-Sologne
    ("41240", "OUZOUER-LE-MARCHÉ", "41173"),        # delegated commune of Beauce la Romaine
    ("41240", "Ouzouer le Marche", "41173"),
    ("42000", "ST ETIENNE", "42218"),               # unchanged: a plain postcode and town
])
def test_postal_addresses_resolve_to_todays_commune(postcode, town, expected):
    where = locate(postcode=postcode, town=town)
    assert where.commune is not None and where.commune.code == expected


def test_a_cedex_town_that_no_commune_of_its_departement_bears_resolves_to_nothing():
    assert locate(postcode="18020", town="NARBONNE").commune is None
    assert locate(postcode="18020", town="").commune is None


@pytest.mark.parametrize("postcode, departement", [
    ("18020", "18"), ("20090", "2A"), ("20200", "2B"), ("97400", "974"), ("ABCDE", None), ("1800", None)])
def test_departement_of_a_postcode(postcode, departement):
    assert departement_of_postcode(postcode) == departement


def _place(**fields):
    return assign_territory(Place(name="Essai", **fields))


def test_a_position_far_from_its_declared_commune_is_flagged_and_counted_where_the_address_says():
    place = _place(postcode="18020", town="BOURGES CEDEX", latitude=43.19, longitude=3.00)  # near Narbonne
    assert place.commune_check == Place.CommuneCheck.FAR
    assert place.commune.code == "18033" and place.region_id == "24"  # Centre-Val de Loire, not Occitanie
    assert place.located_by == "declared"
    assert 400 < place.declared_distance_km < 500


def test_a_mistyped_code_beside_a_town_that_contradicts_it_does_not_move_the_place():
    # SICTIAM (CGET base): INSEE code of Hérouville-Saint-Clair (Calvados), town « Sophia Antipolis »,
    # placed by hand in Valbonne: the code is the mistake, the place stays where it is, flagged.
    place = Place.objects.get(name="SICTIAM")
    assert place.commune_check == Place.CommuneCheck.FAR
    assert place.commune.code == "06152" and place.departement_id == "06"
    assert place.declared_commune.code == "14327"
    assert place.declared_distance_km > 800


def test_a_nearby_disagreement_is_a_border_approximation_not_a_flag():
    # Villeurbanne's town hall is 4 km from Lyon's centre: a declared « Lyon » there is a plausible border case.
    place = _place(postcode="69100", town="Lyon", latitude=45.7667, longitude=4.8803)
    assert place.commune_check in (Place.CommuneCheck.DIFFERS, Place.CommuneCheck.AGREE)
    assert place.declared_distance_km < 10


def _far_place():
    place = Place.objects.filter(is_published=True, merged_into=None).exclude(
        commune_check=Place.CommuneCheck.FAR).first()
    place.postcode, place.town, place.declared_commune_code = "18020", "BOURGES CEDEX", ""
    place.latitude, place.longitude = 43.19, 3.00
    assign_territory(place)
    place.save()
    return place


def test_flagged_positions_are_listed_for_review_on_the_web_in_the_api_and_the_cli():
    place = _far_place()
    data = Client().get("/api/review/locations?limit=200").json()
    found = [r for r in data["results"] if r["place"]["id"] == place.public_id]
    assert found and found[0]["declared_commune"]["code"] == "18033" and found[0]["distance_km"] > 400
    assert data["count"] == Place.objects.filter(commune_check="far", is_published=True, merged_into=None).count()

    web = Client()
    web.force_login(make_user("relectrice", Role.TRUSTED))
    page = web.get("/revue/localisations/")
    assert page.status_code == 200 and place.name in page.content.decode()
    assert Client().get("/revue/localisations/").status_code in (302, 403)  # reviewers only

    out = io.StringIO()
    call_command("review", "locations", "--limit", "200", stdout=out)
    assert place.public_id in out.getvalue() and "Bourges" in out.getvalue()

    detail = Client().get(place.get_absolute_url()).content.decode()
    assert "commune déclarée" in detail and "à vérifier" in detail


def test_relocate_applies_the_rules_to_places_stored_before_them():
    place = _far_place()
    Place.objects.filter(pk=place.pk).update(commune_check=Place.CommuneCheck.DERIVED, commune=None,
                                             declared_distance_km=None, region=None)
    out = io.StringIO()
    call_command("relocate", stdout=out)
    place.refresh_from_db()
    assert place.commune_check == Place.CommuneCheck.FAR and place.region_id == "24"
    assert "far" in out.getvalue()


def test_an_edit_derives_the_territory_again_only_when_the_address_or_position_changes():
    from tilios.revisions import services as revisions

    place, _revision = revisions.create(Place, {"name": "Atelier du Mail", "postcode": "35000", "town": "Rennes",
                                                "latitude": 48.1113, "longitude": -1.6800}, None, system=True)
    assert place.commune.code == "35238"
    # As the territory reference stood when the place was stored (or `tilios relocate` left it).
    Place.objects.filter(pk=place.pk).update(commune=None, commune_check=Place.CommuneCheck.UNKNOWN)
    revisions.edit(Place.objects.get(pk=place.pk), {"description": "Un atelier partagé."}, None, system=True)
    place.refresh_from_db()
    assert place.commune_id is None and place.commune_check == Place.CommuneCheck.UNKNOWN
    assert place.description == "Un atelier partagé."
    revisions.edit(place, {"latitude": 48.1120}, None, system=True)
    place.refresh_from_db()
    assert place.commune.code == "35238" and place.commune_check == Place.CommuneCheck.AGREE
