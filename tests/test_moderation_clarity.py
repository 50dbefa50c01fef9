"""Moderation without surprises (#18 item 5): one's own proposals stack, conflicts speak in labels and
values, the author sees their pending edit, one numbering, a conflict with oneself says so; and the
Markdown shows place names, links bare addresses and drops images without a text alternative."""
import html
import re

import pytest
from django.urls import reverse
from people import make_user

from tilios.accounts.models import ApiToken, Role
from tilios.pages.markdown import render
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.revisions.models import Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]


@pytest.fixture
def place():
    return Place.objects.get(name="SICTIAM")


def text(response):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_a_second_proposal_by_the_same_person_replaces_the_first_and_keeps_its_changes(client, place):
    camille = make_user("camille")
    base = place.current_revision_id
    first = rev.edit(place, {"capacity": 20}, camille, "capacité", base)
    second = rev.edit(place, {"description": "Un espace ouvert."}, camille, "description", base)
    first.refresh_from_db()
    assert first.status == Revision.Status.REJECTED and "remplacée" in first.review_note
    assert second.replaces == [first.pk]
    assert second.diff["capacity"][1] == 20 and second.diff["description"][1] == "Un espace ouvert."
    assert list(rev.pending_queue().filter(object_id=place.pk)) == [second]
    # Someone else's proposal is not touched.
    other = rev.edit(place, {"capacity": 8}, make_user("sacha"), "", base)
    second.refresh_from_db()
    assert second.status == Revision.Status.PENDING and other.replaces == []

    # Through the web, the author is told.
    client.force_login(camille)
    form = client.get(reverse("web:place_edit", args=[place.public_id]))
    assert form.context["form"]["capacity"].value() == 20  # one goes on from one's own proposal
    assert "Vous reprenez votre proposition en attente" in text(form)
    data = {name: form.context["form"][name].value() for name in form.context["form"].fields}
    data = {k: ("" if v is None else v) for k, v in data.items() if not isinstance(v, bool) or v}
    data.update(name=place.name, capacity="22", summary="encore")
    response = client.post(reverse("web:place_edit", args=[place.public_id]), data, follow=True)
    assert "Votre proposition précédente, encore en attente, est remplacée par celle-ci" in text(response)
    second.refresh_from_db()
    assert second.status == Revision.Status.REJECTED
    latest = Revision.objects.filter(author=camille, status=Revision.Status.PENDING).get()
    assert latest.data["capacity"] == 22 and latest.data["description"] == "Un espace ouvert."


def test_api_answer_names_the_replaced_proposal(client, place):
    camille = make_user("camille")
    first = rev.edit(place, {"capacity": 20}, camille, "", place.current_revision_id)
    secret = ApiToken.issue(camille)
    response = client.patch(f"/api/places/{place.public_id}", {"changes": {"capacity": 21},
                                                                "base_revision": place.current_revision_id},
                            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 202, response.content
    assert response.json()["replaces"] == [first.pk]


def test_the_author_sees_their_pending_edit_on_the_page(client, place):
    camille = make_user("camille")
    rev.edit(place, {"capacity": 20}, camille, "capacité réelle", place.current_revision_id)
    client.force_login(camille)
    body = text(client.get(reverse("web:place", args=[place.public_id])))
    assert "Votre modification est en attente de relecture" in body and "capacité réelle" in body
    assert "20" in body
    client.force_login(make_user("passant"))
    assert "en attente de relecture" not in text(client.get(reverse("web:place", args=[place.public_id])))


def test_a_conflict_at_review_names_fields_by_label_with_the_real_before(client, place):
    base = place.current_revision_id
    proposal = rev.edit(place, {"capacity": 20}, make_user("camille"), "", base)
    rev.edit(place, {"capacity": 12}, make_user("dominique", Role.TRUSTED), "", base)
    reviewer = make_user("relectrice", Role.TRUSTED)
    client.force_login(reviewer)
    queue = client.get(reverse("web:moderation"))
    rows = {row["name"]: row for item in queue.context["items"] if item.pk == proposal.pk for row in item.rows}
    assert rows["capacity"]["before"] == "12"  # what is published now, not the state it was proposed on
    response = client.post(reverse("web:accept", args=[proposal.pk]), follow=True)
    message = text(response)
    assert "capacité (postes) : « 12 » publié depuis, « 20 » proposé" in message
    assert "(capacity)" not in message


def test_history_uses_one_numbering(client, place):
    rev.edit(place, {"capacity": 20}, make_user("camille"), "", place.current_revision_id)
    body = text(client.get(reverse("web:place_history", args=[place.public_id])))
    number = place.current_revision.number
    assert f"proposition sur r{number}" in body
    assert not re.search(r"#\d+", body)


def test_a_conflict_with_oneself_says_so(client, place):
    me = make_user("moi", Role.TRUSTED)
    client.force_login(me)
    form = client.get(reverse("web:place_edit", args=[place.public_id])).context["form"]
    data = {name: ("" if form[name].value() is None else form[name].value()) for name in form.fields}
    data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
    rev.edit(place, {"capacity": 7}, me, "autre onglet", place.current_revision_id)  # my other tab
    data.update(name=place.name, capacity="9")
    response = client.post(reverse("web:place_edit", args=[place.public_id]), data)
    assert response.status_code == 409
    body = text(response)
    assert "Vous avez vous-même publié la révision" in body and "Quelqu’un" not in body


def test_place_links_show_the_place_name(place):
    out = render(f"Voir [[lieu:{place.public_id}]] et [[lieu:{place.public_id}|ce lieu]] et [[lieu:inconnu]].")
    assert f'<a class="wiki-place" href="/lieux/{place.public_id}/"' in out
    assert f">{html.escape(place.name)}</a>" in out and ">ce lieu</a>" in out
    assert "/lieux/inconnu/" not in out and "lieu:inconnu" in out


def test_bare_addresses_become_links_but_not_in_code_or_links():
    out = render("Site : https://coop.tierslieux.net/formation. Code : `https://exemple.org` "
                 "et [déjà](https://deja.org).")
    assert '<a href="https://coop.tierslieux.net/formation" rel="nofollow ugc noopener">' in out
    assert "</a>. Code" in out  # the final full stop is not part of the address
    assert "<code>https://exemple.org</code>" in out
    assert out.count("https://deja.org") == 1


def test_images_without_a_text_alternative_are_dropped():
    out = render('![](https://exemple.org/a.png) ![Un atelier](https://exemple.org/b.png) <img src="c.png"> '
                 '<img alt="  " src="https://exemple.org/d.png">')
    assert "a.png" not in out and "c.png" not in out and "d.png" not in out
    assert '<img alt="Un atelier" src="https://exemple.org/b.png">' in out
