"""Evaluations of all places read monthly snapshots of the window aggregates: they must give exactly what
reading the reports gives, on any day, and stay exact through every kind of write."""
import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from people import make_user

from tilios.accounts.models import Role
from tilios.activity import evaluation, importing, periods, reporting, schemes, snapshots
from tilios.activity.models import ActivityReport, BandScheme, WindowSnapshot, WindowSummary, default_bands
from tilios.places.models import Place
from tilios.policy.models import Programme

pytestmark = pytest.mark.django_db
D = datetime.date
NOW = D(2026, 1, 15)  # the day writes are made (validation refuses periods not yet over)


def monthly(place, first, count, regular, step=1, **figures):
    """Reports of `step` months each from `first`; `regular(i)` gives the i-th one's regular users."""
    out = []
    for i in range(count):
        start = periods.add_months(first, i * step)
        end = periods.add_months(start, step) - datetime.timedelta(days=1)
        out.append(ActivityReport(place=place, period_start=start, period_end=end, regular_users=regular(i),
                                  occasional_visits=figures.get("visits", i % 3), events=figures.get("events", 0),
                                  desk_days_used=figures.get("used"), desk_days_available=figures.get("available")))
    return out


@pytest.fixture
def places():
    """40 published places with every shape of history: none, empty, stopped, quarterly, periods from the
    15th to the 14th (they enter and leave windows mid-month), busy with capacity, irregular."""
    chosen = list(Place.objects.filter(is_published=True).order_by("id")[:40])
    reports = []
    for k, place in enumerate(chosen):
        shape = k % 7
        if shape == 0:
            continue
        if shape == 1:
            reports += monthly(place, D(2023, 1, 1), 36, lambda i: 0, visits=0)
        elif shape == 2:
            reports += monthly(place, D(2023, 1, 1), 18, lambda i, k=k: 1 + (i + k) % 4)
        elif shape == 3:
            reports += monthly(place, D(2023, 1, 1), 12, lambda i, k=k: (i * k) % 9, step=3)
        elif shape == 4:
            reports += monthly(place, D(2023, 1, 15), 35, lambda i, k=k: (i + k) % 6)
        elif shape == 5:
            reports += monthly(place, D(2023, 1, 1), 36, lambda i, k=k: 4 + (i * 7 + k) % 9, used=60, available=84,
                               events=1)
        else:
            reports += [r for i, r in enumerate(monthly(place, D(2023, 1, 1), 36, lambda i, k=k: (i * 5 + k) % 8))
                        if (i + k) % 5]
    for r in reports:
        r.refresh_derived()
    ActivityReport.objects.bulk_create(reports)
    return chosen


SCHEMES = {"median": None, "max": dict(code="essai-max", label="max", statistic="max")}


def scheme(name):
    if SCHEMES[name] is None:
        return schemes.current_scheme()
    return BandScheme.objects.get_or_create(**SCHEMES[name], defaults={"bands": default_bands()})[0]


def from_reports(scheme_, on):
    """The reference: every place aggregated from its reports (no snapshot)."""
    sql, params = snapshots.evaluation_sql(scheme_, on)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _comparable(dict(zip(snapshots.ROW_COLUMNS, row)) for row in cursor.fetchall())


def _comparable(rows):
    """Rows keyed by place; the trend as its slope (its sums depend on the month x is counted from)."""
    out = {}
    for row in rows:
        row = dict(row)
        row["slope"] = snapshots._slope(row)
        row["last_end"] = snapshots._as_date(row["last_end"])
        row["stat"] = None if row["stat"] is None else round(float(row["stat"]), 6)
        for key in ("reports", "reported_months", "empty_months", "total", "max_regular", "used", "available"):
            row[key] = None if row[key] is None else int(row[key])
        for key in ("tn", "tx", "ty", "txy", "txx"):
            row.pop(key)
        out[row.pop("place_id")] = row
    return out


DAYS = [D(2025, 6, 30), D(2025, 7, 1), D(2025, 7, 14), D(2025, 7, 15), D(2025, 12, 31), D(2026, 1, 10),
        D(2024, 2, 29), D(2024, 3, 14), D(2024, 3, 15), D(2023, 8, 31)]


