"""Benchmark: a census count over 10⁶ places, by département, at a valid date D and a knowledge date K,
on the embedded SQLite and on PostgreSQL, through the real `tilios.census.services.count`.

    .venv/bin/python bench/census.py [--places 1000000] [--repeat 7]

Synthetic facts: places drawn by commune population (so départements are realistically uneven),
opening dates from 2000 to 2026, a fifth closed since, 30 % with a second, later version (a new
status or kind learnt later), knowledge dates from 2019 to today. Each engine is measured in its own
subprocess after one warm-up query; medians are printed and written to bench/out/census.md.
"""
import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DATA = ROOT / "tilios" / "data"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "tilios_bench_census"
QUERIES = [  # (definition, valid on, known on, by)
    ("cget-2018", "2026-01-01", None, "departement"),
    ("cget-2018", "2018-12-31", "2019-06-30", "departement"),
    ("tiers-lieux", "2022-06-30", "2024-01-01", "region"),
    ("coworking", "2015-01-01", None, "departement"),
    ("cget-2018", "2024-12-31", "2025-01-01", None),
]
COLUMNS = ["place_id", "revision_id", "known_from", "known_to", "valid_from", "valid_from_estimated", "valid_to",
           "valid_to_estimated", "status", "presence", "kinds_mask", "markers", "n_sources", "verified",
           "region_code", "departement_code", "epci_code", "commune_code", "in_metropole", "population_class"]


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


def synthetic_facts(n, seed=2018):
    rng = np.random.default_rng(seed)
    with open(DATA / "communes-centres-geoapi-2025" / "communes_centres.csv", encoding="utf-8") as f:
        communes = list(csv.DictReader(f))
    with open(DATA / "cog-decoupage-administratif-2026" / "departements.csv", encoding="utf-8") as f:
        region_of = {d["code"]: d["region"] for d in csv.DictReader(f)}
    pop = np.array([float(c["population"] or 0) + 1 for c in communes])
    pick = rng.choice(len(communes), size=n, p=pop / pop.sum())
    day0 = dt.date(2000, 1, 1).toordinal()
    opened = rng.integers(day0, dt.date(2026, 6, 1).toordinal(), n)
    closed = np.where(rng.random(n) < 0.2, opened + rng.integers(200, 4000, n), 0)
    known = rng.integers(dt.date(2019, 1, 1).toordinal(), dt.date(2026, 11, 1).toordinal(), n)
    kinds = rng.choice([1, 2, 3, 0, 16, 32], size=n, p=[0.55, 0.2, 0.05, 0.05, 0.1, 0.05])
    second = rng.random(n) < 0.3
    for i in range(n):
        c = communes[pick[i]]
        dep = c["dept"]
        base = dict(place_id=i + 1, revision_id=None, valid_from=dt.date.fromordinal(int(opened[i])),
                    valid_from_estimated=False, valid_to=None, valid_to_estimated=False, status="open",
                    presence="physical", kinds_mask=int(kinds[i]), markers="", n_sources=1, verified=False,
                    region_code=region_of.get(dep, ""), departement_code=dep, epci_code="", commune_code=c["code"],
                    in_metropole=bool(pop[pick[i]] > 100000), population_class="")
        t0 = dt.datetime.fromordinal(int(known[i])).replace(tzinfo=dt.timezone.utc)
        if second[i]:
            t1 = t0 + dt.timedelta(days=int(rng.integers(30, 900)))
            yield {**base, "known_from": t0, "known_to": t1}
            later = dict(base, known_from=t1, known_to=None, n_sources=2)
            if closed[i]:
                later.update(status="closed", valid_to=dt.date.fromordinal(int(min(closed[i], 739500))))
            yield later
        else:
            yield {**base, "known_from": t0, "known_to": None}


def tilios(env, *args):
    subprocess.run([sys.executable, "-m", "tilios.cli", *args], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)


def build_sqlite(var_dir, n):
    import sqlite3

    env = {**os.environ, "TILIOS_VAR_DIR": str(var_dir)}
    env.pop("TILIOS_DATABASE_URL", None)
    tilios(env, "migrate", "-v0")
    db = sqlite3.connect(var_dir / "tilios.sqlite3")
    sql = f"INSERT INTO census_placefact ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    rows = 0
    with db:
        db.execute("PRAGMA foreign_keys = OFF")
        batch = []
        for fact in synthetic_facts(n):
            batch.append([_sqlite(fact[c]) for c in COLUMNS])
            if len(batch) == 50000:
                db.executemany(sql, batch)
                rows += len(batch)
                batch = []
        db.executemany(sql, batch)
        rows += len(batch)
    db.execute("ANALYZE")
    db.close()
    return env, rows


def _sqlite(value):
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def build_postgres(var_dir, n):
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        admin.execute(f"CREATE DATABASE {PG_DB}")
    url = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    env = {**os.environ, "TILIOS_VAR_DIR": str(var_dir), "TILIOS_DATABASE_URL": url}
    tilios(env, "migrate", "-v0")
    rows = 0
    with psycopg.connect(url) as db:
        db.execute("SET session_replication_role = replica")  # bench rows have no place rows
        with db.cursor().copy(f"COPY census_placefact ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for fact in synthetic_facts(n):
                copy.write_row([fact[c] for c in COLUMNS])
                rows += 1
        db.commit()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("VACUUM ANALYZE census_placefact")
    return env, rows


WORKER = """
import json, statistics, sys, time, datetime as dt
import django
django.setup()
from tilios.census import services
repeat = int(sys.argv[1])
out = []
for ref, valid, known, by in json.loads(sys.argv[2]):
    d = services.get_definition(ref)
    args = (d, dt.date.fromisoformat(valid), dt.date.fromisoformat(known) if known else None, by)
    services.count(*args)  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = services.count(*args)
        times.append((time.perf_counter() - t) * 1000)
    out.append({"query": [ref, valid, known, by], "total": result.total, "rows": len(result.rows),
                "median_ms": statistics.median(times), "max_ms": max(times)})
print(json.dumps(out))
"""


def measure(env, repeat):
    env = {**env, "DJANGO_SETTINGS_MODULE": "tilios.settings"}
    done = subprocess.run([sys.executable, "-c", WORKER, str(repeat), json.dumps(QUERIES)], env=env, cwd=ROOT,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine, build in (("SQLite", build_sqlite), ("PostgreSQL", build_postgres)):
            var_dir = Path(tmp) / engine
            var_dir.mkdir()
            log(f"{engine}: building {args.places} places")
            t = time.perf_counter()
            env, rows = build(var_dir, args.places)
            log(f"{engine}: {rows} facts in {time.perf_counter() - t:.0f} s; measuring")
            results[engine] = (rows, measure(env, args.repeat))
    lines = [f"Census count, {args.places:,} synthetic places ({results['SQLite'][0]:,} facts), "
             f"median of {args.repeat} runs after a warm-up, {dt.date.today()}", "",
             "| definition | valid on D | known on K | by | places counted | SQLite median ms | PostgreSQL median ms |",
             "|---|---|---|---|---:|---:|---:|"]
    for sq, pg in zip(results["SQLite"][1], results["PostgreSQL"][1]):
        ref, valid, known, by = sq["query"]
        assert sq["total"] == pg["total"], (sq, pg)
        lines.append(f"| {ref} | {valid} | {known or 'today'} | {by or '—'} | {sq['total']:,} | "
                     f"{sq['median_ms']:.0f} | {pg['median_ms']:.0f} |")
    report = "\n".join(lines)
    print(report)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "census.md").write_text(report + "\n", encoding="utf-8")
    with __import__("psycopg").connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
