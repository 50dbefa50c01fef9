"""The archive's web forms: programmes, promises, outcomes and studies, replies, actors — added and edited
by people with the right role, checked field by field, pending for newcomers, conflicts shown, CSRF."""
import datetime

import pytest
from django.test import Client
from django.urls import reverse
from people import make_user

from tilios.accounts.models import Role
from tilios.policy.models import Actor, Outcome, Programme, Promise, Reply
from tilios.revisions import services as rev
from tilios.revisions.models import Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]


@pytest.fixture
def trusted(client):
    client.force_login(make_user("archiviste", Role.TRUSTED))
    return client


def add(type_name):
    return reverse("web:archive_add", args=[type_name])


def test_a_programme_with_its_actors_then_its_promise(trusted):
    caisse = Actor.objects.create(name="Caisse des Dépôts", kind="operator")
    form = trusted.get(add("programmes"))
    assert form.status_code == 200 and 'name="actors"' in form.content.decode()
    response = trusted.post(add("programmes"), {
        "slug": "cyber-bases", "name": "Cyber-bases", "kind": "programme", "started_on": "2000-06-01",
        "budget_eur": "30000000", "description": "Réseau d'espaces publics numériques.", "actors": [caisse.pk],
        "summary": "nouveau programme"})
    programme = Programme.objects.get(slug="cyber-bases")
    assert response.status_code == 302 and response["Location"] == programme.get_absolute_url()
    assert list(programme.actors.all()) == [caisse] and programme.current_revision.author.username == "archiviste"
    page = trusted.get(programme.get_absolute_url()).content.decode()
    assert f'{add("promises")}?programme=cyber-bases' in page
    # the promise form comes preselected with the programme
    form = trusted.get(add("promises"), {"programme": "cyber-bases"})
    assert f'<option value="{programme.pk}" selected>' in form.content.decode()


def test_fields_are_checked_one_by_one_and_nothing_is_written(trusted):
    before = Revision.objects.count()
    response = trusted.post(add("promises"), {"metric": "", "target_value": "beaucoup", "unit": "lieux",
                                              "deadline": "2022-13-01"})
    html = response.content.decode()
    assert response.status_code == 400 and html.count("has-error") >= 4
    assert Revision.objects.count() == before


def test_a_study_typed_as_lines_reaches_the_evaluation(trusted):
    promise = Promise.objects.get(metric="télécentres ouverts")
    form = trusted.get(add("outcomes"), {"promise": promise.pk}).content.decode()
    assert f'<option value="{promise.pk}" selected>' in form and "libellé ; nombre de lieux ; bande" in form
    bad = trusted.post(add("outcomes"), {"promise": promise.pk, "value": "12", "measured_on": "2013-01-31",
                                         "source_url": "https://example.org/etude",
                                         "distribution": "jamais utilisés ; 7 ; never\nune ligne sans nombre"})
    assert bad.status_code == 400 and "ligne 2" in bad.content.decode()
    bad = trusted.post(add("outcomes"), {"promise": promise.pk, "value": "12", "measured_on": "2013-01-31",
                                         "source_url": "https://example.org/etude",
                                         "distribution": "jamais utilisés ; 7 ; jamais utilisé"})
    assert bad.status_code == 400 and "code de bande" in bad.content.decode()
    response = trusted.post(add("outcomes"), {
        "promise": promise.pk, "value": "12", "measured_on": "2013-01-31", "source_url": "https://example.org/etude",
        "method": "enquête", "distribution": "jamais utilisés ; 7 ; never\nquelques habitués ; 5 ; regular_1_5"})
    outcome = Outcome.objects.get(measured_on=datetime.date(2013, 1, 31))
    assert response.status_code == 302 and response["Location"].endswith(f"#resultat-{outcome.pk}")
    assert outcome.distribution == [{"label": "jamais utilisés", "count": 7, "band": "never"},
                                    {"label": "quelques habitués", "count": 5, "band": "regular_1_5"}]
    page = trusted.get(reverse("web:promise", args=[promise.pk])).content.decode()
    assert "quelques habitués" in page and f'id="resultat-{outcome.pk}"' in page
    studies = trusted.get(reverse("web:programme_evaluation", args=["datar-telecentres-2005"]),
                          {"format": "json"}).json()["studies"]
    assert [s["places"] for s in studies] == [28, 12]
    # the edit form shows the groups as the lines they were typed as
    edit = trusted.get(reverse("web:archive_edit", args=["outcomes", outcome.pk])).content.decode()
    assert "jamais utilisés ; 7 ; never" in edit


