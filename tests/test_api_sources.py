"""Entity resolution through the API, on scenarios built by the real importer.

Small CGET files written in tmp_path are imported as three test sources (essai-a, essai-b, essai-c) around
Sainte-Lizaigne (Indre), where the national base has no place: « La Grange Zéphyr » listed by two sources
2,5 km apart, one without its address, is a pending pair (same name and website, too far apart to be merged
without a person); « Le Hangar Boréal » 1,95 km apart is joined automatically, so its position is disputed; a place
whose address a person corrected, then re-imported with another one, is a conflict.
"""
import datetime
import json

import pytest
from django.utils import timezone
from people import make_user
from review_scenarios import conflicted_place, joined_place, load, pending_pair, place_of, row

from tilios.accounts.models import ApiToken, Role
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.sources import resolution
from tilios.sources.models import FieldConflict, MatchCandidate, Merge, Source, SourceRecord

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("analyzed_database", "review_sources")]

ROLES = {"contributor": Role.CONTRIBUTOR, "trusted": Role.TRUSTED, "moderator": Role.MODERATOR,
         "admin": Role.ADMIN}


@pytest.fixture
def users():
    return {name: make_user(f"u-{name}", role) for name, role in ROLES.items()}


def auth(user):
    return {"Authorization": f"Bearer {ApiToken.issue(user)}"} if user is not None else {}


def send(client, method, path, payload=None, user=None):
    return client.generic(method, path, json.dumps(payload) if payload is not None else "",
                          content_type="application/json", headers=auth(user))


def whole_queue(client, **params):
    items, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/review/duplicates", query)
        assert page.status_code == 200, page.content
        body = page.json()
        items += body["results"]
        cursor = body["next_cursor"]
        if not cursor:
            return items, body["count"]


# --- The duplicates queue ---------------------------------------------------------------------------


def test_the_queue_shows_both_places_the_score_and_the_reasons(client, tmp_path):
    candidate, a, b = pending_pair(tmp_path)
    items, count = whole_queue(client, limit=25)  # public: no credentials
    assert count == len(items) == resolution.review_queue().count() > 90  # the national base's own pairs too
    assert [i["id"] for i in items] == list(resolution.review_queue().values_list("id", flat=True))
    item = next(i for i in items if i["id"] == candidate.pk)
    assert item["status"] == "pending" and item["score"] == candidate.score > 0.9
    assert item["reasons"] == candidate.reasons and {"noms identiques", "à 2,5 km"} <= set(item["reasons"])
    assert item["distance_m"] == pytest.approx(2502, abs=2)
    by_id = {p["id"]: p for p in item["places"]}
    assert set(by_id) == {a.public_id, b.public_id}
    first = by_id[a.public_id]
    assert (first["name"], first["address"], first["town"], first["commune_code"]) == (
        "La Grange Zéphyr", "12 rue des Tilleuls", "Sainte-Lizaigne", "36199")
    assert (first["latitude"], first["longitude"]) == (47.0, 2.0)
    assert [(s["source"], s["external_id"], s["licence"]) for s in first["sources"]] == [
        ("essai-a", "A1", "CC BY 4.0")]
    assert [s["source"] for s in by_id[b.public_id]["sources"]] == ["essai-b"]
    one = client.get(f"/api/review/duplicates/{candidate.pk}").json()
    assert one["reasons"] == item["reasons"] and len(one["places"]) == 2


def test_pages_neither_repeat_nor_skip_when_pairs_are_decided_in_between(client, users):
    expected = list(resolution.review_queue().values_list("id", flat=True))
    page = client.get("/api/review/duplicates", {"limit": 10}).json()
    assert [i["id"] for i in page["results"]] == expected[:10]
    for item in page["results"][:3]:  # decided meanwhile: they leave the queue
        resolution.decide(MatchCandidate.objects.get(pk=item["id"]), "distinct", users["moderator"])
    later = MatchCandidate.objects.get(pk=expected[15])
    resolution.decide(later, "later", users["moderator"])  # moves to the end of the queue
    rest, _count = whole_queue(client, limit=10, cursor=page["next_cursor"])
    assert [i["id"] for i in rest] == [pk for pk in expected[10:] if pk != later.pk] + [later.pk]
    assert rest[-1]["status"] == "later" and rest[-1]["decided_by"] == "u-moderator"
    assert [i["id"] for i in client.get("/api/review/duplicates", {"status": "later"}).json()["results"]] == [
        later.pk]
    for bad in ({"cursor": "pending~x~1"}, {"cursor": "1; DROP TABLE x"}, {"cursor": "same~0.5~1"},
                {"limit": 0}, {"limit": 10**6}, {"status": "same"}):
        assert client.get("/api/review/duplicates", bad).status_code == 400, bad


