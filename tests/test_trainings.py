"""Training offers as structured pages (#18 item 4): provider, dates or « à la demande », duration, price,
audience, format and the places that give them; governed like pages; listed on those places' pages and in
the upcoming list, filterable by région and « à distance »."""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from people import make_user

from tilios.accounts.models import Role
from tilios.pages import trainings
from tilios.pages.models import Training
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.revisions.models import Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]


def days(n):
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


@pytest.fixture
def places():
    loire = Place.objects.live().filter(departement_id="42").order_by("id").first()
    paca = Place.objects.live().filter(region_id="93").order_by("id").first()
    return loire, paca


def make(system, **fields):
    data = {"title": "Animer un tiers-lieu", "provider": "Coopérative Tiers-Lieux", "format": "on_site",
            "starts_on": days(10), "ends_on": days(12), "duration": "3 jours (21 h)", "price": "450 €",
            "audience": "animateurs et animatrices", **fields}
    return rev.create(Training, data, system, "")[0]


def test_a_contributor_proposes_a_training_reviewed_then_listed_on_its_place(client, places):
    loire, _paca = places
    client.force_login(make_user("formatrice"))
    form = client.get(reverse("web:training_create"))
    assert form.status_code == 200 and 'name="on_demand"' in form.content.decode()
    response = client.post(reverse("web:training_create"), {
        "title": "Fabriquer avec une découpeuse laser", "provider": "Fablab de la Loire", "format": "on_site",
        "starts_on": days(20), "ends_on": days(20), "duration": "1 jour", "price": "gratuit",
        "audience": "tout public", "places": f"https://tilios.example/lieux/{loire.public_id}/",
        "url": "https://fablab.example/inscription", "description": "**Apportez** vos fichiers."})
    assert response.status_code == 302
    training = Training.objects.get()
    assert (training.slug, training.is_published) == ("fabriquer-avec-une-decoupeuse-laser", False)
    assert list(training.places.all()) == [loire]
    client.logout()
    assert client.get(training.get_absolute_url()).status_code == 404
    assert training.title not in client.get(loire.get_absolute_url()).content.decode()
    rev.accept(Revision.objects.get(object_id=training.pk, status="pending"), make_user("moderation-formations",
                                                                                          Role.MODERATOR))
    page = client.get(loire.get_absolute_url()).content.decode()
    assert "Formations données ici" in page and training.title in page
    shown = client.get(training.get_absolute_url()).content.decode()
    assert "Fablab de la Loire" in shown and "<strong>Apportez</strong>" in shown and loire.name in shown
    assert training.title in client.get(reverse("web:trainings")).content.decode()


def test_upcoming_by_region_at_a_distance_and_on_demand(client, places):
    loire, paca = places
    system = make_user("systeme-formations", Role.ADMIN)
    here = make(system, title="Dans la Loire", places=[loire.public_id])
    there = make(system, title="En PACA", places=[paca.public_id], starts_on=days(3), ends_on=days(3))
    remote = make(system, title="En ligne", format="remote", starts_on=days(30), ends_on=None)
    asked = make(system, title="Sur demande", on_demand=True, starts_on=None, ends_on=None, places=[loire.public_id])
    make(system, title="Déjà passée", places=[loire.public_id], starts_on=days(-20), ends_on=days(-18))
    ongoing = make(system, title="En cours", places=[loire.public_id], starts_on=days(-2), ends_on=days(2))
    assert [t.title for t in trainings.upcoming()] == [ongoing.title, there.title, here.title, remote.title,
                                                       asked.title]
    assert {t.title for t in trainings.upcoming(region=loire.region_id)} == {here.title, asked.title, ongoing.title}
    assert [t.title for t in trainings.upcoming(remote_only=True)] == [remote.title]
    page = client.get(reverse("web:trainings"), {"region": paca.region_id}).content.decode()
    assert "En PACA" in page and "Dans la Loire" not in page and "Déjà passée" not in page


def test_what_a_training_must_say(places):
    loire, _ = places
    system = make_user("systeme-regles", Role.ADMIN)
    cases = [({"starts_on": None, "ends_on": None}, "starts_on"),
             ({"starts_on": days(5), "ends_on": days(1)}, "ends_on"),
             ({"places": []}, "places"),
             ({"places": ["inconnu"]}, "places"),
             ({"url": "javascript:alert(1)"}, "url"),
             ({"provider": ""}, "provider"),
             ({"format": "hologramme"}, "format")]
    for changes, field in cases:
        with pytest.raises(ValidationError) as refused:
            make(system, places=[loire.public_id], **changes) if "places" not in changes else make(system, **changes)
        assert field in refused.value.message_dict, (changes, refused.value.message_dict)
    assert make(system, format="remote", places=[]).places.count() == 0  # at a distance: no place needed


def test_a_training_is_governed_like_a_page(client, places):
    loire, _ = places
    system = make_user("systeme-gouvernance", Role.ADMIN)
    training = make(system, places=[loire.public_id])
    trusted = make_user("relectrice-formations", Role.TRUSTED)
    client.force_login(trusted)
    url = reverse("web:training_edit", args=[training.slug])
    form = client.get(url)
    data = {k: v for k, v in form.context["form"].initial.items() if v not in (None, False)}
    data.update(price="380 €", summary="prix 2027")
    assert client.post(url, data).status_code == 302
    training.refresh_from_db()
    assert training.price == "380 €" and training.current_revision.number == 2
    history = client.get(reverse("web:training_history", args=[training.slug])).content.decode()
    assert "prix 2027" in history
    assert client.get(reverse("web:training_talk", args=[training.slug])).status_code == 200
    english = client.get(training.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Provider" in english and "Organisme" not in english


def test_the_api_lists_reads_and_writes_trainings(client, places):
    import json

    from tilios.accounts.models import ApiToken

    loire, _ = places
    token = ApiToken.issue(make_user("api-formations", Role.TRUSTED))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = {"title": "Médiation numérique, les bases", "provider": "Hinaura", "starts_on": days(7),
            "places": [loire.public_id], "description": "Trois *modules*."}
    assert client.post("/api/trainings", json.dumps(body), content_type="application/json").status_code == 401
    created = client.post("/api/trainings", json.dumps(body), content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    slug = created.json()["record"]["id"]
    bad = client.post("/api/trainings", json.dumps({**body, "starts_on": None}), content_type="application/json",
                      **auth)
    assert bad.status_code == 400 and "starts_on" in bad.content.decode()
    listed = client.get("/api/trainings", {"region": loire.region_id}).json()["results"]
    assert [t["slug"] for t in listed] == [slug] and listed[0]["places"] == [loire.public_id]
    assert client.get("/api/trainings", {"remote": "true"}).json()["results"] == []
    one = client.get(f"/api/trainings/{slug}").json()
    assert "<em>modules</em>" in one["description_html"]
    patched = client.patch(f"/api/trainings/{slug}", json.dumps({"base_revision": one["current_revision"]["id"],
                                                                  "changes": {"price": "gratuit"}}),
                           content_type="application/json", **auth)
    assert patched.status_code == 200 and client.get(f"/api/trainings/{slug}").json()["price"] == "gratuit"
