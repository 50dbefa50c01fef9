"""Joins made by an import are merges (#16 item 6): listed by `tilios review merges` and the API, undone by
reviewers only (the record gets its own place back), and a name a source replaces stays an alternate name
that search finds."""
import io
import json

import pytest
from directories import directory
from django.core.management import CommandError, call_command
from people import make_user

from tilios.accounts.models import ApiToken, Role
from tilios.places import queries, spatial
from tilios.places.models import Place
from tilios.revisions import services as revisions
from tilios.sources.models import FieldConflict, MatchCandidate, Merge, Source, SourceRecord
from tilios.sources.services import run_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]

CHATEAUROUX = dict(cp="36000", town="Châteauroux", insee="36044", address="12 rue Grande",
                   web="berrylab36.example.org")


def source(slug):
    return Source.objects.create(slug=slug, name=f"Annuaire {slug}", licence="CC BY 4.0", attribution=slug)


def place_of(slug, external_id):
    return SourceRecord.objects.get(source__slug=slug, external_id=external_id).place


def found(text):
    return set(queries.search(text, [], None).values_list("pk", flat=True))


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def joined(tmp_path):
    """« BerryLab 36 » known from one directory, then « BERRY LAB 36 » of another, equal priority, joins it."""
    source("annuaire-a")
    source("annuaire-b")
    run_import("cget", directory(tmp_path, "a", dict(id="a1", name="BerryLab 36", lat=46.8101, lon=1.6910,
                                                      **CHATEAUROUX)), source="annuaire-a")
    known = place_of("annuaire-a", "a1")
    summary = run_import("cget", directory(tmp_path, "b", dict(id="b1", name="BERRY LAB 36", lat=46.8102, lon=1.6911,
                                                                **CHATEAUROUX)), source="annuaire-b")
    assert (summary.created, summary.matched) == (0, 1)
    return known, Merge.objects.get(kept=known), summary.run


def test_a_join_is_a_merge_that_keeps_the_replaced_name_searchable(joined):
    known, join, import_run = joined
    known.refresh_from_db()
    assert place_of("annuaire-b", "b1") == known
    assert (known.name, known.alternate_names) == ("BERRY LAB 36", ["BerryLab 36"])
    assert known.pk in found("BerryLab 36") and known.pk in found("berry lab 36")
    assert join.by is None and join.run == import_run and join.merged.merged_into == known and join.score > 0.9
    assert join.records == [SourceRecord.objects.get(external_id="b1").pk]
    out = run("review", "merges", known.public_id)
    assert f"#{join.pk} " in out and "par import automatique ; en vigueur" in out, out
    listed = json.loads(run("review", "merges", "--format", "json"))
    assert next(m for m in listed if m["id"] == join.pk)["automatic"] is True


def test_undo_merge_by_cli_gives_the_record_its_own_place_back(joined):
    known, join, _run = joined
    make_user("cli-contrib")
    with pytest.raises(CommandError, match="refusé"):
        run("review", "undo-merge", str(join.pk), "--user", "cli-contrib")
    assert Merge.objects.get(pk=join.pk).undone_at is None
    make_user("cli-moderatrice", Role.MODERATOR)
    assert f"Fusion {join.pk} annulée" in run("review", "undo-merge", str(join.pk), "--user", "cli-moderatrice")
    known.refresh_from_db()
    own = place_of("annuaire-b", "b1")
    assert own != known and own.merged_into is None and own.name == "BERRY LAB 36"
    assert (known.name, known.alternate_names) == ("BerryLab 36", [])  # what the join brought is given back
    assert place_of("annuaire-a", "a1") == known
    pair = MatchCandidate.objects.get(place_a_id=min(own.pk, known.pk), place_b_id=max(own.pk, known.pk))
    assert pair.status == MatchCandidate.Status.DISTINCT
    assert "annulée le" in run("review", "merges", known.public_id)


def test_undo_merge_by_api_is_for_reviewers_only(client, joined):
    known, join, _run = joined
    url = f"/api/merges/{join.pk}/undo"

    def post(role=None):
        headers = {"Authorization": f"Bearer {ApiToken.issue(make_user(f'api-{role}', role))}"} if role else {}
        return client.post(url, "{}", content_type="application/json", headers=headers)

    listed = client.get(f"/api/places/{known.public_id}/merges").json()["results"]
    assert [(m["id"], m["automatic"], m["run"]) for m in listed] == [(join.pk, True, join.run_id)]
    assert post().status_code == 401
    assert post(Role.CONTRIBUTOR).status_code == 403
    assert Merge.objects.get(pk=join.pk).undone_at is None and place_of("annuaire-b", "b1") == known
    response = post(Role.TRUSTED)
    assert response.status_code == 200, response.content
    restored = response.json()["restored"]
    assert restored["name"] == "BERRY LAB 36" and place_of("annuaire-b", "b1").public_id == restored["id"]
    assert post(Role.MODERATOR).status_code == 409  # already undone


