"""Readers beyond CGET: MedNum (national standard and BFC), GeoJSON, fablabs.io, OSM Overpass, CSV + mapping.

Real shared files where they exist, small hand-written fixtures (tests/data/importers) otherwise; every
malformed file is refused whole with the database unchanged; re-imports are idempotent; a newer version
of a source flags the records it no longer holds without deleting anything.
"""
import datetime
import functools
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tilios.places.models import Place
from tilios.sources import services
from tilios.sources.importers import FileError
from tilios.sources.models import ImportRun, Source, SourceRecord

# These tests are about reading: every record keeps its own place (matching is tested in test_matching.py).
run_import = functools.partial(services.run_import, auto_merge=False)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "data" / "importers"
OSM = FIXTURES / "overpass_coworking.json"
CSV = FIXTURES / "lieux_point_virgule.csv"
TOML = FIXTURES / "lieux.toml"
MAPLAB_MAPPING = Path(__file__).resolve().parents[1] / "tilios" / "data" / "maplabbzh" / "maplabbzh.json"
MEDNUM = {
    "mednum-bfc": ("mednum-bfc-lieux-mediation-numerique/mednum_bfc_lieux.csv", 697, "ODbL 1.0"),
    "mednum-hinaura": ("mednum-hinaura-auvergne-rhone-alpes-2022/hinaura_lieux.csv", 687, "Licence Ouverte 2.0"),
    "mednum-hub-du-sud": ("mednum-hub-du-sud-paca-2023/hub_du_sud_lieux_2023-05-16.csv", 792,
                          "Licence Ouverte 2.0"),
}
MAPLAB = "tierslieux-bretagne-maplabbzh"


def state():
    return Place.objects.count(), SourceRecord.objects.count(), ImportRun.objects.count()


def kinds_of(source):
    return {code: Place.objects.filter(records__source__slug=source, kinds__code=code).count()
            for code in ("epn", "fablab", "coworking", "hackerspace", "autre")}


# --- real shared files -------------------------------------------------------------------------------

@pytest.mark.parametrize("slug", sorted(MEDNUM))
def test_mednum_real_files_import_whole_and_idempotent(shared_data, slug):
    path, rows, licence = MEDNUM[slug]
    before = Place.objects.count()
    summary = run_import("mednum", shared_data / path, source=slug)
    assert (summary.rows, summary.created, summary.rejected) == (rows, rows, 0), summary.errors[:5]
    assert Place.objects.count() == before + rows
    assert Source.objects.get(slug=slug).licence == licence
    assert kinds_of(slug)["epn"] == rows
    again = run_import("mednum", shared_data / path, source=slug)
    assert (again.created, again.updated, again.unchanged, again.missing) == (0, 0, rows, 0)


def test_mednum_typologies_become_kinds(shared_data):
    run_import("mednum", shared_data / MEDNUM["mednum-bfc"][0], source="mednum-bfc")
    assert kinds_of("mednum-bfc")["autre"] == 125  # code_typo TL: the 125 flagged tiers-lieux
    run_import("mednum", shared_data / MEDNUM["mednum-hub-du-sud"][0], source="mednum-hub-du-sud")
    assert kinds_of("mednum-hub-du-sud")["autre"] == 74  # the France Tiers-Lieux records
    place = Place.objects.get(records__source__slug="mednum-bfc", records__external_id="mednumBFC_TL_1_")
    assert (place.name, place.postcode, place.town) == ("Onlineformapro Dijon", "21000", "DIJON")
    assert place.links == [{"kind": "web", "url": "http://www.onlineformapro.com"}]
    assert place.commune.code == "21231"


def test_fablabs_io_real_file(shared_data):
    summary = run_import("fablabs-io", shared_data / "fablabs-io-france-2017" / "fablabs_io_france_2017-04.csv")
    assert (summary.rows, summary.created, summary.rejected) == (135, 135, 0), summary.errors[:5]
    source = Source.objects.get(slug="fablabs-io")
    assert source.licence == "non précisée" and "non indiquée" in source.description
    assert kinds_of("fablabs-io")["fablab"] == 135
    lannion = Place.objects.get(records__source=source, records__external_id="fablablannion")
    assert lannion.name == "Fablab Lannion - KerNEL" and lannion.commune.code == "22113"
    assert Place.objects.filter(records__source=source, latitude__isnull=True).count() == 6


