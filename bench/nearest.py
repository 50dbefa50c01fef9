"""Benchmark: k=10 nearest places, Tilios (SQLite R*Tree, PostgreSQL earthdistance GiST) against
PostGIS `ORDER BY geog <-> point LIMIT 10` on a `geography` column with a GiST index.

    .venv/bin/python bench/nearest.py [--sizes 100000,1000000] [--queries 1000]

Synthetic places are drawn from the commune centres (weighted by population, metropolitan and
overseas) with a gaussian jitter of a few km, fixed seed. Every engine answers the same query points;
each is measured in its own subprocess (the environment is set before Django starts), after a warm-up
pass. Recall is checked against a numpy brute force. The Markdown table is printed and written to
bench/out/nearest.md. See bench/README.md.
"""
import argparse
import contextlib
import csv
import datetime as dt
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
COMMUNES = ROOT / "tilios" / "data" / "communes-centres-geoapi-2025" / "communes_centres.csv"
TILIOS = [sys.executable, "-m", "tilios.cli"]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "tilios_bench"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
EARTH_RADIUS_KM = 6371.0088  # as tilios.territories.services
K = 10


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


# --- Synthetic data ------------------------------------------------------------------------------

def load_communes():
    lat, lon, pop = [], [], []
    with open(COMMUNES, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["lat"] and row["lon"]:
                lat.append(float(row["lat"]))
                lon.append(float(row["lon"]))
                pop.append(float(row["population"] or 0))
    return np.array(lat), np.array(lon), np.array(pop)


def jitter(rng, lat, lon, sigma_km):
    lat = lat + rng.normal(0, 1, lat.size) * sigma_km / 111.2
    lon = lon + rng.normal(0, 1, lon.size) * sigma_km / (111.2 * np.cos(np.radians(lat)))
    return np.clip(lat, -89.9, 89.9), (lon + 180) % 360 - 180


def synthetic_places(n, seed=20250601):
    """n points: commune centres drawn by population, spread more around big towns (1 to 5 km σ)."""
    clat, clon, pop = load_communes()
    rng = np.random.default_rng(seed)
    w = pop + 1
    idx = rng.choice(clat.size, size=n, p=w / w.sum())
    sigma = np.clip(1 + np.sqrt(pop[idx]) / 100, 1, 5)
    return jitter(rng, clat[idx], clon[idx], sigma)


def query_points(n, seed=7):
    """80 % near people (drawn by population), 20 % rural (any commune, unweighted), 3 km σ."""
    clat, clon, pop = load_communes()
    rng = np.random.default_rng(seed)
    n_rural = n // 5
    w = pop + 1
    idx = np.concatenate([rng.choice(clat.size, size=n - n_rural, p=w / w.sum()),
                          rng.choice(clat.size, size=n_rural)])
    rng.shuffle(idx)
    return jitter(rng, clat[idx], clon[idx], 3.0)


def brute_force(plat, plon, qlat, qlon, k=K):
    """Exact top k by (haversine distance, id); ids are 1-based row numbers."""
    p1, p2 = np.radians(qlat), np.radians(plat)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(plon - qlon) / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    cand = np.argpartition(d, k + 5)[: k + 5]
    order = cand[np.lexsort((cand, d[cand]))][:k]
    return [int(i) + 1 for i in order]


# --- Building the databases ----------------------------------------------------------------------

def place_row_values(columns, now):
    """Values for every NOT NULL column of places_place a bulk row must fill, by name or by type."""
    known = {"alternate_names": "[]", "presence": "physical", "mobility": "fixed", "status": "open",
             "temporary": False, "links": "[]", "commune_check": "unknown", "is_published": True,
             "protected": False, "created_at": now, "updated_at": now}
    fixed = {}
    for name, ctype, notnull, default in columns:
        if name in ("id", "public_id", "name", "sort_name", "latitude", "longitude") or not notnull:
            continue
        if name in known:
            fixed[name] = known[name]
        elif default is None:  # a column this script does not know yet: a neutral value by type
            ctype = ctype.lower()
            fixed[name] = (False if "bool" in ctype else 0 if "int" in ctype else "[]" if "json" in ctype
                           else "")
    return fixed


def bulk_rows(lat, lon, fixed):
    values = tuple(fixed.values())
    for i in range(lat.size):
        pid = i + 1
        name = f"Lieu de synthèse {pid}"
        yield (pid, f"b{pid:09d}", name, f"lieu de synthese {pid:07d}", float(lat[i]), float(lon[i])) + values


def build_sqlite(template, path, lat, lon):
    shutil.copy(template, path)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    table_sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'places_place'").fetchone()[0]
    cols = [(r[1], "json" if f'JSON_VALID("{r[1]}")' in table_sql else r[2], r[3], r[4])
            for r in con.execute("PRAGMA table_info(places_place)")]
    fixed = place_row_values(cols, dt.datetime.now(dt.timezone.utc).isoformat(sep=" "))
    fixed = {k: (int(v) if isinstance(v, bool) else v) for k, v in fixed.items()}
    names = ["id", "public_id", "name", "sort_name", "latitude", "longitude", *fixed]
    sql = f"INSERT INTO places_place ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    t0 = time.perf_counter()
    con.execute("BEGIN")
    con.executemany(sql, bulk_rows(lat, lon, fixed))
    con.execute("COMMIT")
    t_rows = time.perf_counter() - t0
    n_place = con.execute("SELECT count(*) FROM places_place").fetchone()[0]
    n_tree = con.execute("SELECT count(*) FROM places_place_rtree").fetchone()[0]
    assert n_place == n_tree == lat.size, (n_place, n_tree, lat.size)
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return t_rows


def pg_connect(url, autocommit=True):
    import psycopg

    return psycopg.connect(url, autocommit=autocommit)


def ensure_postgis():
    check = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
                            "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'"],
                           capture_output=True, text=True)
    if check.stdout.strip() == "1":
        return
    log("PostGIS missing: apt-get install postgresql-15-postgis-3")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "postgresql-15-postgis-3"], env=env).returncode:
        subprocess.run(["apt-get", "update"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "postgresql-15-postgis-3"], env=env, check=True)