@pytest.mark.parametrize("statistic", ["median", "max"])
def test_snapshots_give_what_the_reports_give_on_any_day(places, statistic):
    s = scheme(statistic)
    half = Programme.objects.create(slug="moitie", name="Un lieu sur deux")
    half.places.set(Place.objects.filter(is_published=True).order_by("id")[::2])
    patched = 0
    for on in DAYS:
        expected = from_reports(s, on)
        assert len(expected) == Place.objects.filter(is_published=True).count()
        got = _comparable(snapshots.evaluation_rows(s, on))  # all places: builds the month end's snapshot
        assert got == expected, on
        programme = _comparable(snapshots.evaluation_rows(s, on, ("programme", half.pk)))  # reads the snapshot
        assert programme == {pk: row for pk, row in expected.items() if pk in programme}
        assert len(programme) == half.places.count()
        snapshot, changed = snapshots.snapshot_for(s, on)
        assert snapshot is not None and snapshot.as_of == snapshots.snapshot_date(on)
        patched += bool(changed)
        assert snapshots.band_distribution(s, on) == _count(expected)
    assert patched >= 2  # some days did recompute places whose window moved since the month end
    bands = {row["band"] for row in expected.values()}
    assert {"unknown", "never", "regular_1_5"} <= bands


def _count(rows):
    counts = {}
    for row in rows.values():
        counts[row["band"]] = counts.get(row["band"], 0) + 1
    return counts


def test_snapshots_are_built_once_and_stay_exact_through_every_write(places):
    s = schemes.current_scheme()
    on = D(2025, 12, 20)
    evaluation.evaluate_places(on)
    snapshot = WindowSnapshot.objects.get()
    assert snapshot.as_of == D(2025, 11, 30) and snapshot.places == WindowSummary.objects.count() > 0
    evaluation.evaluate_places(on)
    assert WindowSnapshot.objects.get().built_at == snapshot.built_at  # read, not rebuilt

    moderator = make_user("moderatrice", Role.MODERATOR)
    silent = places[0]  # no report until now: « activité inconnue »
    assert from_reports(s, on)[silent.pk]["band"] == "unknown"
    new = reporting.submit(silent, {"period_start": "2025-10-01", "regular_users": 3}, moderator, on=NOW)
    assert _comparable(snapshots.evaluation_rows(s, on)) == from_reports(s, on)
    assert from_reports(s, on)[silent.pk]["band"] == "regular_1_5"

    busy = places[5]
    last = ActivityReport.objects.filter(place=busy, period_end__lte=D(2025, 11, 30)).order_by("-period_end").first()
    reporting.edit(last, {"regular_users": 0, "occasional_visits": 0, "events": 0, "desk_days_used": 0},
                  moderator, last.version, on=NOW)
    reporting.edit(new, {"period_start": "2024-10-01"}, moderator, new.version, on=NOW)  # leaves the window
    assert _comparable(snapshots.evaluation_rows(s, on)) == from_reports(s, on)
    assert from_reports(s, on)[silent.pk]["band"] == "unknown"

    stopped = places[2]
    for r in ActivityReport.objects.filter(place=stopped).order_by("period_start")[:3]:
        reporting.delete(r, moderator, r.version)
    reporting.delete(ActivityReport.objects.filter(place=busy).order_by("-period_end").first(), moderator)
    assert _comparable(snapshots.evaluation_rows(s, on)) == from_reports(s, on)

    # Two places without reports get one, an empty month of another gets figures (an update).
    lines = ["place;month;regular_users", f"{places[7].public_id};2025-11;12", f"{places[14].public_id};2025-09;4",
             f"{places[8].public_id};2025-11;2"]
    result = importing.import_csv(io.StringIO("\n".join(lines)), on=NOW)
    assert result.ok and (result.created, result.updated) == (2, 1), result.errors
    assert _comparable(snapshots.evaluation_rows(s, on)) == from_reports(s, on)
    assert WindowSnapshot.objects.count() == 1
    # A failed import leaves the snapshot as it was, like the reports.
    before = list(WindowSummary.objects.order_by("place_id").values())
    failed = importing.import_csv(io.StringIO("place;month;regular_users\n"
                                             f"{places[6].public_id};2025-10;5\n{places[6].public_id};2025-11;-1"),
                                 on=NOW)
    assert not failed.ok and list(WindowSummary.objects.order_by("place_id").values()) == before


def test_too_many_changes_fall_back_to_the_reports(places, monkeypatch):
    s = schemes.current_scheme()
    on = D(2025, 7, 20)  # the places with periods from the 15th have a report ending on 14 July
    snapshots.evaluation_rows(s, on)
    snapshot, changed = snapshots.snapshot_for(s, on)
    assert snapshot is not None and changed
    monkeypatch.setattr(snapshots, "DIRTY_LIMIT", len(changed) - 1)
    assert snapshots.snapshot_for(s, on) == (None, ())
    assert _comparable(snapshots.evaluation_rows(s, on)) == from_reports(s, on)


def test_no_snapshot_for_a_month_not_over_and_old_ones_are_dropped(places, monkeypatch):
    s = schemes.current_scheme()
    future = periods.add_months(periods.today(), 2)
    assert snapshots.snapshot_for(s, future, build=True) == (None, ())
    monkeypatch.setattr(snapshots, "MAX_SNAPSHOTS", 3)
    month_ends = [D(2023, 8, 31), D(2024, 2, 29), D(2025, 6, 30), D(2025, 12, 31), D(2024, 5, 31)]
    for on in month_ends:
        evaluation.evaluate_places(on)
    assert set(WindowSnapshot.objects.values_list("as_of", flat=True)) == set(month_ends[-3:])