# --- Deciding, merging, undoing -------------------------------------------------------------------------------


def test_same_merges_the_pair_redirects_the_merged_place_and_undo_restores_it(client, tmp_path, users):
    candidate, a, b = pending_pair(tmp_path)
    moderator = users["moderator"]
    answer = send(client, "POST", f"/api/review/duplicates/{candidate.pk}", {"decision": "same"}, moderator)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "same" and body["decided_by"] == "u-moderator"
    merge = body["merge"]
    assert (merge["kept"]["id"], merge["merged"]["id"]) == (a.public_id, b.public_id)  # equal records: the first
    assert merge["by"] == "u-moderator" and merge["reasons"] == candidate.reasons and merge["undone_at"] is None

    # While merged, the old id answers with the place it went into, which lists both sources.
    old = client.get(f"/api/places/{b.public_id}")
    assert old.status_code == 301 and old["Location"].endswith(f"/api/places/{a.public_id}")
    assert client.get(f"/api/places/{b.public_id}/provenance")["Location"].endswith(
        f"/api/places/{a.public_id}/provenance")
    kept = client.get(f"/api/places/{a.public_id}").json()
    assert sorted(s["slug"] for s in kept["sources"]) == ["essai-a", "essai-b"]
    assert candidate.pk not in [i["id"] for i in whole_queue(client, limit=200)[0]]
    merges = client.get(f"/api/places/{b.public_id}/merges").json()
    assert merges["merged_into"] == a.public_id and [m["id"] for m in merges["results"]] == [merge["id"]]
    assert [m["id"] for m in client.get(f"/api/places/{a.public_id}/merges").json()["results"]] == [merge["id"]]
    again = send(client, "POST", f"/api/review/duplicates/{candidate.pk}", {"decision": "distinct"}, moderator)
    assert again.status_code == 409 and again.json()["detail"]

    undone = send(client, "POST", f"/api/merges/{merge['id']}/undo", {"summary": "deux lieux"}, moderator)
    assert undone.status_code == 200, undone.content
    assert undone.json()["merge"]["undone_by"] == "u-moderator"
    assert undone.json()["restored"]["id"] == b.public_id
    served = client.get(f"/api/places/{b.public_id}")
    assert served.status_code == 200
    assert served.json()["name"] == "La Grange Zéphyr" and served.json()["latitude"] == 47.0225
    assert [s["slug"] for s in served.json()["sources"]] == ["essai-b"]
    assert [s["slug"] for s in client.get(f"/api/places/{a.public_id}").json()["sources"]] == ["essai-a"]
    candidate.refresh_from_db()
    assert candidate.status == MatchCandidate.Status.DISTINCT  # the undo is remembered
    assert send(client, "POST", f"/api/merges/{merge['id']}/undo", None, moderator).status_code == 409
    history = client.get(f"/api/places/{b.public_id}/history").json()["results"]
    assert [r["kind"] for r in history[:2]] == ["split", "merge"] and history[0]["author"] == "u-moderator"


def test_distinct_is_remembered_when_sources_are_imported_again(client, tmp_path, users):
    candidate, a, b = pending_pair(tmp_path)
    answer = send(client, "POST", f"/api/review/duplicates/{candidate.pk}", {"decision": "distinct"},
                  users["moderator"])
    assert answer.status_code == 200 and answer.json() == {"id": candidate.pk, "status": "distinct",
                                                           "decided_by": "u-moderator", "merge": None}
    assert load(tmp_path, "essai-b", row("B1", "La Grange Zéphyr", lat=47.0225, address="")).review_items == 0
    # The source republishes the place under a new identifier: it joins its place, the pair is not re-proposed.
    again = load(tmp_path, "essai-b", row("B2", "La Grange Zéphyr", lat=47.0225, address=""), name="essai-b-2.csv")
    assert (again.created, again.matched, again.review_items) == (0, 1, 0)
    assert place_of("B2") == b
    # A third source halfway between them, sure of both: the pair decided distinct stays decided.
    third = load(tmp_path, "essai-c", row("C1", "La Grange Zéphyr", lat=47.01125))
    assert (third.matched, third.review_items) == (1, 0)
    candidate.refresh_from_db()
    assert candidate.status == MatchCandidate.Status.DISTINCT
    assert MatchCandidate.objects.filter(place_a__in=[a, b], place_b__in=[a, b]).count() == 1
    assert candidate.pk not in [i["id"] for i in whole_queue(client, limit=200)[0]]


