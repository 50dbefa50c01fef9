"""Benchmark: `q` through the text index (FTS5 on SQLite, a GIN index of the words on PostgreSQL) against today's scan.

    .venv/bin/python bench/text_search.py [--sizes 100000,1000000] [--pg-sizes 100000] [--repeat 15]

Synthetic places: a kind word (« Coworking », « Fablab », « Tiers-lieu », « Atelier »…), sometimes a second
word, and a commune drawn by population (so « saint », « lyon » or « coworking » match thousands, a small
town a handful), located near the commune's centre and tagged with the kind its word names, in a base
holding the territories' reference; search_text is computed by tilios.text as the app does, and the text index
is put in name order as an import leaves it. For each query:
- `index`: the text alone through its index, the first page of 10 by name (queries.page) and the count;
- `scan`, its peer: the matching rule applied by a scan (`search_text LIKE '% token%'` for each token), in the
  same process, on the same database; ids and counts must be equal to the index's;
- `api`: what a user's `GET /api/places?q=…&limit=10` costs, through Tilios's WSGI application in process: `q`
  read first (« coworking » is the kind, « lyon » the town whose nearest places come first), then its page
  and count.
Medians in ms; printed and written to bench/out/text_search.md.
"""
import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nearest import (  # noqa: E402
    COMMUNES,
    PG_ADMIN,
    PG_URL,
    ROOT,
    TILIOS,
    log,
    pg_connect,
    place_row_values,
    tilios_env,
)

from tilios.places import kind_index, text_index  # noqa: E402

OUT = ROOT / "bench" / "out"
PG_DB = "tilios_bench"
QUERIES = ["coworking", "fablab lyon", "saint etienne", "atel", "tiers lieu", "repair cafe marseille",
           "maison num", "quimperle", "zz"]
KIND_WORDS = ["Coworking", "Fablab", "Tiers-lieu", "Atelier partagé", "Espace public numérique", "La Fabrique",
              "Le Hub", "Maison du numérique", "Cantine", "Pépinière", "Repair café", "Ressourcerie",
              "Télécentre", "Médiathèque", "Campus connecté", "La Ruche", "Le Bocal", "Cowork"]
SECOND = ["", "", "", "des Possibles", "Solidaire", "du Lac", "Numérique", "des Arts", "Nord", "Sud", "2"]


# The kind a place named by each word is tagged with (the others are tagged with none).
KIND_CODES = {"Coworking": "coworking", "Cowork": "coworking", "Fablab": "fablab", "Atelier partagé": "atelier-partage",
              "Espace public numérique": "epn", "Repair café": "repair-cafe", "Télécentre": "telecentre",
              "Campus connecté": "campus-connecte"}


