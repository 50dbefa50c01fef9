"""The policy archive's JSON API (/api/policy/…), on the demo data and its policy seed."""
import csv
import io
import json

import pytest
from api_client import ok
from django.test import Client
from people import make_user

from tilios.accounts.models import Role
from tilios.policy import services
from tilios.policy.models import Announcement, Figure, Programme
from tilios.policy.seed import archive
from tilios.revisions.models import Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
REPEAT = {
    "made_on": "2020-02-03", "title": "Les fabriques de territoire",
    "text": "D'ici 2022, l'État veut repérer 300 Fabriques de territoire, dont 150 fabriques dans les quartiers "
            "prioritaires et 150 hors des grands pôles urbains ; le programme est doté de 45 millions d’euros.",
    "source_url": "https://example.org/communique", "actors": ["Gouvernement (État)"],
    "programme": "nouveaux-lieux-nouveaux-liens", "summary": "communiqué"}


def seeded(programme=None):
    """The archive file's announcements (of a programme): what the seed loaded."""
    return [a for a in archive()["announcements"] if programme is None or a.get("programme") == programme]


def test_announcements_list_and_filters(api):
    body = ok(api().get("/api/policy/announcements"))
    assert body["count"] == len(seeded()) >= 60 and body["next_offset"] == 50
    first = body["results"][0]
    assert set(first) >= {"id", "made_on", "title", "actors", "territory_code", "programme", "source", "url"}
    assert [a["made_on"] for a in body["results"]] == sorted((a["made_on"] for a in body["results"]), reverse=True)
    assert [a["title"] for a in ok(api().get("/api/policy/announcements", {"year": 2005}))["results"]] == [
        "Objectif de 100 télécentres pour 1 000 emplois"]
    assert ok(api().get("/api/policy/announcements", {"actor": "DATAR"}))["count"] == 1
    assert ok(api().get("/api/policy/announcements", {"programme": "nouveaux-lieux-nouveaux-liens"}))["count"] == len(
        seeded("nouveaux-lieux-nouveaux-liens"))
    assert ok(api().get("/api/policy/announcements", {"territory": "93"}))["results"][0]["title"].startswith("SRADDET")
    page = ok(api().get("/api/policy/announcements", {"limit": 2}))
    assert len(page["results"]) == 2 and page["next_offset"] == 2
    assert api().get("/api/policy/announcements", {"limit": 0}).status_code == 400


def test_announcement_detail_has_figures_with_spans(api):
    datar = Announcement.objects.get(programme__slug="datar-telecentres-2005")
    body = ok(api().get(f"/api/policy/announcements/{datar.pk}"))
    assert body["source"]["url"].startswith("https://movilab.org/") and body["actors"][0]["name"] == "DATAR / DIACT"
    figures = {(f["kind"], f["value"], f["unit"]) for f in body["figures"]}
    assert {("count", 100, "télécentres"), ("count", 1000, "emplois"), ("amount", 20000, "EUR"),
            ("deadline", 2007, "année")} <= figures
    for f in body["figures"]:
        assert body["text"][f["start"]:f["end"]] == f["text"]
    assert {p["metric"]: p["status"] for p in body["promises"]} == {
        "télécentres ouverts": "broken", "emplois accueillis dans les télécentres": "unverifiable"}
    assert body["recycled"] == [] and body["current_revision"]["number"] == 1
    assert api().get("/api/policy/announcements/999999").status_code == 404