def test_later_puts_the_pair_at_the_end_of_the_queue(client, tmp_path, users):
    candidate, _a, _b = pending_pair(tmp_path)
    answer = send(client, "POST", f"/api/review/duplicates/{candidate.pk}", {"decision": "later"}, users["admin"])
    assert answer.status_code == 200 and answer.json()["status"] == "later"
    items, _count = whole_queue(client, limit=200)
    assert items[-1]["id"] == candidate.pk and items[-1]["status"] == "later"
    assert all(i["status"] == "pending" for i in items[:-1])
    # still decidable
    assert send(client, "POST", f"/api/review/duplicates/{candidate.pk}", {"decision": "same"},
                users["moderator"]).status_code == 200
    bad = send(client, "POST", f"/api/review/duplicates/{candidate.pk}", {"decision": "peut-être"},
               users["moderator"])
    assert bad.status_code == 400 and "decision" in bad.json()["errors"]
    assert send(client, "POST", "/api/review/duplicates/999999", {"decision": "same"},
                users["moderator"]).status_code == 404


def test_a_moderator_merges_by_hand(client, tmp_path, users):
    load(tmp_path, "essai-a", row("A1", "La Grange Zéphyr"), row("A2", "Atelier du Moulin", lat=47.04, lon=1.95,
                                                                   web="moulin.fr", address="1 chemin du Moulin"))
    a, m = place_of("A1"), place_of("A2")
    moderator = users["moderator"]
    url = f"/api/places/{a.public_id}/merge"
    for payload, field in (({"other": a.public_id}, "place"), ({"other": "inconnu"}, "other"), ({}, "other")):
        refused = send(client, "POST", url, payload, moderator)
        assert refused.status_code == 400 and field in refused.json()["errors"], refused.content
    answer = send(client, "POST", url, {"other": m.public_id, "summary": "même association"}, moderator)
    assert answer.status_code == 201, answer.content
    merge = Merge.objects.get(pk=answer.json()["merge"]["id"])
    assert (merge.kept, merge.merged, merge.by, merge.candidate) == (a, m, moderator, None)
    a.refresh_from_db()
    assert "Atelier du Moulin" in a.alternate_names
    assert client.get(f"/api/places/{m.public_id}").status_code == 301
    twice = send(client, "POST", url, {"other": m.public_id}, moderator)
    assert twice.status_code == 400 and "place" in twice.json()["errors"]
    # undo gives back what the merge added to the kept place
    assert send(client, "POST", f"/api/merges/{merge.pk}/undo", None, moderator).status_code == 200  # no body
    a.refresh_from_db()
    assert a.alternate_names == []


def test_a_pending_pair_follows_a_place_merged_elsewhere(client, tmp_path, users):
    candidate, a, b = pending_pair(tmp_path)
    load(tmp_path, "essai-c", row("C8", "Le Fournil Partagé", lat=46.99, lon=2.03, web="fournil.fr",
                                  address="9 rue du Four"))
    c = place_of("C8")
    assert send(client, "POST", f"/api/places/{c.public_id}/merge", {"other": b.public_id},
                users["moderator"]).status_code == 201
    assert send(client, "POST", f"/api/review/duplicates/{candidate.pk}", {"decision": "same"},
                users["moderator"]).status_code == 404
    carried = [i for i in whole_queue(client, limit=200)[0]
               if {p["id"] for p in i["places"]} == {a.public_id, c.public_id}]
    assert len(carried) == 1 and carried[0]["reasons"] == candidate.reasons


# --- Split ----------------------------------------------------------------------------------------------------


