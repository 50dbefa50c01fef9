"""Wiki governance through the JSON API, end to end with bearer tokens on the real CGET base."""
import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from people import make_user

from tilios.accounts.models import ApiToken, PlaceManager, Role
from tilios.pages.models import Page
from tilios.places.models import Place
from tilios.revisions.models import ModerationAction, Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
User = get_user_model()


@pytest.fixture
def place():
    return Place.objects.get(name="SICTIAM")


def current(caller, place):
    response = caller.get(f"/api/places/{place.public_id}")
    assert response.status_code == 200, response.content
    return response.json()["current_revision"]


def test_place_detail_tells_the_base_revision(api, place):
    body = api().get(f"/api/places/{place.public_id}").json()
    assert body["current_revision"] == {"id": place.current_revision_id, "number": 1}
    assert body["protected"] is False and "description_html" in body


def test_token_lifecycle(client, api):
    user = make_user("camille")
    assert client.post("/api/tokens", {"name": "script"}, content_type="application/json").status_code == 401
    client.force_login(user)
    response = client.post("/api/tokens", {"name": "script"}, content_type="application/json")
    assert response.status_code == 201, response.content
    token, prefix = response.json()["token"], response.json()["prefix"]
    assert token.startswith("tl_") and token[:8] == prefix
    assert not ApiToken.objects.filter(digest=token).exists()  # only the hash is kept
    client.logout()
    bearer = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/tokens", headers=bearer).json()
    assert [t["prefix"] for t in listed] == [prefix] and listed[0]["name"] == "script"
    # a token does not mint more tokens
    assert client.post("/api/tokens", {}, content_type="application/json", headers=bearer).status_code == 403
    assert client.delete(f"/api/tokens/{prefix}", headers=bearer).status_code == 204
    assert client.get("/api/tokens", headers=bearer).status_code == 401
    assert client.delete("/api/tokens/tl_nope", headers={"Authorization": "Bearer tl_wrong"}).status_code == 401


