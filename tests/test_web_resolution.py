"""The review pages of entity resolution, on the demo base's own likely duplicates (the CGET base is loaded as
published, so its pairs wait in the queue): roles on every page and POST, merge → redirect → undo, split,
conflicts, provenance with a visible disagreement, CSRF and escaping."""

import pytest
from directories import directory
from django.test import Client
from django.urls import reverse
from people import make_user

from tilios.accounts.models import Role
from tilios.places.models import Place
from tilios.revisions import services as revisions
from tilios.sources import resolution
from tilios.sources.models import FieldConflict, MatchCandidate, Merge, Source, SourceRecord
from tilios.sources.services import run_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]
ROLES = ("anonymous", "contributor", "blocked", "trusted", "moderator")


@pytest.fixture
def users():
    return {"contributor": make_user("contributrice"), "blocked": make_user("bloquee", blocked=True),
            "trusted": make_user("confiance", Role.TRUSTED), "moderator": make_user("moderatrice", Role.MODERATOR)}


def client_as(users, role):
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    return client


def cordee():
    """« La Cordée » and « La Cordée à Morez »: one coworking listed twice by the CGET base, 17 m apart."""
    return MatchCandidate.objects.get(place_a__name__in=["La Cordée", "La Cordée à Morez"],
                                      place_b__name__in=["La Cordée", "La Cordée à Morez"],
                                      place_a__address__iexact="8 rue de l'industrie")


def conflict(tmp_path, moderator):
    Source.objects.create(slug="annuaire-a", name="Annuaire A", licence="CC BY 4.0", attribution="A")
    row = dict(id="1", name="Le Bocal Quinconce", lat=45.0, lon=5.0, address="1 rue A", cp="38000",
               town="Grenoble")
    run_import("cget", directory(tmp_path, "v1", row), source="annuaire-a")
    place = SourceRecord.objects.get(source__slug="annuaire-a").place
    revisions.edit(place, {"address": "3 rue B"}, moderator, "", base_revision=place.current_revision_id)
    run_import("cget", directory(tmp_path, "v2", {**row, "address": "7 rue C"}), source="annuaire-a")
    return FieldConflict.objects.get(place=place)


def test_the_demo_base_brings_its_own_likely_duplicates_to_review():
    pair = cordee()
    assert pair.status == MatchCandidate.Status.PENDING and pair.score > 0.99
    assert "même adresse" in pair.reasons


@pytest.mark.parametrize("role, expected", list(zip(ROLES, ("login", 403, 403, 200, 200))))
def test_review_pages_are_for_reviewers(users, role, expected, tmp_path):
    client = client_as(users, role)
    for name in ("web:review_duplicates", "web:review_conflicts", "web:review_closed"):
        response = client.get(reverse(name))
        if expected == "login":
            assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))
        else:
            assert response.status_code == expected, name
    if expected == 200:
        page = client.get(reverse("web:review_duplicates")).content.decode()
        assert "La Cordée à Morez" in page and "Même lieu" in page and "Lieux distincts" in page


@pytest.mark.parametrize("role, expected", list(zip(ROLES, ("login", 403, 403, "done", "done"))))
def test_deciding_a_pair_is_for_reviewers(users, role, expected):
    pair = cordee()
    response = client_as(users, role).post(reverse("web:review_decide", args=[pair.pk]), {"decision": "distinct"})
    pair.refresh_from_db()
    if expected == "login":
        assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))
    elif expected == 403:
        assert response.status_code == 403
    else:
        assert response.status_code == 302
    assert (pair.status == MatchCandidate.Status.DISTINCT) == (expected == "done")


