"""Watchlists and subscriptions (#17 item 5, #18 item 3): a signed-in person follows places, pages, files or the
places of a territory and a kind, sees what changed since the last visit, gets a daily or weekly digest by
e-mail with a one-click unsubscribe, and a place's managers follow it from the day they are linked."""
import datetime
import html
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from people import make_user

from tilios.accounts.models import Role
from tilios.pages.models import Page
from tilios.places.models import Place
from tilios.revisions import moderation
from tilios.revisions import services as rev
from tilios.watchlist import services
from tilios.watchlist.models import Preferences, Watch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]
SITE = "https://tilios.example"


@pytest.fixture
def system():
    return make_user("systeme-suivi", Role.ADMIN)


def edit(place, system, **changes):
    place.refresh_from_db()
    return rev.edit(place, changes, system, "suivi", place.current_revision_id)


def test_follow_a_place_and_see_its_changes_once(client, system):
    followed, other = Place.objects.live().order_by("id")[:2]
    reader = make_user("lectrice-suivi")
    follow = reverse("web:watch_follow")
    assert client.post(follow, {"type": "place", "key": followed.public_id})["Location"].startswith(
        reverse("web:login"))
    client.force_login(reader)
    page = client.get(followed.get_absolute_url()).content.decode()
    assert 'id="watch-button"' in page and ">suivre<" in page
    response = client.post(follow, {"type": "place", "key": followed.public_id, "next": followed.get_absolute_url()})
    assert response["Location"] == followed.get_absolute_url()
    assert ">ne plus suivre<" in client.get(followed.get_absolute_url()).content.decode()
    client.post(follow, {"type": "place", "key": followed.public_id})  # twice is once
    assert Watch.objects.filter(user=reader).count() == 1
    edit(followed, system, capacity=31)
    edit(other, system, capacity=32)
    first = client.get(reverse("web:watchlist")).content.decode()
    assert followed.name in first and other.name not in first and "« suivi »" in first
    again = client.get(reverse("web:watchlist")).content.decode()
    assert "Rien de nouveau" in again and followed.name in again  # still followed, nothing new
    watch = Watch.objects.get(user=reader)
    client.post(reverse("web:watch_unfollow", args=[watch.pk]))
    assert not Watch.objects.filter(user=reader).exists()
    assert client.post(reverse("web:watch_unfollow", args=[watch.pk])).status_code == 404


def test_follow_the_places_of_a_territory_and_a_kind(client, system):
    loire = Place.objects.live().filter(departement_id="42", kinds__code="coworking").order_by("id")
    elsewhere = Place.objects.live().exclude(departement_id="42").filter(kinds__code="coworking").first()
    reader = make_user("suivi-loire")
    client.force_login(reader)
    changes_page = client.get(reverse("web:changes"), {"departement": "42", "kind": "coworking"}).content.decode()
    assert 'id="follow-selection"' in changes_page
    client.post(reverse("web:watch_follow_area"), {"departement": "42", "kind": "coworking"})
    refused = client.post(reverse("web:watch_follow_area"), {"departement": "XX"}, follow=True)
    assert "inconnu" in refused.content.decode() and Watch.objects.filter(user=reader).count() == 1
    edit(loire[0], system, capacity=12)
    edit(elsewhere, system, capacity=13)
    shown = client.get(reverse("web:watchlist")).content.decode()
    assert loire[0].name in shown and elsewhere.name not in shown and "Espace de coworking · Loire" in shown


def test_a_manager_follows_the_place_from_the_link(system):
    place = Place.objects.live().first()
    manager = make_user("gerant-suivi")
    moderation.link_manager(manager, place, system)
    assert services.watch_of(manager, place) is not None


def test_pages_and_unpublished_records(client, system):
    page, _ = rev.create(Page, {"title": "Suivre le wiki", "body": "Texte"}, system, "")
    hidden, _ = rev.create(Page, {"title": "En attente", "body": "Texte"}, make_user("debutant-suivi"), "")
    client.force_login(make_user("curieuse-suivi"))
    client.post(reverse("web:watch_follow"), {"type": "page", "key": page.slug})
    assert client.post(reverse("web:watch_follow"), {"type": "page", "key": hidden.slug}).status_code == 404
    assert client.post(reverse("web:watch_follow"), {"type": "nope", "key": "x"}).status_code == 404
    rev.edit(page, {"body": "Texte revu"}, system, "relu", page.current_revision_id)
    assert "Suivre le wiki" in client.get(reverse("web:watchlist")).content.decode()


def digest(frequency="weekly"):
    out = io.StringIO()
    call_command("watchlist", "digest", "--frequency", frequency, "--site-url", SITE, stdout=out)
    return out.getvalue()


