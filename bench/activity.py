"""Benchmark: activity indicators and evaluation bands for 10⁵ places × 60 monthly reports, on the embedded
SQLite and on PostgreSQL, through the real `tilios.activity.snapshots` (one SQL statement, GROUP BY place).

    .venv/bin/python bench/activity.py [--places 100000] [--months 60] [--repeat 5]

Synthetic reports (fixed seed): per place a profile — 25 % never used, 20 % sporadic, 35 % 1–5 regular
users, 15 % above 5, 5 % stopped reporting two years ago (« activité inconnue ») — and 60 monthly reports
ending last month. Each engine runs in its own subprocess (environment set before Django starts) after
one warm-up; medians are printed and written to bench/out/activity.md.
"""
import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "tilios_bench_activity"
COLUMNS = ["place_id", "period_start", "period_end", "regular_users", "occasional_visits", "desk_days_used",
           "desk_days_available", "events", "reported_by_kind", "reliability", "source", "note", "months",
           "month_index", "version", "created_at", "updated_at"]


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


def synthetic_reports(place_ids, months, last_month_start):
    import numpy as np

    from tilios.activity.periods import add_months, month_end

    rng = np.random.default_rng(2011)
    starts = [add_months(last_month_start, i - months + 1) for i in range(months)]
    ends = [month_end(s) for s in starts]
    indices = [s.year * 12 + s.month - 1 for s in starts]
    now = dt.datetime.now(dt.timezone.utc)
    profile = rng.choice(5, size=len(place_ids), p=[0.25, 0.20, 0.35, 0.15, 0.05])
    for place_id, kind in zip(place_ids, profile):
        capacity = int(rng.integers(2, 20)) * 21
        noise = rng.integers(0, 5, months)
        for i in range(months if kind != 4 else months - 24):
            if kind == 0:
                regular = visits = 0
            elif kind == 1:
                regular, visits = 0, int(noise[i]) if noise[i] > 3 else 0
            elif kind == 2:
                regular, visits = 1 + int(noise[i]), int(noise[i])
            else:
                regular, visits = 6 + int(noise[i]) * 2, 3 + int(noise[i])
            used = min(capacity, regular * 8)
            yield (int(place_id), starts[i], ends[i], regular, visits, used, capacity, int(noise[i] == 4), "import",
                   "estimated", "bench", "", 1, indices[i], 1, now, now)


