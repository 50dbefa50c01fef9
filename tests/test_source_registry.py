"""Sources are data (#16 item 1): the shipped catalogue is rows, administrators register more by CLI, API and
web, imports accept them, and their licence reaches the exports. Everyone else is refused."""
import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from people import PASSWORD, make_user

from tilios.accounts.models import ApiToken, Role
from tilios.places.models import Place
from tilios.sources.catalogue import entries
from tilios.sources.models import Source

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]

FIXTURES = Path(__file__).parent / "data" / "importers"
CSV, TOML = FIXTURES / "lieux_point_virgule.csv", FIXTURES / "lieux.toml"
HUB_LO = {"slug": "hub-lo", "name": "Lieux du hub LO", "publisher": "Hub LO", "url": "https://hub-lo.example.org/",
          "licence": "cc-by-sa-4.0", "attribution": "Hub LO — lieux 2024", "data_date": "2024-03-01",
          "priority": 60}


def test_the_shipped_catalogue_is_data_with_licence_codes():
    shipped = {e["slug"] for e in entries()}
    assert len(shipped) == 7 and shipped <= set(Source.objects.values_list("slug", flat=True))
    osm, cget = Source.objects.get(slug="openstreetmap"), Source.objects.get(slug="cget-mission-coworking-2019")
    assert (osm.licence_code, osm.licence, osm.share_alike) == ("odbl-1.0", "ODbL 1.0", True)
    assert (cget.licence_code, cget.share_alike, str(cget.data_date)) == ("etalab-2.0", False, "2019-06-13")
    assert cget.records.count() == 1512  # the demo import found it as data


