"""English pages hold no French outside user content.

Content written by people (place names, wiki text, the policy archive's quotations) stays in the
language it was written in; the page marks it with `lang="fr"` (WCAG 3.1.2, language of parts), so a
screen reader reads it with French pronunciation. Everything else on a page served in English —
labels, messages, and the data labels that ship with Tilios (kinds, census definitions, breakdown
levels, band names) — must be English. The detector flags French function words and accented words;
proper names of territories are taken out first.
"""
import datetime
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from people import make_user

from tilios.accounts.models import Role
from tilios.media.models import MediaFile
from tilios.pages.models import Category, Page, Training
from tilios.places.models import Place
from tilios.policy import models as policy
from tilios.revisions import services as rev
from tilios.revisions import talk
from tilios.revisions.models import Message, Revision, Thread
from tilios.sources import matching
from tilios.sources.models import Source
from tilios.sources.presenters import shown_reason
from tilios.territories.models import Commune, Departement, Epci, Region

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]

# Words that are French and never English, and accented words an English page may hold.
FRENCH = set("""le la les des du une et est sont pour avec dans sur aucun aucune lieu lieux voir
    ou au aux ce cette ces qui que par pas tous toutes été être mois année depuis entre selon nouveau
    nouvelle modifier rechercher suivant précédent page-suivante connexion inscription compte""".split())
