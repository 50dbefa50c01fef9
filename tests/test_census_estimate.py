"""Estimates that refuse to mislead (issue #15 item 3), on the real overlapping directories of ../shared/data:
each imported with its publication date, compared only within the scope the sources share."""
import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from tilios.census.estimation import estimate_population
from tilios.places.models import Place
from tilios.sources.models import MatchCandidate, SourceRecord
from tilios.sources.services import run_import

pytestmark = pytest.mark.django_db

MAPLAB_MAPPING = Path(__file__).resolve().parents[1] / "tilios" / "data" / "maplabbzh" / "maplabbzh.json"
CGET = "cget-mission-coworking-2019"
BREIZH = ["22", "29", "35", "44", "56"]  # MapLabBZH: Bretagne and Loire-Atlantique
FILES = {
    "maplab2016": ("csv", "tierslieux-bretagne-maplabbzh/maplabbzh_2016-08-26.csv", "maplabbzh", "2016-08-26"),
    "maplab2020": ("csv", "tierslieux-bretagne-maplabbzh/maplabbzh_2020-05-26.csv", "maplabbzh", "2020-05-26"),
    "fablabs": ("fablabs-io", "fablabs-io-france-2017/fablabs_io_france_2017-04.csv", "fablabs-io", "2017-04-26"),
    "bfc": ("mednum", "mednum-bfc-lieux-mediation-numerique/mednum_bfc_lieux.csv", "mednum-bfc", "2022-05-17"),
    "hinaura": ("mednum", "mednum-hinaura-auvergne-rhone-alpes-2022/hinaura_lieux.csv", "mednum-hinaura",
                "2022-09-30"),
}


def load(shared_data, *names):
    for name in names:
        kind, path, source, known_on = FILES[name]
        summary = run_import(kind, shared_data / path, source=source, known_on=datetime.date.fromisoformat(known_on),
                             mapping=MAPLAB_MAPPING if kind == "csv" else None)
        assert summary.rows and not summary.errors


def codes(result):
    return [w["code"] for w in result["warnings"]]


def test_a_regional_map_and_the_national_base_are_compared_on_the_regions_they_share(shared_data):
    load(shared_data, "maplab2016", "maplab2020")
    result = estimate_population([CGET, "maplabbzh"])
    scope = result["scope"]
    assert scope["sources"][CGET]["departements"] is None  # national: present in every metropolitan région
    assert scope["sources"]["maplabbzh"]["departements"] == BREIZH
    assert scope["departements"] == BREIZH and scope["kinds"] == ["coworking", "fablab"]
    # Every place compared lies in the common scope; by hand, the same rule gives the same places.
    breizh = Place.objects.live().filter(departement_id__in=BREIZH, kinds__code__in=["coworking", "fablab"])
    listed = set(SourceRecord.objects.filter(source__slug__in=[CGET, "maplabbzh"]).values_list("place_id", flat=True))
    assert result["observed"] == breizh.filter(pk__in=listed).distinct().count()
    chapman = result["estimates"][0]
    n1, n2, m = chapman["details"]["n1"], chapman["details"]["n2"], chapman["details"]["m"]
    assert (n1, n2, m) == (result["listed"][CGET], result["listed"]["maplabbzh"], result["overlap"]) and m >= 10
    assert result["observed"] <= chapman["lower"] < chapman["estimate"] < chapman["upper"] < 400  # not 3 295
    assert "scopes_differ" in codes(result) and "small_overlap" not in codes(result)
    # Stratified by département: the five estimates add up to the total of the strata.
    by = estimate_population([CGET, "maplabbzh"], by="departement")
    rows = by["strata"]["rows"]
    assert [r["key"] for r in rows] == BREIZH and sum(r["observed"] for r in rows) == result["observed"]
    total = next(t for t in by["strata"]["totals"] if t["method"] == "chapman")
    assert total["estimate"] == pytest.approx(sum(r["estimates"][0]["estimate"] for r in rows), abs=0.5)
    assert total["lower"] >= total["observed"]
    finistere = estimate_population([CGET, "maplabbzh"], within={"departement": "29"})
    assert finistere["observed"] == next(r["observed"] for r in rows if r["key"] == "29")


