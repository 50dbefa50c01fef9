"""Knowledge time is the earliest attestation of a place, so a census does not depend on the order in which
sources were imported (issue #15 item 1); undated places are counted as certainly or possibly valid (item 2).

The property: two real directories of ../shared/data that overlap (MapLabBZH 2016, fablabs.io 2017), each
imported with its publication date as --known-on, in both orders on top of the CGET base (2019), give the
same places certainly and possibly valid at every (D, K) of a grid, for every place that entity resolution
forms the same way in both orders (all but one or two). Not covered: two files of one source (MapLabBZH 2016
and 2020) read in either order — a record keeps the values of the file read last."""
import datetime
from pathlib import Path

import pytest
from django.db import transaction

from tilios.census import services
from tilios.census.models import CensusDefinition, PlaceFact
from tilios.sources.services import run_import

pytestmark = pytest.mark.django_db

D = datetime.date
MAPLAB_MAPPING = Path(__file__).resolve().parents[1] / "tilios" / "data" / "maplabbzh" / "maplabbzh.json"
# (format, file under ../shared/data, source, publication date)
IMPORTS = {
    "maplab2016": ("csv", "tierslieux-bretagne-maplabbzh/maplabbzh_2016-08-26.csv", "maplabbzh", D(2016, 8, 26)),
    "fablabs2017": ("fablabs-io", "fablabs-io-france-2017/fablabs_io_france_2017-04.csv", "fablabs-io",
                    D(2017, 4, 26)),
}
GRID = [(D(2016, 9, 1), D(2016, 9, 1)), (D(2016, 9, 1), D(2024, 1, 1)), (D(2017, 12, 31), D(2017, 12, 31)),
        (D(2018, 12, 31), D(2019, 12, 31)), (D(2021, 1, 1), D(2021, 1, 1)), (D(2024, 1, 1), D(2024, 1, 1))]


def import_all(shared_data, names):
    for name in names:
        kind, path, source, known_on = IMPORTS[name]
        summary = run_import(kind, shared_data / path, source=source, known_on=known_on,
                             mapping=MAPLAB_MAPPING if kind == "csv" else None)
        assert summary.rows and not summary.errors, (name, summary.errors[:3])


def census_grid():
    """Per latest definition and grid cell, the places certainly and possibly valid, each place named by the
    source records that attest it (ids differ between runs; what a place is made of does not)."""
    from tilios.census import criteria
    from tilios.sources.models import SourceRecord

    made_of = {}
    for place_id, slug, external_id in SourceRecord.objects.filter(place__is_published=True).values_list(
            "place_id", "source__slug", "external_id"):
        made_of.setdefault(place_id, set()).add((slug, external_id))
    made_of = {place_id: frozenset(records) for place_id, records in made_of.items()}
    grid = {}
    for slug in CensusDefinition.objects.values_list("slug", flat=True).distinct():
        definition = services.get_definition(slug)
        for d, k in GRID:
            certain, possible = (set(criteria.apply(qs, definition.criteria).values_list("place_id", flat=True))
                                 for qs in (services.facts(d, k), services.possible_facts(d, k)))
            result = services.count(definition, d, k)
            assert (result.total, result.possible) == (len(certain), len(possible))
            grid[slug, d, k] = ({made_of[p] for p in certain}, {made_of[p] for p in possible})
    return grid, set(made_of.values())


def test_census_is_the_same_whatever_order_the_sources_were_imported_in(shared_data):
    orders = [("maplab2016", "fablabs2017"), ("fablabs2017", "maplab2016")]
    runs = []
    for order in orders:
        with transaction.atomic():
            savepoint = transaction.savepoint()
            import_all(shared_data, order)
            runs.append(census_grid())
            transaction.savepoint_rollback(savepoint)
    (first, places_a), (second, places_b) = runs
    # Entity resolution itself may differ with the order (one Morbihan fablab is joined to a MapLabBZH place
    # in one order, kept apart in the other): compare every place resolved the same way in both.
    resolved_apart = places_a ^ places_b
    assert len(resolved_apart) <= 3, resolved_apart
    same = places_a & places_b
    for key in first:
        assert [s & same for s in first[key]] == [s & same for s in second[key]], (key, orders)
    # The sources did move the past: the 2016 directory makes Breton places known in 2016.
    known_2016 = first["tiers-lieux", D(2016, 9, 1), D(2016, 9, 1)][0]
    assert len(known_2016 & same) >= 60
    assert len(first["tiers-lieux", D(2021, 1, 1), D(2021, 1, 1)][0]) > 1512


