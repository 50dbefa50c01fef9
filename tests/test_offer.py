"""What a place offers, on what terms and to whom (#14 items 3–4): the taxonomy's vocabularies read from the
real médiation numérique files and from OSM tags, unknown values kept for review, edits as revisions, the
place page and the API."""
import csv
import functools
import io
import json

import pytest
from django.core.management import call_command
from people import make_user

from tilios.accounts.models import ApiToken, Role
from tilios.places import taxonomy
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.sources import resolution, services

pytestmark = pytest.mark.django_db
run_import = functools.partial(services.run_import, auto_merge=False)
HINAURA = "mednum-hinaura-auvergne-rhone-alpes-2022/hinaura_lieux.csv"
HUB_DU_SUD = "mednum-hub-du-sud-paca-2023/hub_du_sud_lieux_2023-05-16.csv"


def write_csv(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])


def rows_of(path):
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(text.splitlines(), delimiter=";" if text.count(";") > text.count(",") else ","))


@pytest.mark.parametrize("path,slug", [(HINAURA, "mednum-hinaura"), (HUB_DU_SUD, "mednum-hub-du-sud")])
def test_real_mednum_files_keep_services_access_and_audiences(shared_data, path, slug):
    rows = rows_of(shared_data / path)
    summary = run_import("mednum", shared_data / path, source=slug)
    assert summary.rejected == 0
    for row in rows[:: max(1, len(rows) // 40)]:  # every 40th row, read back from the registry
        place = Place.objects.get(records__source__slug=slug, records__external_id=row["id"])
        said = [s for s in row["services"].split(";") if s.strip()]
        ways = [s for s in row["modalites_accompagnement"].split(";") if s.strip()]
        assert len(place.services) == len({taxonomy.read_labels("services", s)[0][0] for s in said + ways})
        assert bool(place.access) == bool(row["conditions_acces"].strip())
        assert len(place.audiences) == len([a for a in row["publics_accueillis"].split(";") if a.strip()])
        assert place.unrecognised == {}  # every value of the real files has its term
    # Counted over the whole file: the places offering an internet connection are those that said so.
    said_internet = sum("Accéder à une connexion internet" in r["services"] for r in rows)
    assert sum("internet" in p.services for p in Place.objects.filter(records__source__slug=slug)) == said_internet
    free = sum(r["conditions_acces"].startswith("Gratuit :") or ";Gratuit :" in r["conditions_acces"] for r in rows)
    assert sum("gratuit" in p.access for p in Place.objects.filter(records__source__slug=slug)) == free
    # Re-reading the same file changes nothing: the lists compare as sets.
    again = run_import("mednum", shared_data / path, source=slug)
    assert (again.updated, again.unchanged) == (0, len(rows))


def test_unknown_values_are_kept_for_review_and_shown(tmp_path, client):
    path = tmp_path / "lieux.csv"
    write_csv(path, ["id", "nom", "adresse", "code_postal", "commune", "latitude", "longitude", "services",
                     "conditions_acces", "publics_accueillis", "fiche_acces_libre", "presentation_resume"],
              [["x1", "Espace Test", "1 rue A", "42000", "Saint-Étienne", "45.44", "4.39", "Prendre en main un ordinateur",
                "Sous le manteau : payer en nature", "Adultes",
                "https://acceslibre.beta.gouv.fr/app/42-x/a/espace/erp/test/", "Un espace pour apprendre."]])
    summary = run_import("mednum", path, source="mednum-hinaura")
    assert summary.created == 1
    place = Place.objects.get(name="Espace Test")
    assert place.services == ["prise-en-main-ordinateur"] and place.access == [] and place.audiences == ["adultes"]
    assert place.unrecognised == {"access": ["Sous le manteau : payer en nature"]}
    assert place.description == "Un espace pour apprendre."
    assert {"kind": "acceslibre", "url": "https://acceslibre.beta.gouv.fr/app/42-x/a/espace/erp/test/"} in place.links
    page = client.get(f"/lieux/{place.public_id}/").content.decode()
    assert "Prendre en main un ordinateur" in page and "« Sous le manteau : payer en nature »" in page
    assert "fiche acceslibre" in page and 'href="geo:45.440000,4.390000"' in page
    body = client.get(f"/api/places/{place.public_id}").json()
    assert body["services"] == [{"code": "prise-en-main-ordinateur", "label": "Prendre en main un ordinateur",
                                 "group": "mediation"}]
    assert body["unrecognised"] == {"access": ["Sous le manteau : payer en nature"]}
    assert body["directions"]["osm"].startswith("https://www.openstreetmap.org/directions?to=45.440000,4.390000")
    # In the review lists (API, CLI, web) until a person reads them: checking the right term and « relues ».
    review = client.get("/api/review/values").json()
    assert review["count"] == 1 and review["results"][0]["unrecognised"] == place.unrecognised
    out = io.StringIO()
    call_command("review", "values", stdout=out)
    assert "« Sous le manteau : payer en nature »" in out.getvalue()
    client.force_login(make_user("relecture-valeurs", Role.MODERATOR))
    assert "Sous le manteau" in client.get("/revue/valeurs/").content.decode()
    form = client.get(f"/lieux/{place.public_id}/modifier/")
    assert "Valeurs non reconnues relues" in form.content.decode()
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update({"base_revision": place.current_revision_id, "kinds": [k.code for k in place.kinds.all()],
                 "links": "\n".join(link["url"] for link in place.links), "alternate_names": "",
                 "services": place.services, "audiences": place.audiences, "access": ["payant"],
                 "unrecognised_read": "on"})
    assert client.post(f"/lieux/{place.public_id}/modifier/", data).status_code == 302
    place.refresh_from_db()
    assert place.access == ["payant"] and place.unrecognised == {}
    assert client.get("/api/review/values").json()["count"] == 0
    assert "Valeurs non reconnues relues" not in client.get(f"/lieux/{place.public_id}/modifier/").content.decode()


def test_osm_tags_become_services_access_wheelchair_and_prices(tmp_path):
    elements = [
        {"type": "node", "id": 1, "lat": 45.76, "lon": 4.83,
         "tags": {"name": "Cowork A", "amenity": "coworking_space", "internet_access": "wlan", "fee": "yes",
                  "charge": "15 €/jour", "wheelchair": "limited", "description": "Au calme."}},
        {"type": "node", "id": 2, "lat": 45.77, "lon": 4.84,
         "tags": {"name": "Cowork B", "amenity": "coworking_space", "internet_access": "satellite",
                  "fee": "donation", "wheelchair": "peut-être"}},
    ]
    path = tmp_path / "overpass.json"
    path.write_text(json.dumps({"elements": elements}), encoding="utf-8")
    assert run_import("osm", path).created == 2
    a = Place.objects.get(name="Cowork A")
    assert (a.services, a.access, a.prices, a.wheelchair, a.description) == (
        ["internet"], ["payant"], "15 €/jour", "limited", "Au calme.")
    b = Place.objects.get(name="Cowork B")
    assert b.services == [] and b.wheelchair == ""
    assert b.unrecognised == {"services": ["internet_access=satellite"], "access": ["fee=donation"]}


def test_edit_round_trip_through_the_api_and_a_bad_code_named(client):
    place = Place.objects.get(name="SICTIAM")
    token = ApiToken.issue(make_user("offre", Role.TRUSTED))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def patch(changes):
        current = client.get(f"/api/places/{place.public_id}").json()["current_revision"]["id"]
        return client.patch(f"/api/places/{place.public_id}", json.dumps({"base_revision": current, "changes": changes}),
                            content_type="application/json", **headers)

    refused = patch({"services": ["wifi-gratuit"]})
    assert refused.status_code == 400 and "services" in refused.content.decode()
    assert "wifi-gratuit" in refused.content.decode()
    accepted = patch({"services": ["salle-reunion", "internet"], "access": ["payant"], "prices": "journée 12 €",
                      "wheelchair": "yes", "audiences": ["adultes"]})
    assert accepted.status_code == 200, accepted.content
    place.refresh_from_db()
    revision = place.current_revision
    assert revision.diff["services"] == [[], ["internet", "salle-reunion"]]
    body = client.get(f"/api/places/{place.public_id}").json()
    assert [s["code"] for s in body["services"]] == ["internet", "salle-reunion"]  # the vocabulary's order
    assert (body["prices"], body["wheelchair"], body["access"][0]["label"]) == ("journée 12 €", "yes", "Payant")


def test_web_form_edits_the_offer_and_the_page_shows_it_in_english_too(client):
    place = Place.objects.get(name="SICTIAM")
    client.force_login(make_user("formulaire-offre", Role.TRUSTED))
    form = client.get(f"/lieux/{place.public_id}/modifier/")
    assert "Salle de réunion" in form.content.decode()
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update({"base_revision": place.current_revision_id, "kinds": [k.code for k in place.kinds.all()],
                 "links": "", "alternate_names": "", "services": ["salle-reunion", "cafe"], "access": ["adhesion"],
                 "wheelchair": "no", "prices": "adhésion 20 € par an", "summary": "offre"})
    response = client.post(f"/lieux/{place.public_id}/modifier/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    place.refresh_from_db()
    assert (place.services, place.access, place.wheelchair) == (["cafe", "salle-reunion"], ["adhesion"], "no")
    page = client.get(f"/lieux/{place.public_id}/").content.decode()
    assert "Équipements et services" in page and "Café, restauration" in page and "Sur adhésion" in page
    english = client.get(f"/lieux/{place.public_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Meeting room" in english and "Café, food" in english and "Salle de réunion" not in english


def test_two_sources_of_one_place_join_what_it_offers(tmp_path):
    header = ["id", "nom", "adresse", "code_postal", "commune", "latitude", "longitude", "services"]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(first, header, [["1", "Espace Joint", "1 rue A", "42000", "Saint-Étienne", "45.44", "4.39",
                               "Accéder à du matériel"]])
    write_csv(second, header, [["9", "Espace Joint", "1 rue A", "42000", "Saint-Étienne", "45.44", "4.39",
                                "Créer avec le numérique"]])
    services.run_import("mednum", first, source="mednum-hinaura")
    services.run_import("mednum", second, source="mednum-hub-du-sud")
    kept = Place.objects.live().get(name="Espace Joint")  # the second record joined the first's place
    assert kept.records.count() == 2 and kept.services == ["creation-numerique", "materiel"]
    # The second source then drops its service: only what it alone said goes.
    write_csv(second, header, [["9", "Espace Joint", "1 rue A", "42000", "Saint-Étienne", "45.44", "4.39", ""]])
    services.run_import("mednum", second, source="mednum-hub-du-sud")
    kept.refresh_from_db()
    assert kept.services == ["materiel"]


def test_a_reviewer_merge_joins_what_both_places_offer():
    a, _ = rev.create(Place, {"name": "Lieu A", "services": ["cafe"], "access": ["gratuit"]}, None, "", system=True)
    b, _ = rev.create(Place, {"name": "Lieu B", "services": ["internet", "cafe"], "prices": "5 €"}, None, "",
                      system=True)
    resolution.merge(a, b, make_user("fusion-offre", Role.MODERATOR))
    a.refresh_from_db()
    assert (a.services, a.access, a.prices) == (["cafe", "internet"], ["gratuit"], "5 €")


def test_words_naming_an_equipment_filter_by_service_in_the_api_the_page_and_the_map(client):
    from tilios.places import understanding

    reading = understanding.read("coworking avec wifi et salle de réunion à Saint-Étienne")
    assert (reading.kinds, reading.services, reading.town.name) == (["coworking"], ["internet", "salle-reunion"],
                                                                    "Saint-Étienne")
    system = make_user("equipements", Role.ADMIN)
    equipped = list(Place.objects.live().filter(kinds__code="coworking", latitude__isnull=False).order_by("id")[:3])
    for place, offered in zip(equipped, (["internet"], ["internet", "salle-reunion"], ["cafe"])):
        rev.edit(place, {"services": offered}, system, "", place.current_revision_id)
    body = client.get("/api/places", {"q": "coworking wifi", "limit": 200}).json()
    assert {r["id"] for r in body["results"]} == {equipped[0].public_id, equipped[1].public_id}
    assert body["understood"]["services"] == [{"code": "internet", "label": "Connexion internet, wifi"}]
    both = client.get("/api/places", {"service": ["internet", "salle-reunion"]}).json()
    assert [r["id"] for r in both["results"]] == [equipped[1].public_id]
    refused = client.get("/api/places", {"service": "jacuzzi"})
    assert refused.status_code == 400 and "service" in refused.content.decode()
    groups = client.get("/api/places/clusters", {"zoom": 5, "bbox": "-5.5,41,10,51.5", "service": "cafe",
                                                   "summary": "true"}).json()
    assert groups["total"] == 1
    assert client.get("/api/places", {"q": "cafe"}).json()["understood"]["services"] == []  # « Hubsy Café »
    page = client.get("/", {"q": "coworking wifi"}).content.decode()
    assert "avec « Connexion internet, wifi »" in page
    assert equipped[0].name in page and equipped[2].name not in page