def test_an_equal_priority_reimport_keeps_the_old_name(tmp_path):
    source("annuaire-a")
    run_import("cget", directory(tmp_path, "v1", dict(id="a1", name="BerryLab 36", lat=46.8101, lon=1.6910,
                                                       **CHATEAUROUX)), source="annuaire-a")
    run_import("cget", directory(tmp_path, "v2", dict(id="a1", name="BERRY LAB 36", lat=46.8101, lon=1.6910,
                                                       **CHATEAUROUX)), source="annuaire-a")
    place = Place.objects.get(pk=place_of("annuaire-a", "a1").pk)
    assert (place.name, place.alternate_names) == ("BERRY LAB 36", ["BerryLab 36"])
    assert place.pk in found("BerryLab")


def _facts():
    from tilios.census.models import PlaceFact

    return sorted(PlaceFact.objects.values_list("place_id", "revision_id", "known_from", "known_to", "valid_from",
                                                "status", "kinds_mask", "n_sources", "commune_code"))


def test_an_import_builds_the_facts_of_what_it_joined_once_at_its_end_as_a_rebuild_would(tmp_path, joined):
    """An import's merges leave the census facts to the import's end: the kept place is counted from both
    sources, the place its record had for a moment is not counted, and nothing differs from a rebuild."""
    from tilios.census import facts

    known, join, _import_run = joined
    # Within one file: the second row joins the first, the third is another place.
    run_import("cget", directory(
        tmp_path, "c", dict(id="c1", name="Atelier Volta", lat=47.0810, lon=2.3990, cp="18000", town="Bourges",
                            insee="18033", address="3 rue Moyenne"),
        dict(id="c2", name="ATELIER VOLTA", lat=47.0811, lon=2.3991, cp="18000", town="Bourges", insee="18033",
             address="3 rue Moyenne"),
        dict(id="c3", name="Le Nœud Coworking", lat=47.0900, lon=2.4100, cp="18000", town="Bourges",
             insee="18033", address="8 avenue Jean Jaurès")), source="annuaire-a")
    volta = place_of("annuaire-a", "c1")
    assert place_of("annuaire-a", "c2") == volta
    kept = {place_id for place_id, *_ in _facts()}
    assert {known.pk, volta.pk, place_of("annuaire-a", "c3").pk} <= kept
    assert join.merged_id not in kept and not Merge.objects.filter(merged_id__in=kept).exists()
    assert max(n for *_, n, _c in [f for f in _facts() if f[0] == known.pk]) == 2
    after_import = _facts()
    facts.rebuild()
    assert _facts() == after_import


def test_a_joining_row_gets_its_own_place_created_as_a_redirect_in_one_revision(joined):
    """The place a joining row has for the record's sake is born merged: it is never a place of its own."""
    from tilios.revisions.services import history

    known, join, import_run = joined
    own = join.merged
    (revision,) = history(own)
    assert (revision.number, revision.kind, revision.source.slug) == (1, "import", "annuaire-b")
    assert revision.data["merged_into"] == known.public_id and revision.data["name"] == "BERRY LAB 36"
    assert "rapproché" in revision.summary
    assert join.merged_revision == revision and own.current_revision == revision
    known.refresh_from_db()
    assert join.kept_revision == known.current_revision and join.kept_revision.kind == "merge"
    assert set(join.kept_revision.diff) >= {"name", "alternate_names"}
    assert not own.records.exists() and join.records == [SourceRecord.objects.get(external_id="b1", place=known).pk]
    assert not MatchCandidate.objects.filter(place_a=own).exists() and not MatchCandidate.objects.filter(
        place_b=own).exists()