def test_national_evaluation_agrees_with_a_programme_of_every_place(places, client):
    on = D(2025, 12, 31)
    everything = Programme.objects.create(slug="tous", name="Tous les lieux")
    everything.places.set(Place.objects.filter(is_published=True))
    programme = evaluation.evaluate_programme(everything, on)  # from the reports: no snapshot yet
    national = evaluation.evaluate_places(on)
    assert evaluation.evaluate_programme(everything, on) == programme  # now through the snapshot
    for key in ("places", "known", "bands", "unknown", "empty_most_of_the_time", "groups"):
        assert national[key] == programme[key], key
    assert national["regular_users"] == pytest.approx(programme["regular_users"], abs=0.5)
    assert national["snapshot"]["as_of"] == on and national["snapshot"]["recomputed_places"] == 0
    assert national["bands"][0]["count"] > 0 and national["unknown"]["count"] > 1000

    api = client.get("/api/evaluation", {"on": "2025-12-31"}).json()
    assert api["places"] == national["places"] and api["bands"] == evaluation.jsonable(national["bands"])
    page = client.get("/politiques/evaluation/tous-les-lieux/", {"on": "2025-12-31"})
    html = page.content.decode()
    assert page.status_code == 200 and "tous les lieux publiés" in html and "<svg" in html
    assert f">{national['bands'][0]['count']}<" in html
    assert "/politiques/evaluation/tous-les-lieux/" in client.get("/politiques/evaluation/").content.decode()
    english = client.get("/politiques/evaluation/tous-les-lieux/", {"on": "2025-12-31"},
                         HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "all published places" in english and "<td>urban</td>" in english
    assert "empty most of the time = more than half" in english and "vide la plupart" not in english
    assert client.get("/politiques/evaluation/tous-les-lieux/", {"on": "2025-12-31", "format": "json"}).json()[
        "known"] == national["known"]

    out = io.StringIO()
    call_command("evaluate", "--on", "2025-12-31", stdout=out)
    text = out.getvalue()
    assert "tous les lieux publiés" in text and f"Lieux : {national['places']} " in text
    old = WindowSnapshot.objects.get().pk
    err = io.StringIO()
    call_command("evaluate", "--on", "2025-12-31", "--rebuild-snapshots", "--format", "json", stdout=io.StringIO(),
                 stderr=err)
    assert "1 instantané(s) oublié(s)" in err.getvalue()
    assert WindowSnapshot.objects.get().pk != old  # forgotten, then built again by the evaluation


def test_a_merge_moves_the_reports_and_its_undo_moves_them_back(places):
    from tilios.sources import resolution

    s = schemes.current_scheme()
    on = D(2025, 12, 31)
    kept, merged = places[2], places[8]  # reports 2023-01 → 2024-06 / 2023-01 → 2025-12, all monthly
    programme = Programme.objects.create(slug="avec-doublon", name="Avec un doublon")
    programme.places.set([merged])
    evaluation.evaluate_places(on)  # a snapshot to keep in step
    moderator = make_user("moderatrice", Role.MODERATOR)

    merge = resolution.merge(kept, merged, moderator)
    assert len(merge.activity_reports) == 18  # the 18 months the kept place had stay its own
    assert (kept.activity_reports.count(), merged.activity_reports.count()) == (36, 18)
    rows = _comparable(snapshots.evaluation_rows(s, on))
    assert merged.pk not in rows and rows == from_reports(s, on)
    assert rows[kept.pk]["band"] == "never"  # the merged place's empty months now count for the kept one
    assert [r["place"] for r in evaluation.evaluate_programme(programme, on)["rows"]] == [kept.public_id]

    further = places[9]  # the kept place is merged in turn: the programme's place is now that one
    second = resolution.merge(further, kept, moderator)
    assert [r["place"] for r in evaluation.evaluate_programme(programme, on)["rows"]] == [further.public_id]
    resolution.undo_merge(second, moderator)

    resolution.undo_merge(merge, moderator)
    assert (kept.activity_reports.count(), merged.activity_reports.count()) == (18, 36)
    rows = _comparable(snapshots.evaluation_rows(s, on))
    assert rows == from_reports(s, on) and rows[kept.pk]["band"] == "unknown"
    assert [r["place"] for r in evaluation.evaluate_programme(programme, on)["rows"]] == [merged.public_id]


def test_building_a_snapshot_never_waits_for_a_locked_place(places):
    """A writer locks its place, then writes its report; a snapshot being built holds writers off. If the
    build waited for the place (a foreign-key check does, on PostgreSQL), the two would deadlock."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections: PostgreSQL (SQLite has one writer at a time)")
    import psycopg

    busy = places[5]  # reports in the window: the snapshot writes its row
    settings = connection.settings_dict
    writer = psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                             user=settings["USER"] or "postgres", password=settings["PASSWORD"] or None,
                             dbname=settings["NAME"])
    try:
        writer.execute("SET lock_timeout = '10s'")
        writer.execute("SELECT id FROM places_place WHERE id = %s FOR UPDATE", [busy.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = '5s'")  # a wait would fail here, not hang
            # A check of the summary's place that Django would defer to the commit (this test's transaction
            # never commits) is made at once.
            for name, constraint in connection.introspection.get_constraints(cursor, "activity_windowsummary").items():
                if constraint["foreign_key"] and constraint["foreign_key"][0] == "places_place":
                    cursor.execute(f'SET CONSTRAINTS "{name}" IMMEDIATE')
        snapshot = snapshots.build_snapshot(12, D(2025, 12, 31))
        assert WindowSummary.objects.filter(snapshot=snapshot, place=busy).exists()
    finally:
        writer.rollback()
        writer.close()


def test_a_territory_and_the_departements(places, client):
    s = schemes.current_scheme()
    on = D(2025, 12, 20)
    national = evaluation.evaluate_places(on)
    assert sum(d["places"] for d in national["by_departement"]) == national["places"]
    for band in national["bands"]:
        assert sum(d["bands"][band["code"]] for d in national["by_departement"]) == band["count"]
    busiest = max((d for d in national["by_departement"] if d["code"]), key=lambda d: d["known"])
    assert busiest["known"] > 0
    local = evaluation.evaluate_places(on, s, evaluation.territory_of(departement=busiest["code"]))
    assert local["territory"]["name"] == busiest["name"] and local["places"] == busiest["places"]
    assert {b["code"]: b["count"] for b in local["bands"]} == {k: v for k, v in busiest["bands"].items()
                                                              if k != "unknown"}
    assert WindowSnapshot.objects.count() == 1  # the same snapshot serves every territory
    in_departement = set(Place.objects.filter(departement_id=busiest["code"]).values_list("pk", flat=True))
    rows = _comparable(snapshots.evaluation_rows(s, on, ("territory", ("departement", busiest["code"]))))
    assert rows == {pk: row for pk, row in from_reports(s, on).items() if pk in in_departement}

    region = Place.objects.filter(departement_id=busiest["code"]).values_list("region_id", flat=True).first()
    api = client.get("/api/evaluation", {"on": "2025-12-20", "region": region}).json()
    assert api["territory"]["code"] == region and api["places"] < national["places"]
    assert client.get("/api/evaluation", {"region": region, "departement": busiest["code"]}).status_code == 400
    assert client.get("/api/evaluation", {"departement": "ZZ"}).status_code == 400
    page = client.get("/politiques/evaluation/tous-les-lieux/",
                      {"on": "2025-12-20", "territoire": f"departement:{busiest['code']}"}).content.decode()
    assert f"tous les lieux publiés — {busiest['name']}" in page
    assert f'value="departement:{busiest["code"]}" selected' in page
    france = client.get("/politiques/evaluation/tous-les-lieux/", {"on": "2025-12-20"}).content.decode()
    assert f'?departement={busiest["code"]}&amp;on=2025-12-20' in france and "Par département" in france
    wrong = client.get("/politiques/evaluation/tous-les-lieux/", {"departement": "ZZ"}).content.decode()
    assert "territoire inconnu" in wrong
    out = io.StringIO()
    call_command("evaluate", "--on", "2025-12-20", "--departement", busiest["code"], stdout=out)
    assert f"tous les lieux publiés — {busiest['name']}" in out.getvalue()


def test_deleting_a_stale_copy_deletes_and_unsnapshots_what_is_stored(places):
    from tilios.revisions.models import ModerationAction

    s = schemes.current_scheme()
    on = D(2025, 12, 31)
    evaluation.evaluate_places(on)
    moderator = make_user("moderatrice", Role.MODERATOR)
    stale = ActivityReport.objects.filter(place=places[0]).first() or reporting.submit(
        places[0], {"period_start": "2025-03-01", "regular_users": 3}, moderator, on=NOW)
    reporting.edit(ActivityReport.objects.get(pk=stale.pk), {"period_start": "2025-11-01", "regular_users": 8},
                  moderator, stale.version, on=NOW)  # moved into the last months after `stale` was read
    reporting.delete(stale, moderator)
    assert _comparable(snapshots.evaluation_rows(s, on)) == from_reports(s, on)
    logged = ModerationAction.objects.filter(details__operation="delete").get()
    assert logged.details["before"]["regular_users"] == 8 and logged.details["before"]["period_start"] == "2025-11-01"