def test_geojson_maplabbzh_2020(shared_data):
    summary = run_import("geojson", shared_data / MAPLAB / "maplabbzh_2020-05-26.geojson", source="maplabbzh",
                         known_on=datetime.date(2020, 5, 26))
    assert (summary.rows, summary.created, summary.rejected) == (121, 121, 0), summary.errors[:5]
    assert Source.objects.get(slug="maplabbzh").licence == "CC BY 4.0"
    assert kinds_of("maplabbzh") == {"epn": 31, "fablab": 47, "coworking": 22, "hackerspace": 3, "autre": 7}
    tilt = Place.objects.get(records__source__slug="maplabbzh", records__external_id="2")
    assert (tilt.name, tilt.town, tilt.postcode) == ("Tilt", "Theix", "56450")
    again = run_import("geojson", shared_data / MAPLAB / "maplabbzh_2020-05-26.geojson", source="maplabbzh")
    assert again.unchanged == 121


def test_maplabbzh_2016_then_2020_flags_the_disappeared_without_deleting(shared_data):
    """The snapshots' `id` is a reused position (2016 id 13 is FabLab Lannion KerNEL, 2020 id 13 La Matrice),
    so the mapping keys records by normalised name and town; what the 2020 file no longer holds is flagged."""
    old = shared_data / MAPLAB / "maplabbzh_2016-08-26.csv"
    new = shared_data / MAPLAB / "maplabbzh_2020-05-26.csv"
    gone = {"4c-rennes", "bibliotheque-de-brest-brest", "chaplab-saint-brieuc", "creafab-ploemeur",
            "kreizenn-dafar-saint-brieuc", "la-fab-rique-amanlis", "my-human-kit-rennes", "poc-girafe-brest",
            "siliconkerne-quimper"}

    first = run_import("csv", old, source="maplabbzh", mapping=MAPLAB_MAPPING, known_on=datetime.date(2016, 8, 26))
    assert (first.created, first.rejected, first.missing) == (65, 0, 0)
    places = Place.objects.count()
    second = run_import("csv", new, source="maplabbzh", mapping=MAPLAB_MAPPING, known_on=datetime.date(2020, 5, 26))
    assert (second.rows, second.created, second.rejected, second.missing) == (121, 65, 0, 9)
    assert Place.objects.count() == places + 65  # nothing deleted
    flagged = SourceRecord.objects.filter(source__slug="maplabbzh", missing_since_run__isnull=False)
    assert set(flagged.values_list("external_id", flat=True)) == gone
    assert all(r.missing_since_run_id == second.run.pk and r.place_id for r in flagged)
    assert Place.objects.get(records__external_id="creafab-ploemeur").name == "CréaFab"
    assert ImportRun.objects.get(pk=second.run.pk).missing == 9

    third = run_import("csv", new, source="maplabbzh", mapping=MAPLAB_MAPPING)  # same file: nothing newly missing
    assert (third.missing, third.created, third.updated, third.unchanged) == (0, 0, 0, 121)
    assert flagged.count() == 9
    back = run_import("csv", old, source="maplabbzh", mapping=MAPLAB_MAPPING)  # the old places come back
    assert back.missing == 65 and not flagged.filter(external_id__in=gone).exists()


# --- small fixtures ----------------------------------------------------------------------------------

def test_osm_overpass_fixture():
    before = Place.objects.count()
    summary = run_import("osm", OSM)
    assert Source.objects.get(slug="openstreetmap").licence == "ODbL 1.0"
    assert (summary.rows, summary.created, summary.rejected) == (6, 4, 2)  # the untagged node is skipped
    assert Place.objects.count() == before + 4
    errors = {(e["line"], e["field"]): e["reason"] for e in summary.errors}
    assert "inversées" in errors[(6, "lat")]
    assert errors[(7, "name")] == "nom manquant"
    cordee = Place.objects.get(records__external_id="node/4567812301")
    assert cordee.kinds.get().code == "coworking" and cordee.opening_hours == "Mo-Fr 08:30-19:00"
    assert (cordee.address, cordee.postcode, cordee.town) == ("12 Rue d'Austerlitz", "69004", "Lyon")
    assert {"kind": "web", "url": "https://www.la-cordee.net"} in cordee.links
    labfab = Place.objects.get(records__external_id="way/98765432")
    assert labfab.kinds.get().code == "fablab" and labfab.latitude == 48.1173
    assert Place.objects.get(records__external_id="node/4567812302").kinds.get().code == "hackerspace"
    nantes = Place.objects.get(records__external_id="relation/123456")
    assert nantes.kinds.get().code == "coworking" and nantes.declared_commune_code == "44109"
    assert run_import("osm", OSM).unchanged == 4