@pytest.mark.parametrize("role, expected", list(zip(ROLES, ("login", 403, 403, "done", "done"))))
def test_merging_splitting_and_undoing_by_hand_are_for_reviewers(users, role, expected):
    pair = cordee()
    client = client_as(users, role)
    kept, other = pair.place_a, pair.place_b
    response = client.post(reverse("web:place_merge", args=[kept.public_id]), {"other": other.public_id})
    assert response.status_code == (403 if expected == 403 else 302)
    assert Merge.objects.filter(kept=kept, merged=other).exists() == (expected == "done")
    if expected != "done":
        merge = resolution.merge(kept, other, users["moderator"])
    else:
        merge = Merge.objects.get(kept=kept, merged=other)
    record = SourceRecord.objects.filter(place=kept).order_by("pk").last()
    response = client.post(reverse("web:place_split", args=[kept.public_id]), {"records": [record.pk]})
    assert response.status_code == (403 if expected == 403 else 302)
    assert (SourceRecord.objects.get(pk=record.pk).place_id != kept.pk) == (expected == "done")
    response = client.post(reverse("web:merge_undo", args=[merge.pk]))
    assert response.status_code == (403 if expected == 403 else 302)


def test_same_place_merges_redirects_and_undo_restores(users):
    pair = cordee()
    client = client_as(users, "moderator")
    response = client.post(reverse("web:review_decide", args=[pair.pk]), {"decision": "same"}, follow=True)
    assert "renvoie désormais vers" in response.content.decode()
    merge = Merge.objects.get(candidate=pair)
    gone = client.get(reverse("web:place", args=[merge.merged.public_id]), follow=True)
    assert gone.redirect_chain[0][0] == reverse("web:place", args=[merge.kept.public_id])
    assert "a été fusionné avec cette fiche" in gone.content.decode()
    api = client.get(f"/api/places/{merge.merged.public_id}")
    assert api.status_code == 301 and api["Location"].endswith(merge.kept.public_id)
    sources = client.get(reverse("web:place_provenance", args=[merge.kept.public_id])).content.decode()
    assert "fusionné ici" in sources and "Annuler la fusion" in sources
    assert not Place.objects.filter(pk=merge.merged.pk, merged_into=None).exists()
    response = client.post(reverse("web:merge_undo", args=[merge.pk]), follow=True)
    assert "a retrouvé sa fiche" in response.content.decode()
    assert client.get(reverse("web:place", args=[merge.merged.public_id])).status_code == 200
    pair.refresh_from_db()
    assert pair.status == MatchCandidate.Status.DISTINCT
    assert "Aucun doublon" not in client.get(reverse("web:review_duplicates")).content.decode()


@pytest.mark.parametrize("role, expected", list(zip(ROLES, ("login", 403, 403, "done", "done"))))
def test_resolving_a_conflict_is_for_reviewers(users, role, expected, tmp_path):
    found = conflict(tmp_path, users["moderator"])
    client = client_as(users, role)
    if expected == "done":
        page = client.get(reverse("web:review_conflicts")).content.decode()
        assert "7 rue C" in page and "3 rue B" in page and "Le Bocal Quinconce" in page
    response = client.post(reverse("web:review_conflict_resolve", args=[found.pk]), {"keep": "source"})
    found.refresh_from_db()
    found.place.refresh_from_db()
    assert (found.status == FieldConflict.Status.TAKEN) == (expected == "done")
    assert found.place.address == ("7 rue C" if expected == "done" else "3 rue B")
    if expected == 403:
        assert response.status_code == 403


def test_provenance_is_public_and_shows_who_gave_what_and_where_sources_disagree(tmp_path, users):
    Source.objects.create(slug="officiel", name="Annuaire officiel", licence="LO 2.0", attribution="o",
                          priority=80)
    Source.objects.create(slug="collaboratif", name="Carte collaborative", licence="ODbL", attribution="c",
                          priority=20)
    spot = dict(name="La Verrière Zinzoline", address="5 rue Haute", cp="22300", town="Lannion", insee="22113",
                web="zinzoline.example.org")
    run_import("cget", directory(tmp_path, "o", dict(id="o", lat=48.7300, lon=-3.4600, **spot)), source="officiel")
    run_import("cget", directory(tmp_path, "c", dict(id="c", lat=48.7480, lon=-3.4620, **spot)),
               source="collaboratif")
    place = SourceRecord.objects.get(source__slug="officiel").place
    page = Client().get(reverse("web:place_provenance", args=[place.public_id])).content.decode()
    assert "Annuaire officiel" in page and "Carte collaborative" in page
    assert "diffère" in page and "2,0 km" in page
    assert "1 champ où les sources divergent" in page
    assert "Séparer" not in page and "Fusionner" not in page  # the tools are for reviewers
    reviewer = client_as(users, "trusted").get(reverse("web:place_provenance", args=[place.public_id]))
    assert "Séparer les enregistrements cochés" in reviewer.content.decode()