def test_an_older_source_joining_a_known_place_moves_its_knowledge_back(shared_data, tmp_path):
    from directories import directory

    from tilios.places.models import Place
    from tilios.sources.models import Source

    Source.objects.create(slug="annuaire-test", name="Annuaire test", licence="CC0", attribution="test")
    place = Place.objects.filter(is_published=True, merged_into=None, opened_on=None).exclude(
        latitude=None).order_by("pk").first()
    first_known = PlaceFact.objects.filter(place=place).order_by("known_from").first().known_from
    assert first_known.date() == D(2019, 6, 13)  # the CGET base's publication day
    older = directory(tmp_path, "annuaire-2015", {"id": "A1", "name": place.name, "lat": place.latitude,
                                                 "lon": place.longitude, "cp": place.postcode or "",
                                                 "town": place.town or ""})
    summary = run_import("cget", older, source="annuaire-test", known_on=D(2015, 3, 1))
    assert summary.matched == 1, summary.errors
    facts = list(PlaceFact.objects.filter(place=place).order_by("known_from"))
    assert facts[0].known_from.date() == D(2015, 3, 1) and facts[0].known_to == facts[1].known_from
    assert facts[0].n_sources == 1 and facts[-1].n_sources == 2
    assert facts[-1].valid_from == D(2015, 3, 1) and facts[-1].valid_from_estimated
    definition = services.get_definition("tiers-lieux")
    ids = services.included_ids(definition, D(2016, 1, 1), D(2016, 1, 1))
    assert place.public_id in ids
    # Before its first attestation it is only possibly valid, and explain says so.
    explained = services.explain(definition, D(2014, 1, 1), D(2016, 1, 1))
    reasons = next(e["reasons"] for e in explained["excluded"] if e["id"] == place.public_id)
    assert any("peut-être ouvert" in r and "2015-03-01" in r for r in reasons), reasons


def test_undated_places_are_certainly_or_possibly_valid():
    """The CGET base has no opening dates: before its publication its places are possible, not certain."""
    cget = services.get_definition("cget-2018")
    before = services.count(cget, D(2018, 12, 31), D(2024, 1, 1), by="region")
    after = services.count(cget, D(2019, 6, 13), D(2024, 1, 1))
    assert before.possible > 0 and before.total + before.possible == after.total == 1512
    assert sum(r["count"] for r in before.rows) == before.total
    assert sum(r["possible"] for r in before.rows) == before.possible
    # Known only since 2019: as known in 2018 nothing is certain nor possible.
    then = services.count(cget, D(2018, 12, 31), D(2018, 12, 31))
    assert (then.total, then.possible) == (0, 0)


def test_certain_and_possible_in_the_api_the_csv_the_page_and_the_cli(client):
    import csv
    import io
    import re

    from django.core.management import call_command

    query = "valid_on=2018-12-31&known_on=2024-01-01&by=region"
    data = client.get(f"/api/census?{query}").json()
    assert data["possible"] > 0 and data["total"] + data["possible"] == 1512
    assert sum(r["possible"] for r in data["rows"]) == data["possible"]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/census.csv?{query}").content.decode())))
    assert sum(int(r["possible"]) for r in rows) == data["possible"]
    page = client.get(f"/recensement/?{query}").content.decode()
    assert f'data-possible="{data["possible"]}"' in page and "peut-être valides" in page
    assert sorted(int(n) for n in re.findall(r'<td class="num" data-possible="(\d+)">', page)) == sorted(
        r["possible"] for r in data["rows"])
    out = io.StringIO()
    call_command("census", "--valid-on", "2018-12-31", "--known-on", "2024-01-01", stdout=out)
    assert f"{data['total']} certainement, {data['possible']} de plus peut-être" in out.getvalue()