def test_the_weekly_digest_mails_new_changes_once_with_a_one_click_unsubscribe(system):
    place = Place.objects.live().order_by("id").first()
    reader = make_user("abonnee-suivi")
    services.follow(reader, place)
    edit(place, system, capacity=44)
    assert digest().startswith("1 résumé(s) envoyé(s), 1 modification(s)")
    [sent] = mail.outbox
    assert sent.to == [reader.email] and place.name in sent.body and f"{SITE}{place.get_absolute_url()}" in sent.body
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = sent.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url.startswith(SITE) and unsubscribe_url.split("/", 3)[3] in sent.body
    assert digest().startswith("0 résumé(s)")  # not due again for a week
    prefs = Preferences.objects.get(user=reader)
    prefs.mailed_at = timezone.now() - datetime.timedelta(days=7)
    prefs.save()
    assert digest().startswith("0 résumé(s)") and len(mail.outbox) == 1  # due, but nothing new: no mail
    # One click from the mail client: a POST with no CSRF token.
    path = "/" + unsubscribe_url.split("/", 3)[3]
    mailer = Client(enforce_csrf_checks=True)
    assert "Ne plus recevoir de résumé" in mailer.get(path).content.decode()  # a link scanner's GET stops nothing
    assert Preferences.objects.get(user=reader).digest == "weekly"
    assert 'id="unsubscribed"' in mailer.post(path, {"List-Unsubscribe": "One-Click"}).content.decode()
    assert Preferences.objects.get(user=reader).digest == "none"
    assert mailer.post(path[:-5] + "xxxx/").status_code == 404  # a forged token


def test_the_digest_choice_and_a_daily_digest(client, system):
    place = Place.objects.live().order_by("id").first()
    reader = make_user("quotidienne-suivi")
    client.force_login(reader)
    client.post(reverse("web:watch_follow"), {"type": "place", "key": place.public_id})
    client.post(reverse("web:watchlist"), {"digest": "daily"})
    assert Preferences.objects.get(user=reader).digest == "daily"
    assert client.post(reverse("web:watchlist"), {"digest": "hourly"}, follow=True).status_code == 200
    assert Preferences.objects.get(user=reader).digest == "daily"
    edit(place, system, capacity=45)
    assert digest("weekly").startswith("0 résumé(s)")
    assert digest("daily").startswith("1 résumé(s)")


def test_follow_a_promise_and_hear_of_what_came_of_it(client, system):
    """A promise is followed from its page, with its outcomes and the actors' replies; so is a programme."""
    from tilios.policy import writing
    from tilios.policy.models import Programme, Promise

    promise = Promise.objects.published().filter(programme__isnull=False).order_by("id").first()
    reader = make_user("lectrice-promesses")
    client.force_login(reader)
    page = client.get(promise.get_absolute_url()).content.decode()
    assert 'id="watch-button"' in page and ">suivre<" in page
    response = client.post(reverse("web:watch_follow"), {"type": "promise", "key": str(promise.pk),
                                                         "next": promise.get_absolute_url()})
    assert response["Location"] == promise.get_absolute_url()
    assert ">ne plus suivre<" in client.get(promise.get_absolute_url()).content.decode()
    assert client.post(reverse("web:watch_follow"), {"type": "promise", "key": "999999"}).status_code == 404
    assert client.post(reverse("web:watch_follow"), {"type": "promesse", "key": str(promise.pk)}).status_code == 404
    client.get(reverse("web:watchlist"))  # seen: what follows is news

    outcome, _ = writing.create("outcomes", {
        "promise": promise.pk, "value": 12, "measured_on": "2024-06-30", "source_url": "https://example.org/bilan",
        "method": "comptage"}, system, "bilan")
    other = Promise.objects.published().exclude(pk=promise.pk).exclude(programme=promise.programme).first()
    writing.create("outcomes", {"promise": other.pk, "value": 1, "measured_on": "2024-06-30",
                                "source_url": "https://example.org/autre"}, system, "autre bilan")
    found, _cursor = services.unseen(reader)
    assert [(c.type, c.record_id) for c in found] == [("outcome", outcome.pk)]

    programme = Programme.objects.get(pk=promise.programme_id)
    follower = make_user("suivi-programme")
    client.force_login(follower)
    client.post(reverse("web:watch_follow"), {"type": "programme", "key": programme.slug})
    services.mark_seen(follower, services.unseen(follower)[1])
    writing.edit("outcomes", outcome.pk, {"value": 14}, system, "corrigé", outcome.current_revision_id)
    assert [c.record_id for c in services.unseen(follower)[0]] == [outcome.pk]
    listed = client.get(reverse("web:watchlist")).content.decode()
    assert html.escape(programme.name) in listed and programme.get_absolute_url() in listed


def test_a_private_atom_feed_of_the_watchlist(client, system):
    followed, other = Place.objects.live().order_by("id")[:2]
    reader = make_user("lectrice-flux")
    client.force_login(reader)
    client.post(reverse("web:watch_follow"), {"type": "place", "key": followed.public_id})
    edit(followed, system, capacity=44)
    edit(other, system, capacity=45)
    page = client.get(reverse("web:watchlist")).content.decode()
    feed_url = re.search(r'id="watch-feed"[^>]*>([^<]+)<', page).group(1)
    path = feed_url.removeprefix("http://testserver")

    reader_app = Client()  # a feed reader: no session
    feed = reader_app.get(path)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert html.escape(followed.name) in body and html.escape(other.name) not in body
    assert "lectrice-flux" in body
    assert reader_app.get(path.replace(".atom", "x.atom")).status_code == 404  # a forged token

    assert client.post(reverse("web:watch_atom_renew")).status_code == 302
    assert reader_app.get(path).status_code == 404  # the old address is retired
    renewed = re.search(r'id="watch-feed"[^>]*>([^<]+)<', client.get(reverse("web:watchlist")).content.decode())
    assert renewed.group(1) != feed_url and reader_app.get(renewed.group(1)).status_code == 200
    assert Client().post(reverse("web:watch_atom_renew")).status_code == 302  # to the login page, nothing renewed
    reader.is_active = False
    reader.save()
    assert reader_app.get(renewed.group(1)).status_code == 404
