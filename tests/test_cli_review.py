"""`tilios review …` and `tilios sources`, on the scenarios of tests/review_scenarios.py (built by the real importer)."""
import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from people import make_user
from review_scenarios import conflicted_place, joined_place, load, pending_pair, place_of, row

from tilios.accounts.models import Role
from tilios.places.models import Place
from tilios.sources.models import FieldConflict, MatchCandidate, Merge, Source

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("analyzed_database", "review_sources")]


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def moderator():
    return make_user("cli-moderatrice", Role.MODERATOR)


def test_duplicates_prints_the_queue_with_places_sources_and_reasons(tmp_path):
    candidate, a, b = pending_pair(tmp_path)
    out = run("review", "duplicates", "--limit", "200")
    assert out.startswith(f"Doublons possibles : {MatchCandidate.objects.filter(status='pending').count()} à examiner")
    block = out.split(f"#{candidate.pk} ")[1].split("\n\n")[0]
    assert "à 2,5 km" in block and "à examiner" in block
    assert f"A  {a.public_id}  La Grange Zéphyr — 12 rue des Tilleuls, 36260 Sainte-Lizaigne  (47.00000, 2.00000)" \
           "  [essai-a:A1]" in block
    assert f"B  {b.public_id}  La Grange Zéphyr — 36260 Sainte-Lizaigne  (47.02250, 2.00000)  [essai-b:B1]" in block
    assert "raisons : " + " ; ".join(candidate.reasons) in block
    assert "tilios review decide ID same|distinct|later --user COMPTE" in out
    assert run("review", "duplicates", "--limit", "2").count("\n#") == 2
    listed = json.loads(run("review", "duplicates", "--limit", "200", "--format", "json"))
    mine = next(item for item in listed if item["id"] == candidate.pk)
    assert {p["id"] for p in mine["places"]} == {a.public_id, b.public_id} and mine["reasons"] == candidate.reasons
    with pytest.raises(CommandError, match="--limit"):
        run("review", "duplicates", "--limit", "0")


def test_decide_same_merges_and_undo_merge_restores(tmp_path, moderator):
    candidate, a, b = pending_pair(tmp_path)
    out = run("review", "decide", str(candidate.pk), "same", "--user", moderator.username)
    merge = Merge.objects.get(candidate=candidate)
    assert out.startswith(f"Fusion {merge.pk} : « La Grange Zéphyr » ({b.public_id}) renvoie désormais vers "
                          f"« La Grange Zéphyr » ({a.public_id})")
    assert f"tilios review undo-merge {merge.pk} --user cli-moderatrice" in out
    assert Place.objects.get(pk=b.pk).merged_into_id == a.pk
    assert sorted(a.records.values_list("external_id", flat=True)) == ["A1", "B1"]
    listed = run("review", "merges", b.public_id)
    assert listed.startswith(f"#{merge.pk} ") and "par cli-moderatrice ; en vigueur" in listed
    with pytest.raises(CommandError, match="déjà été tranchée"):
        run("review", "decide", str(candidate.pk), "distinct", "--user", moderator.username)

    out = run("review", "undo-merge", str(merge.pk), "--user", moderator.username)
    assert out.startswith(f"Fusion {merge.pk} annulée : « La Grange Zéphyr » ({b.public_id}) est de nouveau un lieu")
    b.refresh_from_db()
    assert b.merged_into_id is None and list(b.records.values_list("external_id", flat=True)) == ["B1"]
    assert MatchCandidate.objects.get(pk=candidate.pk).status == MatchCandidate.Status.DISTINCT
    assert "annulée le" in run("review", "merges", b.public_id)
    with pytest.raises(CommandError, match="déjà été annulée"):
        run("review", "undo-merge", str(merge.pk), "--user", moderator.username)


def test_decisions_need_a_known_account_allowed_to_review(tmp_path):
    candidate, _a, _b = pending_pair(tmp_path)
    make_user("cli-contrib")
    with pytest.raises(CommandError, match="refusé"):
        run("review", "decide", str(candidate.pk), "same", "--user", "cli-contrib")
    with pytest.raises(CommandError, match="compte inconnu"):
        run("review", "decide", str(candidate.pk), "same", "--user", "personne")
    with pytest.raises(CommandError, match="paire inconnue"):
        run("review", "decide", "999999", "same", "--user", "cli-contrib")
    with pytest.raises(CommandError):
        run("review", "decide", str(candidate.pk), "peut-être", "--user", "cli-contrib")
    with pytest.raises(CommandError):  # --user is required
        run("review", "decide", str(candidate.pk), "same")
    assert MatchCandidate.objects.get(pk=candidate.pk).status == MatchCandidate.Status.PENDING
    assert not Merge.objects.exists()


