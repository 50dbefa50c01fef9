"""The export in the national standard of the lieux de médiation numérique (LaMednum schema v1.0.2, shipped):
valid against the published schema (checked by `frictionless`), share-alike sources honoured, offered on the
web and in the API, and a round trip: exported, re-imported into an emptied Tilios with `tilios import mednum`,
the same places come back with the same fields — as far as the standard can say them."""
import csv
import io
import json
import zipfile

import pytest
from django.conf import settings
from django.core.management import call_command
from frictionless import Resource, Schema, validate

from tilios.opendata import mednum
from tilios.places import taxonomy
from tilios.places.models import Place
from tilios.sources.importers import mednum as reader
from tilios.sources.models import ImportRun, Source, SourceRecord
from tilios.sources.services import run_import

pytestmark = pytest.mark.django_db

SCHEMA = settings.DATA_DIR / "mednum-schema-v1.0.2" / "schema.json"
HINAURA = settings.DATA_DIR / "mednum-hinaura-2022" / "hinaura_lieux.csv"


def export(*args):
    err = io.StringIO()
    call_command("export", *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def rows_of(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def words(text):
    return " ".join(text.split())


def assert_valid(path):
    """`path` checked against the shipped schema (frictionless refuses absolute paths: one folder, one name)."""
    schema = Schema.from_descriptor(json.loads(SCHEMA.read_text(encoding="utf-8")))
    report = Resource(path=path.name, basepath=str(path.parent), schema=schema).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:5]
    return report


@pytest.fixture
def registry():
    """The CGET base and Hinaura's médiation numérique places, and what neither source says on a few of them:
    a phone, an e-mail, a long description, an itinerant bus, social and acceslibre links, finer terms."""
    run_import("mednum", HINAURA, source="mednum-hinaura")
    hinaura = list(Place.objects.live().filter(records__source__slug="mednum-hinaura", kinds__code="epn")
                   .exclude(records__source__slug__startswith="cget").order_by("id")[:4])
    bus, foreign, closed, no_postcode = hinaura
    bus.phone, bus.email, bus.mobility = "+33477123456", "contact@example.org", Place.Mobility.ITINERANT
    bus.description = "Un bus numérique. " * 20 + "\n\nIl passe le mardi."
    bus.links = [{"kind": "web", "url": "https://bus.example.org/"},
                 {"kind": "facebook", "url": "https://www.facebook.com/bus.numerique"},
                 {"kind": "email", "url": "https://mail.example.org/"},
                 {"kind": "acceslibre", "url": "https://acceslibre.beta.gouv.fr/app/42/a/bus/"}]
    bus.services = ["aidant-habilite", "ateliers-collectifs", "materiel", "prise-en-main-ordinateur", "salle-reunion"]
    bus.access, bus.audiences = ["adhesion", "gratuit"], ["adultes", "jeunes", "langues-etrangeres"]
    bus.opening_hours = "Tu 09:00-12:00"
    bus.save()
    foreign.phone, foreign.description = "+3225123456", "Court."
    foreign.save()
    closed.status = Place.Status.CLOSED
    closed.save()
    no_postcode.postcode = ""
    no_postcode.save()
    return {"bus": bus, "foreign": foreign, "closed": closed, "no_postcode": no_postcode}


def test_the_shipped_schema_is_the_published_one_and_its_example_validates():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["name"] == "standard-mediation-num" and schema["version"] == "v1.0.2"
    assert schema["licenses"][0]["name"] == "etalab-2.0"
    assert_valid(SCHEMA.parent / "exemple-valide.csv")


def test_each_label_of_the_standard_is_read_as_the_first_term_published_under_it():
    for vocabulary, entries in taxonomy.MEDNUM_V1.items():
        for _column, label, codes in entries:
            assert all(code in taxonomy.VOCABULARIES[vocabulary] for code in codes)
            assert taxonomy.read_labels(vocabulary, label) == ([codes[0]], [])
            assert taxonomy.mednum_v1_label(vocabulary, codes[0])[1] in (label, "Langues étrangères (autres)")


def test_csv_validates_against_the_published_schema_and_says_what_it_left_out(registry, tmp_path):
    message = export(str(tmp_path / "m.csv"), "--format", "mednum")
    report = assert_valid(tmp_path / "m.csv")
    rows = {r["id"]: r for r in rows_of(tmp_path / "m.csv")}
    live = Place.objects.live()
    assert report.tasks[0].stats["rows"] == len(rows) > 1500
    closed, without = live.filter(status=Place.Status.CLOSED).count(), live.exclude(status=Place.Status.CLOSED)
    no_address = without.filter(address="").count()
    assert f"{len(rows)} lieux exportés" in message and f"{closed} fermés" in message
    assert f"{no_address} sans adresse" in message
    assert registry["closed"].public_id not in rows and registry["no_postcode"].public_id not in rows
    bus = rows[registry["bus"].public_id]
    assert bus["telephone"] == "+33477123456" and bus["courriels"] == ""  # no bulk e-mail
    assert bus["pivot"] == "00000000000000" and bus["itinerance"] == "Itinérant" and bus["typologie"] == "EPN"
    assert bus["services"] == "Maîtrise des outils numériques du quotidien"
    assert bus["modalites_accompagnement"] == "En autonomie|Dans un atelier collectif"  # the standard's order
    assert bus["dispositif_programmes_nationaux"] == "Aidants Connect"
    assert bus["frais_a_charge"] == "Gratuit|Payant" and bus["publics_specifiquement_adresses"] == "Jeunes"
    assert bus["prise_en_charge_specifique"] == "Langues étrangères (autres)"
    assert bus["site_web"] == "https://bus.example.org/|https://www.facebook.com/bus.numerique"
    assert bus["fiche_acces_libre"] == "https://acceslibre.beta.gouv.fr/app/42/a/bus/"
    assert bus["presentation_resume"] == "" and bus["presentation_detail"].endswith("Il passe le mardi.")
    foreign = rows[registry["foreign"].public_id]
    assert foreign["telephone"] == "" and foreign["presentation_resume"] == "Court."
    cget = Place.objects.filter(records__source__slug__startswith="cget", kinds__code="coworking",
                                public_id__in=rows).exclude(kinds__code__in=["epn", "fablab"]).first()
    assert rows[cget.public_id]["typologie"] == "TIERS_LIEUX"
    assert rows[cget.public_id]["source"] == "Base des tiers-lieux de la Mission Coworking"


def test_round_trip_into_an_empty_tilios_gives_the_same_places_and_fields(registry, tmp_path):
    first = tmp_path / "premier.csv"
    export(str(first), "--format", "mednum")
    exported = {r["id"]: r for r in rows_of(first)}
    before = {p.public_id: p for p in Place.objects.filter(public_id__in=exported)
              .select_related("commune").prefetch_related("kinds")}
    assert len(before) == len(exported)

    SourceRecord.objects.all().delete()  # an empty Tilios, the reference territories kept
    ImportRun.objects.all().delete()
    Place.objects.all().delete()
    Source.objects.create(slug="export-mednum", name="Export Tilios", licence="Licence Ouverte 2.0",
                          licence_code="etalab-2.0", attribution="Tilios")
    summary = run_import("mednum", first, source="export-mednum", auto_merge=False)
    assert summary.rejected == 0 and summary.created == len(exported) == Place.objects.count()

    after = {p.records.get().external_id: p for p in Place.objects.select_related("commune")
             .prefetch_related("kinds", "records")}
    assert after.keys() == before.keys()
    for public_id, old in before.items():
        new = after[public_id]
        said = (new.name, new.address, new.postcode, new.latitude, new.longitude, new.opening_hours,
                new.description, new.commune_id, new.town)
        # the reader collapses runs of white space, non-breaking ones included (« Università\xa0 di »)
        assert said == (words(old.name), words(old.address), old.postcode.strip(), old.latitude, old.longitude,
                        old.opening_hours, old.description.strip(), old.commune_id,
                        words(old.town) or old.commune.name), public_id
        kinds = {"epn" if k.code == "epn" else "fablab" if k.code == "fablab" else "autre" for k in old.kinds.all()}
        assert {k.code for k in new.kinds.all()} == (kinds or {"epn"}), public_id
        assert new.phone == (old.phone if mednum.PHONE.fullmatch(old.phone) else "")
        assert new.mobility == old.mobility and new.email == ""
    bus = after[registry["bus"].public_id]
    # the standard's coarser terms: « prendre en main un ordinateur » is read back as everyday digital life,
    # and it has no word for a meeting room
    assert bus.services == ["aidant-habilite", "ateliers-collectifs", "materiel", "numerique-quotidien"]
    assert sorted(bus.access) == ["gratuit", "payant"] and sorted(bus.audiences) == ["jeunes", "langues-etrangeres"]
    assert sorted((link["kind"], link["url"]) for link in bus.links) == [
        ("acceslibre", "https://acceslibre.beta.gouv.fr/app/42/a/bus/"),
        ("facebook", "https://www.facebook.com/bus.numerique"), ("web", "https://bus.example.org/")]
    # Exported again, the re-imported registry says exactly the same, but for its own dates and source.
    second = tmp_path / "second.csv"
    export(str(second), "--format", "mednum")
    old_id = {place.public_id: public_id for public_id, place in after.items()}
    again = {old_id[r["id"]]: r for r in rows_of(second)}
    assert again.keys() == exported.keys()
    untyped = 0
    for public_id, values in exported.items():
        reread = {k: v for k, v in again[public_id].items() if k not in ("id", "source", "date_maj")}
        if values["typologie"] == "":  # a place of no kind is read as the standard's default, a médiation place
            untyped += 1
            assert reread["typologie"] == "EPN"
            values = {**values, "typologie": "EPN"}
        assert reread == {k: v for k, v in values.items() if k not in ("id", "source", "date_maj")}, public_id
    assert untyped < len(exported) / 10


def _osm_record_on(place):
    """An ODbL (share-alike) record attached to `place`, as an OSM import that matched it would leave."""
    SourceRecord.objects.create(source=Source.objects.get(slug="openstreetmap"), external_id="node/123",
                                place=place, raw={"id": 123}, checksum="x")


def test_a_share_alike_source_makes_the_zip_say_so_and_carry_the_licence_of_the_whole(tmp_path):
    message = export(str(tmp_path / "m.zip"), "--format", "mednum")
    zipfile.ZipFile(tmp_path / "m.zip").extractall(tmp_path / "ouvert")
    descriptor = json.loads((tmp_path / "ouvert" / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["share_alike"] is False and [lic["name"] for lic in descriptor["licenses"]] == ["etalab-2.0"]
    assert "licence etalab-2.0" in message

    _osm_record_on(Place.objects.live().filter(address__gt="", postcode__regex=r"^[0-9]{5}$").first())
    message = export(str(tmp_path / "m.csv"), "--format", "mednum")
    assert "l'ensemble est sous Open Data Commons Open Database License 1.0" in message
    assert "licence ODbL-1.0 (partage à l’identique" in export(str(tmp_path / "m.zip"), "--format", "mednum")
    with zipfile.ZipFile(tmp_path / "m.zip") as zf:
        assert sorted(zf.namelist()) == ["datapackage.json", "lieux-mediation-numerique.csv", "schema.json"]
        zf.extractall(tmp_path / "partage")
    report = validate(str(tmp_path / "partage" / "datapackage.json"))  # the CSV against the schema it ships
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:5]
    descriptor = json.loads((tmp_path / "partage" / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["share_alike"] is True and [lic["name"] for lic in descriptor["licenses"]] == ["ODbL-1.0"]
    assert "partage à l'identique" in descriptor["description"] and "OpenStreetMap" in descriptor["attribution"]
    assert (tmp_path / "partage" / "schema.json").read_bytes() == SCHEMA.read_bytes()
    assert descriptor["left_out"]["sans adresse"] > 0


def test_the_open_data_page_and_the_api_offer_the_same_files(client, tmp_path):
    _osm_record_on(Place.objects.live().filter(address__gt="", postcode__regex=r"^[0-9]{5}$").first())
    html = client.get("/donnees/").content.decode()
    assert all(f"/donnees/lieux-mediation-numerique.{ext}" in html for ext in ("csv", "json", "zip"))
    assert "schéma des lieux de médiation numérique" in html
    english = client.get("/donnees/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "digital inclusion places standard" in english
    response = client.get("/donnees/lieux-mediation-numerique.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    (tmp_path / "web.csv").write_bytes(b"".join(response.streaming_content))
    assert_valid(tmp_path / "web.csv")
    listing = client.get("/api/exports").json()
    names = {d["name"] for d in listing["downloads"]}
    assert {"lieux-mediation-numerique.csv", "lieux-mediation-numerique.json", "lieux-mediation-numerique.zip"} <= names
    response = client.get("/api/exports/lieux-mediation-numerique.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert len(json.loads(b"".join(response.streaming_content))) == len(rows_of(tmp_path / "web.csv"))
    assert listing["licence_of_whole"]["id"] == "ODbL-1.0"
    response = client.get("/api/exports/lieux-mediation-numerique.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).extractall(tmp_path / "api")
    assert validate(str(tmp_path / "api" / "datapackage.json")).valid
    api_csv = (tmp_path / "api" / "lieux-mediation-numerique.csv").read_text(encoding="utf-8")
    assert api_csv.splitlines()[1:] == (tmp_path / "web.csv").read_text(encoding="utf-8").splitlines()[1:]


def test_the_importer_reads_the_standard_s_own_example(tmp_path):
    Source.objects.create(slug="exemple", name="Exemple", licence="Licence Ouverte 2.0", licence_code="etalab-2.0",
                          attribution="La MedNum")
    summary = run_import("mednum", SCHEMA.parent / "exemple-valide.csv", source="exemple")
    assert summary.created == 1 and summary.rejected == 0
    place = Place.objects.get(records__source__slug="exemple")
    assert (place.name, place.address, place.postcode, place.phone, place.email, place.mobility) == (
        "Anonymal", "12 BIS RUE DE LECLERCQ", "51100", "+33180059880", "contact@laquincaillerie.tl", "itinerant")
    assert [k.code for k in place.kinds.all()] == ["autre"]  # TIERS_LIEUX|ASSO
    assert place.opening_hours == "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    assert sorted((link["kind"], link["url"]) for link in place.links) == [
        ("acceslibre", "https://acceslibre.beta.gouv.fr/app/29-lampaul-plouarzel/a/bibliotheque-mediatheque/erp/"
                       "mediatheque-13/"),
        ("facebook", "https://m.facebook.com/laquincaillerienumerique/"),
        ("other", "https://www.rdv-solidarites.fr/"), ("web", "https://www.laquincaillerie.tl/")]
    assert place.services == ["accompagnement-individuel", "aidant-habilite", "ateliers-collectifs",
                              "creation-numerique", "insertion-professionnelle", "materiel", "numerique-quotidien"]
    assert sorted(place.access) == ["gratuit-sous-condition", "payant"]
    assert sorted(place.audiences) == ["illettrisme", "jeunes", "langues-etrangeres", "surdite"]
    # what no term means is kept for review, never dropped
    assert place.unrecognised["audiences"] == ["Femmes"]
    assert place.unrecognised["services"] == ["À distance"]


def test_json_holds_the_csv_s_records_valid_against_the_schema_and_imports_back_the_same(registry, tmp_path):
    """The JSON form: the same places, fields and values as the CSV, typed (numbers as numbers), empty fields
    left out; valid against the published schema, and read back by `tilios import mednum` as the CSV is."""
    export(str(tmp_path / "m.csv"), "--format", "mednum")
    message = export(str(tmp_path / "m.json"), "--format", "mednum")
    records = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    rows = rows_of(tmp_path / "m.csv")
    assert f"{len(records)} lieux exportés dans {tmp_path / 'm.json'}" in message
    assert [r["id"] for r in records] == [r["id"] for r in rows]
    for record, row in zip(records, rows):
        assert {k: str(v) for k, v in record.items()} == {k: v for k, v in row.items() if v != ""}, row["id"]
        assert isinstance(record.get("latitude", 0.0), float)
    schema = Schema.from_descriptor(json.loads(SCHEMA.read_text(encoding="utf-8")))
    report = Resource(data=[[*mednum.COLUMNS], *([r.get(c) for c in mednum.COLUMNS] for r in records)],
                      schema=schema).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:5]
    wrong = [[*mednum.COLUMNS], [records[0].get(c) if c != "code_postal" else "3600" for c in mednum.COLUMNS]]
    assert not Resource(data=wrong, schema=schema).validate().valid  # the check can fail

    # Read back, the JSON gives the rows the CSV gives: the same import.
    as_json, as_csv = reader.read(tmp_path / "m.json"), reader.read(tmp_path / "m.csv")
    pairs = [(a, b) for a, b in zip(as_json, as_csv, strict=True)]
    assert len(pairs) == len(records) and not any(a.error or b.error for a, b in pairs)
    for from_json, from_csv in pairs:
        assert (from_json.external_id, from_json.fields, from_json.kinds) == (
            from_csv.external_id, from_csv.fields, from_csv.kinds)