def test_import_journal_shows_runs_and_rejected_lines(tmp_path):
    Source.objects.create(slug="annuaire-a", name="Annuaire A", licence="CC BY 4.0", attribution="A")
    run_import("cget", directory(tmp_path, "bad", dict(id="1", name="Lieu", lat=95, lon=5.0)), source="annuaire-a")
    page = Client().get(reverse("web:import_runs")).content.decode()
    assert "Annuaire A" in page and "ligne 2, champ LAT" in page


def test_decisions_need_the_csrf_token(users):
    pair = cordee()
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["moderator"])
    assert client.post(reverse("web:review_decide", args=[pair.pk]), {"decision": "same"}).status_code == 403
    assert client.post(reverse("web:place_merge", args=[pair.place_a.public_id]),
                       {"other": pair.place_b.public_id}).status_code == 403
    pair.refresh_from_db()
    assert pair.status == MatchCandidate.Status.PENDING and not Merge.objects.exists()


def test_names_from_sources_are_escaped_on_the_review_page(tmp_path, users):
    Source.objects.create(slug="annuaire-x", name="X", licence="CC BY 4.0", attribution="X")
    hostile = "<script>alert(1)</script> Atelier"
    run_import("cget", directory(
        tmp_path, "x",
        dict(id="1", name=hostile, lat=45.0, lon=5.0, address="1 rue A", cp="38000", town="Grenoble"),
        dict(id="2", name="Coworking Zébulon", lat=45.0, lon=5.0, address="1 rue A", cp="38000", town="Grenoble")),
        source="annuaire-x")
    page = client_as(users, "moderator").get(reverse("web:review_duplicates") + "?page=1").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert MatchCandidate.objects.filter(place_a__name=hostile).exists() or \
        MatchCandidate.objects.filter(place_b__name=hostile).exists()


def test_an_unknown_decision_changes_nothing(users):
    pair = cordee()
    response = client_as(users, "moderator").post(reverse("web:review_decide", args=[pair.pk]),
                                                  {"decision": "supprimer"}, follow=True)
    assert "Décision inconnue" in response.content.decode()
    pair.refresh_from_db()
    assert pair.status == MatchCandidate.Status.PENDING


def test_an_imports_proposals_skip_pairs_already_known_repeated_or_of_one_place():
    from tilios.sources.matching import Pair

    known = cordee()
    x, y, z = Place.objects.live().exclude(pk__in=[known.place_a_id, known.place_b_id]).order_by("pk")[:3]
    MatchCandidate.objects.filter(place_a__in=[x, y, z], place_b__in=[x, y, z]).delete()
    first, second = (Pair(None, None, score, "review", [reason], 12.0)
                     for score, reason in ((0.6, "même rue"), (0.4, "noms proches")))
    new = resolution.propose([(known.place_b_id, known.place_a_id, second), (y.pk, x.pk, first),
                              (x.pk, y.pk, second), (z.pk, z.pk, first), (x.pk, z.pk, second)])
    assert new == 2
    xy = MatchCandidate.objects.get(place_a=x, place_b=y)  # ordered by id, whatever the order given
    assert (xy.score, xy.reasons, xy.distance_m, xy.status) == (0.6, ["même rue"], 12.0, "pending")
    assert MatchCandidate.objects.get(place_a=x, place_b=z).score == 0.4
    assert MatchCandidate.objects.get(pk=known.pk).score == known.score
    assert not MatchCandidate.objects.filter(place_a=z, place_b=z).exists()