def test_distinct_and_later_are_remembered(tmp_path, moderator):
    candidate, _a, b = pending_pair(tmp_path)
    assert run("review", "decide", str(candidate.pk), "later", "--user", moderator.username).startswith(
        f"Paire {candidate.pk} remise à plus tard")
    out = run("review", "duplicates", "--status", "later")
    assert out.startswith("Doublons possibles : 1 à examiner (dont 1 remis à plus tard)") and "plus tard" in out
    assert "ne sera plus proposée" in run("review", "decide", str(candidate.pk), "distinct", "--user",
                                          moderator.username)
    again = load(tmp_path, "essai-b", row("B2", "La Grange Zéphyr", lat=47.0225, address=""), name="b2.csv")
    assert (again.matched, again.review_items) == (1, 0) and place_of("B2") == b
    assert f"#{candidate.pk} " not in run("review", "duplicates", "--limit", "200")
    assert run("review", "duplicates", "--status", "later") == "Aucun doublon possible à examiner.\n"


def test_conflicts_are_listed_and_resolved(tmp_path, moderator):
    trusted = make_user("cli-confiance", Role.TRUSTED)
    place, conflict = conflicted_place(tmp_path, trusted)
    out = run("review", "conflicts")
    assert out.startswith("Conflits avec des modifications humaines : 1 :")
    assert f"#{conflict.pk}  {place.public_id}  La Fabrique des Possibles — adresse" in out
    assert "actuelle : 3 place du Marché  (modifiée par cli-confiance, révision 2)" in out
    assert "source   : 5 rue Neuve  (Annuaire C, enregistrement C5)" in out
    out = run("review", "resolve", str(conflict.pk), "source", "--user", moderator.username)
    assert out == (f"Conflit {conflict.pk} tranché (valeur de la source reprise) : address de {place.public_id} = "
                   "5 rue Neuve\n")
    assert Place.objects.get(pk=place.pk).address == "5 rue Neuve"
    assert FieldConflict.objects.get(pk=conflict.pk).decided_by == moderator
    assert run("review", "conflicts") == "Aucun conflit avec une modification humaine.\n"
    with pytest.raises(CommandError, match="déjà été tranché"):
        run("review", "resolve", str(conflict.pk), "current", "--user", moderator.username)


def test_possibly_closed_lists_what_a_source_stopped_listing(tmp_path):
    load(tmp_path, "essai-a", row("A1", "La Grange Zéphyr"),
         row("A2", "Atelier du Moulin", lat=47.04, lon=1.95, web="moulin.fr", address="1 chemin du Moulin"))
    load(tmp_path, "essai-a", row("A2", "Atelier du Moulin", lat=47.04, lon=1.95, web="moulin.fr",
                                  address="1 chemin du Moulin"))
    out = run("review", "possibly-closed", "--limit", "200")
    assert f"{place_of('A1').public_id}  La Grange Zéphyr  — absent de essai-a (enregistrement A1)" in out
    assert "Atelier du Moulin" not in out


def test_sources_lists_licences_records_and_priorities_and_sets_a_priority(tmp_path):
    joined_place(tmp_path)
    lines = run("sources").splitlines()
    assert lines[0].split() == ["source", "priorité", "enregistrements", "licence"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert list(rows)[0] == "essai-b"  # highest priority first
    assert rows["essai-b"][1:4] == ["60", "1", "CC"] and rows["cget-mission-coworking-2019"][1:3] == ["50", "1512"]
    assert "Licence Ouverte 2.0" in " ".join(rows["cget-mission-coworking-2019"])
    out = run("sources", "--priority", "essai-a", "90")
    assert out.startswith("Priorité de essai-a : 50 → 90.")
    assert Source.objects.get(slug="essai-a").priority == 90
    listed = {s["slug"]: s for s in json.loads(run("sources", "--format", "json"))}
    assert listed["essai-a"]["priority"] == 90 and listed["essai-a"]["records"] == 1
    for bad, message in ((("essai-a", "-1"), "entre 0 et 1000"), (("essai-a", "beaucoup"), "entier"),
                         (("essai-a", "1001"), "entre 0 et 1000"), (("inconnue", "5"), "source inconnue")):
        with pytest.raises(CommandError, match=message):
            run("sources", "--priority", *bad)
    assert Source.objects.get(slug="essai-a").priority == 90


def test_the_console_script_reaches_both_commands():
    for command in ("review", "sources"):
        result = subprocess.run([sys.executable, "-m", "tilios", command, "--help"], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        assert ("doublons" if command == "review" else "priorité") in result.stdout
