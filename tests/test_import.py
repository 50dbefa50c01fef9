import gc
import io
import shutil

import pytest
from django.core.management import CommandError, call_command

from tilios.places.models import Place
from tilios.sources import resolution, services
from tilios.sources.importers import FileError
from tilios.sources.models import ImportRun, SourceRecord
from tilios.sources.services import run_import

pytestmark = pytest.mark.django_db

CGET_CSV = "tilios/data/cget-mission-coworking-2019/cget_tierslieux_2019.csv"
HEADER = ("ID,NOM_TL,ADRESSE,CP,COMINIT,INSEECOM,NOMCOM,WEB,TWITTER,FACEBOOK,TYPO,LAT,LONG,GEOCOD,PRECISION,"
          "METRO,NOMMETRO,INSEEREG,NOMREG,INSEEMETRO,INSEEDEP,NOMCOMMETRO,POPCOM,COMCLASS,INSEE_ZE,NOM_ZE,"
          "CLASS_ZE,POP_ZE")


def cget_file(tmp_path, *rows, name="cget.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def row(id_, name=None, lat="45.4397", lon="4.3872", typo="Tiers lieux à dominante fablab",
        cp="42000", town="Saint-Étienne", insee="42218"):
    name = f"Atelier {id_}" if name is None else name  # distinct names: rows sharing a name and a spot are one place
    return f"{id_},{name},1 rue de la Paix,{cp},{town},{insee},,www.example.org,,,{typo},{lat},{lon}" + "," * 15


def state():
    return Place.objects.count(), SourceRecord.objects.count(), ImportRun.objects.count()


def test_demo_base_is_the_whole_cget_base():
    assert Place.objects.count() == 1512
    assert Place.objects.filter(kinds__code="coworking").count() == 1118
    assert Place.objects.filter(kinds__code="fablab").count() == 345
    assert Place.objects.filter(kinds__isnull=True).count() == 49
    assert Place.objects.filter(commune__isnull=True).count() == 0


def test_importing_the_same_file_twice_changes_nothing():
    before = list(Place.objects.order_by("id").values_list("public_id", "name", "latitude", "commune_id",
                                                           "updated_at"))
    summary = run_import("cget", CGET_CSV)
    assert (summary.created, summary.updated, summary.unchanged, summary.rejected) == (0, 0, 1512, 0)
    after = list(Place.objects.order_by("id").values_list("public_id", "name", "latitude", "commune_id",
                                                          "updated_at"))
    assert after == before


def test_a_changed_row_updates_its_place_and_keeps_its_id(tmp_path):
    run_import("cget", cget_file(tmp_path, row("T1", name="Atelier A")), source="cget-mission-coworking-2019")
    place = Place.objects.get(records__external_id="T1")
    summary = run_import("cget", cget_file(tmp_path, row("T1", name="Atelier B")),
                         source="cget-mission-coworking-2019")
    assert (summary.created, summary.updated) == (0, 1)
    again = Place.objects.get(records__external_id="T1")
    assert again.public_id == place.public_id and again.name == "Atelier B"


def test_bad_rows_are_reported_by_line_and_field_and_the_rest_imported(tmp_path):
    path = cget_file(
        tmp_path,
        row("B1", name="Bon lieu"),
        row("B2", name=""),
        row("B3", lat="quarante"),
        row("B4", lat="4.3872", lon="45.4397"),
        row("B5", lat="95"),
        row("B6", typo="Cybercafé"),
        row("B1", name="Doublon"),
        row("B7", lat="40.0", lon="-30.0"),
        row("", name="Sans identifiant"),
    )
    before = Place.objects.count()
    summary = run_import("cget", path, source="cget-mission-coworking-2019")
    assert summary.created == 1 and summary.rejected == 8
    found = {(e["line"], e["field"]) for e in summary.errors}
    assert found == {(3, "NOM_TL"), (4, "LAT"), (5, "LAT"), (6, "LAT"), (7, "TYPO"), (8, "ID"), (9, "LAT"),
                     (10, "ID")}
    reasons = {e["line"]: e["reason"] for e in summary.errors}
    assert "inversées" in reasons[5]
    assert "double" in reasons[8]
    assert Place.objects.count() == before + 1
    run = ImportRun.objects.get(pk=summary.run.pk)
    assert run.rejected == 8 and run.errors == summary.errors