ACCENTED = re.compile(r"[àâçéèêëîïôûùüÿœæ]", re.I)
# French administrative terms English texts keep as they are (« the départements of a région »).
ENGLISH_WITH_ACCENTS = {"département", "départements", "région", "régions", "métropole", "métropoles", "café"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
CONTENT_FIELDS = {
    Place: ["name", "address", "town", "description", "prices"], Region: ["name"], Departement: ["name"],
    Epci: ["name"], Commune: ["name"], Source: ["name", "publisher", "licence", "attribution", "description"],
    policy.Actor: ["name"], policy.Programme: ["name", "description"], policy.Announcement: ["title", "text", "source_title"],
    policy.Promise: ["metric", "unit", "quote"], policy.Outcome: ["method", "note"], policy.Figure: ["text"],
    Page: ["title"], Category: ["name"], Training: ["title", "provider", "duration", "price", "audience"],
    MediaFile: ["name", "alt", "caption", "credit"], Revision: ["summary"], Thread: ["title"],
    Message: ["body"], get_user_model(): ["username"]}


class EnglishText(HTMLParser):
    """The text an English reader is shown: outside scripts and outside elements marked in another language."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.pieces = [], []

    def _outside(self):
        return not any(self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        foreign = (tag in {"script", "style"} or attrs.get("translate") == "no"
                   or (lang is not None and not lang.startswith("en")))
        if self._outside() and not foreign:
            self.pieces += [attrs[name] for name in SHOWN_ATTRIBUTES if attrs.get(name)]
        if tag not in VOID:
            self.stack.append(foreign)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self._outside() and data.strip():
            self.pieces.append(data)


class UserContent:
    """Text people wrote, as stored: names, addresses, titles, descriptions, territory names. A French word
    is excused when it belongs to such a value shown whole on the page."""

    def __init__(self):
        self.by_word = {}
        for model, fields in CONTENT_FIELDS.items():
            for row in model.objects.values_list(*fields):
                for value in row:
                    value = " ".join((value or "").split())
                    for word in words(value):
                        self.by_word.setdefault(word, set()).add(value)

    def excuses(self, word, text):
        return any(value in text for value in self.by_word.get(word, ()))


def words(text):
    return {w.strip("'’-").lower() for w in re.findall(r"[\w'’-]+", text)} - {""}


def is_french(word):
    return word in FRENCH or (ACCENTED.search(word) and word not in ENGLISH_WITH_ACCENTS)


def french_left(body, content):
    parser = EnglishText()
    parser.feed(body)
    found = []
    for piece in parser.pieces:
        text = " ".join(piece.split())
        if any(is_french(w) and not content.excuses(w, text) for w in words(text)):
            found.append(text)
    return found


@pytest.fixture
def world(client):
    """A moderator reading in English; a place with a pending edit and a talk thread, a wiki page, a training."""
    moderator = make_user("moderatrice", Role.MODERATOR)
    place = Place.objects.live().filter(commune__code="42218").order_by("id").first()
    rev.edit(place, {"capacity": 12}, make_user("nouvelle"), "capacité", base_revision=place.current_revision_id)
    talk.start_thread(place, moderator, "Horaires d’été", "proposition", "Ouvert en août ?")
    page, _ = rev.create(Page, {"title": "Ouvrir un tiers-lieu", "body": f"Voir [[lieu:{place.public_id}]]."},
                         moderator, "nouvelle page")
    training, _ = rev.create(Training, {
        "title": "Animer un tiers-lieu", "provider": "Coopérative Tiers-Lieux", "format": "remote",
        "starts_on": (timezone.localdate() + datetime.timedelta(days=10)).isoformat(), "duration": "2 jours",
        "price": "450 €", "audience": "animateurs"}, moderator, "")
    client.force_login(moderator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return {"place": place, "page": page, "training": training, "moderator": moderator,
            "programme": policy.Programme.objects.order_by("id").first(),
            "promise": policy.Promise.objects.order_by("id").first(),
            "announcement": policy.Announcement.objects.order_by("id").first()}


def pages(world):
    place, programme = world["place"].public_id, world["programme"].slug
    yield from ["/", "/?q=coworking", "/?near=45.4397,4.3872", "/?kind=fablab&region=84", "/sources/", "/donnees/",
                "/recensement/", "/recensement/?by=kind", "/recensement/?by=population", "/recensement/?by=metropole",
                "/recensement/?by=presence", "/recensement/expliquer/", "/recensement/estimation/", "/wiki/",
                f"/wiki/{world['page'].slug}/", f"/wiki/{world['page'].slug}/historique/", "/modifications/",
                "/formations/", f"/formations/{world['training'].slug}/", "/fichiers/", "/fichiers/envoyer/",
                "/moderation/", "/moderation/comptes/", f"/moderation/comptes/{world['moderator'].pk}/", "/journal/",
                "/revue/doublons/", "/revue/conflits/", "/revue/fermetures/", "/revue/localisations/",
                "/revue/horaires/", "/revue/valeurs/", "/revue/signalements/", "/politiques/",
                "/politiques/annonces/", f"/politiques/annonces/{world['announcement'].pk}/",
                "/politiques/programmes/", f"/politiques/programmes/{programme}/",
                f"/politiques/programmes/{programme}/chronologie/",
                f"/politiques/programmes/{programme}/evaluation/", "/politiques/promesses/",
                f"/politiques/promesses/{world['promise'].pk}/", "/politiques/evaluation/",
                "/politiques/evaluation/tous-les-lieux/", "/politiques/echecs/", "/politiques/chronologie/",
                "/politiques/recyclage/", "/compte/", "/suivi/", "/embed/", "/formations/nouvelle/",
                "/lieux/nouveau/", "/sources/imports/", "/activite/import/"]
    for suffix in ["", "historique/", "discussion/", "sources/", "modifier/", "signaler/", "activite/",
                   "activite/declarer/"]:
        yield f"/lieux/{place}/{suffix}"


def french_on(client, urls, content, served_in="en"):
    """French text of pages, read as if they were English (so a French page shows the detector at work)."""
    found = []
    for url in urls:
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 200, (url, response.status_code)
        assert f'<html lang="{served_in}">' in body, url
        body = body.replace(f'<html lang="{served_in}">', '<html lang="en">')
        found += [f"{url}: {piece[:160]}" for piece in dict.fromkeys(french_left(body, content))]
    return found


def test_english_pages_hold_no_french_outside_user_content(client, world):
    found = french_on(client, pages(world), UserContent())
    assert not found, "French left in English pages:\n" + "\n".join(found)


def test_signed_out_pages_too(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    found = french_on(client, ["/", "/compte/connexion/", "/compte/inscription/", "/compte/mot-de-passe/",
                               "/wiki/", "/formations/", "/politiques/"], UserContent())
    assert not found, "\n".join(found)
    missing = client.get("/lieux/inconnu/")
    assert missing.status_code == 404 and not french_left(missing.content.decode(), UserContent())


def test_the_detector_sees_french_and_spares_marked_content(client, world):
    content = UserContent()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert len(french_on(client, ["/", "/recensement/"], content, served_in="fr")) > 10
    assert french_left('<p>Les lieux</p><p title="Voir la carte">Map</p>', content) == ["Les lieux", "Voir la carte"]
    assert french_left('<div lang="fr"><p>Les lieux <b>du</b> réseau</p></div><p>Places</p>', content) == []
    assert french_left('<code translate="no">lieux.csv</code><script>var a = "le lieu";</script>', content) == []
    place = world["place"]
    assert french_left(f"<a>{place.name}</a> in the départements", content) == []


def test_every_pairing_reason_reads_in_english():
    """Reasons are stored in French as the matcher formats them and found back to be shown in English."""
    content = UserContent.__new__(UserContent)
    content.by_word = {}
    for template in matching.REASONS.values():
        stored = template % tuple(42 if kind == "%d" else "cordee" for kind in re.findall(r"%[sd]", template))
        with translation.override("en"):
            shown = shown_reason(stored)
        assert shown != stored and not french_left(f"<p>{shown}</p>", content), (stored, shown)
    assert shown_reason("une raison d’une ancienne version") == "une raison d’une ancienne version"
