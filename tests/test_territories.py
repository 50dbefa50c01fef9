import csv

import pytest

from tilios.places.models import Place
from tilios.territories.models import Commune, Departement, Epci, Region, population_class
from tilios.territories.services import commune_by_code, locate

pytestmark = pytest.mark.django_db

CGET_CSV = "tilios/data/cget-mission-coworking-2019/cget_tierslieux_2019.csv"


def test_reference_is_complete():
    assert Commune.objects.filter(kind=Commune.Kind.CURRENT).count() == 34969
    assert Commune.objects.filter(kind=Commune.Kind.CURRENT, latitude__isnull=True).count() == 0
    assert Departement.objects.count() == 109
    assert Region.objects.count() == 26
    assert Departement.objects.exclude(contour=None).count() == 96
    assert Region.objects.exclude(contour=None).count() == 13
    assert Epci.objects.filter(kind__in=Epci.METROPOLE_TYPES).count() == 22


def test_point_in_lyon_is_in_the_metropole():
    where = locate(45.7640, 4.8357)  # Place Bellecour
    assert where.commune.code == "69123"
    assert where.commune.epci.name == "Métropole de Lyon"
    assert where.commune.in_metropole
    assert where.commune.departement_id == "69" and where.commune.region_id == "84"


def test_rural_point_is_outside_any_metropole():
    where = locate(44.3531, 2.5752)  # Rodez centre
    assert where.commune.code == "12202"
    assert not where.commune.in_metropole


def test_overseas_point_without_contour_uses_nearest_centre():
    where = locate(-20.8789, 55.4481)  # Saint-Denis de La Réunion
    assert where.commune.code == "97411"


def test_postcode_and_town_locate_a_place_without_coordinates():
    where = locate(postcode="42000", town="ST ETIENNE")
    assert where.commune.code == "42218" and where.method == "postcode"
    assert locate(postcode="99999", town="Nulle Part").commune is None


@pytest.mark.parametrize("code, expected", [
    ("69381", "69123"),  # Lyon 1er arrondissement → Lyon
    ("75110", "75056"),  # Paris 10e → Paris
    ("01340", "01015"),  # former commune merged into Arboys en Bugey
    ("69123", "69123"),
])
def test_declared_codes_resolve_to_current_communes(code, expected):
    assert commune_by_code(code).code == expected


def test_unknown_codes_resolve_to_nothing():
    assert commune_by_code("0") is None
    assert commune_by_code("") is None
    assert commune_by_code("00000") is None


def test_population_class_bounds():
    assert population_class(4999) == "0-5000"
    assert population_class(5000) == "5000-20000"
    assert population_class(100000) == "100000 et plus"
    assert population_class(None) == ""


def test_declared_commune_that_disagrees_is_kept_and_visible():
    # SICTIAM declares Hérouville-Saint-Clair (Calvados) but its coordinates are in Sophia Antipolis.
    place = Place.objects.get(name="SICTIAM")
    assert place.commune.code == "06152"  # Valbonne
    assert place.declared_commune.code == "14327"
    assert place.commune_check == Place.CommuneCheck.FAR  # 800 km apart: flagged for review
    assert place.departement_id == "06"


def test_derived_territories_agree_with_the_mission_coworking():
    """The CGET base carries its own METRO flag (2018 boundaries): ours (2026) must mostly agree."""
    with open(CGET_CSV, encoding="utf-8") as f:
        declared = {r["ID"]: r for r in csv.DictReader(f)}
    places = Place.objects.filter(records__source__slug="cget-mission-coworking-2019").values_list(
        "records__external_id", "in_metropole", "departement_id", "commune_check")
    same_metro = same_dep = compared = 0
    for external_id, in_metropole, departement, check in places:
        row = declared[external_id]
        if row["METRO"] in ("0", "1") and row["INSEEDEP"]:
            compared += 1
            same_metro += (row["METRO"] == "1") == bool(in_metropole)
            same_dep += row["INSEEDEP"] == departement
    assert compared > 1500
    assert same_dep / compared > 0.98
    assert same_metro / compared > 0.9
    checks = Place.objects.values_list("commune_check", flat=True)
    assert sum(c == "differs" for c in checks) < 0.03 * len(checks)


def test_the_communes_the_locator_keeps_hold_no_outline():
    """The locator keeps every commune it has placed a place in, for the life of the process: with their
    département's and région's outlines, an import grew by 50 MB every 1 000 rows (bench/import_big.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        lyon = commune_by_code("69123")
    assert lyon.departement.code == "69" and lyon.region.name == "Auvergne-Rhône-Alpes"
    assert {"contour"} <= lyon.departement.get_deferred_fields() and {"contour"} <= lyon.region.get_deferred_fields()
    assert not [q["sql"] for q in captured.captured_queries if "contour" in q["sql"]]


def test_the_communes_the_locator_keeps_share_one_instance_of_each_territory_above():
    """35 000 communes held after a large import would otherwise hold 35 000 copies of a hundred départements:
    90 MB of an import's memory (bench/import_big.py)."""
    lyon, villeurbanne, marseille = (commune_by_code(code) for code in ("69123", "69266", "13055"))
    assert lyon.departement is villeurbanne.departement and lyon.region is villeurbanne.region
    assert lyon.epci is villeurbanne.epci and lyon.epci.name
    assert marseille.departement is not lyon.departement and marseille.departement.code == "13"
    assert lyon.departement_id == "69" and lyon.region_id == villeurbanne.region_id


def test_the_locator_holds_a_batchs_communes_in_one_query_as_it_would_one_at_a_time():
    """An import's batch of places reads the communes their INSEE codes designate at once (a query a commune
    cost it 5 % of its time); a former code reads the commune that absorbed it, an unknown one nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tilios.territories.services import locator, reset_locator

    one_at_a_time = {code: commune_by_code(code) for code in ("69123", "13055", "49092")}
    reset_locator()
    index = locator()
    with CaptureQueriesContext(connection) as captured:
        index.hold(["69123", " 13055", "49092", "99999", "", None])
    # One query for the communes; the others read each EPCI, département and région the first time it is seen.
    assert sum('FROM "territories_commune"' in q["sql"] for q in captured.captured_queries) == 1
    with CaptureQueriesContext(connection) as captured:
        held = {code: commune_by_code(code) for code in ("69123", "13055", "49092")}
    assert not captured.captured_queries
    assert {code: (c.pk, c.name, c.departement.code, c.epci_id) for code, c in held.items()} == {
        code: (c.pk, c.name, c.departement.code, c.epci_id) for code, c in one_at_a_time.items()}
    assert held["69123"].departement is commune_by_code("69266").departement