def test_what_was_known_then_is_compared_as_it_was_known_then(shared_data):
    load(shared_data, "maplab2016", "fablabs", "maplab2020")
    today = estimate_population(["maplabbzh", "fablabs-io"])
    then = estimate_population(["maplabbzh", "fablabs-io"], known_on=datetime.date(2018, 1, 1))
    in_2016_file = Place.objects.filter(records__source__slug="maplabbzh",
                                        records__first_run__known_on=datetime.date(2016, 8, 26)).distinct()
    assert then["scope"]["sources"]["maplabbzh"]["listed"] <= in_2016_file.count()
    assert then["scope"]["sources"]["maplabbzh"]["listed"] < today["scope"]["sources"]["maplabbzh"]["listed"]
    # Before any of them was published, nothing was listed: a clear refusal, not a figure.
    with pytest.raises(Exception, match="aucun lieu"):
        estimate_population(["maplabbzh", "fablabs-io"], known_on=datetime.date(2015, 1, 1))
    cget_not_yet = estimate_population([CGET, "maplabbzh"], known_on=datetime.date(2017, 1, 1))
    assert cget_not_yet["estimates"] == [] and "empty_source" in codes(cget_not_yet)


def test_sources_of_disjoint_regions_give_no_estimate_and_say_why(shared_data):
    load(shared_data, "bfc", "hinaura")
    result = estimate_population(["mednum-bfc", "mednum-hinaura"])
    assert result["scope"]["departements"] == [] and result["estimates"] == [] and result["refused"]
    assert "no_common_scope" in codes(result)  # not 465 749
    out, err = io.StringIO(), io.StringIO()
    call_command("estimate", "--sources", "mednum-bfc,mednum-hinaura", stdout=out, stderr=err)
    assert "aucune estimation" in out.getvalue() and "aucun territoire" in err.getvalue()
    out = io.StringIO()
    call_command("estimate", "--sources", "mednum-bfc,mednum-hinaura", "--format", "json", stdout=out)
    assert "no_common_scope" in [w["code"] for w in json.loads(out.getvalue())["warnings"]]


def test_a_tiny_source_and_pending_pairs_are_flagged_with_a_range(shared_data):
    from tilios.sources.models import Source

    load(shared_data, "maplab2016", "maplab2020")
    tiny = Source.objects.create(slug="deux-lieux", name="Deux lieux", licence="CC0", attribution="t")
    for i, place in enumerate(Place.objects.live().filter(records__source__slug="maplabbzh",
                                                          kinds__code="fablab").order_by("id")[:2]):
        SourceRecord.objects.create(source=tiny, external_id=str(i), place=place, raw={}, checksum="x")
    three = estimate_population([CGET, "maplabbzh", "deux-lieux"])
    assert "small_source" in codes(three)
    assert all(e["upper"] < 100 * three["observed"] for e in three["estimates"])  # not 94 038 318
    # One more review pair between two places the sources list separately: both readings are given.
    before = estimate_population([CGET, "maplabbzh"])
    ids = Place.objects.live().filter(departement_id="29", kinds__code="fablab")
    cget_only = ids.filter(records__source__slug=CGET).exclude(records__source__slug="maplabbzh").first()
    maplab_only = ids.filter(records__source__slug="maplabbzh").exclude(records__source__slug=CGET).first()
    a, b = sorted([cget_only.pk, maplab_only.pk])
    MatchCandidate.objects.get_or_create(place_a_id=a, place_b_id=b, defaults={"score": 0.6})
    after = estimate_population([CGET, "maplabbzh"])
    assert after["sensitivity"]["pending_pairs"] == before["sensitivity"]["pending_pairs"] + 1
    merged = after["sensitivity"]["if_all_duplicates"]
    assert merged["observed"] < after["observed"] and "pending_pairs" in codes(after)
    assert merged["estimates"][0]["details"]["m"] > after["overlap"] - 1