def test_trusted_edit_is_live_and_a_stale_base_is_a_409(api, place):
    alice, bob = api("alice", Role.TRUSTED), api("bob", Role.TRUSTED)
    base = current(alice, place)
    response = alice.patch(f"/api/places/{place.public_id}", {
        "base_revision": base["id"], "summary": "capacité", "changes": {"capacity": 12}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["live"] and body["revision"]["number"] == 2 and body["revision"]["status"] == "accepted"
    assert body["record"] == {"type": "place", "id": place.public_id}
    assert current(alice, place)["number"] == 2
    # bob still edits from revision 1
    response = bob.patch(f"/api/places/{place.public_id}", {
        "base_revision": base["id"], "summary": "autre", "changes": {"capacity": 30, "description": "x"}})
    assert response.status_code == 409
    conflict = response.json()
    assert conflict["current_revision"] == {"id": body["revision"]["id"], "number": 2}
    assert conflict["conflicting_fields"] == ["capacity"] and conflict["changed_since"] == ["capacity"]
    assert "révision 2" in conflict["detail"]
    place.refresh_from_db()
    assert place.capacity == 12


def test_contributor_edit_waits_then_is_accepted_and_patrolled(api, place):
    newcomer, reviewer = api("nouveau"), api("relectrice", Role.TRUSTED)
    base = current(newcomer, place)["id"]
    response = newcomer.patch(f"/api/places/{place.public_id}", {
        "base_revision": base, "summary": "horaires", "changes": {"opening_hours": "Mo-Fr 09:00-18:00"}})
    assert response.status_code == 202, response.content
    pending_id = response.json()["revision"]["id"]
    assert response.json()["revision"] == {"id": pending_id, "number": None, "status": "pending"}
    assert current(newcomer, place)["id"] == base  # nothing published yet

    queue = api().get("/api/revisions/pending").json()["results"]
    mine = next(r for r in queue if r["id"] == pending_id)
    assert mine["author"] == "nouveau" and mine["record"] == {"type": "place", "id": place.public_id}
    assert mine["diff"] == {"opening_hours": {"before": "", "after": "Mo-Fr 09:00-18:00"}}

    assert newcomer.post(f"/api/revisions/{pending_id}/accept", {}).status_code == 403
    accepted = reviewer.post(f"/api/revisions/{pending_id}/accept", {"note": "vérifié"})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted" and accepted.json()["number"] == 2
    assert accepted.json()["reviewed_by"] == "relectrice" and accepted.json()["review_note"] == "vérifié"
    place.refresh_from_db()
    assert place.opening_hours == "Mo-Fr 09:00-18:00"
    assert reviewer.post(f"/api/revisions/{pending_id}/accept", {}).status_code == 400  # no longer pending
    patrolled = reviewer.post(f"/api/revisions/{pending_id}/patrol")
    assert patrolled.status_code == 200 and patrolled.json()["patrolled"] is True
    assert pending_id not in [r["id"] for r in api().get("/api/revisions/pending").json()["results"]]


def test_rejected_proposal_changes_nothing(api, place):
    newcomer, moderator = api("nouveau"), api("mod", Role.MODERATOR)
    pending = newcomer.patch(f"/api/places/{place.public_id}", {
        "base_revision": current(newcomer, place)["id"], "changes": {"name": "Pub casino"}}).json()["revision"]
    response = moderator.post(f"/api/revisions/{pending['id']}/reject", {"note": "publicité"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert api().get(f"/api/places/{place.public_id}").json()["name"] == "SICTIAM"


def test_edit_errors_are_400_with_fields(api, place):
    editor = api("ed", Role.TRUSTED)
    base = current(editor, place)["id"]
    url = f"/api/places/{place.public_id}"
    response = editor.patch(url, {"base_revision": base, "changes": {
        "latitude": 123, "links": [{"url": "javascript:alert(1)"}], "kinds": ["spa"], "closed_on": "hier"}})
    assert response.status_code == 400
    assert {"latitude", "links", "kinds", "closed_on"} <= set(response.json()["errors"])
    assert response.json()["detail"]
    response = editor.patch(url, {"base_revision": base, "changes": {"is_published": False}})
    assert response.status_code == 400 and "is_published" in response.json()["errors"]
    response = editor.patch(url, {"base_revision": base, "changes": {"name": "SICTIAM"}})
    assert response.status_code == 400 and response.json()["detail"] == "aucune modification"
    response = editor.patch(url, {"changes": {"capacity": 3}})
    assert response.status_code == 400 and "base_revision" in response.json()["errors"]
    other = Place.objects.exclude(pk=place.pk).first()
    response = editor.patch(url, {"base_revision": other.current_revision_id, "changes": {"capacity": 3}})
    assert response.status_code == 400 and "base_revision" in response.json()["errors"]
    response = editor.patch(url, {"base_revision": "deux", "changes": {"capacity": 3}})
    assert response.status_code == 400 and "base_revision" in response.json()["errors"]
    assert editor.patch("/api/places/nexistepas", {"base_revision": base, "changes": {}}).status_code == 404


def test_create_place_live_or_pending(api):
    trusted, newcomer, reviewer = api("conf", Role.TRUSTED), api("nouveau"), api("rel", Role.TRUSTED)
    response = trusted.post("/api/places", {"summary": "nouveau lieu", "data": {
        "name": "La Forge", "latitude": 45.43, "longitude": 4.39, "kinds": ["fablab"]}})
    assert response.status_code == 201, response.content
    forge = response.json()
    assert forge["revision"]["number"] == 1 and forge["live"]
    detail = api().get(f"/api/places/{forge['record']['id']}").json()
    assert detail["name"] == "La Forge" and detail["commune_code"] == "42218"
    assert detail["current_revision"]["id"] == forge["revision"]["id"]

    response = newcomer.post("/api/places", {"data": {"name": "Le Hangar", "latitude": 45.0, "longitude": 5.0}})
    assert response.status_code == 202, response.content
    hangar = response.json()
    assert hangar["revision"]["status"] == "pending" and hangar["revision"]["number"] is None
    assert api().get(f"/api/places/{hangar['record']['id']}").status_code == 404
    # One rule with the site (revisions.visibility): the author follows their proposal, nobody else but reviewers.
    assert newcomer.get(f"/api/places/{hangar['record']['id']}/history").status_code == 200
    assert api("autre").get(f"/api/places/{hangar['record']['id']}/history").status_code == 404
    assert reviewer.get(f"/api/places/{hangar['record']['id']}/history").status_code == 200
    assert reviewer.post(f"/api/revisions/{hangar['revision']['id']}/accept").status_code == 200
    assert api().get(f"/api/places/{hangar['record']['id']}").json()["name"] == "Le Hangar"
    assert newcomer.post("/api/places", {"data": {"name": ""}}).status_code == 400
    assert newcomer.post("/api/places", {"name": "sans data"}).status_code == 400


def test_history_is_newest_first_with_keyset_pages_and_compare(api, place):
    editor = api("ed", Role.TRUSTED)
    for capacity in (1, 2, 3, 4):
        editor.patch(f"/api/places/{place.public_id}", {
            "base_revision": current(editor, place)["id"], "summary": f"c{capacity}", "changes": {"capacity": capacity}})
    pending = api("nouveau").patch(f"/api/places/{place.public_id}", {
        "base_revision": current(editor, place)["id"], "changes": {"capacity": 99}}).json()["revision"]
    seen, cursor = [], None
    while True:
        body = api().get(f"/api/places/{place.public_id}/history",
                         {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen.extend(body["results"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert [r["number"] for r in seen] == [None, 5, 4, 3, 2, 1]
    assert seen[0]["id"] == pending["id"] and seen[0]["status"] == "pending"
    latest = seen[1]
    assert latest["author"] == "ed" and latest["summary"] == "c4" and latest["kind"] == "edit"
    assert latest["diff"] == {"capacity": {"before": 3, "after": 4}} and latest["accepted_at"]
    assert seen[-1]["kind"] == "import" and seen[-1]["author"]  # the source's name
    assert body["record"] == {"type": "place", "id": place.public_id}
    assert api().get(f"/api/places/{place.public_id}/history", {"limit": 0}).status_code == 400
    assert api().get(f"/api/places/{place.public_id}/history", {"cursor": "1 OR 1=1"}).status_code == 400

    first, fifth = seen[-1]["id"], seen[1]["id"]
    whole = api().get(f"/api/revisions/{fifth}").json()
    assert whole["data"]["capacity"] == 4 and whole["parent"] == seen[2]["id"]
    compared = api().get("/api/revisions/compare", {"from": first, "to": fifth}).json()
    assert compared["diff"] == {"capacity": {"before": None, "after": 4}}
    assert compared["from"]["number"] == 1 and compared["to"]["number"] == 5
    elsewhere = Place.objects.exclude(pk=place.pk).first().current_revision_id
    assert api().get("/api/revisions/compare", {"from": first, "to": elsewhere}).status_code == 400
    assert api().get("/api/revisions/999999999").status_code == 404


def test_revert_restores_an_earlier_revision(api, place):
    vandal, moderator = api("vandale", Role.TRUSTED), api("mod", Role.MODERATOR)
    first = current(vandal, place)
    vandal.patch(f"/api/places/{place.public_id}", {"base_revision": first["id"], "changes": {"name": "VANDALE"}})
    base = current(moderator, place)
    response = moderator.post(f"/api/places/{place.public_id}/revert", {
        "to_revision": first["id"], "base_revision": base["id"], "summary": "vandalisme"})
    assert response.status_code == 200, response.content
    assert response.json()["revision"]["number"] == 3
    assert api().get(f"/api/places/{place.public_id}").json()["name"] == "SICTIAM"
    head = api().get(f"/api/places/{place.public_id}/history").json()["results"][0]
    assert head["kind"] == "revert" and head["summary"] == "vandalisme"
    # reverting again against the old base is a conflict; to a revision of another place, a 400
    assert moderator.post(f"/api/places/{place.public_id}/revert", {
        "to_revision": first["id"], "base_revision": base["id"]}).status_code == 409
    other = Place.objects.exclude(pk=place.pk).first().current_revision_id
    assert moderator.post(f"/api/places/{place.public_id}/revert", {
        "to_revision": other, "base_revision": current(moderator, place)["id"]}).status_code == 400


def test_protected_place_goes_through_review(api, place):
    moderator, trusted = api("mod", Role.MODERATOR), api("conf", Role.TRUSTED)
    response = moderator.post(f"/api/places/{place.public_id}/protect", {"protected": True, "reason": "guerre"})
    assert response.status_code == 200 and response.json()["protected"] is True
    assert api().get(f"/api/places/{place.public_id}").json()["protected"] is True
    response = trusted.patch(f"/api/places/{place.public_id}", {
        "base_revision": current(trusted, place)["id"], "changes": {"capacity": 3}})
    assert response.status_code == 202
    assert trusted.post(f"/api/revisions/{response.json()['revision']['id']}/accept").status_code == 403
    assert moderator.post(f"/api/revisions/{response.json()['revision']['id']}/accept").status_code == 200
    assert trusted.post(f"/api/places/{place.public_id}/protect", {"protected": False}).status_code == 403


def test_talk_threads_replies_and_hidden_messages(api, place):
    author, other, moderator = api("auteur"), api("autre"), api("mod", Role.MODERATOR)
    url = f"/api/places/{place.public_id}/talk"
    response = author.post(url, {"title": "Horaires d'été ?", "tag": "proposition",
                                 "body": "Ouvert en **août** ?"})
    assert response.status_code == 201, response.content
    thread = response.json()
    first = thread["messages"][0]
    assert thread["tag"] == "proposition" and first["html"] == "<p>Ouvert en <strong>août</strong> ?</p>"
    answer = other.post(f"/api/talk/{thread['id']}/messages", {"body": "Oui, sauf le 15.", "parent": first["id"]})
    assert answer.status_code == 201 and answer.json()["parent"] == first["id"]
    rude = other.post(f"/api/talk/{thread['id']}/messages", {"body": "hors sujet"}).json()
    assert author.post(url, {"title": "x", "tag": "bavardage", "body": "y"}).status_code == 400
    assert other.post(f"/api/talk/{thread['id']}/messages", {"body": "z", "parent": 999999999}).status_code == 400
    assert other.post("/api/talk/999999999/messages", {"body": "z"}).status_code == 404

    assert other.post(f"/api/messages/{rude['id']}/hide", {"reason": "!"}).status_code == 403
    assert moderator.post(f"/api/messages/{rude['id']}/hide", {"reason": "hors sujet"}).status_code == 200

    public = api().get(url).json()
    assert set(public["tags"]) == {"analyse", "risque", "opportunite", "proposition"}
    (listed,) = public["threads"]
    root, hidden = listed["messages"]
    assert root["replies"][0]["body"] == "Oui, sauf le 15."
    assert hidden["hidden"] is True and hidden["body"] is None and hidden["html"] is None and hidden["author"] is None
    seen_by_moderator = moderator.get(url).json()["threads"][0]["messages"][1]
    assert seen_by_moderator["body"] == "hors sujet" and seen_by_moderator["hidden_by"] == "mod"


def test_knowledge_pages(api):
    writer, newcomer = api("redac", Role.TRUSTED), api("nouveau")
    body = "Un **tiers-lieu** voit [[lieu:abc|un lieu]].\n\n[[Catégorie:Définitions]]"
    response = writer.post("/api/pages", {"title": "Qu'est-ce qu'un tiers-lieu ?", "body": body,
                                          "summary": "création"})
    assert response.status_code == 201, response.content
    slug = response.json()["record"]["id"]
    assert slug == "quest-ce-quun-tiers-lieu"
    page = api().get(f"/api/pages/{slug}").json()
    assert page["title"] == "Qu'est-ce qu'un tiers-lieu ?" and page["body"] == body
    assert "<strong>tiers-lieu</strong>" in page["html"] and "Catégorie" not in page["html"]
    assert page["categories"] == [{"slug": "definitions", "name": "Définitions"}]
    assert page["licence"] == "CC BY-SA 4.0" and page["current_revision"]["number"] == 1
    assert [p["slug"] for p in api().get("/api/pages").json()["results"]] == [slug]
    assert api().get("/api/pages", {"category": "definitions"}).json()["results"][0]["slug"] == slug
    duplicate = newcomer.post("/api/pages", {"title": "Qu’est-ce qu’un tiers-lieu ?", "body": "doublon"})
    assert duplicate.status_code == 400 and "title" in duplicate.json()["errors"]

    base = page["current_revision"]["id"]
    edited = writer.patch(f"/api/pages/{slug}", {"base_revision": base, "changes": {"body": body + "\n\nSuite."}})
    assert edited.status_code == 200
    stale = newcomer.patch(f"/api/pages/{slug}", {"base_revision": base, "changes": {"body": "autre"}})
    assert stale.status_code == 409 and stale.json()["conflicting_fields"] == ["body"]
    proposal = newcomer.patch(f"/api/pages/{slug}", {"base_revision": edited.json()["revision"]["id"],
                                                     "changes": {"title": "Tiers-lieu"}})
    assert proposal.status_code == 202
    history = api().get(f"/api/pages/{slug}/history").json()["results"]
    assert [r["number"] for r in history] == [None, 2, 1]
    assert newcomer.post(f"/api/pages/{slug}/talk", {"title": "Sources ?", "tag": "analyse",
                                                    "body": "Citer le rapport 2018."}).status_code == 201
    assert api().get(f"/api/pages/{slug}/talk").json()["threads"][0]["title"] == "Sources ?"
    pending = newcomer.post("/api/pages", {"title": "Brouillon", "body": "à relire"})
    assert pending.status_code == 202
    assert api().get("/api/pages/brouillon").status_code == 404
    assert Page.objects.get(slug="brouillon").is_published is False


def test_moderation_rollback_block_role_managers_and_log(api, place):
    moderator, admin = api("mod", Role.MODERATOR), api("admin", Role.ADMIN)
    vandal = api("vandale", Role.TRUSTED)
    since = timezone.now() - datetime.timedelta(seconds=1)
    places = list(Place.objects.exclude(pk=place.pk).order_by("id")[:2])
    for p in places:
        assert vandal.patch(f"/api/places/{p.public_id}", {"base_revision": p.current_revision_id,
                                                           "changes": {"name": "SPAM"}}).status_code == 200
    response = moderator.post("/api/users/vandale/rollback", {"since": since.isoformat(), "reason": "vandalisme",
                                                              "block_days": 30})
    assert response.status_code == 200, response.content
    result = response.json()
    assert sorted(r["id"] for r in result["reverted"]) == sorted(p.public_id for p in places)
    assert result["blocked_until"] and result["skipped"] == [] and result["rejected"] == 0
    for p in places:
        assert api().get(f"/api/places/{p.public_id}").json()["name"] != "SPAM"
    blocked = vandal.patch(f"/api/places/{place.public_id}", {"base_revision": place.current_revision_id,
                                                              "changes": {"name": "SPAM"}})
    assert blocked.status_code == 403 and "bloqué" in blocked.json()["detail"]
    assert moderator.post("/api/users/vandale/unblock", {"reason": "excuses"}).status_code == 200
    assert moderator.post("/api/users/vandale/block", {"days": 2, "reason": "récidive"}).status_code == 200
    assert moderator.post("/api/users/vandale/block", {"days": 0}).status_code == 400
    assert moderator.post("/api/users/personne/block", {"days": 1}).status_code == 404

    make_user("camille")
    assert moderator.post("/api/users/camille/role", {"role": "trusted"}).status_code == 200
    assert moderator.post("/api/users/camille/role", {"role": "moderator"}).status_code == 403
    assert admin.post("/api/users/camille/role", {"role": "moderator"}).status_code == 200
    assert admin.post("/api/users/camille/role", {"role": "pape"}).status_code == 400
    assert User.objects.get(username="camille").profile.role == "moderator"

    keeper = api("gerante")
    assert moderator.post(f"/api/places/{place.public_id}/managers", {"username": "gerante"}).status_code == 201
    assert PlaceManager.objects.filter(user=keeper.user, place=place).exists()
    assert moderator.post(f"/api/places/{place.public_id}/managers", {"username": "personne"}).status_code == 400
    live = keeper.patch(f"/api/places/{place.public_id}", {"base_revision": place.current_revision_id,
                                                           "changes": {"opening_hours": "Mo-Fr 09:00-17:00"}})
    assert live.status_code == 200  # a place manager edits their place live

    log = api().get("/api/moderation/log").json()["results"]  # public, newest first
    actions = [entry["action"] for entry in log]
    assert actions[0] == "manager" and {"rollback", "block", "unblock", "role"} <= set(actions)
    assert [e["id"] for e in log] == sorted((e["id"] for e in log), reverse=True)
    rollback = next(e for e in log if e["action"] == "rollback")
    assert rollback["actor"] == "mod" and rollback["target_user"] == "vandale" and rollback["reason"] == "vandalisme"
    manager_entry = log[0]
    assert manager_entry["record"] == {"type": "place", "id": place.public_id}
    only_blocks = api().get("/api/moderation/log", {"action": "block", "limit": 1}).json()
    assert [e["action"] for e in only_blocks["results"]] == ["block"] and only_blocks["next_cursor"]
    assert ModerationAction.objects.filter(action="role", target_user__username="camille").count() == 2


def test_blocked_and_closed_accounts_get_403_anonymous_401(api, client, place):
    url = f"/api/places/{place.public_id}"
    change = {"base_revision": place.current_revision_id, "changes": {"capacity": 2}}
    assert api().patch(url, change).status_code == 401
    blocked = api("bloque")
    blocked.user.profile.blocked_until = timezone.now() + datetime.timedelta(days=1)
    blocked.user.profile.save()
    assert blocked.patch(url, change).status_code == 403
    closed = api("ferme")
    closed.user.is_active = False
    closed.user.save()
    response = closed.patch(url, change)
    assert response.status_code == 403 and response.json()["detail"]
    wrong = client.patch(url, json.dumps(change), content_type="application/json",
                         headers={"Authorization": "Bearer tl_nimportequoi"})
    assert wrong.status_code == 401 and wrong.json()["detail"]
    assert Revision.objects.filter(object_id=place.pk, number__gt=1).count() == 0


def test_openapi_stays_valid(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    for path in ("/api/places/{public_id}/history", "/api/revisions/pending", "/api/pages/{slug}",
                 "/api/users/{username}/rollback", "/api/tokens", "/api/moderation/log"):
        assert path in schema["paths"], path
    patch = schema["paths"]["/api/places/{public_id}"]["patch"]
    assert {"200", "202", "400", "401", "403", "409", "429"} <= set(patch["responses"])
    assert patch["security"] and "BearerToken" in json.dumps(schema["components"]["securitySchemes"])
    assert client.get("/api/docs").status_code == 200