@pytest.mark.parametrize("mapping", [TOML, "json"])
def test_csv_with_a_mapping(tmp_path, mapping):
    if mapping == "json":
        import tomllib

        mapping = tmp_path / "lieux.json"
        mapping.write_text(json.dumps(tomllib.loads(TOML.read_text(encoding="utf-8"))), encoding="utf-8")
    Source.objects.create(slug="liste-drome", name="Liste régionale", licence="Licence Ouverte 2.0",
                          attribution="Liste régionale")
    summary = run_import("csv", CSV, source="liste-drome", mapping=mapping)
    assert (summary.rows, summary.created, summary.rejected) == (5, 2, 3)
    errors = {(e["line"], e["field"]): e["reason"] for e in summary.errors}
    assert set(errors) == {(4, "Nom du lieu"), (5, "Lat"), (6, "Lat")}
    assert "inversées" in errors[(5, "Lat")] and errors[(6, "Lat")] == "nombre illisible"
    place = Place.objects.get(records__external_id="A1")
    assert (place.latitude, place.longitude, place.declared_commune_code) == (44.7284, 5.0226, "26108")
    assert place.kinds.get().code == "fablab"
    assert place.links == [{"kind": "web", "url": "https://www.fabrique-du-coin.example.org"}]
    assert run_import("csv", CSV, source="liste-drome", mapping=mapping).unchanged == 2


# --- malformed files: refused whole, database unchanged ----------------------------------------------

LATIN1_MEDNUM = ("id,nom,adresse,code_postal,commune,latitude,longitude\n"
                 "1,Médiathèque,1 rue,26400,Crest,44.72,5.02\n").encode("latin-1")
FEATURE = ('{"type":"Feature","properties":{"id":"1","nom":"Lieu"},'
           '"geometry":{"type":"Point","coordinates":[-2.75,47.64]}}')


@pytest.mark.parametrize("kind, content, source, mapping, message", [
    ("mednum", LATIN1_MEDNUM, "mednum-hinaura", None, "pas en UTF-8.*ligne 2"),
    ("mednum", b"id;nom;adresse;code_postal;commune;latitude;longitude\n1;L;a;1;c;45;4\n", "mednum-hinaura",
     None, "colonnes manquantes.*séparateur"),
    ("mednum", b"id,nom,adresse\n1,Lieu,rue\n", "mednum-hinaura", None, "colonnes manquantes : code_postal"),
    ("mednum", b'[{"id": "1", "nom": "Lieu",', "mednum-hinaura", None, "JSON illisible ligne 1"),
    ("geojson", ('{"type": "FeatureCollection", "features": [' + FEATURE).encode(), "maplabbzh", None,
     "JSON illisible"),
    ("geojson", b'{"type": "Feature"}', "maplabbzh", None, "FeatureCollection"),
    ("geojson", '{"type":"FeatureCollection","features":[]}'.encode("utf-16"), "maplabbzh", None, "UTF-8"),
    ("osm", b'{"elements": [{"type": "node", "id": 1,}]}', None, None, "JSON illisible ligne 1"),
    ("osm", b'{"version": 0.6}', None, None, "elements"),
    ("fablabs-io", b"name;kind_name;latitude;longitude\nLab;fab_lab;45;4\n", None, None, "séparateur"),
    ("fablabs-io", b"name,city\nLab,Lyon\n", None, None, "colonnes manquantes"),
    ("csv", CSV.read_bytes().replace(b";", b","), "liste", TOML, "colonnes manquantes.*séparateur"),
    ("csv", CSV.read_bytes().decode().encode("cp1252"), "liste", TOML, "pas en UTF-8"),
    ("csv", CSV.read_bytes(), "liste", None, "mapping"),
    ("csv", CSV.read_bytes(), "liste", "broken.toml", "mapping broken.toml illisible"),
    ("csv", CSV.read_bytes(), "liste", "nofields.json", "name"),
    ("cget", b"", None, MAPLAB_MAPPING, "--mapping"),
])
def test_malformed_files_are_refused_whole(tmp_path, kind, content, source, mapping, message):
    path = tmp_path / "bad.data"
    path.write_bytes(content)
    if mapping == "broken.toml":
        mapping = tmp_path / "broken.toml"
        mapping.write_text('id = "Identifiant"\n[fields\nname = "Nom"\n', encoding="utf-8")
    elif mapping == "nofields.json":
        mapping = tmp_path / "nofields.json"
        mapping.write_text('{"id": "Identifiant", "fields": {"adresse": "Adresse"}}', encoding="utf-8")
    before = state()
    with pytest.raises(FileError, match=message):
        run_import(kind, path, source=source, mapping=mapping)
    assert state() == before