def test_a_newcomers_reply_waits_for_review(client):
    promise = Promise.objects.get(metric="télécentres ouverts")
    actor = Actor.objects.get(name="DATAR / DIACT")
    client.force_login(make_user("attache-de-presse"))
    response = client.post(add("replies"), {"actor": actor.pk, "promise": promise.pk, "made_on": "2011-04-01",
                                            "text": "Le programme a été réorienté vers les ZRR."})
    reply = Reply.objects.get(text__startswith="Le programme a été réorienté")
    assert response.status_code == 302 and not reply.is_published
    assert reply.current_revision is None and Revision.objects.filter(status="pending").exists()
    page = Client().get(reverse("web:promise", args=[promise.pk])).content.decode()
    assert "réorienté" not in page
    both = client.post(add("replies"), {"actor": actor.pk, "promise": promise.pk,
                                        "outcome": promise.outcomes.first().pk, "made_on": "2011-04-01", "text": "x"})
    assert both.status_code == 400 and "un seul" in both.content.decode()


def test_a_stale_form_is_a_conflict_that_keeps_the_values(trusted):
    promise = Promise.objects.get(metric="télécentres ouverts")
    url = reverse("web:archive_edit", args=["promises", promise.pk])
    seen = promise.current_revision_id
    rev.edit(promise, {"unit": "centres"}, make_user("autre", Role.TRUSTED), "pendant ce temps", seen)
    response = trusted.post(url, {"announcement": promise.announcement_id, "metric": "télécentres ouverts",
                                  "target_value": "150", "unit": "télécentres", "deadline": "2007-12-31",
                                  "base_revision": seen})
    html = response.content.decode()
    assert response.status_code == 409 and "Conflit de modification" in html and 'value="150' in html
    promise.refresh_from_db()
    assert (promise.target_value, promise.unit) == (100, "centres")  # nothing overwritten
    fresh = trusted.post(url, {"announcement": promise.announcement_id, "metric": "télécentres ouverts",
                               "target_value": "150", "unit": "centres", "deadline": "2007-12-31",
                               "base_revision": promise.current_revision_id})
    promise.refresh_from_db()
    assert fresh.status_code == 302 and promise.target_value == 150


def test_unknown_types_and_records_are_404_and_posts_need_csrf(trusted):
    assert trusted.get(add("lieux")).status_code == 404
    assert trusted.get(reverse("web:archive_edit", args=["promises", "999999"])).status_code == 404
    assert trusted.get(reverse("web:archive_edit", args=["programmes", "inconnu"])).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("sans-jeton", Role.TRUSTED))
    response = strict.post(add("actors"), {"name": "Région Bretagne", "kind": "region"})
    assert response.status_code == 403 and not Actor.objects.filter(name="Région Bretagne").exists()


def test_text_typed_in_a_form_is_escaped_where_it_is_shown(trusted):
    payload = '<script>alert("x")</script>'
    promise = Promise.objects.get(metric="télécentres ouverts")
    trusted.post(add("outcomes"), {"promise": promise.pk, "value": "1", "measured_on": "2012-01-01",
                                   "source_url": "https://example.org/x", "note": payload,
                                   "distribution": f"{payload} ; 1"})
    for url in (reverse("web:promise", args=[promise.pk]),
                reverse("web:programme_evaluation", args=["datar-telecentres-2005"])):
        html = trusted.get(url).content.decode()
        assert "<script>alert" not in html and "&lt;script&gt;" in html, url
