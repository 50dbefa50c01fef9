"""Import of 10⁵ rows: time, memory and what matching made of them, on a fresh database with the demo base.

    .venv/bin/python bench/import_big.py [--n 100000] [--database-url URL]

The rows are the synthetic records of bench/er_synthetic.py (realistic names, addresses, duplicates with
noise) written as a semicolon CSV and imported by what `tilios import csv --mapping` runs, in a process that
does nothing else, as a user's command would (the database and the file are prepared by another). The
database defaults to a new SQLite file under bench/out/; pass a PostgreSQL URL (a database of its own:
it is emptied) to measure the other engine. Runs a first import, then the same file again (all unchanged).
"""
import argparse
import csv
import json
import multiprocessing
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MAPPING = {
    "id": "id", "delimiter": ";",
    "fields": {"name": "nom", "address": "adresse", "postcode": "cp", "town": "ville", "commune_code": "insee",
               "latitude": "lat", "longitude": "lon"},
    "links": {"web": "site"},
}


def write_rows(n, seed, path):
    """Write the rows; returns how many places they describe."""
    from er_synthetic import generate

    records = generate(n, seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(["id", "nom", "adresse", "cp", "ville", "insee", "lat", "lon", "site", "telephone", "courriel"])
        for r in records:
            out.writerow([r["record_id"], r["name"], r["address"], r["postcode"], r["town"], r["commune_code"],
                          "" if r["latitude"] is None else r["latitude"],
                          "" if r["longitude"] is None else r["longitude"], r["website"], r["phone"], r["email"]])
    return len({r["entity_id"] for r in records})


def prepare(n, seed, rows):
    """The database (demo base, the bench's source) and the file. Run in a process of its own: the demo's
    import and the generator's records are not the measured import's, and their memory would count in it
    (a user's `tilios import` is a process of its own too)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tilios.instance.demo import ensure_demo_data
    from tilios.sources.models import Source

    if connection.vendor == "postgresql":  # emptied whole: a flush would leave out the rows migrations made
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    ensure_demo_data()
    Source.objects.get_or_create(slug="synthetique", defaults=dict(
        name="Annuaire synthétique (bench)", licence="—", attribution="bench/er_synthetic.py"))
    return write_rows(n, seed, rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    if args.database_url:
        os.environ["TILIOS_DATABASE_URL"] = args.database_url
    else:
        db = OUT / "import_big.sqlite3"
        db.unlink(missing_ok=True)
        os.environ["TILIOS_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")
    rows = OUT / f"import_big_{args.n}.csv"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        entities = child.submit(prepare, args.n, args.seed, rows).result()
    mapping = OUT / "import_big_mapping.json"
    mapping.write_text(json.dumps(MAPPING), encoding="utf-8")

    import django

    django.setup()
    from django.db import connection

    from tilios import progress
    from tilios.sources.services import run_import

    start = time.perf_counter()
    first = run_import("csv", rows, source="synthetique", mapping=mapping, progress=progress.bar)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    again = run_import("csv", rows, source="synthetique", mapping=mapping)
    again_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "engine": connection.vendor, "rows": first.rows, "entities": entities,
        "first_import_s": round(first_s, 1), "rows_per_s": round(first.rows / first_s),
        "created": first.created, "matched": first.matched, "review_items": first.review_items,
        "rejected": first.rejected, "reimport_s": round(again_s, 1), "reimport_unchanged": again.unchanged,
        "peak_rss_mb": round(peak_mb),
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))
    (OUT / f"import_big_{connection.vendor}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