def worker(engine, n_places, months, repeat):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tilios.activity import evaluation, per_place, periods, reporting, schemes, snapshots
    from tilios.activity.models import BandScheme
    from tilios.places.models import Place
    from tilios.policy.models import Programme

    call_command("migrate", verbosity=0)
    log(engine, "places")
    t0 = time.perf_counter()
    Place.objects.bulk_create((Place(name=f"Lieu {i}", sort_name=f"lieu {i}") for i in range(n_places)),
                              batch_size=5000)
    ids = list(Place.objects.order_by("id").values_list("id", flat=True))
    today = dt.date.today()
    last_month_start = periods.add_months(today.replace(day=1), -1)
    log(engine, "reports", n_places * months)
    rows = 0
    if engine == "sqlite":
        sql = (f"INSERT INTO activity_activityreport ({', '.join(COLUMNS)}) "
               f"VALUES ({', '.join(['%s'] * len(COLUMNS))})")
        batch = []
        with connection.cursor() as cursor:
            for row in synthetic_reports(ids, months, last_month_start):
                batch.append(row)
                if len(batch) == 100000:
                    cursor.executemany(sql, [_sqlite(r) for r in batch])
                    rows += len(batch)
                    batch = []
            cursor.executemany(sql, [_sqlite(r) for r in batch])
            rows += len(batch)
            cursor.execute("ANALYZE")
    else:
        raw = connection.connection if connection.connection else (connection.ensure_connection() or connection.connection)
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY activity_activityreport ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in synthetic_reports(ids, months, last_month_start):
                    copy.write_row(row)
                    rows += 1
            cursor.execute("ANALYZE activity_activityreport")
        raw.commit()
    programme = Programme.objects.create(slug="bench", name="Programme de bench")
    programme.places.add(*ids[:: max(1, len(ids) // 1000)][:1000])
    build_s = time.perf_counter() - t0
    log(engine, f"built {rows} reports in {build_s:.0f} s")

    median_scheme = schemes.current_scheme()
    max_scheme = BandScheme.objects.create(code="bench-max", version=1, label="max", statistic="max",
                                           bands=median_scheme.bands)
    on = today
    sample = [ids[i] for i in range(0, len(ids), max(1, len(ids) // 50))][:50]
    places = list(Place.objects.filter(id__in=sample))

    def timed(fn, times=repeat):
        fn()  # warm-up
        runs = []
        for _ in range(times):
            t = time.perf_counter()
            value = fn()
            runs.append(time.perf_counter() - t)
        return statistics.median(runs) * 1000, value

    results = {"engine": engine, "places": len(ids), "reports": rows, "build_s": round(build_s, 1)}

    def live_distribution(scheme):
        """The distribution read from the reports (no snapshot): the path before snapshots, the reference."""
        sql, params = snapshots.evaluation_sql(scheme, on)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT band, COUNT(*) FROM ({sql}) q GROUP BY band", params)
            return dict(cursor.fetchall())

    from tilios.activity.models import ActivityReport

    def edit_reports():
        """A manager's correction of one report, through the service (snapshots refreshed in its transaction)."""
        runs = []
        for place in places[:20]:
            report = ActivityReport.objects.filter(place=place).order_by("-period_end").first()
            if report is not None:
                report.events += 1
                t = time.perf_counter()
                reporting.save(report, on)
                runs.append(time.perf_counter() - t)
        return round(statistics.median(runs) * 1000, 2)

    results["edit_no_snapshot_ms"] = edit_reports()
    ms, live = timed(lambda: live_distribution(median_scheme), max(3, repeat // 2))
    results["live_median_ms"] = round(ms, 1)
    ms, _ = timed(lambda: live_distribution(max_scheme), max(3, repeat // 2))
    results["live_max_ms"] = round(ms, 1)
    t = time.perf_counter()
    snapshots.build_snapshot(median_scheme.window_months, snapshots.snapshot_date(on))
    results["snapshot_build_ms"] = round((time.perf_counter() - t) * 1000, 1)
    ms, dist = timed(lambda: snapshots.band_distribution(median_scheme, on))
    results["distribution_median_ms"], results["distribution"] = round(ms, 1), dist
    results["same_as_live"] = dist == live
    ms, _ = timed(lambda: snapshots.band_distribution(max_scheme, on))
    results["distribution_max_ms"] = round(ms, 1)
    ms, _ = timed(lambda: evaluation.evaluate_places(on, median_scheme))
    results["evaluate_places_ms"] = round(ms, 1)
    ms, rows_out = timed(lambda: snapshots.evaluation_rows(median_scheme, on), max(3, repeat // 2))
    results["all_rows_ms"], results["all_rows"] = round(ms, 1), len(rows_out)
    results["edit_ms"] = edit_reports()
    results["still_same_as_live"] = snapshots.band_distribution(median_scheme, on) == live_distribution(median_scheme)
    ms, _ = timed(lambda: evaluation.evaluate_programme(programme, on, median_scheme))
    results["programme_1000_ms"] = round(ms, 1)
    one = []
    for place in places:
        t = time.perf_counter()
        per_place.place_indicators(place, on, median_scheme)
        one.append(time.perf_counter() - t)
    results["one_place_ms"] = round(statistics.median(one[1:]) * 1000, 2)
    print(json.dumps(results))


def _sqlite(row):
    return tuple(v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat() if isinstance(v, dt.date)
                 else v for v in row)


def run(engine, args):
    with tempfile.TemporaryDirectory() as var_dir:
        env = {**os.environ, "TILIOS_VAR_DIR": var_dir, "PYTHONPATH": str(ROOT)}
        env.pop("TILIOS_DATABASE_URL", None)
        if engine == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
                admin.execute(f"CREATE DATABASE {PG_DB}")
            env["TILIOS_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
        try:
            out = subprocess.run([sys.executable, __file__, "--worker", engine, "--places", str(args.places),
                                  "--months", str(args.months), "--repeat", str(args.repeat)],
                                 env=env, cwd=ROOT, check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as exc:
            sys.stderr.write(exc.stderr[-4000:])
            raise
        sys.stderr.write(out.stderr[-2000:])
        if engine == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, default=100000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--worker")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.places, args.months, args.repeat)
    results = []
    for engine in args.engines.split(","):
        log("engine", engine)
        results.append(run(engine, args))
    lines = [f"# Activity bench — {args.places:,} places × {args.months} months".replace(",", " "), "",
             f"Medians of {args.repeat} runs after a warm-up (ms). Machine: {os.cpu_count()} cores.", "",
             "| engine | reports | load (s) | from the reports: distribution, median / max scheme | snapshot build | "
             "from the snapshot: distribution, median / max | national evaluation (groups) | per-place rows | "
             "programme of 1 000 places | one place's indicators | one report edit, without / with snapshot | same result |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['engine']} | {r['reports']:,} | {r['build_s']} | {r['live_median_ms']} / {r['live_max_ms']} | "
                     f"{r['snapshot_build_ms']} | {r['distribution_median_ms']} / {r['distribution_max_ms']} | "
                     f"{r['evaluate_places_ms']} | {r['all_rows_ms']} ({r['all_rows']:,} rows) | "
                     f"{r['programme_1000_ms']} | {r['one_place_ms']} | {r['edit_no_snapshot_ms']} / {r['edit_ms']} | "
                     f"{r['same_as_live'] and r['still_same_as_live']} |".replace(",", " "))
    lines += ["", "Distribution (median scheme): " + "; ".join(f"{r['engine']}: {r['distribution']}" for r in results)]
    text = "\n".join(lines) + "\n"
    OUT.mkdir(exist_ok=True)
    (OUT / "activity.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