def test_swapped_and_bad_coordinates_are_row_errors_in_every_reader(tmp_path):
    geo = tmp_path / "swap.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [
        json.loads(FEATURE),
        {"type": "Feature", "properties": {"id": "2", "nom": "Inversé"},
         "geometry": {"type": "Point", "coordinates": [47.64, -2.75]}},
        {"type": "Feature", "properties": {"id": "3", "nom": "Hors cadre"},
         "geometry": {"type": "Point", "coordinates": [-2.75, 97.0]}},
        {"type": "Feature", "properties": {"id": "4", "nom": "Ligne"},
         "geometry": {"type": "LineString", "coordinates": [[-2.75, 47.6], [-2.7, 47.7]]}},
        {"type": "Feature", "properties": {"id": "5", "title": ""}, "geometry": None},
    ]}), encoding="utf-8")
    summary = run_import("geojson", geo, source="maplabbzh")
    assert (summary.created, summary.rejected) == (1, 4)
    errors = {e["line"]: (e["field"], e["reason"]) for e in summary.errors}
    assert errors[2][0] == "geometry.coordinates[1]" and "inversées (entité n° 2)" in errors[2][1]
    assert "hors de l'intervalle" in errors[3][1]
    assert errors[4] == ("geometry", "un point est attendu, pas LineString")
    assert errors[5][1] == "nom manquant (entité n° 5)"

    med = tmp_path / "swap.csv"
    med.write_text("id,nom,adresse,code_postal,commune,latitude,longitude\n"
                   "1,Bon,1 rue,26400,Crest,44.72,5.02\n2,Inversé,1 rue,26400,Crest,5.02,44.72\n"
                   "3,Virgule,1 rue,26400,Crest,\"44,72\",\"5,02\"\n4,Seul,1 rue,26400,Crest,44.72,\n",
                   encoding="utf-8")
    summary = run_import("mednum", med, source="mednum-hinaura")
    assert (summary.created, summary.rejected) == (2, 2)
    errors = {e["line"]: (e["field"], e["reason"]) for e in summary.errors}
    assert errors[3] == ("latitude", "latitude et longitude semblent inversées")
    assert errors[5] == ("longitude", "latitude et longitude vont ensemble")


# --- dry run and command line ------------------------------------------------------------------------

@pytest.mark.parametrize("kind, path, source, mapping, created", [
    ("mednum", "mednum-bfc-lieux-mediation-numerique/mednum_bfc_lieux.csv", "mednum-bfc", None, 697),
    ("geojson", f"{MAPLAB}/maplabbzh_2020-05-26.geojson", "maplabbzh", None, 121),
    ("fablabs-io", "fablabs-io-france-2017/fablabs_io_france_2017-04.csv", None, None, 135),
    ("csv", f"{MAPLAB}/maplabbzh_2016-08-26.csv", "maplabbzh", MAPLAB_MAPPING, 65),
    ("osm", OSM, None, None, 4),
])
def test_dry_run_writes_nothing_for_every_kind(shared_data, kind, path, source, mapping, created):
    before = state()
    sources = Source.objects.count()
    summary = run_import(kind, shared_data / path, source=source, mapping=mapping, dry_run=True)
    assert summary.created == created
    assert state() == before and Source.objects.count() == sources


def test_cli_osm_names_elements_and_csv_takes_a_mapping(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "osm", str(OSM), "--no-progress", "--dry-run", stdout=out, stderr=err)
    # La Cordée (12 rue d'Austerlitz, Lyon) is already in the demo base: matched, not created again.
    assert "[essai, rien n'est écrit] 6 lignes : 3 créées" in out.getvalue()
    assert "1 rapprochées d'un lieu connu" in out.getvalue()
    assert "élément 7, champ name : nom manquant" in err.getvalue()
    Source.objects.create(slug="liste-drome", name="Liste", licence="Licence Ouverte 2.0", attribution="Liste")
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "csv", str(CSV), "--source", "liste-drome", "--mapping", str(TOML), "--no-progress",
                 stdout=out, stderr=err)
    assert "5 lignes : 2 créées, 0 mises à jour, 0 inchangées, 3 rejetées" in out.getvalue()
    assert "ligne 4, champ Nom du lieu : nom manquant" in err.getvalue()
    with pytest.raises(CommandError, match="précisez la source"):
        call_command("import", "mednum", str(CSV), "--no-progress")
    with pytest.raises(CommandError, match="base inchangée.*mapping"):
        call_command("import", "csv", str(CSV), "--source", "liste-drome", "--no-progress")


def test_cli_reports_records_missing_from_a_newer_file(shared_data):
    folder = shared_data / MAPLAB
    call_command("import", "csv", str(folder / "maplabbzh_2016-08-26.csv"), "--source", "maplabbzh", "--mapping",
                 str(MAPLAB_MAPPING), "--known-on", "2016-08-26", "--no-progress", stdout=io.StringIO())
    out = io.StringIO()
    call_command("import", "csv", str(folder / "maplabbzh_2020-05-26.csv"), "--source", "maplabbzh", "--mapping",
                 str(MAPLAB_MAPPING), "--known-on", "2020-05-26", "--no-progress", stdout=out, stderr=io.StringIO())
    assert "9 enregistrements de la source absents de ce fichier : lieux peut-être fermés, à revoir (rien n'est supprimé)" in out.getvalue()