def test_joins_written_a_batch_at_a_time_follow_each_other_in_file_order(tmp_path, monkeypatch):
    """Joins wait in batches of JOINED_AT_ONCE: a row joining a row of a batch not yet written, or a place
    created later in the file, lands where it would one at a time."""
    from tilios.sources import services

    monkeypatch.setattr(services, "JOINED_AT_ONCE", 2)
    source("annuaire-a")
    source("annuaire-b")
    run_import("cget", directory(tmp_path, "a", dict(id="a1", name="BerryLab 36", lat=46.8101, lon=1.6910,
                                                      **CHATEAUROUX)), source="annuaire-a")
    known = place_of("annuaire-a", "a1")
    volta = dict(lat=47.0810, lon=2.3990, cp="18000", town="Bourges", insee="18033", address="3 rue Moyenne")
    summary = run_import("cget", directory(
        tmp_path, "b",
        dict(id="b1", name="BERRY LAB 36", lat=46.8102, lon=1.6911, **CHATEAUROUX),
        dict(id="b2", name="Berry Lab 36", lat=46.8101, lon=1.6911, **CHATEAUROUX),
        dict(id="b3", name="Atelier Volta", **volta),
        dict(id="b4", name="ATELIER VOLTA", **volta),
        dict(id="b5", name="Berrylab 36", lat=46.8102, lon=1.6910, **CHATEAUROUX)), source="annuaire-b")
    assert (summary.created, summary.matched, summary.rejected) == (1, 4, 0)
    assert place_of("annuaire-b", "b1") == place_of("annuaire-b", "b2") == place_of("annuaire-b", "b5") == known
    assert place_of("annuaire-b", "b4") == place_of("annuaire-b", "b3") != known
    joins = Merge.objects.filter(run=summary.run).order_by("pk")
    assert [SourceRecord.objects.get(pk=j.records[0]).external_id for j in joins] == ["b1", "b2", "b4", "b5"]
    assert all(j.merged.merged_into == j.kept and j.merged.records.count() == 0 for j in joins)
    # Equal priorities: the last row of the file names the place, the other spellings stay alternate names.
    known.refresh_from_db()
    assert (known.name, known.alternate_names) == ("Berrylab 36", ["Berry Lab 36"])


def test_a_row_whose_known_place_was_merged_meanwhile_keeps_a_place_of_its_own(tmp_path, monkeypatch):
    """A moderator merges the known place while the import runs (between its steps): the joining row does not
    become a redirect to a redirect, it gets a place of its own, to be matched again later."""
    from tilios.sources import resolution, writing

    source("annuaire-a")
    source("annuaire-b")
    run_import("cget", directory(
        tmp_path, "a", dict(id="a1", name="BerryLab 36", lat=46.8101, lon=1.6910, **CHATEAUROUX),
        dict(id="a2", name="Le Nœud Coworking", lat=47.0900, lon=2.4100, cp="18000", town="Bourges",
             insee="18033", address="8 avenue Jean Jaurès")), source="annuaire-a")
    known, other = place_of("annuaire-a", "a1"), place_of("annuaire-a", "a2")
    real = writing.create_joined

    def merged_meanwhile(joining, *args, **kwargs):
        if joining and not Merge.objects.filter(merged=known).exists():
            resolution.merge(other, known, make_user("moderatrice", Role.MODERATOR))
        return real(joining, *args, **kwargs)

    monkeypatch.setattr(writing, "create_joined", merged_meanwhile)
    summary = run_import("cget", directory(tmp_path, "b", dict(id="b1", name="BERRY LAB 36", lat=46.8102,
                                                                lon=1.6911, **CHATEAUROUX)), source="annuaire-b")
    assert (summary.created, summary.matched, summary.rejected) == (1, 0, 0)
    own = place_of("annuaire-b", "b1")
    assert own not in (known, other) and own.merged_into is None and own.name == "BERRY LAB 36"
    assert not Merge.objects.filter(run=summary.run).exists()


def test_a_record_kept_without_a_place_that_now_matches_a_known_place_joins_it_as_the_same_record(tmp_path):
    """A record whose place is gone (SET_NULL) is matched again when its source lists it anew; if it joins a
    known place, the record kept is the one that moves: no second record of the same id."""
    source("annuaire-a")
    source("annuaire-b")
    run_import("cget", directory(tmp_path, "a", dict(id="a1", name="BerryLab 36", lat=46.8101, lon=1.6910,
                                                      **CHATEAUROUX)), source="annuaire-a")
    known = place_of("annuaire-a", "a1")
    run_import("cget", directory(tmp_path, "b", dict(id="b1", name="Atelier du Breuil", lat=45.0434, lon=3.8855,
                                                      cp="43000", town="Le Puy-en-Velay", insee="43157")),
               source="annuaire-b")
    record = SourceRecord.objects.get(source__slug="annuaire-b", external_id="b1")
    SourceRecord.objects.filter(pk=record.pk).update(place=None)  # what deleting its place leaves
    summary = run_import("cget", directory(tmp_path, "b2", dict(id="b1", name="BERRY LAB 36", lat=46.8102,
                                                                 lon=1.6911, **CHATEAUROUX)), source="annuaire-b")
    assert (summary.created, summary.matched, summary.rejected) == (0, 1, 0)
    record.refresh_from_db()
    assert record.place == known and record.raw["NOM_TL"] == "BERRY LAB 36" and record.last_run == summary.run
    assert SourceRecord.objects.filter(source__slug="annuaire-b").count() == 1
    assert Merge.objects.get(kept=known).records == [record.pk]


