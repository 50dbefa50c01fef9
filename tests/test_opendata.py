"""Open data: every export names its source records, the Frictionless data package validates with the
`frictionless` library, share-alike sources make the whole share-alike, on the CLI, the web and the API."""
import csv
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from frictionless import validate

from tilios.places.models import Place
from tilios.sources.models import Source, SourceRecord

pytestmark = pytest.mark.django_db


def export(*args):
    call_command("export", *args, stdout=io.StringIO(), stderr=io.StringIO())


def _osm_record_on(place):
    """An ODbL (share-alike) record attached to `place`, as an OSM import that matched it would leave."""
    osm = Source.objects.get(slug="openstreetmap")  # shipped with Tilios, as data
    SourceRecord.objects.create(source=osm, external_id="node/123", place=place, raw={"id": 123},
                                checksum="x")
    return osm


def test_csv_and_geojson_name_the_source_records_of_each_place(tmp_path):
    call_command("export", str(tmp_path / "l.csv"), stderr=io.StringIO())
    rows = list(csv.DictReader((tmp_path / "l.csv").open(encoding="utf-8")))
    by_id = {r["id"]: r for r in rows}
    for place_id, external_id in SourceRecord.objects.values_list("place__public_id", "external_id")[:50]:
        assert by_id[place_id]["source_records"] == f"cget-mission-coworking-2019:{external_id}"
    call_command("export", str(tmp_path / "l.geojson"), "--format", "geojson", stderr=io.StringIO())
    features = json.loads((tmp_path / "l.geojson").read_text(encoding="utf-8"))["features"]
    assert all(f["properties"]["source_records"][0].startswith("cget-mission-coworking-2019:") for f in features)


def test_api_payloads_name_the_source_records_in_one_query(client, django_assert_max_num_queries):
    place = Place.objects.filter(records__isnull=False).first()
    _osm_record_on(place)
    expected = sorted([f"cget-mission-coworking-2019:{place.records.get(source__slug__startswith='cget').external_id}",
                       "openstreetmap:node/123"])
    assert client.get(f"/api/places/{place.public_id}").json()["source_records"] == expected
    with django_assert_max_num_queries(6):  # count, page, kinds, records: not one query per place
        page = client.get("/api/places", {"limit": 200}).json()
    assert len(page["results"]) == 200 and all(p["source_records"] for p in page["results"])
    features = client.get("/api/places.geojson", {"bbox": f"{place.longitude - .01},{place.latitude - .01},"
                                                          f"{place.longitude + .01},{place.latitude + .01}"}).json()
    mine = next(f for f in features["features"] if f["id"] == place.public_id)
    assert mine["properties"]["source_records"] == expected


def test_datapackage_validates_with_frictionless_and_holds_the_crosswalk(tmp_path):
    out = tmp_path / "paquet"
    export(str(out), "--format", "datapackage")
    report = validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:5]
    assert {t.name: t.stats["rows"] for t in report.tasks}["places"] == 1512
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in descriptor["resources"]] == [
        "places", "kinds", "place_kinds", "sources", "licences", "place_source_records"]
    assert descriptor["licenses"] == [{"name": "etalab-2.0", "title": "Licence Ouverte / Open Licence 2.0",
                                       "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"}]
    assert descriptor["share_alike"] is False
    crosswalk = list(csv.DictReader((out / "place_source_records.csv").open(encoding="utf-8")))
    assert len(crosswalk) == 1512
    place = Place.objects.filter(records__external_id="42").get()
    assert {"place_id": place.public_id, "source": "cget-mission-coworking-2019", "record_id": "42",
            "source_record": "cget-mission-coworking-2019:42"} in crosswalk


def test_a_share_alike_source_makes_the_whole_package_share_alike(tmp_path):
    _osm_record_on(Place.objects.filter(is_published=True).first())
    out = tmp_path / "paquet"
    export(str(out), "--format", "datapackage")
    assert validate(str(out / "datapackage.json")).valid
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["share_alike"] is True
    assert [lic["name"] for lic in descriptor["licenses"]] == ["ODbL-1.0"]
    assert "partage à l'identique" in descriptor["description"] and "OpenStreetMap" in descriptor["attribution"]
    licences = {r["id"]: r for r in csv.DictReader((out / "licences.csv").open(encoding="utf-8"))}
    assert licences["ODbL-1.0"]["share_alike"] == "1" and licences["etalab-2.0"]["share_alike"] == "0"
    export(str(tmp_path / "l.geojson"), "--format", "geojson")
    header = json.loads((tmp_path / "l.geojson").read_text(encoding="utf-8"))
    assert header["licence_of_whole"]["id"] == "ODbL-1.0"


def test_two_different_share_alike_licences_are_refused_before_writing(tmp_path):
    place = Place.objects.filter(is_published=True).first()
    _osm_record_on(place)
    wiki = Source.objects.get(slug="maplabbzh")
    wiki.licence, wiki.licence_code, wiki.share_alike = "CC BY-SA 4.0", "cc-by-sa-4.0", True
    wiki.save()
    SourceRecord.objects.create(source=wiki, external_id="7", place=place, raw={}, checksum="y")
    with pytest.raises(CommandError, match="ODbL-1.0 et CC-BY-SA-4.0|CC-BY-SA-4.0 et ODbL-1.0"):
        export(str(tmp_path / "paquet"), "--format", "datapackage")
    assert not (tmp_path / "paquet").exists()


def test_datapackage_into_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(CommandError, match="dossier"):
        export(str(tmp_path / "f"), "--format", "datapackage")
    with pytest.raises(CommandError, match="dossier"):
        export("-", "--format", "datapackage")


def test_open_data_page_lists_downloads_with_licences_and_serves_the_zip(client, tmp_path):
    _osm_record_on(Place.objects.filter(is_published=True).first())
    page = client.get("/donnees/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "ODbL 1.0" in html and "Licence Ouverte 2.0" in html and "partage à l’identique" in html
    assert "/donnees/tilios-datapackage.zip" in html and "/donnees/lieux.csv" in html
    response = client.get("/donnees/tilios-datapackage.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).extractall(tmp_path)
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid
    assert client.get("/donnees/rien.zip").status_code == 404
    english = client.get("/donnees/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Open data" in english and "a share-alike licence: the whole is distributed under" in english


def test_api_lists_and_serves_the_same_downloads(client):
    listing = client.get("/api/exports").json()
    assert [d["name"] for d in listing["downloads"]] == ["lieux.csv", "lieux.geojson", "tilios-datapackage.zip",
                                                         "lieux-mediation-numerique.csv",
                                                         "lieux-mediation-numerique.json", "lieux-mediation-numerique.zip"]
    assert listing["licence_of_whole"] is None
    assert listing["sources"][0]["licence_id"] == "etalab-2.0" and listing["sources"][0]["share_alike"] is False
    response = client.get("/api/exports/lieux.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))
    assert len(rows) == 1512 and rows[0]["source_records"].startswith("cget-mission-coworking-2019:")
    missing = client.get("/api/exports/rien")
    assert missing.status_code == 404 and "rien" in missing.json()["detail"]
