"""Benchmark: the read path around the indexes, against a bare WSGI floor in the same run.

    .venv/bin/python bench/read_path.py [--repeat 300] [--geojson-repeat 10]

On the demo data (the CGET base, loaded into a temp SQLite file), each request goes through Tilios's
real WSGI application, in process (no socket: what is measured is Django, ninja, the ORM and the JSON):
- `near`: GET /api/places?near=45.4397,4.3872&limit=10 (Saint-Étienne);
- `q`: GET /api/places?q=coworking&limit=10 (read as the kind);
- `q_town`: GET /api/places?q=fablab+lyon&limit=10 (the kind, and Lyon's places nearest its centre first);
- `geojson`: GET /api/places.geojson (every place).

The peer is the floor any framework pays: a bare WSGI function that runs the very SQL statements Tilios ran
for that request (captured once, replayed with the sqlite3 module) and writes the same JSON document. The
ratio Tilios / floor is what Tilios's layers cost. Medians in ms; printed and written to
bench/out/read_path.md.
"""
import argparse
import io
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
REQUESTS = {
    "near": ("/api/places", "near=45.4397,4.3872&limit=10"),
    "q": ("/api/places", "q=coworking&limit=10"),
    "q_town": ("/api/places", "q=fablab+lyon&limit=10"),
    "geojson": ("/api/places.geojson", ""),
}


def environ(path, query):
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": False,
            "wsgi.multiprocess": False, "wsgi.run_once": False}


def call(app, path, query):
    status = []
    body = b"".join(app(environ(path, query), lambda s, headers, exc_info=None: status.append(s)))
    assert status[0].startswith("200"), (path, query, status, body[:300])
    return body


def floor_app(db_path, statements, payload):
    """The peer: the same SQL through sqlite3, the same JSON out, nothing else."""
    connection = sqlite3.connect(db_path, check_same_thread=False)

    def app(environ, start_response):
        for sql in statements:
            connection.execute(sql).fetchall()
        body = json.dumps(payload, ensure_ascii=False).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def median_ms(fn, repeat):
    fn()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--geojson-repeat", type=int, default=10)
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="tilios-bench-read-")
    os.environ.update(TILIOS_VAR_DIR=var_dir, TILIOS_NO_RATELIMIT="1", TILIOS_DEBUG="0",
                      DJANGO_SETTINGS_MODULE="tilios.settings")
    os.environ.pop("TILIOS_DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tilios.instance.demo import ensure_demo_data
    from tilios.wsgi import application

    call_command("migrate", verbosity=0)
    ensure_demo_data()
    db_path = connection.settings_dict["NAME"]

    rows = []
    for name, (path, query) in REQUESTS.items():
        call(application, path, query)  # what a serving process has already read and keeps (the kinds, the towns)
        with CaptureQueriesContext(connection) as captured:
            body = call(application, path, query)
        statements = [q["sql"] for q in captured.captured_queries
                      if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
        floor = floor_app(db_path, statements, json.loads(body))
        assert json.loads(call(floor, path, query)) == json.loads(body)
        repeat = args.geojson_repeat if name == "geojson" else args.repeat
        tilios_ms = median_ms(lambda: call(application, path, query), repeat)
        floor_ms = median_ms(lambda: call(floor, path, query), repeat)
        rows.append((name, len(statements), len(body), tilios_ms, floor_ms))

    load = os.getloadavg()
    lines = [f"Machine load (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", "",
             "| request | SQL statements | bytes | Tilios (ms, median) | bare WSGI floor (ms) | ratio |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, statements, size, tilios_ms, floor_ms in rows:
        lines.append(f"| {name} | {statements} | {size:,} | {tilios_ms:.2f} | {floor_ms:.2f} | "
                     f"{tilios_ms / floor_ms:.1f}× |")
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(exist_ok=True)
    (OUT / "read_path.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
