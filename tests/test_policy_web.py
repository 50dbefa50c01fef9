"""The policy archive's web pages (/politiques/), on the demo data and its policy seed."""
import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from people import make_user

from tilios.accounts.models import Role
from tilios.places.models import Place
from tilios.policy import services, writing
from tilios.policy.models import Announcement, Figure, Outcome, Programme, Promise
from tilios.policy.seed import archive
from tilios.revisions import services as rev
from tilios.revisions.models import Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
REPEAT_TEXT = ("D'ici 2022, l'État veut repérer 300 Fabriques de territoire, dont 150 fabriques dans les quartiers "
               "prioritaires et 150 hors des grands pôles urbains ; le programme est doté de 45 millions d’euros.")


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def french(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"


def text(response):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


@pytest.fixture
def datar():
    return Announcement.objects.get(programme__slug="datar-telecentres-2005")


@pytest.fixture
def repeat():
    announcement, _revision = rev.create(Announcement, {
        "made_on": "2020-02-03", "title": "Les fabriques de territoire", "text": REPEAT_TEXT,
        "source_url": "https://example.org/communique"}, make_user("archiviste", Role.TRUSTED), "nouvelle annonce")
    return announcement


def test_overview_and_nav(client):
    response = page(client, reverse("web:policy"))
    body = text(response)
    assert "Appel à projets télécentres de la DATAR" in body and "non tenue" in body
    assert 'href="/politiques/"' in response.content.decode()  # the site navigation links here
    assert "On juge les résultats, pas les intentions" in body
    assert "Content-Security-Policy" in response.headers and "<style" not in response.content.decode()


def test_announcement_page_shows_source_and_highlighted_figures(client, datar):
    response = page(client, reverse("web:announcement", args=[datar.pk]))
    content = response.content.decode()
    body = text(response)
    assert "1 janvier 2005" in body and "DATAR / DIACT" in body
    assert "Discussion:Mission Coworking" in body and 'href="https://movilab.org/wiki/' in content
    marks = re.findall(r'<mark class="fig fig-(\w+)"[^>]*>([^<]+)</mark>', content)
    assert ("count", "100 télécentres") in marks
    assert ("amount", "20 000 euros") in marks and ("deadline", "à l’horizon 2007") in marks
    assert "télécentres ouverts" in body and "non tenue" in body  # its promises, with their status
    assert "Aucune annonce antérieure ne dit la même chose." in body


def test_recycled_block_shows_the_earlier_announcement_with_shared_passages(client, repeat):
    original = Announcement.objects.get(title__startswith="300 Fabriques")
    response = page(client, reverse("web:announcement", args=[repeat.pk]))
    content = response.content.decode()
    assert "Annonces antérieures qui disent la même chose" in content
    block = content[content.index('id="recyclage"'):]
    assert reverse("web:announcement", args=[original.pk]) in block and html.escape(original.title) in block
    shared_figures = re.findall(r'<mark class="fig fig-\w+[^"]*shared-fig"[^>]*>([^<]+)</mark>', block)
    assert "300 Fabriques de territoire" in shared_figures and "45 millions d’euros" in shared_figures
    assert "mêmes chiffres" in text(response)
    # the earlier announcement does not list the later one as its source
    assert "Aucune annonce antérieure" in text(page(client, reverse("web:announcement", args=[original.pk])))
    # …and both form a recycled cluster
    clusters = text(page(client, reverse("web:policy_clusters")))
    assert "Les fabriques de territoire" in clusters and original.title in clusters


def test_trusted_users_correct_figures_others_cannot(client, datar):
    url = reverse("web:announcement_figure_add", args=[datar.pk])
    data = {"kind": "count", "value": "35", "unit": "télécentres", "text": "35 télécentres"}
    assert client.post(url, data).status_code == 302 and not datar.figures.filter(by_hand=True).exists()  # login
    as_user(client, make_user("contrib"))
    assert client.post(url, data).status_code == 403
    assert "Ajouter un chiffre à la main" not in text(page(client, reverse("web:announcement", args=[datar.pk])))
    as_user(client, make_user("confiance", Role.TRUSTED))
    assert "Ajouter un chiffre à la main" in text(page(client, reverse("web:announcement", args=[datar.pk])))
    assert client.post(url, data).status_code == 302
    figure = datar.figures.get(by_hand=True)
    assert (figure.kind, figure.value, figure.unit, figure.key) == ("count", 35, "télécentres", "count:35:télécentres")
    wrong = datar.figures.get(key="count:4:postes de travail")
    response = client.post(reverse("web:announcement_figure_remove", args=[datar.pk, wrong.pk]))
    assert response.status_code == 302 and not Figure.objects.filter(pk=wrong.pk).exists()
    assert client.post(url, {"kind": "nonsense", "value": "x"}).status_code == 302
    assert datar.figures.filter(by_hand=True).count() == 1


def test_contributor_adds_an_announcement_pending_and_sees_recycled_candidates(client):
    assert page(client, reverse("web:announcement_create"), 302)["Location"].startswith("/compte/connexion/")
    author = as_user(client, make_user("nouvelle"))
    form = page(author, reverse("web:announcement_create"))
    assert "relue par un contributeur de confiance" in text(form)
    government = form.context["form"].fields["actors"].queryset.get(name="Gouvernement (État)")
    response = author.post(reverse("web:announcement_create"), {
        "made_on": "2020-02-03", "title": "Les fabriques, encore", "text": REPEAT_TEXT, "actors": [government.pk],
        "programme": "nouveaux-lieux-nouveaux-liens", "source_url": "https://example.org/communique",
        "source_title": "Communiqué", "source_page": "2", "summary": "ajout"}, follow=True)
    assert response.status_code == 200
    created = Announcement.objects.get(title="Les fabriques, encore")
    assert not created.is_published and created.programme.slug == "nouveaux-lieux-nouveaux-liens"
    assert Revision.objects.filter(object_id=created.pk, content_type__model="announcement",
                                   status=Revision.Status.PENDING).exists()
    body = text(response)
    assert "attend la relecture" in body and "300 Fabriques de territoire d'ici 2022" in body
    assert "disent la même chose" in body and "Communiqué , page 2" in body
    # not public yet; the anonymous reader gets a 404, the public list does not show it
    assert Client().get(reverse("web:announcement", args=[created.pk])).status_code == 404
    assert "Les fabriques, encore" not in text(page(Client(), reverse("web:announcements")))


def test_trusted_contributor_publishes_at_once(client):
    as_user(client, make_user("confiance", Role.TRUSTED))
    response = client.post(reverse("web:announcement_create"), {
        "made_on": "2024-05-01", "title": "Une annonce sans précédent", "text": "La commune ouvre 2 fablabs.",
        "source_url": "https://example.org/a"})
    created = Announcement.objects.get(title="Une annonce sans précédent")
    assert response.status_code == 302 and created.is_published
    assert created.figures.filter(key="count:2:fablabs").exists()
    bad = client.post(reverse("web:announcement_create"), {"made_on": "pas une date", "title": "",
                                                           "text": "x", "source_url": "javascript:alert(1)"})
    assert bad.status_code == 400 and bad.content.decode().count("has-error") >= 3


def test_announcement_list_filters(client, datar):
    all_ = text(page(client, reverse("web:announcements")))
    newest = max(archive()["announcements"], key=lambda a: a["made_on"])
    assert newest["title"] in all_ and f"{len(archive()['announcements'])} annonces" in all_
    by_year = text(page(client, reverse("web:announcements") + "?year=2005"))
    assert "Objectif de 100 télécentres" in by_year and "Plan national" not in by_year
    actor = datar.actors.get()
    by_actor = text(page(client, reverse("web:announcements") + f"?actor={actor.pk}"))
    assert "Objectif de 100 télécentres" in by_actor and "Plan national" not in by_actor
    by_programme = text(page(client, reverse("web:announcements") + "?programme=nouveaux-lieux-nouveaux-liens"))
    assert "Nouvelle vague" in by_programme and "SRADDET" not in by_programme
    by_territory = text(page(client, reverse("web:announcements") + "?territory=93"))
    assert "SRADDET" in by_territory and "1 annonce" in by_territory
    assert "Provence-Alpes-Côte d'Azur" in by_territory  # the territory's name in the filter


def test_programme_page_chains_announcements_promises_outcomes_and_places(client):
    programme = Programme.objects.get(slug="nouveaux-lieux-nouveaux-liens")
    places = list(Place.objects.filter(departement_id="42", is_published=True).order_by("name")[:3])
    programme.places.set(places)
    response = page(client, reverse("web:programme", args=[programme.slug]))
    body, content = text(response), response.content.decode()
    assert "Fabriques de territoire labellisées" in body and "tenue" in body
    assert "82 nouvelles fabriques lauréates" in body
    for place in places:
        assert reverse("web:place", args=[place.public_id]) in content
    assert body.index("300 Fabriques de territoire") < body.index("Nouvelle vague")
    assert "Appel à projets télécentres de la DATAR" in text(page(client, reverse("web:programmes")))


def test_promises_list_with_status_filter_and_rule(client):
    body = text(page(client, reverse("web:promises")))
    assert "télécentres ouverts" in body and "Fabriques de territoire labellisées" in body
    assert str(services.STATUS_RULE) in body and "invérifiable" in body
    broken = text(page(client, reverse("web:promises") + "?status=broken"))
    assert "télécentres ouverts" in broken and "Fabriques de territoire labellisées" not in broken
    failures = services.past_failures()
    assert f"{len(failures)} promesse" in broken and "28" in broken  # the 2011 study's count
    by_actor = text(page(client, reverse("web:promises") + "?actor=DATAR"))
    assert "emplois accueillis" in by_actor and "Fabriques" not in by_actor


def test_promise_page_with_outcomes_and_registry_count(client):
    broken = Promise.objects.get(metric="télécentres ouverts")
    body = text(page(client, reverse("web:promise", args=[broken.pk])))
    assert "non tenue" in body and "Début 2011, 35 télécentres" in body and "31 décembre 2007" in body
    programme = Programme.objects.get(slug="nouveaux-lieux-nouveaux-liens")
    programme.places.set(Place.objects.filter(departement_id="42", is_published=True)[:4])
    counted = Promise.objects.create(announcement=programme.announcements.first(), programme=programme,
                                     metric="lieux du programme", target_value=4, unit="lieux",
                                     deadline="2022-12-31", count_from_registry=True)
    body = text(page(client, reverse("web:promise", args=[counted.pk])))
    assert "Compté d’après le registre Tilios" in body and "tenue" in body


def test_past_failures_lists_the_broken_promise_with_its_evidence(client):
    response = page(client, reverse("web:policy_failures"))
    body = text(response)
    assert "télécentres ouverts" in body and "Promis : 100 télécentres" in body
    assert "Début 2011, 35 télécentres" in body and "31 janvier 2011" in body
    assert 'href="https://movilab.org/wiki/' in response.content.decode()
    assert "Fabriques de territoire labellisées" not in body


def test_timelines_are_in_date_order(client):
    programme = Programme.objects.get(slug="nouveaux-lieux-nouveaux-liens")
    response = page(client, reverse("web:programme_timeline", args=[programme.slug]))
    dates = [e["date"] for e in response.context["events"]]
    kinds = [e["kind"] for e in response.context["events"]]
    assert dates == sorted(dates) and kinds[0] == "announcement" and {"outcome", "deadline"} <= set(kinds)
    assert kinds.count("announcement") == programme.announcements.count()
    body = text(response)
    assert body.index("17 juin 2019") < body.index("31 décembre 2021") < body.index("11 septembre 2023")
    territory = text(page(client, reverse("web:territory_timeline", args=["93"])))
    assert "SRADDET" in territory and "Objectif de 100 télécentres" not in territory
    everything = page(client, reverse("web:policy_timeline"))
    dates = [e["date"] for e in everything.context["events"]]
    assert dates == sorted(dates) and dates[0].year == 2000


def test_exports_parse(client):
    import csv
    import io

    promises = list(csv.DictReader(io.StringIO(page(client, "/api/policy/promises.csv").content.decode())))
    assert {r["status"] for r in promises} >= {"broken", "unverifiable", "kept", "kept_late"}
    announcements = list(csv.DictReader(io.StringIO(page(client, "/api/policy/announcements.csv").content.decode())))
    assert len(announcements) == len(archive()["announcements"]) and announcements[0]["made_on"] == "2000-07-10"
    links = page(client, reverse("web:promises")).content.decode()
    assert 'href="/api/policy/promises.csv"' in links and 'href="/api/policy/promises"' in links


def test_title_and_text_are_escaped(client):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    evil, _rev = rev.create(Announcement, {
        "made_on": "2026-11-01", "title": payload, "text": payload + " " + REPEAT_TEXT,
        "source_url": "https://example.org/x", "source_title": payload}, make_user("t", Role.TRUSTED), "")
    for url in (reverse("web:announcement", args=[evil.pk]), reverse("web:announcements"), reverse("web:policy"),
                reverse("web:policy_clusters"), reverse("web:policy_timeline")):
        content = page(client, url).content.decode()
        assert "<script>alert" not in content and "<img src=x" not in content, url
        assert "&lt;script&gt;" in content, url


def test_forms_need_their_csrf_token(datar):
    trusted = make_user("csrf", Role.TRUSTED)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(trusted)
    for url, data in ((reverse("web:announcement_create"), {"title": "x"}),
                      (reverse("web:announcement_figure_add", args=[datar.pk]), {"kind": "count", "value": "1"}),
                      (reverse("web:announcement_figure_remove", args=[datar.pk, datar.figures.first().pk]), {})):
        response = strict.post(url, data)
        assert response.status_code == 403 and "CSRF" in response.content.decode(), url
    form = strict.get(reverse("web:announcement_create")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = strict.post(reverse("web:announcement_create"), {
        "csrfmiddlewaretoken": token, "made_on": "2024-01-02", "title": "Avec jeton", "text": "Un texte.",
        "source_url": "https://example.org/j"})
    assert response.status_code == 302 and Announcement.objects.filter(title="Avec jeton").exists()


def test_a_citation_keeps_its_archived_copy(client):
    """A source may vanish: an announcement or an outcome names its copy in a web archive, and only there;
    without one, the page links to the Wayback Machine's copy nearest the date."""
    as_user(client, make_user("archiviste-web", Role.TRUSTED))
    base = {"made_on": "2019-06-17", "title": "Nouveaux lieux, nouveaux liens", "text": "110 millions d’euros.",
            "source_url": "https://www.cohesion-territoires.gouv.fr/nouveaux-lieux"}
    refused = client.post(reverse("web:announcement_create"), {**base, "archive_url": "https://spam.example/copie"})
    assert refused.status_code == 400 and "web.archive.org" in refused.content.decode()
    assert not Announcement.objects.filter(title=base["title"], made_on="2019-06-17").exists()
    copy = "https://web.archive.org/web/20190618000000/https://www.cohesion-territoires.gouv.fr/nouveaux-lieux"
    assert client.post(reverse("web:announcement_create"), {**base, "archive_url": copy}).status_code == 302
    created = Announcement.objects.get(title=base["title"], made_on="2019-06-17")
    assert created.archive_url == copy
    assert f'href="{copy}"' in page(client, created.get_absolute_url()).content.decode()

    datar = Announcement.objects.get(programme__slug="datar-telecentres-2005")
    lookup = f'href="https://web.archive.org/web/{datar.made_on:%Y%m%d}/{datar.source_url}"'
    assert lookup in page(client, datar.get_absolute_url()).content.decode()
    outcome = Outcome.objects.filter(is_published=True).first()
    with pytest.raises(ValidationError) as bad:
        writing.edit("outcomes", outcome.pk, {"archive_url": "https://example.org/copie"},
                     make_user("archiviste-resultats", Role.TRUSTED), "", outcome.current_revision_id)
    assert "archive_url" in bad.value.message_dict
    writing.edit("outcomes", outcome.pk, {"archive_url": "https://archive.ph/AbCd1"},
                 make_user("archiviste-resultats-2", Role.TRUSTED), "", outcome.current_revision_id)
    promise_page = page(client, outcome.promise.get_absolute_url()).content.decode()
    assert 'href="https://archive.ph/AbCd1"' in promise_page
    exported = client.get("/api/policy/announcements.csv").content.decode()
    assert copy in exported and "archive_url" in exported.splitlines()[0]
    assert client.get(f"/api/policy/announcements/{created.pk}").json()["source"]["archive_url"] == copy
