"""The census API on the real demo data (the 1 512 places of the CGET base, known from 2019-06-13)."""
import csv
import datetime
import io
import json
import shlex

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from tilios.accounts.models import Role
from tilios.census.models import Snapshot
from tilios.places.models import Place
from tilios.revisions import services as rev

pytestmark = pytest.mark.django_db
D = datetime.date
CGET_SOURCE = "cget-mission-coworking-2019"


@pytest.fixture
def trusted():
    user = get_user_model().objects.create_user("fiable", "f@example.org", "x")
    user.profile.role = Role.TRUSTED
    user.profile.save()
    return user


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.content[:500])
    return response.json() if response["Content-Type"].startswith("application/json") else response


def run_cli(line):
    """Run a `tilios …` line exactly as printed, through Django's call_command (JSON output)."""
    argv = shlex.split(line)
    assert argv[0] == "tilios"
    out = io.StringIO()
    call_command(*argv[1:], "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_definitions_list_and_one(client):
    rows = get(client, "/api/census/definitions")
    cget = next(d for d in rows if d["slug"] == "cget-2018")
    assert cget["version"] == 2 and cget["ref"] == "cget-2018@2" and cget["text"] and cget["changelog"]
    assert "peut-être valide" in cget["text"] and cget["changelog"].startswith("v2")
    assert cget["criteria"]["kinds_none"] == ["telecentre"]
    assert get(client, "/api/census/definitions/cget-2018")["version"] == 2
    v1 = get(client, "/api/census/definitions/cget-2018@1")
    assert v1["name"] == cget["name"] and v1["criteria"] == cget["criteria"] and "peut-être" not in v1["text"]
    assert "inconnue" in get(client, "/api/census/definitions/nope", 400)["detail"]


def test_count_totals_and_breakdowns_add_up(client):
    today = timezone.localdate().isoformat()
    data = get(client, "/api/census")
    assert data["total"] == 1512 and data["definition"] == "cget-2018@2"
    assert data["valid_on"] == data["known_on"] == today
    for level in ("region", "departement", "metropole", "presence"):
        data = get(client, f"/api/census?by={level}")
        assert sum(r["count"] for r in data["rows"]) == data["total"] == 1512, level
    assert get(client, "/api/census?definition=coworking")["total"] == 1118
    assert get(client, "/api/census?valid_on=2019-06-13&known_on=2019-06-12")["total"] == 0
    loire = get(client, "/api/census?within=departement:42&by=commune")
    assert loire["within"] == {"departement": "42"} and loire["total"] == sum(r["count"] for r in loire["rows"]) > 5


def test_reproduce_links_rederive_the_same_figure(client, trusted):
    data = get(client, "/api/census?definition=cget-2018&by=region&within=region:84")
    reproduce = data["reproduce"]
    # Always the resolved version and explicit dates, whatever was asked.
    assert "cget-2018@2" in reproduce["cli"] and "--valid-on" in reproduce["cli"] and "--known-on" in reproduce["cli"]
    assert "definition=cget-2018@2" in reproduce["api"] and "known_on=" in reproduce["api"]
    again = get(client, reproduce["api"])
    assert again["total"] == data["total"] and again["rows"] == data["rows"]
    cli = run_cli(reproduce["cli"])
    assert cli["total"] == data["total"] and [(r["key"], r["count"]) for r in cli["rows"]] == \
        [(r["key"], r["count"]) for r in data["rows"]]
    # A figure published « as known in June 2020 » still re-derives after later knowledge arrives.
    past = get(client, "/api/census?valid_on=2020-01-01&known_on=2020-06-30")
    place = Place.objects.get(name="SICTIAM")
    rev.edit(place, {"status": "closed", "closed_on": "2019-12-01"}, trusted, "", place.current_revision_id)
    assert get(client, past["reproduce"]["api"])["total"] == past["total"] == 1512
    assert run_cli(past["reproduce"]["cli"])["total"] == 1512
    assert get(client, "/api/census?valid_on=2020-01-01")["total"] == 1511


def test_csv_download_parses(client):
    response = get(client, "/api/census.csv?by=region&valid_on=2020-01-01&known_on=2020-01-01")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"] and "cget-2018_v2" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == ["definition", "valid_on", "known_on", "region", "label", "count", "possible"]
    assert sum(int(r["count"]) for r in rows) == 1512
    assert {r["definition"] for r in rows} == {"cget-2018@2"} and {r["known_on"] for r in rows} == {"2020-01-01"}
    total = list(csv.reader(io.StringIO(get(client, "/api/census.csv").content.decode())))
    assert total[1][-3:] == ["total", "1512", "0"]


def test_explain_lists_included_and_excluded_with_reasons(client):
    data = get(client, "/api/census/explain?definition=coworking&within=departement:42&limit=500")
    assert data["included_count"] == get(client, "/api/census?definition=coworking&within=departement:42")["total"]
    reasons = {e["name"]: e["reasons"] for e in data["excluded"]}
    assert reasons["Chantier Libre"] == ["type hors définition"]
    assert "--explain" in data["reproduce"]["cli"]
    assert get(client, data["reproduce"]["api"])["included_count"] == data["included_count"]
    assert get(client, "/api/census/explain?limit=0", 400)["detail"]


def test_series_known_today_and_known_then(client, trusted):
    lyon_labs = Place.objects.filter(commune__code="69123", kinds__code="fablab")[:3]
    for place in lyon_labs:  # documented today: these labs opened in 2014
        rev.edit(place, {"opened_on": "2014-09-01"}, trusted, "date d'ouverture", place.current_revision_id)
    data = get(client, "/api/census/series?from=2015&to=2020")
    assert [(r["year"], r["known_then"], r["known_today"]) for r in data["rows"]] == [
        (2015, 0, 3), (2016, 0, 3), (2017, 0, 3), (2018, 0, 3), (2019, 1512, 1512), (2020, 1512, 1512)]
    point = data["rows"][3]
    assert run_cli(point["reproduce"]["known_today"])["total"] == 3
    assert run_cli(point["reproduce"]["known_then"])["total"] == 0
    assert get(client, data["reproduce"]["api"])["rows"] == data["rows"]
    rows = list(csv.DictReader(io.StringIO(get(client, data["reproduce"]["csv"]).content.decode())))
    assert [(int(r["year"]), int(r["known_today"]), int(r["known_then"])) for r in rows][3] == (2018, 3, 0)
    assert get(client, "/api/census/series?from=2020&to=2015", 400)["detail"]
    assert get(client, f"/api/census/series?to={timezone.localdate().year + 1}", 400)["detail"]


@pytest.mark.parametrize("query, words", [
    ("valid_on=2020-13-01", "valid_on"),
    ("known_on=pas-une-date", "known_on"),
    ("known_on=2999-01-01", "futur"),
    ("definition=nope", "inconnue"),
    ("definition=cget-2018@x", "version"),
    ("definition=cget-2018@9", "inconnue"),
    ("by=canton", "ventilation"),
    ("within=canton:1", "niveau"),
    ("within=departement", "NIVEAU:CODE"),
    ("within=departement:999", "inconnu"),
    ("within=departement:<script>", "invalide"),
])
def test_bad_parameters_are_400_with_a_clear_detail(client, query, words):
    for path in ("/api/census", "/api/census.csv"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert words in response.json()["detail"]


def test_snapshots_need_a_contributor_and_verify(client, trusted):
    body = {"definition": "cget-2018", "valid_on": "2020-01-01", "known_on": "2020-01-01", "by": "region",
            "title": "Chiffre du rapport"}
    assert client.post("/api/census/snapshots", body, content_type="application/json").status_code == 401
    user = get_user_model().objects.create_user("contributrice", "c@example.org", "x")
    client.force_login(user)
    response = client.post("/api/census/snapshots", body, content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["total"] == 1512 and created["definition"] == "cget-2018@2" and created["created_by"] == "contributrice"
    assert sum(r["count"] for r in created["rows"]) == 1512 and len(created["content_hash"]) == 64
    assert created["reproduce"]["cli"] == f"tilios census --verify {created['id']}"
    listed = get(client, "/api/census/snapshots")
    assert listed[0]["id"] == created["id"]
    detail = get(client, f"/api/census/snapshots/{created['id']}")
    assert detail["verify"] == {"total": 1512, "same_total": True, "content_hash": created["content_hash"],
                                "same_hash": True}
    assert get(client, detail["reproduce"]["count_api"])["total"] == 1512
    # Later knowledge does not change a figure frozen « as known in 2020 »: same number, same hash.
    place = Place.objects.get(name="SICTIAM")
    rev.edit(place, {"status": "closed", "closed_on": "2019-12-01"}, trusted, "", place.current_revision_id)
    assert get(client, f"/api/census/snapshots/{created['id']}")["verify"]["same_hash"] is True
    # A snapshot « as known today » changes when today's knowledge is tampered with behind its back.
    today = client.post("/api/census/snapshots", {"valid_on": "2020-01-01"}, content_type="application/json").json()
    Snapshot.objects.filter(pk=today["id"]).update(total=9999)
    check = get(client, f"/api/census/snapshots/{today['id']}")["verify"]
    assert check["same_total"] is False and check["total"] == 1511
    assert get(client, "/api/census/snapshots/999999", 404)["detail"]
    bad = client.post("/api/census/snapshots", {"known_on": "2999-01-01"}, content_type="application/json")
    assert bad.status_code == 400 and "futur" in bad.json()["detail"]
    # A NUL in the title (found by the API fuzz test on PostgreSQL, which cannot store it) is dropped.
    nul = client.post("/api/census/snapshots", {"valid_on": "2020-01-01", "title": "Avant\x00après"},
                      content_type="application/json")
    assert nul.status_code == 201 and nul.json()["title"] == "Avantaprès"


def test_snapshot_by_session_checks_csrf():
    from django.test import Client

    user = get_user_model().objects.create_user("csrf", "csrf@example.org", "x")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/census/snapshots", {}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Snapshot.objects.exists()


def test_estimate_with_scope_method_interval_assumptions_and_reproduce(client, second_directory):
    n1 = Place.objects.live().filter(records__source__slug=CGET_SOURCE, kinds__code="coworking").distinct().count()
    data = get(client, f"/api/census/estimate?sources={CGET_SOURCE},annuaire-test")
    assert data["observed"] == n1 + 100 and data["listed"] == {CGET_SOURCE: n1, "annuaire-test": 400}
    assert data["scope"]["kinds"] == ["coworking"] and data["scope"]["sources"][CGET_SOURCE]["kinds"] == [
        "coworking", "fablab"]
    chapman = data["estimates"][0]
    assert chapman["method"] == "chapman"
    assert chapman["estimate"] == pytest.approx((n1 + 1) * 401 / 301 - 1, abs=0.1)
    assert chapman["lower"] >= n1 + 100 and chapman["upper"] > chapman["estimate"] and chapman["assumptions"]
    assert {e["method"] for e in data["estimates"]} == {"chapman", "chao"}
    assert data["warnings"][0]["code"] == "scopes_differ" and data["warnings"][0]["message"]
    assert get(client, data["reproduce"]["api"])["estimates"] == data["estimates"]
    argv = shlex.split(data["reproduce"]["cli"])
    out = io.StringIO()
    call_command(*argv[1:], "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["estimates"] == data["estimates"]
    # Restricted to a definition: version and dates explicit in the reproduce line.
    cw = get(client, f"/api/census/estimate?sources={CGET_SOURCE},annuaire-test&definition=coworking")
    assert cw["definition"] == "coworking@2" and "--known-on" in cw["reproduce"]["cli"]
    assert cw["observed"] == 1118  # the 100 places only the directory lists have no census facts
    # A territory and strata: the reproduce line carries them, and the strata add up.
    bz = get(client, f"/api/census/estimate?sources={CGET_SOURCE},annuaire-test&within=region:84&by=departement")
    assert "--within region=84" in bz["reproduce"]["cli"] and "within=region:84" in bz["reproduce"]["api"]
    assert bz["scope"]["within"] == {"region": "84"} and bz["strata"]["by"] == "departement"
    assert {row["key"][:2] for row in bz["strata"]["rows"]} <= {"01", "03", "07", "15", "26", "38", "42", "43",
                                                                "63", "69", "73", "74"}
    assert sum(r["observed"] for r in bz["strata"]["rows"]) == bz["observed"]
    assert "deux sources" in get(client, f"/api/census/estimate?sources={CGET_SOURCE}", 400)["detail"]
    assert "inconnue" in get(client, f"/api/census/estimate?sources={CGET_SOURCE},nope", 400)["detail"]
    assert "ventilation" in get(client, f"/api/census/estimate?sources={CGET_SOURCE},annuaire-test&by=kind",
                                400)["detail"]
    assert get(client, "/api/census/estimate", 400)["detail"]


def test_openapi_documents_the_census(client):
    paths = get(client, "/api/openapi.json")["paths"]
    for path in ("/api/census", "/api/census.csv", "/api/census/definitions", "/api/census/explain",
                 "/api/census/series", "/api/census/snapshots", "/api/census/estimate"):
        assert path in paths, path
    params = {p["name"] for p in paths["/api/census/series"]["get"]["parameters"]}
    assert {"from", "to"} <= params
