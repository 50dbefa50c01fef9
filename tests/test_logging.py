"""Imports, merges and moderation say what they did in the logs; services never print nor draw a bar."""
import logging

import pytest
from directories import directory
from people import make_user

from tilios.accounts.models import Role
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.sources.models import Source, SourceRecord
from tilios.sources.services import run_import

pytestmark = pytest.mark.django_db


def test_an_import_and_its_merge_are_logged_and_print_nothing(tmp_path, caplog, capsys):
    Source.objects.create(slug="annuaire-log", name="Annuaire", licence="CC BY 4.0", attribution="annuaire")
    row = dict(name="Fablab Kerzébulon Lannion", lat=48.7308, lon=-3.4616, web="kerzebulon.example.org")
    run_import("cget", directory(tmp_path, "a", dict(id="a1", **row)), source="annuaire-log")
    with caplog.at_level(logging.INFO, logger="tilios"):
        summary = run_import("cget", directory(tmp_path, "b", dict(id="a1", **row), dict(id="a2", **row)),
                             source="annuaire-log")
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records]
    assert f"import cget of annuaire-log (run {summary.run.pk}): 2 rows" in " ".join(messages)
    assert any(m.startswith("matching 1 new rows with") for m in messages)
    kept = SourceRecord.objects.get(source__slug="annuaire-log", external_id="a1").place
    merged = Place.objects.get(merged_into=kept)  # the second row joined the first: an automatic merge
    assert f"place {merged.public_id} into {kept.public_id}, automatic" in " ".join(messages)


def test_moderation_decisions_are_logged(caplog):
    place = Place.objects.get(name="SICTIAM")
    newcomer, trusted = make_user("nouvelle-log"), make_user("relectrice-log", Role.TRUSTED)
    pending = rev.edit(place, {"capacity": 9}, newcomer, "", place.current_revision_id)
    with caplog.at_level(logging.INFO, logger="tilios.revisions"):
        rev.accept(pending, trusted, "ok")
    assert [r.getMessage() for r in caplog.records] == [
        f"moderation: accept by relectrice-log on Place {place.pk} (revision {pending.pk})"]
