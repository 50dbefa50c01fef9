"""Wiki governance through the web pages, end to end with the Django test client."""
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from people import PASSWORD, make_user

from tilios.accounts.models import Role
from tilios.pages.models import Category, Page
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.revisions.models import Message, ModerationAction, Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
User = get_user_model()


def as_user(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


@pytest.fixture
def place():
    return Place.objects.get(name="SICTIAM")


def text(response):
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def edit_form_data(client, place):
    """The edit form as a browser would send it back: every field with its current value."""
    response = client.get(reverse("web:place_edit", args=[place.public_id]))
    assert response.status_code == 200
    return form_values(response.context["form"])


def form_values(form):
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = value
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value) if not hasattr(value, "isoformat") else value.isoformat()
    return data


def test_signup_edit_pending_accept_history_compare_revert(client, place):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = client.get(reverse("web:signup"))
    assert response.status_code == 200 and 'class="hp"' in response.content.decode()
    response = client.post(reverse("web:signup"), {
        "username": "camille", "email": "camille@example.org", "password1": PASSWORD, "password2": PASSWORD,
        "website": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    camille = User.objects.get(username="camille")
    assert camille.profile.role == Role.CONTRIBUTOR

    # A new contributor's edit waits for review.
    data = edit_form_data(client, place)
    data.update(capacity="24", description="Un espace de coworking\nau cœur de Sophia.", summary="capacité")
    response = client.post(reverse("web:place_edit", args=[place.public_id]), data, follow=True)
    assert "attend la relecture" in text(response)
    pending = Revision.objects.get(author=camille)
    assert pending.status == "pending" and set(pending.diff) == {"capacity", "description"}
    place.refresh_from_db()
    assert place.capacity is None

    # A trusted contributor sees it in the queue, oldest first, with its diff, and accepts it.
    trusted = make_user("dominique", Role.TRUSTED)
    other = Place.objects.exclude(pk=place.pk).first()
    later = rev.edit(other, {"capacity": 3}, make_user("sacha"), "", other.current_revision_id)
    reviewer = as_user(client, trusted)  # same client: camille is logged out
    queue = reviewer.get(reverse("web:moderation"))
    body = queue.content.decode()
    assert queue.status_code == 200
    assert body.index(f'id="r{pending.pk}"') < body.index(f'id="r{later.pk}"')
    assert "Capacité (postes)" in body and "Un espace de coworking" in body
    response = reviewer.post(reverse("web:accept", args=[pending.pk]), {"note": "vérifié sur leur site"})
    assert response.status_code == 302
    place.refresh_from_db()
    assert place.capacity == 24
    assert ModerationAction.objects.filter(action="accept", revision=pending, actor=trusted).exists()

    # History shows both revisions with author/source, status and kind.
    response = client.get(reverse("web:place_history", args=[place.public_id]))
    body = text(response)
    assert response.status_code == 200
    assert "r1" in body and "r2" in body and "camille" in body and "capacité" in body
    assert "import" in body.lower() and "Mission Coworking" in body
    assert len(response.context["page_obj"]) == 2

    # Compare r1 and r2 field by field.
    r1 = Revision.objects.get(object_id=place.pk, number=1, content_type__model="place")
    r2 = place.current_revision
    response = client.get(reverse("web:place_compare", args=[place.public_id]), {"r": [r1.pk, r2.pk]})
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.context["rows"]}
    assert set(rows) == {"capacity", "description"}
    assert rows["capacity"]["before"] == "—" and rows["capacity"]["after"] == "24"
    assert ("+", "au cœur de Sophia.") in rows["description"]["lines"]
    assert '<td class="after">24</td>' in response.content.decode()

    # Revert to r1: live for the trusted contributor.
    response = client.post(reverse("web:place_revert", args=[place.public_id, r1.pk]),
                           {"base_revision": r2.pk, "summary": "retour"}, follow=True)
    assert "publiée" in text(response)
    place.refresh_from_db()
    assert place.capacity is None and place.current_revision.number == 3
    assert place.current_revision.kind == "revert"


def test_revert_by_contributor_is_pending(client, place):
    r1 = place.current_revision
    r2 = rev.edit(place, {"name": "VANDALE"}, make_user("v", Role.TRUSTED), "", r1.pk)
    as_user(client, make_user("alix"))
    client.post(reverse("web:place_revert", args=[place.public_id, r1.pk]), {"base_revision": r2.pk})
    place.refresh_from_db()
    assert place.name == "VANDALE"
    assert Revision.objects.filter(object_id=place.pk, kind="revert", status="pending").exists()


def test_edit_conflict_shows_conflicting_fields_and_keeps_my_values(client, place):
    me = as_user(client, make_user("moi", Role.TRUSTED))
    data = edit_form_data(me, place)
    # Someone else publishes meanwhile.
    rev.edit(place, {"capacity": 7, "opening_hours": "Mo-Fr 08:00-19:00"}, make_user("autre", Role.TRUSTED), "",
             place.current_revision_id)
    data.update(capacity="12", description="Ma description soignée")
    response = me.post(reverse("web:place_edit", args=[place.public_id]), data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Conflit de modification" in body
    rows = response.context["conflict"]["rows"]
    assert [r["label"] for r in rows] == ["capacité (postes)"]
    assert rows[0]["current"] == "7" and rows[0]["mine"] == "12"
    form = response.context["form"]
    assert form["capacity"].value() == 12 and form["description"].value() == "Ma description soignée"
    assert form["opening_hours"].value() == "Mo-Fr 08:00-19:00"  # theirs kept where I changed nothing
    place.refresh_from_db()
    assert form["base_revision"].value() == place.current_revision_id
    # Sending the re-shown form again goes through.
    data = form_values(form)
    response = me.post(reverse("web:place_edit", args=[place.public_id]), data)
    assert response.status_code == 302
    place.refresh_from_db()
    assert place.capacity == 12 and place.opening_hours == "Mo-Fr 08:00-19:00"


def test_create_place_pending_then_visible(client):
    author = as_user(client, make_user("creatrice"))
    response = author.get(reverse("web:place_create"))
    assert response.status_code == 200 and 'name="kinds"' in response.content.decode()
    response = author.post(reverse("web:place_create"), {
        "name": "La Fabrique du Coin", "kinds": ["fablab"], "presence": "physical", "mobility": "fixed",
        "status": "open", "latitude": "45.0", "longitude": "5.0", "links": "https://fabrique.example\n",
        "summary": "nouveau lieu"}, follow=True)
    assert response.status_code == 200 and "attend la relecture" in text(response)
    new = Place.objects.get(name="La Fabrique du Coin")
    assert not new.is_published and new.links == [{"kind": "web", "url": "https://fabrique.example"}]
    client.logout()
    assert client.get(new.get_absolute_url()).status_code == 404


def test_talk_thread_with_reply_tags_and_hidden_message(client, place):
    alice = as_user(client, make_user("alice"))
    url = reverse("web:place_new_thread", args=[place.public_id])
    response = alice.post(url, {"title": "Horaires d'été ?", "tag": "proposition",
                                "body": "Ouvrir **en août** ? Voir [[Charte des tiers-lieux]]"})
    assert response.status_code == 302
    from tilios.revisions.models import Thread

    thread = Thread.objects.get(title="Horaires d'été ?")
    first = thread.messages.get()
    response = alice.post(reverse("web:talk_reply", args=[thread.pk]), {"body": "Oui, sauf le 15.",
                                                                         "parent": first.pk})
    assert response.status_code == 302
    reply = Message.objects.get(body="Oui, sauf le 15.")
    assert reply.parent_id == first.pk
    alice.post(url, {"title": "Bail précaire", "tag": "risque", "body": "Le bail finit en 2027."})
    talk = reverse("web:place_talk", args=[place.public_id])
    body = alice.get(talk).content.decode()
    assert "<strong>en août</strong>" in body and "Bail précaire" in body
    assert 'class="wiki new"' in body  # link to a page that does not exist yet
    assert re.search(r'id="message-%d".*id="message-%d"' % (first.pk, reply.pk), body, re.S)
    filtered = alice.get(talk, {"etiquette": "risque"}).content.decode()
    assert "Bail précaire" in filtered and "Horaires d" not in filtered

    moderator = make_user("modo", Role.MODERATOR)
    as_user(client, moderator)
    assert client.post(reverse("web:talk_hide", args=[reply.pk]), {"reason": "hors sujet"}).status_code == 302
    body = client.get(talk).content.decode()
    assert "Oui, sauf le 15." in body and "masqué" in body  # moderators see it, marked
    client.logout()
    body = client.get(talk).content.decode()
    assert "Oui, sauf le 15." not in body and "Message masqué par un modérateur" in body


def test_wiki_page_with_links_and_category(client, place):
    writer = as_user(client, make_user("redactrice", Role.TRUSTED))
    response = writer.get(reverse("web:wiki"), {"titre": "Monter un fablab"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/wiki/monter-un-fablab/modifier/")
    response = writer.get(response.headers["Location"])
    assert response.status_code == 200 and 'value="Monter un fablab"' in response.content.decode()
    body = (f"Voir [[Charte des tiers-lieux|la charte]] et [[lieu:{place.public_id}]].\n\n"
            "[[Catégorie:Formation]]")
    response = writer.post(reverse("web:page_edit", args=["monter-un-fablab"]),
                           {"title": "Monter un fablab", "body": body, "summary": "première version"})
    assert response.status_code == 302
    page = Page.objects.get(slug="monter-un-fablab")
    assert page.is_published
    response = client.get(reverse("web:page", args=["monter-un-fablab"]))
    content = response.content.decode()
    assert 'class="wiki new" href="/wiki/charte-des-tiers-lieux/"' in content
    assert f'href="/lieux/{place.public_id}/"' in content
    assert "CC BY-SA 4.0" in content and "creativecommons.org/licenses/by-sa/4.0" in content
    for tab in ("lire", "modifier", "historique", "discussion"):
        assert f">{tab}</a>" in content
    # The red link leads to a create form.
    missing = client.get("/wiki/charte-des-tiers-lieux/")
    assert missing.status_code == 404 and "/wiki/charte-des-tiers-lieux/modifier/" in missing.content.decode()
    response = client.get("/wiki/charte-des-tiers-lieux/modifier/")
    assert response.status_code == 200 and "Créer une page" in response.content.decode()
    client.post("/wiki/charte-des-tiers-lieux/modifier/", {"title": "Charte des tiers-lieux",
                                                           "body": "Texte. [[Catégorie:Formation]]"})
    content = client.get(reverse("web:page", args=["monter-un-fablab"])).content.decode()
    assert 'class="wiki" href="/wiki/charte-des-tiers-lieux/"' in content
    category = Category.objects.get(slug="formation")
    content = client.get(reverse("web:category", args=["formation"])).content.decode()
    assert category.name in content and "Monter un fablab" in content and "Charte des tiers-lieux" in content
    assert "CC BY-SA 4.0" in content
    # Edit again, then history and compare on the page.
    page.refresh_from_db()
    client.post(reverse("web:page_edit", args=["monter-un-fablab"]),
                {"title": "Monter un fablab", "body": body + "\n\nDeuxième paragraphe.",
                 "base_revision": page.current_revision_id})
    history = client.get(reverse("web:page_history", args=["monter-un-fablab"]))
    assert len(history.context["page_obj"]) == 2 and "CC BY-SA 4.0" in history.content.decode()
    ids = [r.pk for r in history.context["page_obj"]]
    diff = client.get(reverse("web:page_compare", args=["monter-un-fablab"]), {"r": ids})
    assert diff.status_code == 200 and "Deuxième paragraphe." in diff.content.decode()
    assert client.get(reverse("web:page_talk", args=["monter-un-fablab"])).status_code == 200


def test_delete_account_keeps_revisions_under_a_pseudonym(client, place):
    user = make_user("partante", Role.TRUSTED)
    r = rev.edit(place, {"capacity": 4}, user, "ajout", place.current_revision_id)
    as_user(client, user)
    response = client.post(reverse("web:delete_account"), {"password": "faux"})
    assert response.status_code == 400
    response = client.post(reverse("web:delete_account"), {"password": PASSWORD}, follow=True)
    assert f"ancien-compte-{user.pk}" in text(response)
    r.refresh_from_db()
    assert r.author_id == user.pk
    history = client.get(reverse("web:place_history", args=[place.public_id])).content.decode()
    assert f"ancien-compte-{user.pk}" in history and "partante" not in history
    assert not client.login(username="partante", password=PASSWORD)
    assert client.get(reverse("web:account")).status_code == 302


def test_login_lockout_after_five_failures(client):
    make_user("cible")
    url = reverse("web:login")
    for _ in range(5):
        assert client.post(url, {"username": "cible", "password": "mauvais"}).status_code == 400
    response = client.post(url, {"username": "cible", "password": PASSWORD})
    assert response.status_code == 429 and "15 minutes" in text(response)
    assert "_auth_user_id" not in client.session
    cache.clear()
    response = client.post(url, {"username": "cible", "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_logout_is_a_post(client):
    as_user(client, make_user("sortante"))
    assert client.get(reverse("web:logout")).status_code == 405
    assert client.post(reverse("web:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link(client):
    from django.core import mail

    make_user("oublieuse")
    response = client.post(reverse("web:password_reset"), {"email": "oublieuse@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/compte/mot-de-passe/[^\s]+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200 and 'name="new_password1"' in response.content.decode()


def test_account_page_tokens_shown_once_and_revoked(client, place):
    user = make_user("api-user")
    rev.edit(place, {"capacity": 2}, user, "petite salle", place.current_revision_id)
    as_user(client, user)
    body = client.get(reverse("web:account")).content.decode()
    assert "SICTIAM" in body and "petite salle" in body
    response = client.post(reverse("web:token_create"), {"name": "mon script"})
    token = re.search(r'<code class="token">(tl_[^<]+)</code>', response.content.decode()).group(1)
    from tilios.accounts.services import user_for_token

    assert user_for_token(token) == user
    assert token not in client.get(reverse("web:account")).content.decode()
    token_id = user.api_tokens.get().pk
    client.post(reverse("web:token_revoke", args=[token_id]))
    assert user_for_token(token) is None


def test_moderator_user_tools_rollback_and_block_in_one_action(client):
    vandal = make_user("vandale", Role.TRUSTED)
    places = list(Place.objects.order_by("id")[:2])
    from django.utils import timezone

    since = timezone.localtime()
    for p in places:
        rev.edit(p, {"name": "SPAM"}, vandal, "", p.current_revision_id)
    moderator = as_user(client, make_user("modo", Role.MODERATOR))
    page = moderator.get(reverse("web:user_tools", args=[vandal.pk]))
    assert page.status_code == 200 and "SPAM" in page.content.decode()
    response = moderator.post(reverse("web:user_rollback", args=[vandal.pk]), {
        "since": since.strftime("%Y-%m-%dT%H:%M"), "block_days": "30", "reason": "vandalisme"}, follow=True)
    assert "2 contenu(s) rétabli(s)" in text(response)
    for p in places:
        p.refresh_from_db()
        assert p.name != "SPAM"
    vandal.profile.refresh_from_db()
    assert vandal.profile.is_blocked
    log = client.get(reverse("web:audit_log"))
    body = text(log)
    assert "vandalisme" in body and "modo" in body and "blocage" in body.lower()
    # Role change and place manager through the same page.
    helper = make_user("aide")
    moderator.post(reverse("web:user_role", args=[helper.pk]), {"role": "trusted", "reason": "fiable"})
    helper.profile.refresh_from_db()
    assert helper.profile.role == "trusted"
    moderator.post(reverse("web:user_manager", args=[helper.pk]), {"place": places[0].public_id})
    assert helper.managed_places.filter(place=places[0]).exists()
    moderator.post(reverse("web:user_unblock", args=[vandal.pk]), {"reason": "excuses"})
    vandal.profile.refresh_from_db()
    assert not vandal.profile.is_blocked


def test_protect_from_the_history_page(client, place):
    as_user(client, make_user("modo", Role.MODERATOR))
    client.post(reverse("web:place_protect", args=[place.public_id]), {"protected": "1", "reason": "guerre"})
    place.refresh_from_db()
    assert place.protected
    body = client.get(reverse("web:place", args=[place.public_id])).content.decode()
    assert "Contenu protégé" in body
    client.post(reverse("web:place_protect", args=[place.public_id]), {"protected": "", "reason": "calme"})
    place.refresh_from_db()
    assert not place.protected


def _thousand_revisions(place, author):
    """999 accepted revisions after the imported one, written in bulk but chained like real ones."""
    first = place.current_revision
    rows = []
    previous = first.data
    for n in range(2, 1001):
        data = {**previous, "capacity": n, "description": "\n".join(f"ligne {i}" for i in range(n % 7 + 1))}
        rows.append(Revision(content_type=first.content_type, object_id=place.pk, number=n, kind="edit",
                             status="accepted", author=author, summary=f"révision {n}", data=data,
                             diff=rev.diff(previous, data)))
        previous = data
    Revision.objects.bulk_create(rows, batch_size=500)
    chain = list(Revision.objects.filter(content_type=first.content_type, object_id=place.pk).order_by("number"))
    for parent, child in zip(chain, chain[1:]):
        child.parent = parent
    Revision.objects.bulk_update(chain[1:], ["parent"], batch_size=500)
    Place.objects.filter(pk=place.pk).update(current_revision=chain[-1], capacity=1000)
    return chain


def test_a_thousand_revisions_paginated_and_compared(client, place, django_assert_max_num_queries):
    chain = _thousand_revisions(place, make_user("prolifique", Role.TRUSTED))
    assert len(chain) == 1000 and chain[-1].parent_id == chain[-2].pk
    url = reverse("web:place_history", args=[place.public_id])
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200
    page = response.context["page_obj"]
    assert page.paginator.num_pages == 20 and len(page) == 50
    assert page[0].number == 1000
    body = response.content.decode()
    assert "1000 révisions" in body or "1 000 révisions" in body or "1\u202f000 révisions" in body
    last = client.get(url, {"page": 20})
    assert [r.number for r in last.context["page_obj"]][-1] == 1
    assert client.get(url, {"page": "abc"}).status_code == 200
    response = client.get(reverse("web:place_compare", args=[place.public_id]), {"r": [chain[0].pk, chain[-1].pk]})
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.context["rows"]}
    assert rows["capacity"]["before"] == "—" and rows["capacity"]["after"] == "1000"
    assert "description" in rows
    # A revision of another record cannot be compared here.
    other = Place.objects.exclude(pk=place.pk).first()
    bad = client.get(reverse("web:place_compare", args=[place.public_id]),
                     {"r": [chain[0].pk, other.current_revision_id]})
    assert bad.status_code == 400


def test_governance_pages_in_english(client, place):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Tiers-lieux wiki" in client.get(reverse("web:wiki")).content.decode()
    body = client.get(reverse("web:place_history", args=[place.public_id])).content.decode()
    assert "History of" in body and "Compare the ticked revisions" in body
    assert "Log in" in client.get(reverse("web:login")).content.decode()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert "Historique de" in client.get(reverse("web:place_history", args=[place.public_id])).content.decode()