@pytest.mark.parametrize("content, message", [
    ("ID;NOM_TL;LAT;LONG\n1;Lieu;45;4\n", "séparateur"),
    ("ID,NOM_TL\n1,Lieu\n", "colonnes manquantes"),
])
def test_malformed_files_are_refused_whole(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    before = state()
    with pytest.raises(FileError, match=message):
        run_import("cget", path)
    assert state() == before


def test_a_file_not_in_utf8_is_refused_with_its_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(("\n".join([HEADER, row("L1"), row("L2", name="Café Crème")]) + "\n").encode("latin-1"))
    before = state()
    with pytest.raises(FileError, match="UTF-8.*ligne 2"):
        run_import("cget", path)
    assert state() == before


def test_an_import_that_crashes_half_way_leaves_the_database_unchanged(tmp_path, monkeypatch):
    # Ten rows at one spot with similar names: the first is created, most others join it.
    path = cget_file(tmp_path, *(row(f"C{i}", name=f"Lieu test {i}") for i in range(10)))
    real_join = resolution.join_many
    calls = []

    def join_then_crash(*args, **kwargs):
        calls.append(gc.get_freeze_count())
        if len(calls) == 5:
            raise RuntimeError("disque plein")
        return real_join(*args, **kwargs)

    monkeypatch.setattr(resolution, "join_many", join_then_crash)
    before = state()
    with pytest.raises(RuntimeError):
        run_import("cget", path, source="cget-mission-coworking-2019")
    assert len(calls) == 5
    assert state() == before
    # What lived through the writes was left out of full collections, and is collected again after the crash.
    assert min(calls) > 0 and gc.get_freeze_count() == 0
    assert not Place.objects.filter(name__startswith="Lieu test ").exists()


def test_dry_run_writes_nothing(tmp_path):
    before = state()
    summary = run_import("cget", cget_file(tmp_path, row("D1"), row("D2")), source="cget-mission-coworking-2019",
                         dry_run=True)
    assert summary.created == 2
    assert state() == before


def test_cli_import_prints_summary_and_errors(tmp_path):
    path = cget_file(tmp_path, row("E1"), row("E2", lat=""))
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "cget", str(path), "--no-progress", stdout=out, stderr=err)
    assert "2 lignes : 1 créées, 0 mises à jour, 0 inchangées, 1 rejetées" in out.getvalue()
    assert "ligne 3, champ LAT : valeur manquante" in err.getvalue()


def test_cli_import_refuses_an_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="base inchangée"):
        call_command("import", "cget", str(tmp_path / "absent.csv"), "--no-progress")


def test_import_reads_the_shared_copy_identically(tmp_path, shared_data):
    copy = tmp_path / "cget.csv"
    shutil.copy(shared_data / "cget-mission-coworking-2019" / "cget_tierslieux_2019.csv", copy)
    summary = run_import("cget", copy)
    assert summary.unchanged == 1512


def test_a_file_imported_again_confirms_its_records_even_past_one_batch(tmp_path, monkeypatch):
    """Records a file repeats unchanged are written in batches: each one's last run is the new run, so the
    census knows the source still listed it (SourceRecord.last_attested_at), and nothing else changes."""
    monkeypatch.setattr(services, "CONFIRMED_AT_ONCE", 2)  # 5 repeated as they were: 2 batches and 1 more
    path = cget_file(tmp_path, *[row(f"c{i}", lat=f"45.4{i}") for i in range(6)])
    first = run_import("cget", path, source="cget-mission-coworking-2019")
    SourceRecord.objects.filter(external_id="c3").update(fields={})  # as kept by an earlier version
    places = state()
    again = run_import("cget", path, source="cget-mission-coworking-2019")
    assert (again.unchanged, again.created, again.updated) == (6, 0, 0)
    assert state()[:2] == places[:2]
    records = SourceRecord.objects.filter(external_id__startswith="c", source__slug="cget-mission-coworking-2019")
    assert sorted(records.values_list("external_id", "first_run", "last_run")) == [
        (f"c{i}", first.run.pk, again.run.pk) for i in range(6)]
    assert records.get(external_id="c3").fields["name"] == "Atelier c3"


def test_places_created_a_batch_at_a_time_are_those_created_one_by_one():
    """An import writes its new places together (revisions.create_many): the places, their kinds, territory
    and search text, and their first revisions are what `create` writes for each, and a bad one is refused
    alone, at its place in the batch."""
    from tilios.places.editing import snapshot
    from tilios.revisions import services as revisions
    from tilios.revisions.models import Revision
    from tilios.sources.models import Source

    source = Source.objects.get(slug="cget-mission-coworking-2019")
    items = [
        ({"name": "Atelier du Mail", "postcode": "35000", "town": "Rennes", "latitude": 48.1113, "longitude": -1.68,
          "kinds": ["fablab", "coworking"], "links": [{"kind": "web", "url": "https://example.org"}],
          "opened_on": "2015-03-01", "opening_hours": "Mo-Fr 09:00-18:00", "services": ["internet"]}, "un"),
        ({"name": "La Cantine", "declared_commune_code": "44109", "address": "3 rue de Nantes"}, "deux"),
        ({"name": "", "town": "Brest"}, "sans nom"),
        ({"name": "Hors sol", "kinds": ["epn"], "presence": "digital", "markers": []}, "trois"),
    ]
    batch = revisions.create_many(Place, items, source, known_at=None)
    assert [type(outcome).__name__ for outcome in batch] == ["Place", "Place", "ValidationError", "Place"]
    assert "name" in batch[2].message_dict
    one_by_one = [revisions.create(Place, changes, None, summary, source=source, kind=Revision.Kind.IMPORT,
                                   system=True)[0] for changes, summary in items if changes["name"]]
    skip = {"id", "public_id", "current_revision", "created_at", "updated_at"}
    columns = [f.attname for f in Place._meta.concrete_fields if f.name not in skip]
    for mine, theirs in zip([p for p in batch if isinstance(p, Place)], one_by_one):
        mine, theirs = Place.objects.get(pk=mine.pk), Place.objects.get(pk=theirs.pk)
        assert [getattr(mine, c) for c in columns] == [getattr(theirs, c) for c in columns]
        assert mine.is_published and mine.search_text.strip() and mine.sort_name  # columns save() would derive
        assert sorted(mine.kinds.values_list("code", flat=True)) == sorted(theirs.kinds.values_list("code", flat=True))
        a, b = mine.current_revision, theirs.current_revision
        assert a.data == snapshot(mine) == b.data
        assert (a.diff, a.number, a.status, a.kind, a.source_id, a.summary, a.parent_id) == (
            b.diff, b.number, b.status, b.kind, b.source_id, b.summary, b.parent_id)


