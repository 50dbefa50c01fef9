"""Benchmark: the map's groups of a view (`tilios.places.clusters.view`, what /api/places/clusters answers),
Tilios on SQLite and on PostgreSQL, against PostGIS grouping the same points on the same grid.

    .venv/bin/python bench/clusters.py [--sizes 100000,1000000] [--repeat 7]

Synthetic places as bench/nearest.py draws them (commune centres by population, jittered), loaded into the
real schema (SQLite file; PostgreSQL database tilios_bench) and into a PostGIS table of Web-Mercator points
(`geometry(Point, 3857)`, GiST). Four views a phone asks for: France at zoom 5 (the home page's first view),
Île-de-France at zoom 9, Lyon at zoom 13, a Paris street at zoom 16. The peer is PostGIS doing the same
work: the points inside the view's cells (`&&` an envelope), grouped by `floor(x / cell), floor(y / cell)`,
with their count and mean position. Each engine is timed in its own subprocess, median of --repeat after a
warm-up; the places counted in each view are compared. Written to bench/out/clusters.md.
"""
import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nearest import (
    PG_ADMIN,
    PG_DB,
    PG_URL,
    ROOT,
    TILIOS,
    build_postgres,
    build_sqlite,
    log,
    pg_connect,
    prepare_postgres,
    synthetic_places,
    tilios_env,
)

OUT = ROOT / "bench" / "out"
VIEWS = {  # name: (zoom, west, south, east, north), as the phone's map asks them (its view and a margin)
    "France, zoom 5": (5, -10.65674, 36.87571, 15.05127, 55.28206),
    "Île-de-France, zoom 9": (9, 1.4, 48.1, 3.6, 49.3),
    "Lyon, zoom 13": (13, 4.78, 45.71, 4.92, 45.80),
    "Paris street, zoom 16": (16, 2.340, 48.850, 2.358, 48.862),
}
HALF_WORLD_M = 20037508.342789244


def worker(engine, repeat, out):
    if engine == "postgis":
        return postgis_worker(repeat, out)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")
    django.setup()
    from tilios.places import clusters, queries

    results = {}
    for name, (zoom, *bbox) in VIEWS.items():
        shown = clusters.view(queries.search(), zoom, tuple(bbox))  # warm-up
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            shown = clusters.view(queries.search(), zoom, tuple(bbox))
            times.append((time.perf_counter() - started) * 1000)
        results[name] = {"ms": statistics.median(times), "count": shown.count, "groups": len(shown.groups),
                         "edges": shown.bbox}
    Path(out).write_text(json.dumps(results))


def _mercator(lon, lat):
    return (lon * HALF_WORLD_M / 180,
            math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * HALF_WORLD_M / math.pi)


def postgis_worker(repeat, out):
    """The same cells as Tilios's answer (its `edges`, passed in the file), grouped by PostGIS."""
    edges = json.loads(Path(out).read_text())
    sql = ("SELECT count(*), avg(ST_X(geom)), avg(ST_Y(geom)) FROM bench_merc "
           "WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 3857) "
           "GROUP BY floor(ST_X(geom) / %s), floor(ST_Y(geom) / %s)")
    results = {}
    with pg_connect(PG_URL) as con:
        for name, (zoom, *_bbox) in VIEWS.items():
            west, south, east, north = edges[name]
            x0, y0 = _mercator(west, south)
            x1, y1 = _mercator(east, north)
            cell = 64 * 2 * HALF_WORLD_M / (256 * 2**zoom)
            params = (x0, y0, x1, y1, cell, cell)
            rows = con.execute(sql, params, prepare=True).fetchall()  # warm-up
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                rows = con.execute(sql, params, prepare=True).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            results[name] = {"ms": statistics.median(times), "count": sum(r[0] for r in rows), "groups": len(rows)}
    Path(out).write_text(json.dumps(results))


def measure(engine, env, repeat, tmp, edges=None):
    out = tmp / f"{engine}-{time.monotonic_ns()}.json"
    if edges is not None:
        out.write_text(json.dumps(edges))
    subprocess.run([sys.executable, __file__, "--worker", engine, "--repeat", str(repeat), "--out", str(out)],
                   env=env, check=True, cwd=ROOT)
    return json.loads(out.read_text())


def build_postgis():
    with pg_connect(PG_URL) as con:
        con.execute("DROP TABLE IF EXISTS bench_merc")
        con.execute("CREATE TABLE bench_merc AS SELECT id, ST_Transform(geog::geometry, 3857) AS geom FROM bench_geog")
        con.execute("CREATE INDEX bench_merc_gist ON bench_merc USING gist (geom)")
        con.execute("VACUUM ANALYZE bench_merc")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--worker"), ap.add_argument("--out")
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.repeat, args.out)

    tmp = Path(tempfile.mkdtemp(prefix="tilios-clusters-"))
    rows, started = [], time.perf_counter()
    try:
        template = tmp / "template"
        subprocess.run([*TILIOS, "migrate", "-v", "0"], env=tilios_env(template), check=True, cwd=ROOT)
        prepare_postgres(tmp / "pg-var")
        for n in [int(float(s)) for s in args.sizes.split(",")]:
            log(f"--- {n:,} places")
            lat, lon = synthetic_places(n)
            var_dir = tmp / f"sqlite-{n}"
            var_dir.mkdir()
            shutil.copy(template / "secret_key", var_dir / "secret_key")
            build_sqlite(template / "tilios.sqlite3", var_dir / "tilios.sqlite3", lat, lon)
            build_postgres(lat, lon)
            build_postgis()
            sqlite = measure("tilios", tilios_env(var_dir), args.repeat, tmp)
            pg = measure("tilios", tilios_env(var_dir, PG_URL), args.repeat, tmp)
            postgis = measure("postgis", os.environ.copy(), args.repeat, tmp,
                              {name: r["edges"] for name, r in sqlite.items()})
            for name in VIEWS:
                rows.append((n, name, sqlite[name], pg[name], postgis[name]))
                log(name, sqlite[name]["ms"], pg[name]["ms"], postgis[name]["ms"])
            shutil.rmtree(var_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(Exception), pg_connect(PG_ADMIN) as con:
            con.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    lines = [f"Groups of a map view, median of {args.repeat} (ms), {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
             f"load {os.getloadavg()[0]:.1f}", "",
             "| places | view | places in view (Tilios / PostGIS) | groups | Tilios SQLite | Tilios PostgreSQL | "
             "PostGIS grid | SQLite ÷ PostGIS | PostgreSQL ÷ PostGIS |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for n, name, s, p, g in rows:
        lines.append(f"| {n:,} | {name} | {s['count']:,} / {g['count']:,} | {s['groups']} | {s['ms']:.1f} | "
                     f"{p['ms']:.1f} | {g['ms']:.1f} | {s['ms'] / g['ms']:.2f} | {p['ms'] / g['ms']:.2f} |")
    lines += ["", f"Whole run: {time.perf_counter() - started:.0f} s."]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "clusters.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
