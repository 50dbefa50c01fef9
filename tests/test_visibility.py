"""One rule for who sees a record not yet published, on the site and in the API alike
(revisions.visibility.visible_to): reviewers and the people who wrote it; nobody else."""
import pytest
from django.test import Client
from django.urls import reverse
from people import make_user

from tilios.accounts.models import Role
from tilios.pages.models import Page
from tilios.places.models import Place
from tilios.policy import services, writing
from tilios.policy.models import Announcement
from tilios.revisions import services as rev

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]

WHO = {"author": 200, "stranger": 404, "anonymous": 404, "moderator": 200}


@pytest.fixture
def people():
    return {"author": make_user("auteure"), "stranger": make_user("passant"),
            "moderator": make_user("moderatrice", Role.MODERATOR), "anonymous": None}


def client_of(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def urls_of(record):
    if isinstance(record, Page):
        return [reverse("web:page", args=[record.slug]), f"/api/pages/{record.slug}",
                f"/api/pages/{record.slug}/history"]
    if isinstance(record, Place):
        return [reverse("web:place", args=[record.public_id]), f"/api/places/{record.public_id}/history",
                f"/api/places/{record.public_id}/talk"]
    return [reverse("web:announcement", args=[record.pk]), f"/api/policy/announcements/{record.pk}"]


def pending(kind, author):
    if kind == "page":
        return rev.create(Page, {"title": "Ateliers du jeudi", "body": "Proposition."}, author)
    if kind == "place":
        return rev.create(Place, {"name": "Atelier en attente", "latitude": 45.1, "longitude": 5.7}, author)
    data = writing.resolve(Announcement, {"made_on": "2026-11-30", "title": "Appel à projets en attente",
                                          "text": "Proposé par une contributrice.",
                                          "source_url": "https://example.org/appel"}, author)
    record, revision, _repeats = services.propose_announcement(data, author)
    return record, revision


@pytest.mark.parametrize("kind", ["page", "place", "announcement"])
def test_a_pending_creation_is_seen_by_its_author_and_reviewers_everywhere(kind, people):
    record, _revision = pending(kind, people["author"])
    assert not record.is_published
    for who, expected in WHO.items():
        client = client_of(people[who])
        for url in urls_of(record):
            assert client.get(url).status_code == expected, (who, url)


def test_once_published_everyone_sees_it(people):
    record, revision = pending("page", people["author"])
    rev.accept(revision, people["moderator"])
    record.refresh_from_db()
    for who in WHO:
        for url in urls_of(record):
            assert client_of(people[who]).get(url).status_code == 200, (who, url)


def test_published_and_live_say_the_rule_once(people):
    pending_place, _revision = pending("place", people["author"])
    kept, merged = Place.objects.live()[:2]
    Place.objects.filter(pk=merged.pk).update(merged_into=kept)
    published = set(Place.objects.published().values_list("pk", flat=True))
    live = set(Place.objects.live().values_list("pk", flat=True))
    assert pending_place.pk not in published and merged.pk in published
    assert live == published - {merged.pk}
    assert Place.objects.live().count() == Place.objects.filter(is_published=True, merged_into=None).count()
    page, _revision = pending("page", people["author"])
    live_page, _revision = rev.create(Page, {"title": "Déjà relue", "body": "Texte."}, people["moderator"])
    assert list(Page.objects.published()) == [live_page] and Page.objects.filter(pk=page.pk).exists()