def test_split_moves_records_to_a_new_place(client, tmp_path, users):
    place = joined_place(tmp_path)
    records = {r["external_id"]: r["id"] for r in
               client.get(f"/api/places/{place.public_id}/provenance").json()["place"]["sources"]}
    assert set(records) == {"A9", "B9"}
    url = f"/api/places/{place.public_id}/split"
    moderator = users["moderator"]
    for payload in ({"records": [records["A9"], records["B9"]]}, {"records": []},
                    {"records": [SourceRecord.objects.exclude(place=place).first().pk]}):
        refused = send(client, "POST", url, payload, moderator)
        assert refused.status_code == 400 and "records" in refused.json()["errors"], payload
    for payload in ({"records": [True]}, {"records": [str(records["B9"])]}, {"records": records["B9"]}, {}):
        assert send(client, "POST", url, payload, moderator).status_code == 400, payload
    answer = send(client, "POST", url, {"records": [records["B9"]]}, moderator)
    assert answer.status_code == 201, answer.content
    new = answer.json()["place"]
    assert answer.json()["from"]["id"] == place.public_id
    assert new["id"] != place.public_id and [s["external_id"] for s in new["sources"]] == ["B9"]
    served = client.get(f"/api/places/{new['id']}").json()
    assert (served["name"], served["latitude"], served["longitude"]) == ("Le Hangar Boréal", 47.0675, 2.05)
    assert [s["slug"] for s in served["sources"]] == ["essai-b"]
    assert [s["slug"] for s in client.get(f"/api/places/{place.public_id}").json()["sources"]] == ["essai-a"]
    pair = MatchCandidate.objects.get(place_a=min(place.pk, Place.objects.get(public_id=new["id"]).pk),
                                      place_b=max(place.pk, Place.objects.get(public_id=new["id"]).pk))
    assert pair.status == MatchCandidate.Status.DISTINCT and pair.decided_by == moderator


# --- Provenance ----------------------------------------------------------------------------------------------------


def test_provenance_shows_each_sources_value_and_the_disagreement(client, tmp_path, users):
    place = joined_place(tmp_path)
    body = client.get(f"/api/places/{place.public_id}/provenance").json()
    fields = {f["field"]: f for f in body["fields"]}
    location = fields["location"]
    assert location["value"] == [47.0675, 2.05]  # essai-b has the higher priority
    assert location["given_by"] == "Annuaire B" and not location["by_person"] and location["given_at"]
    assert location["disagreement"] is True
    claims = {c["source"]["slug"]: c for c in location["claims"]}
    assert [c["source"]["slug"] for c in location["claims"]] == ["essai-b", "essai-a"]  # by priority
    assert claims["essai-b"]["same"] is True and claims["essai-b"]["distance_m"] == 0
    assert claims["essai-a"]["same"] is False and claims["essai-a"]["value"] == [47.05, 2.05]
    assert claims["essai-a"]["distance_m"] == pytest.approx(1946, abs=2)
    assert claims["essai-a"]["record"]["external_id"] == "A9" and claims["essai-a"]["at"]
    assert fields["name"]["disagreement"] is False and len(fields["name"]["claims"]) == 2
    assert fields["address"]["given_by"] == "Annuaire A"
    # A person's edit is shown as such, and the sources that say otherwise disagree with it.
    rev.edit(place, {"address": "14 rue des Tilleuls"}, users["trusted"], "numéro", place.current_revision_id)
    address = {f["field"]: f for f in client.get(f"/api/places/{place.public_id}/provenance").json()["fields"]}[
        "address"]
    assert (address["value"], address["given_by"], address["by_person"], address["disagreement"]) == (
        "14 rue des Tilleuls", "u-trusted", True, True)
    assert client.get("/api/places/inconnu/provenance").status_code == 404


# --- Conflicts with people's edits ---------------------------------------------------------------------------------


def test_conflicts_are_listed_and_a_moderator_takes_the_source_value(client, tmp_path, users):
    place, conflict = conflicted_place(tmp_path, users["trusted"])
    listed = client.get("/api/review/conflicts").json()
    assert listed["count"] == 1
    item = listed["results"][0]
    assert (item["id"], item["field"], item["label"], item["status"]) == (conflict.pk, "address", "adresse", "pending")
    assert (item["source_value"], item["current_value"]) == ("5 rue Neuve", "3 place du Marché")
    assert item["place"]["id"] == place.public_id and item["source"]["slug"] == "essai-c"
    assert item["human_revision"]["author"] == "u-trusted"
    assert item["human_revision"]["summary"] == "adresse vérifiée sur place"
    answer = send(client, "POST", f"/api/review/conflicts/{conflict.pk}", {"keep": "source"}, users["moderator"])
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "taken" and answer.json()["value_now"] == "5 rue Neuve"
    assert answer.json()["decided_by"] == "u-moderator"
    assert client.get(f"/api/places/{place.public_id}").json()["address"] == "5 rue Neuve"
    assert client.get("/api/review/conflicts").json()["count"] == 0
    assert send(client, "POST", f"/api/review/conflicts/{conflict.pk}", {"keep": "current"},
                users["moderator"]).status_code == 409