def tilios_env(var_dir, db_url=None):
    env = dict(os.environ, TILIOS_VAR_DIR=str(var_dir), PYTHONPATH=str(ROOT))
    env.pop("TILIOS_DATABASE_URL", None)
    if db_url:
        env["TILIOS_DATABASE_URL"] = db_url
    return env


def prepare_postgres(var_dir):
    ensure_postgis()
    with pg_connect(PG_ADMIN) as con:
        con.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {PG_DB}")
    subprocess.run([*TILIOS, "migrate", "-v", "0"], env=tilios_env(var_dir, PG_URL), check=True, cwd=ROOT)
    with pg_connect(PG_URL) as con:
        con.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def build_postgres(lat, lon):
    """Loads the Tilios table (then its GiST on ll_to_earth) and a PostGIS geography table, by COPY."""
    times = {}
    with pg_connect(PG_URL) as con:
        con.execute("TRUNCATE places_place CASCADE")
        # The migration's GiST index, dropped during the load and rebuilt from its own definition.
        (earth_index,) = con.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'places_place_earth'").fetchone()
        con.execute("DROP INDEX places_place_earth")
        cols = [tuple(r) for r in con.execute(
            "SELECT column_name, data_type, is_nullable = 'NO', column_default FROM information_schema.columns "
            "WHERE table_name = 'places_place' ORDER BY ordinal_position")]
        fixed = place_row_values(cols, dt.datetime.now(dt.timezone.utc))
        names = ["id", "public_id", "name", "sort_name", "latitude", "longitude", *fixed]
        t0 = time.perf_counter()
        with con.cursor().copy(f"COPY places_place ({', '.join(names)}) FROM STDIN") as copy:
            for row in bulk_rows(lat, lon, fixed):
                copy.write_row(row)
        con.execute(earth_index)
        con.execute("SELECT setval(pg_get_serial_sequence('places_place', 'id'), %s)", (lat.size,))
        con.execute("VACUUM ANALYZE places_place")
        times["tilios_pg"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        con.execute("DROP TABLE IF EXISTS bench_geog")
        con.execute("CREATE TABLE bench_geog (id bigint PRIMARY KEY, geog geography(Point, 4326) NOT NULL)")
        with con.cursor().copy("COPY bench_geog (id, geog) FROM STDIN") as copy:
            for i in range(lat.size):
                copy.write_row((i + 1, f"SRID=4326;POINT({float(lon[i])!r} {float(lat[i])!r})"))
        con.execute("CREATE INDEX bench_geog_gist ON bench_geog USING gist (geog)")
        con.execute("VACUUM ANALYZE bench_geog")
        times["postgis"] = time.perf_counter() - t0
    return times


# --- Measuring (each engine in a subprocess) -----------------------------------------------------

def summarise(lat_ns):
    ms = np.array(lat_ns) / 1e6
    return {"median": float(np.median(ms)), "p99": float(np.percentile(ms, 99))}


def worker(engine, qfile, out, sample):
    q = np.load(qfile)
    if engine == "postgis":
        con = pg_connect(PG_URL)
        sql = ("SELECT id, geog <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography AS d "
               "FROM bench_geog ORDER BY d LIMIT 10")

        def run(lat, lon):
            return [r[0] for r in con.execute(sql, (lon, lat), prepare=True).fetchall()]
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")
        import django

        django.setup()
        from tilios.places.models import Place
        from tilios.places.spatial import nearest

        def run(lat, lon):
            return [h.id for h in nearest(Place.objects.all(), lat, lon, K)]

    for lat, lon in q:  # warm-up: caches, prepared statements
        run(float(lat), float(lon))
    times = []
    results = {}
    clock = time.perf_counter_ns
    for i, (lat, lon) in enumerate(q):
        lat, lon = float(lat), float(lon)
        t0 = clock()
        ids = run(lat, lon)
        times.append(clock() - t0)
        if i < sample:
            results[i] = ids
    Path(out).write_text(json.dumps({"times": times, "results": results}))


def measure(engine, env, q, sample, tmp):
    qfile, out = tmp / "queries.npy", tmp / f"{engine}.json"
    np.save(qfile, q)
    subprocess.run([sys.executable, __file__, "--worker", engine, "--qfile", str(qfile), "--out", str(out),
                    "--sample", str(sample)], env=env, check=True, cwd=ROOT)
    data = json.loads(out.read_text())
    return data["times"], {int(i): ids for i, ids in data["results"].items()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_http(var_dir, q, sample):
    port = free_port()
    server = subprocess.Popen([*TILIOS, "serve", "--no-demo", "--port", str(port)], env=tilios_env(var_dir),
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port)

        def get(lat, lon):
            conn.request("GET", f"/api/places?near={float(lat)!r},{float(lon)!r}&limit={K}")
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200, (resp.status, body[:300])
            return body

        for lat, lon in q[:200]:
            get(lat, lon)
        times, results = [], {}
        for i, (lat, lon) in enumerate(q):
            t0 = time.perf_counter_ns()
            body = get(lat, lon)
            times.append(time.perf_counter_ns() - t0)
            if i < sample:
                results[i] = [int(r["id"][1:]) for r in json.loads(body)["results"]]
        conn.close()
        return times, results
    finally:
        server.terminate()
        server.wait(timeout=20)


def recall(results, truth, exact_order=False):
    got = sum(len(set(results[i]) & set(truth[i])) for i in results)
    ordered = all(results[i] == truth[i] for i in results)
    return got / (K * len(results)), ordered


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=200, help="queries checked against brute force")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (and the bench database)")
    ap.add_argument("--worker"), ap.add_argument("--qfile"), ap.add_argument("--out")
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.qfile, args.out, args.sample)

    sizes = [int(float(s)) for s in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="tilios-bench-"))
    started = time.perf_counter()
    rows, notes = [], []
    try:
        log("migrating the Tilios schemas (SQLite template, PostgreSQL", PG_DB + ")")
        template_dir = tmp / "template"
        subprocess.run([*TILIOS, "migrate", "-v", "0"], env=tilios_env(template_dir), check=True, cwd=ROOT)
        prepare_postgres(tmp / "pg-var")
        qlat, qlon = query_points(args.queries)
        q = np.column_stack([qlat, qlon])
        sample = min(args.sample, args.queries)
        for n in sizes:
            log(f"--- {n:,} places")
            plat, plon = synthetic_places(n)
            var_dir = tmp / f"sqlite-{n}"
            var_dir.mkdir()
            shutil.copy(template_dir / "secret_key", var_dir / "secret_key")
            t_rows = build_sqlite(template_dir / "tilios.sqlite3", var_dir / "tilios.sqlite3", plat, plon)
            log(f"SQLite: {n:,} rows + R*Tree (triggers) in {t_rows:.1f} s")
            t_pg = build_postgres(plat, plon)
            log(f"PostgreSQL: Tilios table + GiST {t_pg['tilios_pg']:.1f} s, PostGIS table + GiST "
                f"{t_pg['postgis']:.1f} s")
            notes.append(f"{n:,}: SQLite rows + R*Tree {t_rows:.0f} s; PostgreSQL COPY + earthdistance GiST "
                         f"{t_pg['tilios_pg']:.0f} s; PostGIS COPY + GiST {t_pg['postgis']:.0f} s")
            t0 = time.perf_counter()
            truth = {i: brute_force(plat, plon, qlat[i], qlon[i]) for i in range(sample)}
            log(f"brute force for {sample} queries in {time.perf_counter() - t0:.1f} s")
            engines = [("Tilios SQLite (R*Tree)", "tilios", tilios_env(var_dir)),
                       ("Tilios PostgreSQL (earthdistance GiST)", "tilios", tilios_env(var_dir, PG_URL)),
                       ("PostGIS geography GiST", "postgis", os.environ.copy())]
            res = {}
            for label, engine, env in engines:
                times, results = measure(engine, env, q, sample, tmp)
                res[label] = summarise(times) | dict(zip(("recall", "exact"), recall(results, truth)))
                log(label, res[label])
            if not args.no_http:
                times, results = measure_http(var_dir, q, sample)
                res["Tilios HTTP `near` (SQLite)"] = summarise(times) | dict(
                    zip(("recall", "exact"), recall(results, truth)))
                log("HTTP", res["Tilios HTTP `near` (SQLite)"])
            ref = res["PostGIS geography GiST"]
            for label, r in res.items():
                rows.append((label, n, r, r["median"] / ref["median"], r["p99"] / ref["p99"]))
            if not args.keep:
                shutil.rmtree(var_dir)
    finally:
        if args.keep:
            log("kept", tmp, "and the database", PG_DB)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            with contextlib.suppress(Exception), pg_connect(PG_ADMIN) as con:
                con.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")

    lines = [f"k={K} nearest, {args.queries} query points (same for every engine), recall on {sample} "
             f"against a numpy haversine brute force; {time.strftime('%Y-%m-%d')}, "
             f"{os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}.", "",
             "| engine | places | median ms | p99 ms | recall | exact order | median ÷ PostGIS | p99 ÷ PostGIS |",
             "|---|---:|---:|---:|---:|:-:|---:|---:|"]
    for label, n, r, rm, rp in rows:
        lines.append(f"| {label} | {n:,} | {r['median']:.3f} | {r['p99']:.3f} | {r['recall']:.4f} | "
                     f"{'yes' if r['exact'] else 'no'} | {rm:.2f} | {rp:.2f} |")
    lines += ["", "Build times: " + "; ".join(notes) + ".",
              f"Whole run: {time.perf_counter() - started:.0f} s."]
    text = "\n".join(lines) + "\n"
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "nearest.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