def test_import_refuses_an_unregistered_source_then_accepts_it_once_added(tmp_path):
    with pytest.raises(CommandError, match="source inconnue : hub-lo.*tilios sources add"):
        call_command("import", "csv", str(CSV), "--mapping", str(TOML), "--source", "hub-lo", "--no-progress",
                     stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("sources", "add", "hub-lo", "--name", "Lieux du hub LO", "--publisher", "Hub LO",
                 "--licence", "cc-by-sa-4.0", "--data-date", "2024-03-01", "--priority", "60", stdout=out)
    assert "hub-lo enregistrée" in out.getvalue() and "partage à l'identique" in out.getvalue()
    source = Source.objects.get(slug="hub-lo")
    assert (source.licence, source.share_alike, source.attribution, source.priority, source.registered_by) == (
        "CC BY-SA 4.0", True, "Hub LO — Lieux du hub LO", 60, None)
    out = io.StringIO()
    call_command("import", "csv", str(CSV), "--mapping", str(TOML), "--source", "hub-lo", "--no-progress",
                 stdout=out, stderr=io.StringIO())
    assert "5 lignes" in out.getvalue() and "3 rejetées" in out.getvalue()
    places = Place.objects.filter(records__source=source)
    assert places.count() == 2
    export = tmp_path / "lieux.csv"
    call_command("export", str(export), "--format", "csv", stderr=io.StringIO())
    rows = {r["name"]: r for r in csv.DictReader(export.open(encoding="utf-8"))}
    fabrique = rows["La Fabrique du Coin"]
    assert "CC BY-SA 4.0" in fabrique["licences"] and "Hub LO — Lieux du hub LO" in fabrique["attributions"]
    listed = json.loads(Client().get("/api/sources").content)
    assert next(s for s in listed if s["slug"] == "hub-lo")["share_alike"] is True


@pytest.mark.parametrize("args,field", [
    (["hub-lo", "--name", "Hub", "--licence", "gpl-3.0"], "licence : licence inconnue : « gpl-3.0 »"),
    (["Hub_LO", "--name", "Hub", "--licence", "odbl-1.0"], "slug : identifiant"),
    (["openstreetmap", "--name", "OSM bis", "--licence", "odbl-1.0"], "slug : une source porte déjà"),
    (["hub-lo", "--licence", "odbl-1.0"], "name : ce champ est obligatoire"),
    (["hub-lo", "--name", "Hub", "--licence", "odbl-1.0", "--data-date", "13/06/2019"], "data_date : une date"),
    (["hub-lo", "--name", "Hub", "--licence", "odbl-1.0", "--priority", "5000"], "priority : un entier"),
    (["hub-lo", "--name", "Hub", "--licence", "odbl-1.0", "--url", "javascript:alert(1)"], "url : une adresse"),
])
def test_cli_refuses_bad_input_naming_the_field(args, field):
    before = list(Source.objects.order_by("slug").values_list("slug", "name"))
    with pytest.raises(CommandError) as refused:
        call_command("sources", "add", *args, stdout=io.StringIO())
    assert field in str(refused.value) and "rien n'est enregistré" in str(refused.value)
    assert list(Source.objects.order_by("slug").values_list("slug", "name")) == before


def test_cli_edits_a_source_and_lists_licences():
    call_command("sources", "edit", "openstreetmap", "--attribution", "© OSM", "--priority", "40",
                 stdout=io.StringIO())
    osm = Source.objects.get(slug="openstreetmap")
    assert (osm.attribution, osm.priority, osm.licence) == ("© OSM", 40, "ODbL 1.0")
    with pytest.raises(CommandError, match="source inconnue : nulle-part"):
        call_command("sources", "edit", "nulle-part", "--priority", "1", stdout=io.StringIO())
    out = io.StringIO()
    call_command("sources", "licences", stdout=out)
    assert "cc-by-sa-4.0" in out.getvalue() and "non-precisee" in out.getvalue()


def _bearer(role, name=None):
    return {"Authorization": f"Bearer {ApiToken.issue(make_user(name or f'api-{role}', role))}"}


def test_api_registers_for_admins_only_and_names_bad_fields(client):
    def post(body, headers):
        return client.post("/api/sources", json.dumps(body), content_type="application/json", headers=headers)

    assert post(HUB_LO, {}).status_code == 401
    for role in (Role.CONTRIBUTOR, Role.TRUSTED, Role.MODERATOR):
        assert post(HUB_LO, _bearer(role)).status_code == 403, role
    assert not Source.objects.filter(slug="hub-lo").exists()
    admin = _bearer(Role.ADMIN)
    bad = post({**HUB_LO, "licence": "proprietaire"}, admin)
    assert bad.status_code == 400 and "licence" in bad.json()["detail"] and bad.json()["errors"]["licence"]
    response = post(HUB_LO, admin)
    assert response.status_code == 201, response.content
    assert response.json()["licence"] == "CC BY-SA 4.0" and response.json()["share_alike"] is True
    assert Source.objects.get(slug="hub-lo").registered_by.username == "api-admin"
    duplicate = post(HUB_LO, admin)
    assert duplicate.status_code == 400 and "slug" in duplicate.json()["errors"]
    patch = client.patch("/api/sources/hub-lo", json.dumps({"licence": "odbl-1.0", "priority": 70}),
                         content_type="application/json", headers=admin)
    assert patch.status_code == 200 and (patch.json()["licence"], patch.json()["priority"]) == ("ODbL 1.0", 70)
    refused = client.patch("/api/sources/hub-lo", json.dumps({"licence": "cc0-1.0"}), content_type="application/json",
                           headers=_bearer(Role.MODERATOR, "api-moderator-2"))
    assert refused.status_code == 403 and Source.objects.get(slug="hub-lo").licence_code == "odbl-1.0"
    licences = client.get("/api/licences").json()
    assert {"code": "odbl-1.0", "name": "ODbL 1.0", "url": "https://opendatacommons.org/licenses/odbl/1-0/",
            "share_alike": True, "open": True} in licences


def test_web_form_for_admins_with_csrf_and_field_errors():
    form = {k: str(v) for k, v in HUB_LO.items()}
    url = reverse("web:source_create")
    for role in (Role.CONTRIBUTOR, Role.MODERATOR):
        client = Client()
        client.force_login(make_user(f"web-{role}", role))
        assert client.get(url).status_code == 403 and client.post(url, form).status_code == 403
    assert Client().get(url).status_code == 302  # to the login page
    admin = make_user("web-admin", Role.ADMIN)
    strict = Client(enforce_csrf_checks=True)
    strict.login(username="web-admin", password=PASSWORD)
    assert strict.post(url, form).status_code == 403  # no CSRF token: refused
    assert not Source.objects.filter(slug="hub-lo").exists()
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("web:sources"))
    assert url in page.content.decode()
    bad = client.post(url, {**form, "slug": "Hub LO!", "url": "pas une adresse"})
    assert bad.status_code == 200
    assert "identifiant : lettres minuscules" in bad.content.decode() and "http(s)" in bad.content.decode()
    response = client.post(url, form)
    assert response.status_code == 302 and response.headers["Location"] == reverse("web:sources")
    source = Source.objects.get(slug="hub-lo")
    assert (source.licence, source.registered_by, source.priority) == ("CC BY-SA 4.0", admin, 60)
    edit = client.post(reverse("web:source_edit", args=["hub-lo"]), {**form, "licence": "cc-by-4.0"})
    assert edit.status_code == 302
    source.refresh_from_db()
    assert (source.licence, source.share_alike) == ("CC BY 4.0", False)