def test_keeping_the_persons_value_is_remembered(client, tmp_path, users):
    place, conflict = conflicted_place(tmp_path, users["trusted"])
    bad = send(client, "POST", f"/api/review/conflicts/{conflict.pk}", {"keep": "les deux"}, users["moderator"])
    assert bad.status_code == 400 and "keep" in bad.json()["errors"]
    answer = send(client, "POST", f"/api/review/conflicts/{conflict.pk}", {"keep": "current"}, users["moderator"])
    assert answer.status_code == 200 and answer.json()["status"] == "kept"
    assert client.get(f"/api/places/{place.public_id}").json()["address"] == "3 place du Marché"
    same_again = load(tmp_path, "essai-c", row("C5", "La Fabrique des Possibles", lat=47.03, lon=1.97,
                                               web="fabrique-possibles.fr", address="5 rue Neuve"))
    assert same_again.review_items == 0 and client.get("/api/review/conflicts").json()["count"] == 0
    # the source changes its mind again: a new question
    assert load(tmp_path, "essai-c", row("C5", "La Fabrique des Possibles", lat=47.03, lon=1.97,
                                         web="fabrique-possibles.fr", address="7 rue Neuve")).review_items == 1


# --- Who may write ----------------------------------------------------------------------------------------------------


def _write_cases(tmp_path, users):
    """(name, method, path, payload, state before/after, success status, who succeeds), on real data."""
    candidate, a, b = pending_pair(tmp_path)
    merge = resolution.merge(a, b, users["admin"], candidate=candidate)  # to undo
    joined = joined_place(tmp_path)
    record = joined.records.get(external_id="B9")
    place, conflict = conflicted_place(tmp_path, users["trusted"])
    load(tmp_path, "essai-c", row("C5", "La Fabrique des Possibles", lat=47.03, lon=1.97, web="fabrique-possibles.fr",
                                  address="5 rue Neuve"),
         row("C7", "Tiers-lieu des Bruyères", lat=47.06, lon=1.93, web="bruyeres.fr", address="2 route de Vatan"),
         row("C8", "Le Fournil Partagé", lat=46.99, lon=2.03, web="fournil.fr", address="9 rue du Four"))
    kept, other = place_of("C7"), place_of("C8")
    pending = MatchCandidate.objects.filter(status="pending").order_by("id").first()  # one of the national base
    reviewer, admin = users["trusted"], users["admin"]  # the least role that may
    return [
        ("decide", "POST", f"/api/review/duplicates/{pending.pk}", {"decision": "distinct"},
         lambda: MatchCandidate.objects.get(pk=pending.pk).status, 200, reviewer),
        ("conflict", "POST", f"/api/review/conflicts/{conflict.pk}", {"keep": "source"},
         lambda: (FieldConflict.objects.get(pk=conflict.pk).status, Place.objects.get(pk=place.pk).address), 200,
         reviewer),
        ("merge", "POST", f"/api/places/{kept.public_id}/merge", {"other": other.public_id},
         lambda: Place.objects.get(pk=other.pk).merged_into_id, 201, reviewer),
        ("undo", "POST", f"/api/merges/{merge.pk}/undo", {}, lambda: Merge.objects.get(pk=merge.pk).undone_at, 200,
         reviewer),
        ("split", "POST", f"/api/places/{joined.public_id}/split", {"records": [record.pk]},
         lambda: SourceRecord.objects.get(pk=record.pk).place_id, 201, reviewer),
        ("priority", "PATCH", "/api/sources/essai-a", {"priority": 90},
         lambda: Source.objects.get(slug="essai-a").priority, 200, admin),
    ]


