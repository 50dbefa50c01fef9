"""The whole archive is writable: actors, programmes, promises, outcomes and replies, through the API and the
command line, under the governance of places (pending for newcomers, conflicts, history)."""
import io
import json

import pytest
from api_client import Caller, ok
from django.core.management import CommandError, call_command
from people import make_user

from tilios.accounts.models import Role
from tilios.policy.models import Actor, Outcome, Programme, Promise, Reply
from tilios.revisions.models import Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]


@pytest.fixture
def trusted(client):
    return Caller(client, make_user("archiviste", Role.TRUSTED))


@pytest.fixture
def newcomer(client):
    return Caller(client, make_user("nouveau", Role.CONTRIBUTOR))


def test_an_unknown_actor_is_created_on_the_fly_with_its_kind(trusted):
    body = {"made_on": "2015-06-01", "title": "Cyber-bases : 800 espaces", "text": "La Caisse des Dépôts annonce "
            "800 Cyber-bases.", "source_url": "https://example.org/cyberbases",
            "actors": [{"name": "Caisse des Dépôts", "kind": "operator"}]}
    answer = ok(trusted.send("POST", "/api/policy/announcements", body), 201)
    actor = Actor.objects.get(name="Caisse des Dépôts")
    assert actor.kind == "operator" and actor.is_published and actor.current_revision.author.username == "archiviste"
    assert ok(trusted.get(f"/api/policy/announcements/{answer['id']}"))["actors"][0]["name"] == "Caisse des Dépôts"
    # A plain unknown name says how to create it; nothing is written.
    refused = trusted.send("POST", "/api/policy/announcements", {**body, "actors": ["Inconnu SA"]})
    assert refused.status_code == 400 and "kind" in refused.json()["detail"]
    # A bad kind refuses the whole announcement, and the actor is not left behind.
    refused = trusted.send("POST", "/api/policy/announcements", {**body, "title": "autre",
                                                                 "actors": [{"name": "Truc", "kind": "martien"}]})
    assert refused.status_code == 400 and not Actor.objects.filter(name="Truc").exists()


def test_programme_promise_outcome_and_reply_through_the_api(trusted):
    programme = ok(trusted.send("POST", "/api/policy/programmes", {"data": {
        "slug": "cyber-bases", "name": "Cyber-bases", "kind": "programme", "started_on": "2000-01-01",
        "budget_eur": 30000000, "actors": [{"name": "Caisse des Dépôts", "kind": "operator"}]}}), 201)
    assert programme["url"] == "/politiques/programmes/cyber-bases/"
    announcement = Programme.objects.get(slug="nouveaux-lieux-nouveaux-liens").announcements.first()
    promise = ok(trusted.send("POST", "/api/policy/promises", {"data": {
        "announcement": announcement.pk, "programme": "cyber-bases", "metric": "Cyber-bases ouvertes",
        "target_value": 1000, "unit": "espaces", "deadline": "2006-12-31"}}), 201)
    outcome = ok(trusted.send("POST", "/api/policy/outcomes", {"data": {
        "promise": promise["id"], "value": 800, "measured_on": "2007-01-01", "method": "rapport annuel",
        "source_url": "https://example.org/rapport"}}), 201)
    assert Outcome.objects.get(pk=outcome["id"]).method == "rapport annuel"
    reply = ok(trusted.send("POST", "/api/policy/replies", {"data": {
        "actor": "Caisse des Dépôts", "promise": promise["id"], "made_on": "2007-02-01",
        "text": "L'objectif comptait les projets engagés, pas seulement ouverts."}}), 201)
    assert Reply.objects.get(pk=reply["id"]).promise_id == promise["id"]
    listed = {p["id"]: p for p in ok(trusted.get("/api/policy/promises"))["results"]}
    assert listed[promise["id"]]["replies"][0]["actor"] == "Caisse des Dépôts"

    both = trusted.send("POST", "/api/policy/replies", {"data": {"actor": "Caisse des Dépôts", "made_on": "2007-02-01",
                                                                 "promise": promise["id"], "outcome": outcome["id"],
                                                                 "text": "deux à la fois"}})
    assert both.status_code == 400
    assert trusted.send("POST", "/api/policy/promises", {"data": {"announcement": 10 ** 6}}).status_code == 400


def test_newcomers_wait_for_review_and_stale_edits_conflict(trusted, newcomer, client):
    programme = Programme.objects.get(slug="datar-telecentres-2005")
    base = programme.current_revision_id
    pending = ok(newcomer.send("PATCH", f"/api/policy/programmes/{programme.slug}", {
        "base_revision": base, "changes": {"budget_eur": 2000000}}), 202)
    assert pending["live"] is False
    programme.refresh_from_db()
    assert programme.budget_eur is None
    ok(trusted.send("PATCH", f"/api/policy/programmes/{programme.slug}", {
        "base_revision": base, "changes": {"description": "Appel de 2005 (DIACT)."}}), 200)
    stale = trusted.send("PATCH", f"/api/policy/programmes/{programme.slug}", {
        "base_revision": base, "changes": {"description": "Autre texte."}})
    assert stale.status_code == 409
    assert Programme.objects.get(pk=programme.pk).description == "Appel de 2005 (DIACT)."
    assert Caller(client).send("POST", "/api/policy/actors", {"data": {"name": "X", "kind": "state"}}).status_code == 401
    assert trusted.send("PATCH", "/api/policy/promises/999999", {"changes": {"unit": "x"}}).status_code == 404
    history = Revision.objects.filter(object_id=programme.pk, content_type__model="programme")
    assert history.filter(status="pending", author__username="nouveau").count() == 1


def test_the_command_line_writes_the_same_archive():
    make_user("greffier", Role.TRUSTED)
    out = io.StringIO()
    call_command("archive", "add", "actors", json.dumps({"name": "Région Bretagne", "kind": "region",
                                                         "territory_code": "53"}), "--user", "greffier", stdout=out)
    assert "publié" in out.getvalue()
    actor = Actor.objects.get(name="Région Bretagne")
    out = io.StringIO()
    call_command("archive", "edit", "actors", str(actor.pk), json.dumps({"kind": "epci"}), "--user", "greffier",
                 "--base-revision", str(actor.current_revision_id), stdout=out)
    assert Actor.objects.get(pk=actor.pk).kind == "epci"
    with pytest.raises(CommandError, match="kind"):
        call_command("archive", "add", "actors", json.dumps({"name": "Sans type"}), "--user", "greffier")
    with pytest.raises(CommandError, match="inconnu"):
        call_command("archive", "add", "actors", "{}", "--user", "personne")
    assert not Promise.objects.filter(metric="").exists()


def test_the_promise_page_shows_the_reply_beside_the_status(trusted, client):
    promise = Promise.objects.filter(is_published=True).first()
    ok(trusted.send("POST", "/api/policy/replies", {"data": {
        "actor": {"name": "ANCT", "kind": "state"}, "promise": promise.pk, "made_on": "2024-01-15",
        "text": "Les 300 fabriques ont été labellisées dès 2021.", "source_url": "https://example.org/anct"}}), 201)
    html = client.get(f"/politiques/promesses/{promise.pk}/").content.decode()
    assert "Droit de réponse" in html and "Les 300 fabriques ont été labellisées dès 2021." in html
    assert "<strong>ANCT</strong>" in html
