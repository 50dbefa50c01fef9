"""A programme's places, each with the dates it was funded or labelled: written through the API, the command
line and the programme's page as revisions of the programme (pending for newcomers, history, revert), shown
on the programme's and the place's pages, and read by the evaluation and the registry counts as of a day."""
import datetime
import io
import json

import pytest
from api_client import Caller, ok
from django.core.management import call_command
from people import make_user

from tilios.accounts.models import Role
from tilios.activity import evaluation
from tilios.places.models import Place
from tilios.policy import services
from tilios.policy.models import Programme, ProgrammePlace, Promise
from tilios.revisions import services as revisions
from tilios.revisions.models import Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
SLUG = "datar-telecentres-2005"


@pytest.fixture
def places():
    return list(Place.objects.live().filter(departement_id="42").order_by("id")[:3])


def links():
    return sorted((link.place.public_id, link.since, link.until)
                  for link in ProgrammePlace.objects.filter(programme__slug=SLUG).select_related("place"))


def base():
    return Programme.objects.get(slug=SLUG).current_revision_id


def test_places_with_dates_through_the_api_history_and_revert(client, places):
    trusted = Caller(client, make_user("archiviste", Role.TRUSTED))
    programme = Programme.objects.get(slug=SLUG)
    first = programme.current_revision
    a, b, c = places
    ok(trusted.send("PATCH", f"/api/policy/programmes/{SLUG}", {
        "base_revision": first.pk, "summary": "lauréats de l'appel", "changes": {"places": [
            {"place": a.public_id, "since": "2005-11-01", "until": "2008-12-31"},
            f"https://tilios.example/lieux/{b.public_id}/", {"place": c.public_id, "since": "2006-03-01"}]}}))
    assert links() == sorted([(a.public_id, datetime.date(2005, 11, 1), datetime.date(2008, 12, 31)),
                              (b.public_id, None, None), (c.public_id, datetime.date(2006, 3, 1), None)])
    shown = {p["id"]: p for p in ok(trusted.get(f"/api/policy/programmes/{SLUG}"))["places"]}
    assert shown[a.public_id]["since"] == "2005-11-01" and shown[a.public_id]["until"] == "2008-12-31"
    assert shown[b.public_id]["since"] is None and len(shown) == 3

    refused = trusted.send("PATCH", f"/api/policy/programmes/{SLUG}", {"base_revision": base(), "changes": {"places": [
        {"place": a.public_id, "since": "2009-01-01", "until": "2008-01-01"}, "inconnu42"]}})
    assert refused.status_code == 400 and "inconnu42" in refused.json()["detail"]
    refused = trusted.send("PATCH", f"/api/policy/programmes/{SLUG}", {"base_revision": base(), "changes": {"places": [
        {"place": a.public_id, "since": "2009-01-01", "until": "2008-01-01"}]}})
    assert refused.status_code == 400 and f"lieu {a.public_id} : la fin précède le début" in refused.json()["detail"]
    refused = trusted.send("PATCH", f"/api/policy/programmes/{SLUG}", {"base_revision": base(), "changes": {"places": [
        {"place": a.public_id, "since": "le 3 mai"}]}})
    assert refused.status_code == 400 and "date illisible" in refused.json()["detail"]
    assert len(links()) == 3  # nothing of the refused edits was written

    revisions.revert(programme, first, make_user("relectrice", Role.MODERATOR), "retour", base())
    assert links() == []
    latest = Revision.objects.filter(object_id=programme.pk, content_type__model="programme").order_by("-id")
    revisions.revert(programme, latest[1], make_user("autre", Role.MODERATOR), "et retour", base())
    assert len(links()) == 3


def test_a_revision_written_before_links_had_dates_is_read_and_restored(places):
    """Revisions of the plain link held bare place ids: they restore as links without dates."""
    programme = Programme.objects.get(slug=SLUG)
    moderator = make_user("relectrice", Role.MODERATOR)
    old = revisions.edit(programme, {"places": [{"place": places[0].pk, "since": "2006-01-01"}]}, moderator,
                            "lien", base())
    Revision.objects.filter(pk=old.pk).update(data={**old.data, "places": [places[0].pk]})  # as it was written
    revisions.edit(programme, {"places": []}, moderator, "plus de lieux", base())
    assert links() == []
    revisions.revert(programme, Revision.objects.get(pk=old.pk), moderator, "restaurer", base())
    assert links() == [(places[0].public_id, None, None)]