def test_create_announcement_permissions_and_recycled_candidates(api):
    original = Announcement.objects.get(title__startswith="300 Fabriques")
    assert api().send("POST", "/api/policy/announcements", REPEAT).status_code == 401
    newcomer = api("nouveau")
    body = ok(newcomer.send("POST", "/api/policy/announcements", REPEAT), 202)
    assert body["live"] is False and body["revision"]["status"] == Revision.Status.PENDING
    created = Announcement.objects.get(pk=body["id"])
    assert not created.is_published and created.programme.slug == "nouveaux-lieux-nouveaux-liens"
    match = next(m for m in body["recycled"] if m["announcement"]["id"] == original.pk)
    assert "chiffres" in match["reasons"] and "count:300:fabriques" in match["shared_figures"]
    for start, end in match["other_passages"]:
        assert original.text[start:end] in original.text and end > start
    # pending: only its author and reviewers see it
    assert api().get(f"/api/policy/announcements/{created.pk}").status_code == 404
    assert newcomer.get(f"/api/policy/announcements/{created.pk}").status_code == 200
    assert ok(api().get("/api/policy/announcements"))["count"] == len(seeded())

    trusted = api("confiance", Role.TRUSTED)
    body = ok(trusted.send("POST", "/api/policy/announcements", {**REPEAT, "title": "Encore les fabriques"}), 201)
    assert body["live"] is True and original.pk in [m["announcement"]["id"] for m in body["recycled"]]
    detail = ok(api().get(f"/api/policy/announcements/{body['id']}"))
    text = detail["text"]
    for match in detail["recycled"]:
        for start, end in match["shared_passages"]:
            assert 0 <= start < end <= len(text)
    match = next(m for m in detail["recycled"] if m["announcement"]["id"] == original.pk)
    assert match["shared_passages"] and len(match["shared_passages"]) == len(match["other_passages"])
    for (s, e), (s2, e2) in zip(match["shared_passages"], match["other_passages"]):
        assert text[s:e].lower() == original.text[s2:e2].lower()  # the same words, at both places
    assert all(len(text[s:e].split()) >= 4 for s, e in match["shared_passages"])

    bad = trusted.send("POST", "/api/policy/announcements", {**REPEAT, "actors": ["Personne"], "programme": "nope"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"actors", "programme"}
    bad = trusted.send("POST", "/api/policy/announcements", {**REPEAT, "source_url": "pas une adresse"})
    assert bad.status_code == 400 and "source_url" in bad.json()["errors"]


def test_session_writes_need_csrf():
    user = make_user("session", Role.TRUSTED)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/policy/announcements", json.dumps(REPEAT), content_type="application/json")
    assert response.status_code == 403


def test_hand_figures_are_for_trusted_users(api):
    datar = Announcement.objects.get(programme__slug="datar-telecentres-2005")
    url = f"/api/policy/announcements/{datar.pk}/figures"
    figure = {"kind": "count", "value": 35, "unit": "télécentres", "text": "35 télécentres"}
    assert api().send("POST", url, figure).status_code == 401
    assert api("contrib").send("POST", url, figure).status_code == 403
    trusted = api("confiance", Role.TRUSTED)
    body = ok(trusted.send("POST", url, figure), 201)
    assert body["by_hand"] is True and body["key"] == "count:35:télécentres"
    assert trusted.send("POST", url, {**figure, "kind": "autre"}).status_code == 400
    wrong = datar.figures.get(key="count:4:postes de travail")
    assert api("contrib2").send("DELETE", f"{url}/{wrong.pk}").status_code == 403
    assert trusted.send("DELETE", f"{url}/{wrong.pk}").status_code == 204
    assert not Figure.objects.filter(pk=wrong.pk).exists()
    assert trusted.send("DELETE", f"{url}/{wrong.pk}").status_code == 404


def test_programmes(api):
    programmes = ok(api().get("/api/policy/programmes"))
    datar = next(p for p in programmes if p["slug"] == "datar-telecentres-2005")
    assert datar["announcements"] == 1 and datar["promises"] == 2 and datar["actors"] == ["DATAR / DIACT"]
    body = ok(api().get("/api/policy/programmes/nouveaux-lieux-nouveaux-liens"))
    assert [a["made_on"] for a in body["announcements"]] == sorted(
        a["made_on"].isoformat() for a in seeded("nouveaux-lieux-nouveaux-liens"))
    assert {p["status"] for p in body["promises"]} == {"kept"} and body["places"] == []
    assert api().get("/api/policy/programmes/inconnu").status_code == 404


def test_promises_with_status_label_and_latest_outcome(api):
    body = ok(api().get("/api/policy/promises"))
    assert "On juge les résultats" in body["status_rule"] and body["statuses"]["broken"] == "non tenue"
    assert len(body["results"]) == sum(len(a.get("promises", [])) for a in seeded()) >= 20
    broken = ok(api().get("/api/policy/promises", {"actor": "DATAR", "status": "broken"}))["results"]
    assert len(broken) == 1
    promise = broken[0]
    assert (promise["metric"], promise["target_value"], promise["deadline"]) == ("télécentres ouverts", 100,
                                                                                   "2007-12-31")
    assert promise["status_label"] == "non tenue"
    # the latest evidence is the 2011 study of rural télécentres, with what it found in each
    latest = promise["latest_outcome"]
    assert (latest["value"], latest["measured_on"], latest["method"][:6]) == (28, "2011-03-24", "étude ")
    assert [g["count"] for g in latest["distribution"]] == [10, 6, 8, 3, 1]
    assert api().get("/api/policy/promises", {"status": "bof"}).status_code == 400


def test_promises_csv(api):
    response = api().get("/api/policy/promises.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == sum(len(a.get("promises", [])) for a in seeded())
    row = next(r for r in rows if r["metric"] == "télécentres ouverts")
    assert (row["status"], row["status_label"], float(row["latest_value"]), row["target"]) == (
        "broken", "non tenue", 28.0, "100.0")
    only = list(csv.DictReader(io.StringIO(api().get("/api/policy/promises.csv", {"status": "kept"}).content.decode())))
    assert {r["status"] for r in only} == {"kept"}
    assert len(only) == len(services.promises(status_code="kept")) >= 2


def test_csv_cells_cannot_be_formulas(api):
    trusted = api("confiance", Role.TRUSTED)
    ok(trusted.send("POST", "/api/policy/announcements", {**REPEAT, "title": '=HYPERLINK("http://x","y")'}), 201)
    rows = list(csv.DictReader(io.StringIO(api().get("/api/policy/announcements.csv").content.decode())))
    assert any(r["title"] == "'=HYPERLINK(\"http://x\",\"y\")" for r in rows)


def test_clusters_and_failures(api):
    original = Announcement.objects.get(title__startswith="300 Fabriques")
    # the archive already holds real reprises: the Fabriques' 300 and 45 M€ are repeated at each wave
    before = ok(api().get("/api/policy/clusters"))
    fabriques = next(c for c in before if original.pk in [a["id"] for a in c["announcements"]])
    assert fabriques["size"] >= 2 and all("abrique" in a["title"] for a in fabriques["announcements"])
    trusted = api("confiance", Role.TRUSTED)
    created = ok(trusted.send("POST", "/api/policy/announcements", REPEAT), 201)
    clusters = ok(api().get("/api/policy/clusters"))
    grown = next(c for c in clusters if created["id"] in [a["id"] for a in c["announcements"]])
    assert original.pk in [a["id"] for a in grown["announcements"]] and grown["size"] == fabriques["size"] + 1
    failures = ok(api().get("/api/policy/failures"))
    datar = next(f for f in failures if f["metric"] == "télécentres ouverts")
    assert datar["outcomes"][0]["source_url"].startswith("https://movilab.org/")


def test_timeline(api):
    body = ok(api().get("/api/policy/timeline", {"programme": "nouveaux-lieux-nouveaux-liens"}))
    dates = [e["date"] for e in body["events"]]
    kinds = [e["kind"] for e in body["events"]]
    assert dates == sorted(dates) and kinds[0] == "announcement" and {"outcome", "deadline"} <= set(kinds)
    territory = ok(api().get("/api/policy/timeline", {"territory": "93"}))["events"]
    assert [e["announcement"]["title"][:7] for e in territory] == ["SRADDET"]
    everything = [e["date"] for e in ok(api().get("/api/policy/timeline"))["events"]]
    assert everything == sorted(everything) and everything[0] == "2000-07-10"
    assert api().get("/api/policy/timeline", {"programme": "inconnu"}).status_code == 400


def test_openapi_documents_the_policy_endpoints(api):
    paths = ok(api().get("/api/openapi.json"))["paths"]
    assert {"/api/policy/announcements", "/api/policy/promises", "/api/policy/promises.csv",
            "/api/policy/clusters", "/api/policy/timeline"} <= set(paths)
    assert Programme.objects.count() == len(archive()["programmes"])