def test_every_write_is_refused_without_the_role_and_done_with_it(client, tmp_path, users):
    """Merges, splits, decisions and conflicts: reviewers (trusted contributors, moderators, administrators), as
    the services and the web pages say; a source's priority: administrators only."""
    blocked = make_user("u-bloque", Role.MODERATOR)
    blocked.profile.blocked_until = timezone.now() + datetime.timedelta(days=1)
    blocked.profile.save()
    refused = [(None, 401), (users["contributor"], 403), (blocked, 403)]
    for name, method, path, payload, state, success, allowed in _write_cases(tmp_path, users):
        before = state()
        extra = [(users["trusted"], 403), (users["moderator"], 403)] if allowed == users["admin"] else []
        for who, expected in refused + extra:
            answer = send(client, method, path, payload, who)
            assert answer.status_code == expected, (name, who, answer.content)
            assert answer.json()["detail"]
            assert state() == before, (name, who)
        answer = send(client, method, path, payload, allowed)
        assert answer.status_code == success, (name, answer.content)
        assert state() != before, name


# --- Sources and their priority ----------------------------------------------------------------------------------


def test_priority_is_changed_by_administrators_and_wins_at_the_next_import(client, tmp_path, users):
    place = joined_place(tmp_path)
    listed = {s["slug"]: s for s in client.get("/api/sources").json()}
    assert listed["essai-b"]["priority"] == 60 and listed["cget-mission-coworking-2019"]["priority"] == 50
    for value in (-1, 5000, "haute", None, True):
        bad = send(client, "PATCH", "/api/sources/essai-a", {"priority": value}, users["admin"])
        assert bad.status_code == 400 and "priority" in bad.json()["errors"], (value, bad.content)
    assert send(client, "PATCH", "/api/sources/inconnue", {"priority": 5}, users["admin"]).status_code == 404
    answer = send(client, "PATCH", "/api/sources/essai-a", {"priority": 90}, users["admin"])
    assert answer.status_code == 200 and answer.json()["priority"] == 90 and answer.json()["records"] == 1
    assert {s["slug"]: s["priority"] for s in client.get("/api/sources").json()}["essai-a"] == 90
    assert [c["source"]["slug"] for c in {f["field"]: f for f in client.get(
        f"/api/places/{place.public_id}/provenance").json()["fields"]}["location"]["claims"]] == ["essai-a", "essai-b"]
    # Nothing is recomputed at once; the next import of essai-a's record takes the field back.
    assert Place.objects.get(pk=place.pk).latitude == 47.0675
    load(tmp_path, "essai-a", row("A9", "Le Hangar Boréal", lat=47.05, lon=2.05, web="hangar-boreal.fr",
                                  typo="Tiers lieux à dominante fablab"))
    place.refresh_from_db()
    assert place.latitude == 47.05


# --- Possibly closed -------------------------------------------------------------------------------------------------


def test_places_a_source_stopped_listing_are_listed_as_possibly_closed(client, tmp_path):
    load(tmp_path, "essai-a", row("A1", "La Grange Zéphyr"),
         row("A2", "Atelier du Moulin", lat=47.04, lon=1.95, web="moulin.fr", address="1 chemin du Moulin"))
    summary = load(tmp_path, "essai-a", row("A2", "Atelier du Moulin", lat=47.04, lon=1.95, web="moulin.fr",
                                            address="1 chemin du Moulin"))
    assert summary.missing == 1
    body = client.get("/api/review/possibly-closed", {"limit": 200}).json()
    ours = [r for r in body["results"] if r["record"]["source"] == "essai-a"]
    assert [(r["record"]["external_id"], r["place"]["id"]) for r in ours] == [("A1", place_of("A1").public_id)]
    assert ours[0]["record"]["missing"] is True and ours[0]["missing_since_run"]["id"] == summary.run.pk
    assert client.get("/api/review/possibly-closed", {"cursor": "x"}).status_code == 400


def test_the_endpoints_are_documented(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/review/duplicates", "/api/review/duplicates/{candidate_id}", "/api/review/conflicts",
                 "/api/review/conflicts/{conflict_id}", "/api/review/possibly-closed",
                 "/api/places/{public_id}/provenance", "/api/places/{public_id}/merges",
                 "/api/places/{public_id}/merge", "/api/places/{public_id}/split", "/api/merges/{merge_id}/undo",
                 "/api/sources/{slug}"):
        assert path in paths, path