def test_the_programme_page_links_and_unlinks_a_place_under_governance(client, places):
    programme = Programme.objects.get(slug=SLUG)
    url = f"/politiques/programmes/{SLUG}/lieux/"
    client.force_login(make_user("nouvelle", Role.CONTRIBUTOR))
    response = client.post(url, {"place": places[0].public_id, "since": "2006-01-01",
                                 "base_revision": programme.current_revision_id})
    assert response.status_code == 302 and links() == []  # a newcomer proposes
    pending = Revision.objects.get(object_id=programme.pk, content_type__model="programme", status="pending")
    assert pending.data["places"] == [{"place": places[0].pk, "since": "2006-01-01", "until": None}]

    client.force_login(make_user("confiance", Role.TRUSTED))
    page = client.get(f"/politiques/programmes/{SLUG}/").content.decode()
    assert "Rattacher un lieu" in page
    for place, since in ((places[0], "2006-01-01"), (places[1], "")):
        programme.refresh_from_db()
        response = client.post(url, {"place": f"/lieux/{place.public_id}/", "since": since,
                                     "base_revision": programme.current_revision_id})
        assert response.status_code == 302
    assert links() == [(p.public_id, d, None) for p, d in sorted(
        [(places[0], datetime.date(2006, 1, 1)), (places[1], None)], key=lambda x: x[0].public_id)]
    page = client.get(f"/politiques/programmes/{SLUG}/").content.decode()
    assert places[0].name in page and "depuis le 1 janvier 2006" in page
    place_page = client.get(f"/lieux/{places[0].public_id}/").content.decode()
    assert "Programmes publics" in place_page and programme.name in place_page

    programme.refresh_from_db()
    refused = client.post(url, {"place": "pas-un-lieu", "base_revision": programme.current_revision_id})
    assert refused.status_code == 400 and "lieu inconnu : pas-un-lieu" in refused.content.decode()
    refused = client.post(url, {"place": places[2].public_id, "since": "2007-01-01", "until": "2006-01-01",
                                "base_revision": programme.current_revision_id})
    assert refused.status_code == 400 and "la fin précède le début" in refused.content.decode()
    stale = client.post(url, {"place": places[2].public_id, "base_revision": programme.current_revision_id - 1})
    assert stale.status_code == 302 and len(links()) == 2  # a stale page is told to re-read, nothing lost
    response = client.post(url, {"remove": places[1].public_id, "base_revision": programme.current_revision_id})
    assert response.status_code == 302 and links() == [(places[0].public_id, datetime.date(2006, 1, 1), None)]
    history = client.get(f"/politiques/programmes/{SLUG}/").content.decode()
    assert places[1].name not in history


def test_the_command_line_writes_them_too(places):
    make_user("operatrice", Role.TRUSTED)
    call_command("archive", "edit", "programmes", SLUG, json.dumps({"places": [
        {"place": places[2].public_id, "since": "2005-06-01", "until": "2007-06-30"}]}), "--user", "operatrice",
        "--base-revision", str(base()), stdout=io.StringIO())
    assert links() == [(places[2].public_id, datetime.date(2005, 6, 1), datetime.date(2007, 6, 30))]


def test_evaluation_and_registry_counts_take_the_places_linked_by_that_day(places):
    programme = Programme.objects.get(slug=SLUG)
    early, late, undated = places
    ProgrammePlace.objects.create(programme=programme, place=early, since=datetime.date(2005, 6, 1),
                                  until=datetime.date(2007, 12, 31))
    ProgrammePlace.objects.create(programme=programme, place=late, since=datetime.date(2021, 1, 1))
    ProgrammePlace.objects.create(programme=programme, place=undated)
    assert set(programme.places_on(datetime.date(2010, 1, 1))) == {early, undated}  # the one that left stays
    assert set(programme.places_on(datetime.date(2022, 1, 1))) == {early, late, undated}
    in_2010 = evaluation.evaluate_programme(programme, datetime.date(2010, 1, 31))
    in_2022 = evaluation.evaluate_programme(programme, datetime.date(2022, 1, 31))
    assert (in_2010["places"], in_2022["places"]) == (2, 3)

    promise = Promise.objects.filter(programme=programme).first()
    promise.count_from_registry = True
    counts = {}
    for deadline in (datetime.date(2020, 12, 31), datetime.date(2022, 12, 31)):
        promise.deadline = deadline
        counts[deadline.year] = [o.value for o in services.outcomes(promise, today=datetime.date(2026, 1, 1))
                                 if isinstance(o, services.RegistryOutcome)]
    assert counts == {2020: [2.0], 2022: [3.0]}  # counted among the places the programme had by the deadline