def test_rows_joining_a_place_a_person_edited_queue_conflicts_and_read_each_other(tmp_path):
    """An import's joins read what they need of their known places a batch at a time: a person's edit still
    wins over the sources (each row queues its conflict), a second row joining the same place reads what the
    first wrote (equal priorities: the last row names it), and the kinds the sources give are joined."""
    source("annuaire-a")
    source("annuaire-b")
    run_import("cget", directory(tmp_path, "a", dict(id="a1", name="BerryLab 36", lat=46.8101, lon=1.6910,
                                                      **CHATEAUROUX)), source="annuaire-a")
    known = place_of("annuaire-a", "a1")
    revisions.edit(known, {"address": "14 rue Grande"}, make_user("modo", Role.MODERATOR), "numéro corrigé",
                   base_revision=known.current_revision_id)
    summary = run_import("cget", directory(
        tmp_path, "b",
        dict(id="b1", name="BERRY LAB 36", lat=46.8102, lon=1.6911, **CHATEAUROUX),
        dict(id="b2", name="Berry Lab 36", lat=46.8101, lon=1.6911, typo="Tiers lieux à dominante coworking",
             **CHATEAUROUX)), source="annuaire-b")
    assert (summary.created, summary.matched) == (0, 2)
    known.refresh_from_db()
    assert (known.name, known.address) == ("Berry Lab 36", "14 rue Grande")
    assert sorted(known.kinds.values_list("code", flat=True)) == ["coworking", "fablab"]  # the sources' kinds joined
    assert known.alternate_names == ["BerryLab 36"]  # « BERRY LAB 36 » is the same name
    conflicts = FieldConflict.objects.filter(place=known, status=FieldConflict.Status.PENDING)
    assert sorted((c.field, c.record.external_id, c.source_value) for c in conflicts) == [
        ("address", "b1", "12 rue Grande"), ("address", "b2", "12 rue Grande")]
    assert [m.kept_revision.number for m in Merge.objects.filter(run=summary.run).order_by("pk")] == [3, 4]


def test_joins_of_one_batch_write_what_changed_on_any_of_their_places_and_leave_the_rest_alone(tmp_path):
    """The kept places of a batch are written together, with only the columns that changed on one of them: a
    column that changed on the second place alone is written too, and a position no join moved keeps its
    R*Tree entry."""
    source("annuaire-a")
    source("annuaire-b")
    volta = dict(lat=47.0810, lon=2.3990, cp="18000", town="Bourges", insee="18033")
    run_import("cget", directory(
        tmp_path, "a", dict(id="a1", name="BerryLab 36", lat=46.8101, lon=1.6910, **CHATEAUROUX),
        dict(id="a2", name="Atelier Volta", **volta)), source="annuaire-a")
    berry, atelier = place_of("annuaire-a", "a1"), place_of("annuaire-a", "a2")
    assert atelier.address == "" and berry.address == "12 rue Grande"
    summary = run_import("cget", directory(
        tmp_path, "b", dict(id="b1", name="BERRY LAB 36", lat=46.8101, lon=1.6910, **CHATEAUROUX),
        dict(id="b2", name="ATELIER VOLTA", address="3 rue Moyenne", **volta)), source="annuaire-b")
    assert (summary.created, summary.matched) == (0, 2)
    berry_after, atelier_after = Place.objects.get(pk=berry.pk), Place.objects.get(pk=atelier.pk)
    assert (berry_after.name, berry_after.address, berry_after.latitude) == ("BERRY LAB 36", "12 rue Grande", 46.8101)
    assert (atelier_after.name, atelier_after.address) == ("ATELIER VOLTA", "3 rue Moyenne")
    assert berry_after.updated_at > berry.updated_at and atelier_after.updated_at > atelier.updated_at
    assert berry_after.current_revision.data["address"] == "12 rue Grande"
    assert atelier_after.current_revision.data["address"] == "3 rue Moyenne"
    for place in (berry_after, atelier_after):
        assert spatial.nearest(Place.objects.live(), place.latitude, place.longitude, k=1)[0].id == place.pk