def communes():
    towns, weights = [], []
    with open(COMMUNES, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["lat"] and row["lon"]:
                towns.append((row["nom"], float(row["lat"]), float(row["lon"])))
                weights.append(float(row["population"] or 0) + 50)
    return towns, weights


def synthetic(n, seed=1789):
    """(id, name, sort name, town, search_text, latitude, longitude, kind code or None) of n places."""
    from tilios.text import search_text, sort_key

    rng = random.Random(seed)
    towns, weights = communes()
    for i, (town, lat, lon) in enumerate(rng.choices(towns, weights, k=n), start=1):
        word = rng.choice(KIND_WORDS)
        name = " ".join(filter(None, [word, rng.choice(SECOND), town]))
        yield (i, name, sort_key(name), town, search_text(name, town), round(lat + rng.gauss(0, 0.02), 6),
               round(lon + rng.gauss(0, 0.03), 6), KIND_CODES.get(word))


def build_sqlite(template, path, n):
    shutil.copy(template, path)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    table_sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'places_place'").fetchone()[0]
    cols = [(r[1], "json" if f'JSON_VALID("{r[1]}")' in table_sql else r[2], r[3], r[4])
            for r in con.execute("PRAGMA table_info(places_place)")]
    fixed = place_row_values(cols, dt.datetime.now(dt.timezone.utc).isoformat(sep=" "))
    fixed = {k: (int(v) if isinstance(v, bool) else v) for k, v in fixed.items()
             if k not in ("town", "search_text")}
    names = ["id", "public_id", "name", "sort_name", "town", "search_text", "latitude", "longitude", *fixed]
    sql = f"INSERT INTO places_place ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    values = tuple(fixed.values())
    kind_ids = dict(con.execute("SELECT code, id FROM places_kind"))
    tags = []
    t0 = time.perf_counter()
    con.execute("BEGIN")
    for i, name, sort, town, text, lat, lon, kind in synthetic(n):
        con.execute(sql, (i, f"t{i:09d}", name, sort, town, text, lat, lon) + values)
        if kind:
            tags.append((i, kind_ids[kind]))
    con.executemany("INSERT INTO places_place_kinds (place_id, kind_id) VALUES (?, ?)", tags)
    con.execute("COMMIT")
    inserted = time.perf_counter() - t0
    con.execute("BEGIN")  # what an import does at its end: every place in name order in the text index
    for sql in text_index.SQLITE_REBUILD:
        con.execute(sql)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return inserted, time.perf_counter() - t0 - inserted


def build_postgres(var_dir, n):
    with pg_connect(PG_ADMIN) as con:
        con.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {PG_DB}")
    for command in (["migrate", "-v", "0"], ["load_territories"]):
        subprocess.run([*TILIOS, *command], env=tilios_env(var_dir, PG_URL), check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
    with pg_connect(PG_URL) as con:
        # The words' indexes dropped, then built once after the COPY: faster than kept up row by row.
        words = [row[0] for row in con.execute("SELECT indexdef FROM pg_indexes WHERE indexname IN "
                                               "('places_place_search_words', %s)", [text_index.SEARCH_INDEX])]
        con.execute(f"DROP INDEX places_place_search_words, {text_index.SEARCH_INDEX}")
        cols = [tuple(r) for r in con.execute(
            "SELECT column_name, data_type, is_nullable = 'NO', column_default FROM information_schema.columns "
            "WHERE table_name = 'places_place' ORDER BY ordinal_position")]
        fixed = {k: v for k, v in place_row_values(cols, dt.datetime.now(dt.timezone.utc)).items()
                 if k not in ("town", "search_text")}
        names = ["id", "public_id", "name", "sort_name", "town", "search_text", "latitude", "longitude", *fixed]
        values = tuple(fixed.values())
        kind_ids = dict(con.execute("SELECT code, id FROM places_kind").fetchall())
        tags = []
        t0 = time.perf_counter()
        with con.cursor().copy(f"COPY places_place ({', '.join(names)}) FROM STDIN") as copy:
            for i, name, sort, town, text, lat, lon, kind in synthetic(n):
                copy.write_row((i, f"t{i:09d}", name, sort, town, text, lat, lon) + values)
                if kind:
                    tags.append((i, kind_ids[kind]))
        with con.cursor().copy("COPY places_place_kinds (place_id, kind_id) FROM STDIN") as copy:
            for tag in tags:
                copy.write_row(tag)
        for index in words:
            con.execute(index)
        con.execute(kind_index.POSTGRES_FOLD)  # what an import does at its end: the kinds' counts folded
        con.execute(f"VACUUM ANALYZE places_place, places_place_kinds, {kind_index.TABLE}, {kind_index.COUNTS}, "
                    f"{text_index.SEARCH_TABLE}")
        return time.perf_counter() - t0


def worker(repeat):
    """In a process whose environment names the database: times both paths for every query."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")
    django.setup()
    from django.db import connection
    from read_path import call

    from tilios.places import queries
    from tilios.places.models import Place
    from tilios.text import query_tokens
    from tilios.wsgi import application

    def scan(q):
        qs = Place.objects.filter(is_published=True, merged_into=None)
        for token in query_tokens(q):
            qs = qs.filter(search_text__contains=" " + token)
        return qs

    def answer(qs):
        return list(qs.order_by("sort_name", "id").values_list("id", flat=True)[:10]), qs.count()

    def indexed(q):
        """What the API does: the first page by name, then the count."""
        qs = queries.search(q)
        return [place.id for place in queries.page(qs, limit=10).places], queries.count(qs)

    def without_index(on):
        """For the peer, bitmap scans (the only way a GIN index is read) are turned off on PostgreSQL, so the
        LIKE is applied row by row as before any index, whatever index a base of an earlier commit has."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET enable_bitmapscan = " + ("off" if on else "on"))

    def api(q):
        return call(application, "/api/places", urlencode({"q": q, "limit": 10}))

    results = {}
    for q in QUERIES:
        paths = {"index": lambda: indexed(q), "scan": lambda: answer(scan(q)), "api": lambda: api(q)}
        answers, times = {}, {}
        for name, run in paths.items():
            without_index(name == "scan")
            answers[name] = run()  # warm-up, and the check below
            samples = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                run()
                samples.append((time.perf_counter() - t0) * 1000)
            times[name] = statistics.median(samples)
        without_index(False)
        assert answers["index"] == answers["scan"], (q, answers)
        found = json.loads(answers["api"])
        results[q] = {"count": answers["index"][1], "api_count": found["count"], **times}
    print(json.dumps(results))


def measure(env, repeat):
    env = dict(env, TILIOS_NO_RATELIMIT="1", TILIOS_DEBUG="0")
    output = subprocess.run([sys.executable, __file__, "--worker", "--repeat", str(repeat)], env=env,
                            capture_output=True, text=True, cwd=ROOT)
    if output.returncode:
        sys.exit(output.stderr[-3000:])
    return json.loads(output.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--pg-sizes", default="100000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        return worker(args.repeat)
    tmp = Path(tempfile.mkdtemp(prefix="tilios-text-"))
    rows, notes = [], []
    try:
        template = tmp / "template"
        for command in (["migrate", "-v", "0"], ["load_territories"]):
            subprocess.run([*TILIOS, *command], env=tilios_env(template), check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
        runs = [("SQLite", int(float(n))) for n in args.sizes.split(",") if n] + \
               [("PostgreSQL", int(float(n))) for n in args.pg_sizes.split(",") if n]
        for engine, n in runs:
            var_dir = tmp / f"{engine}-{n}"
            var_dir.mkdir()
            shutil.copy(template / "secret_key", var_dir / "secret_key")
            if engine == "SQLite":
                inserted, ordered = build_sqlite(template / "tilios.sqlite3", var_dir / "tilios.sqlite3", n)
                env = tilios_env(var_dir)
                notes.append(f"SQLite {n:,}: rows + R*Tree + FTS5 (triggers) {inserted:.0f} s, text index put in "
                             f"name order {ordered:.1f} s, file "
                             f"{(var_dir / 'tilios.sqlite3').stat().st_size / 1e6:.0f} MB")
            else:
                seconds = build_postgres(var_dir, n)
                env = tilios_env(var_dir, PG_URL)
                notes.append(f"PostgreSQL {n:,}: COPY + words GIN {seconds:.0f} s")
            log(notes[-1])
            for q, r in measure(env, args.repeat).items():
                rows.append((engine, n, q, r))
                log(f"{engine} {n:,} « {q} »: {r['count']} places, index {r['index']:.2f} ms, scan {r['scan']:.2f} ms; "
                    f"api {r['api_count']} places, {r['api']:.2f} ms")
            shutil.rmtree(var_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        with pg_connect(PG_ADMIN) as con:
            con.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    lines = [f"`q`: first 10 ids in name order + count, median of {args.repeat}; {time.strftime('%Y-%m-%d')}, "
             f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, SQLite {sqlite3.sqlite_version}.", "",
             "| engine | places | q | text matches | index ms | scan ms | index ÷ scan | api: places | api ms |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for engine, n, q, r in rows:
        lines.append(f"| {engine} | {n:,} | {q} | {r['count']:,} | {r['index']:.2f} | {r['scan']:.2f} | "
                     f"{r['index'] / r['scan']:.2f} | {r['api_count'] if r['api_count'] is not None else '—'} | "
                     f"{r['api']:.2f} |")
    for engine, n in dict.fromkeys((engine, n) for engine, n, _q, _r in rows):
        median = {path: statistics.median(r[path] for e, m, _q, r in rows if (e, m) == (engine, n))
                  for path in ("index", "scan", "api")}
        lines.append(f"| {engine} | {n:,} | **median of the queries** | | **{median['index']:.2f}** | "
                     f"**{median['scan']:.2f}** | | | **{median['api']:.2f}** |")
    lines += ["", "Build: " + "; ".join(notes) + "."]
    OUT.mkdir(exist_ok=True)
    (OUT / "text_search.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