def test_a_place_created_merged_into_another_names_a_place_that_exists():
    from tilios.revisions import services as revisions
    from tilios.sources.models import Source

    source = Source.objects.get(slug="cget-mission-coworking-2019")
    target = Place.objects.get(name="SICTIAM")
    batch = revisions.create_many(Place, [
        ({"name": "SICTIAM bis", "merged_into": target.public_id}, "doublon"),
        ({"name": "Nulle part", "merged_into": "zzzzzzzzzz"}, "cible inconnue"),
        ({"name": "Injection", "merged_into": {"public_id": target.public_id}}, "pas un identifiant"),
    ], source)
    assert isinstance(batch[0], Place) and Place.objects.get(pk=batch[0].pk).merged_into_id == target.pk
    assert batch[1].message_dict == batch[2].message_dict == {"merged_into": ["lieu inconnu"]}
    assert not Place.objects.filter(name__in=["Nulle part", "Injection"]).exists()


def test_an_import_creates_its_new_places_in_batches_and_joins_rows_to_places_of_a_batch_not_yet_written(
        tmp_path, monkeypatch):
    monkeypatch.setattr(services, "CREATED_AT_ONCE", 2)  # 5 new places: two full batches and one more
    rows = [row(f"b{i}", lat=f"45.4{i}") for i in range(5)]
    rows.insert(1, row("b0bis", name="Atelier b0", lat="45.40"))  # the same place as b0, still waiting in its batch
    summary = run_import("cget", cget_file(tmp_path, *rows), source="cget-mission-coworking-2019")
    assert (summary.created, summary.matched, summary.rejected) == (5, 1, 0)
    records = SourceRecord.objects.filter(external_id__startswith="b", source__slug="cget-mission-coworking-2019")
    assert records.count() == 6 and all(r.place.merged_into_id is None for r in records)
    assert records.get(external_id="b0bis").place_id == records.get(external_id="b0").place_id
    assert all(r.place.current_revision.source_id == r.source_id for r in records)


def test_an_import_goes_through_its_file_twice_and_never_holds_more_than_a_batch_of_rows(tmp_path, monkeypatch):
    """Rows are read once to match and once more to write, and let go as they are written: the rows of a big
    file are never in memory together (bench/README.md, import_big.py)."""
    import weakref

    from tilios.sources import writing
    from tilios.sources.importers import cget

    path = cget_file(tmp_path, *(row(f"M{i}", lat=f"{44 + i / 100:.4f}") for i in range(300)))
    monkeypatch.setattr(services, "CREATED_AT_ONCE", 50)
    readings, rows, alive_at_each_batch = [], [], []
    real_read, real_create = cget.read, writing.create_fresh

    def read(p):
        readings.append(p)
        for r in real_read(p):
            rows.append(weakref.ref(r))
            yield r

    def create_fresh(*args, **kwargs):
        alive_at_each_batch.append(sum(1 for r in rows if r() is not None))
        return real_create(*args, **kwargs)

    monkeypatch.setattr(cget, "read", read)
    monkeypatch.setattr(writing, "create_fresh", create_fresh)
    summary = run_import("cget", path, source="cget-mission-coworking-2019")
    assert (summary.created, summary.rejected) == (300, 0)
    assert len(readings) == 3  # a glance when the import starts (is the file readable?), then matching, writing
    assert len(alive_at_each_batch) >= 6 and max(alive_at_each_batch) <= 50 + 1  # a batch, and the row at hand


def test_a_file_changed_while_it_is_imported_is_refused_and_nothing_of_it_is_kept(tmp_path, monkeypatch):
    from tilios.sources import planning

    path = cget_file(tmp_path, row("F1"), row("F2", lat="45.5"))
    real_plan = planning.plan

    def plan_then_change_the_file(*args, **kwargs):
        plan = real_plan(*args, **kwargs)
        with open(path, "a", encoding="utf-8") as f:
            f.write(row("F3", lat="45.6") + "\n")
        return plan

    monkeypatch.setattr(planning, "plan", plan_then_change_the_file)
    before = state()
    with pytest.raises(FileError, match="a changé pendant l'import"):
        run_import("cget", path, source="cget-mission-coworking-2019")
    assert state() == before
