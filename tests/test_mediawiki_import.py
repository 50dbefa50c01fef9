"""`tilios import mediawiki`: a Movilab-like wiki and real Wikipedia exports brought in with their history."""
import datetime
import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils.text import slugify
from people import make_user

from tilios.accounts.models import Role
from tilios.pages import mediawiki
from tilios.pages.models import ImportedRevision, Page
from tilios.revisions import services as rev
from tilios.revisions.models import Revision, Thread

DATA = Path(__file__).parent / "data" / "mediawiki"
pytestmark = pytest.mark.django_db


def run(name, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "mediawiki", str(DATA / name), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def history(slug):
    return list(rev.history(Page.objects.get(slug=slug)).order_by("number"))


def test_movilab_pages_come_with_their_full_history_and_imported_names():
    accounts = get_user_model().objects.count()
    out, err = run("movilab-2018.xml")
    page = Page.objects.get(slug="formation-animateur-de-tiers-lieux")
    revisions = history(page.slug)
    assert [r.number for r in revisions] == [1, 2, 3]
    assert [r.imported_author for r in revisions] == ["Yoann", "Laurent Marseault", "82.64.1.2"]
    assert [r.summary for r in revisions] == ["Création de la page", "Programme, fiche et tarifs", "coquille"]
    assert revisions[0].created_at == datetime.datetime(2018, 3, 5, 9, 12, tzinfo=datetime.timezone.utc)
    assert all(r.author is None and r.status == Revision.Status.ACCEPTED for r in revisions)
    assert revisions[2].parent == revisions[1] and page.current_revision == revisions[2]
    assert get_user_model().objects.count() == accounts  # names, not accounts
    body = page.body
    for expected in ("## Programme", "**Animateur de tiers-lieux**", "*Coopérative des tiers-lieux*",
                     "- Comprendre les [[Tiers-lieux]]\n- Animer une communauté\n    - Gouvernance ouverte\n\n1. Module 1 : les communs",
                     "| Public | Prix |", "| Salarié | 3 200 € |",
                     "[le site de la coopérative](https://coop.tierslieux.net)",
                     "<https://movilab.example/wiki/Accueil>", "> **{{Fiche formation}}**",
                     "> - organisme : Coopérative des tiers-lieux", "*[Fichier : Promo2018.jpg — La promotion 2018]*"):
        assert expected in body, expected
    assert sorted(c.name for c in page.categories.all()) == ["Coopérative des tiers-lieux", "Formation"]
    # the report names what was kept as is, and what was not imported
    assert "à revoir : Formation Animateur de tiers-lieux — modèle conservé tel quel : Fiche formation" in out
    assert "fichier non importé" in out
    assert "non importé : Modèle:Fiche formation" in err
    assert "non importé : Catégorie:Formation — texte de la catégorie non importé" in err
    assert "2 pages créées" in out and "5 révisions ajoutées" in out and "1 redirections" in out


def test_talk_page_becomes_threads_and_redirects_resolve(client):
    run("movilab-2018.xml")
    page = Page.objects.get(slug="formation-animateur-de-tiers-lieux")
    thread = Thread.objects.get(object_id=page.pk, title="Prix de la formation")
    assert thread.author is None and thread.imported_author == "Claire"
    question, answer = thread.messages.all()  # one message per signed comment, each by its signer
    assert question.imported_author == "Claire" and question.author is None and question.parent is None
    assert question.body.startswith("Le prix est-il le même pour les associations ?")
    assert answer.imported_author == "Laurent Marseault" and answer.parent == question
    assert answer.body.startswith("Oui, même tarif.")
    assert answer.created_at == datetime.datetime(2018, 3, 9, 9, 30, tzinfo=datetime.timezone.utc)

    response = client.get("/wiki/tiers-lieu/")
    assert response.status_code == 302 and response["Location"] == "/wiki/tiers-lieux/"
    html = client.get("/wiki/formation-animateur-de-tiers-lieux/").content.decode()
    assert 'class="wiki" href="/wiki/tiers-lieu/" rel="nofollow ugc noopener">en tiers-lieu</a>' in html  # a redirect is not a red link
    assert "<table>" in html and "<h2>Programme</h2>" in html
    assert "Laurent Marseault" in client.get("/wiki/formation-animateur-de-tiers-lieux/historique/").content.decode()
    talk = client.get("/wiki/formation-animateur-de-tiers-lieux/discussion/").content.decode()
    assert "Prix de la formation" in talk and "Claire" in talk and "nom importé du wiki" in talk
    thread_out = client.get(f"/api/pages/{page.slug}/talk").json()["threads"][0]
    assert thread_out["author"] == "Claire" and thread_out["messages"][0]["author"] == "Claire"
    assert "Formation Animateur de tiers-lieux" in client.get("/wiki/categorie/formation/").content.decode()


def test_reimporting_a_newer_dump_adds_only_the_new_revisions():
    run("movilab-2018.xml")
    out, _err = run("movilab-2019.xml")
    assert "1 pages créées, 1 mises à jour, 1 inchangées ; 2 révisions ajoutées, 7 déjà importées" in out
    revisions = history("formation-animateur-de-tiers-lieux")
    assert [r.number for r in revisions] == [1, 2, 3, 4] and revisions[3].imported_author == "Claire"
    assert "Session 2019 ouverte" in Page.objects.get(slug="formation-animateur-de-tiers-lieux").body
    page = Page.objects.get(slug="formation-animateur-de-tiers-lieux")
    prix = Thread.objects.get(object_id=page.pk, title="Prix de la formation")
    thanks = prix.messages.all()[2]
    assert thanks.body.startswith("Merci !") and thanks.imported_author == "Claire" and thanks.parent is not None
    assert Thread.objects.get(object_id=page.pk, title="Dates 2019").imported_author == "Claire"
    assert Page.objects.filter(slug=slugify("Movilab:À propos"), title="Movilab:À propos").exists()

    counts = Revision.objects.count(), Thread.objects.count(), ImportedRevision.objects.count()
    out, _err = run("movilab-2019.xml")
    assert (Revision.objects.count(), Thread.objects.count(), ImportedRevision.objects.count()) == counts
    assert "0 révisions ajoutées, 10 déjà importées" in out


def test_a_page_edited_on_tilios_is_not_overwritten_by_a_reimport():
    run("movilab-2018.xml")
    page = Page.objects.get(slug="formation-animateur-de-tiers-lieux")
    editor = make_user("relectrice", Role.TRUSTED)
    rev.edit(page, {"body": "Réécrite sur Tilios."}, editor, "mise à jour", base_revision=page.current_revision_id)
    _out, err = run("movilab-2019.xml")
    page.refresh_from_db()
    assert page.body == "Réécrite sur Tilios."
    assert "Formation Animateur de tiers-lieux — modifiée sur Tilios depuis le dernier import" in err


def test_a_broken_dump_changes_nothing(tmp_path):
    text = (DATA / "movilab-2018.xml").read_text()
    broken = tmp_path / "coupe.xml"
    broken.write_text(text[: text.index("<title>Discussion:")])  # cut after two pages were read
    before = Page.objects.count(), Revision.objects.count()
    with pytest.raises(CommandError, match="base inchangée"):
        call_command("import", "mediawiki", str(broken), stdout=io.StringIO())
    assert (Page.objects.count(), Revision.objects.count()) == before
    with pytest.raises(CommandError, match="impossible de lire"):
        call_command("import", "mediawiki", str(tmp_path / "absent.xml"), stdout=io.StringIO())


def test_dry_run_writes_nothing():
    out, _err = run("movilab-2018.xml", "--dry-run")
    assert out.splitlines()[-1].startswith("[essai, rien n'est écrit] wiki movilab_test : 2 pages créées")
    assert not Page.objects.filter(slug="tiers-lieux").exists()


def test_real_wikipedia_exports():
    summary = mediawiki.import_dump(DATA / "article-pear.xml")  # format 0.3, four revisions
    assert (summary.pages_created, summary.revisions_added) == (1, 4)
    revisions = history("pear")
    assert [r.imported_author for r in revisions] == ["Conversion script", "Quercusrobur", "Mav", "PierreAbbat"]
    assert "Pears are [[tree]]s of the [[genus]] *Pyrus*" in Page.objects.get(slug="pear").body
    summary = mediawiki.import_dump(DATA / "article-pyrus.xml.bz2")  # compressed; a redirect to Pear
    assert summary.redirects == 1

    Page.objects.filter(slug="pear").update(slug="pear-0-3")
    summary = mediawiki.import_dump(DATA / "article-pear-0.10.xml")  # format 0.10, today's wikitext
    body = Page.objects.get(slug="pear").body
    assert "## Etymology" in body and "## Références" in body
    assert "`{{convert|10|–|17|m|ft}}`" in body  # a template stays visible
    notes = summary.notes
    assert notes["modèle conservé tel quel : cite web"] == 14
    assert notes["fichier non importé (nom gardé)"] == 8
    assert notes["tableau complexe mis à plat (cellules l'une après l'autre)"] == 3


def test_scripts_in_wikitext_are_dropped_and_reported():
    from tilios.pages.wikitext import convert

    result = convert("Avant <script>alert('x')</script>après.")
    assert "alert" not in result.markdown and "Avant" in result.markdown and "après." in result.markdown
    assert result.notes == {"balise <script> retirée avec son contenu": 1}
