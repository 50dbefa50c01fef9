"""Sizes and times of `tilios dump` / `tilios restore` for the demo and for a registry grown to N places.

    .venv/bin/python bench/dump_restore.py                 # the demo (1 512 places) and 10⁵ places
    .venv/bin/python bench/dump_restore.py --sizes 1512    # the demo only

Per size: a SQLite instance (migrate, demo data, then copies of the demo places, each with its
revision and a raw record of a synthetic source, until N places), dumped (plain and gzip); restored
into a fresh SQLite file and into a scratch PostgreSQL database (`tilios_bench_dump`, 127.0.0.1:5432,
user postgres), dumped again from PostgreSQL and compared byte for byte apart from the header.
Each command runs in its own process, timed from the outside (wall clock, includes Django start-up)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("TILIOS_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
PG_DB = "tilios_bench_dump"

GROW = """
import django, random
django.setup()
from django.contrib.contenttypes.models import ContentType
from tilios.places.models import Place, new_public_id
from tilios.revisions.models import Revision
from tilios.instance.demo import ensure_demo_data
from tilios.sources.models import Source, SourceRecord
ensure_demo_data()
target = int({n})
demo = list(Place.objects.order_by("id"))
raws = dict(SourceRecord.objects.values_list("place_id", "raw"))
source = Source.objects.create(slug="bench-synthetic", name="Copies synthétiques", licence="CC0", attribution="bench")
ct = ContentType.objects.get_for_model(Place)
rng = random.Random(1)
while Place.objects.count() < target:
    batch = []
    for original in demo[: target - Place.objects.count()]:
        copy = Place(**{{f.attname: getattr(original, f.attname) for f in Place._meta.concrete_fields
                        if f.attname not in ("id", "public_id", "current_revision_id")}})
        copy.public_id = new_public_id()
        if copy.latitude is not None:
            copy.latitude += rng.uniform(-0.05, 0.05)
            copy.longitude += rng.uniform(-0.05, 0.05)
        copy._raw = raws.get(original.id, {{}})
        batch.append(copy)
    Place.objects.bulk_create(batch, batch_size=2000)
    Revision.objects.bulk_create([Revision(content_type=ct, object_id=p.pk, number=1, kind="import", source=source,
                                           data={{"name": p.name}}, diff={{"name": [None, p.name]}}) for p in batch],
                                 batch_size=2000)
    SourceRecord.objects.bulk_create([SourceRecord(source=source, external_id=str(p.pk), place=p, raw=p._raw,
                                                   checksum=str(p.pk)) for p in batch], batch_size=2000)
print(Place.objects.count())
"""


def run(env, *args, code=None):
    started = time.monotonic()
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "tilios", *args]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        sys.exit(f"{' '.join(args) or 'grow'} failed:\n{result.stderr[-3000:]}")
    return time.monotonic() - started


def body(path):
    import gzip
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as f:
        header = json.loads(f.readline())
        for field in header["volatile"]["header"]:
            header.pop(field)
        return json.dumps(header, sort_keys=True) + f.read()


def psql(sql):
    subprocess.run(["psql", f"{PG_SERVER}/postgres", "-qc", sql], check=True, capture_output=True)


def bench(n, tmp):
    base = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tilios.settings"}
    base.pop("TILIOS_DATABASE_URL", None)
    src = {**base, "TILIOS_VAR_DIR": str(tmp / f"src{n}")}
    run(src, "migrate", "-v0")
    grow = run(src, code=GROW.format(n=n))
    plain, gz = tmp / f"{n}.jsonl", tmp / f"{n}.jsonl.gz"
    t_dump = run(src, "dump", str(plain))
    t_dump_gz = run(src, "dump", str(gz))
    sqlite = {**base, "TILIOS_VAR_DIR": str(tmp / f"dst{n}")}
    run(sqlite, "migrate", "-v0")
    t_restore_sqlite = run(sqlite, "restore", str(gz))
    psql(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {PG_DB}")
    pg = {**base, "TILIOS_VAR_DIR": str(tmp / f"pg{n}"), "TILIOS_DATABASE_URL": f"{PG_SERVER}/{PG_DB}"}
    run(pg, "migrate", "-v0")
    t_restore_pg = run(pg, "restore", str(gz))
    back = tmp / f"{n}.pg.jsonl"
    t_dump_pg = run(pg, "dump", str(back))
    psql(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    same = body(back) == body(plain)
    return {"places": n, "grow_s": round(grow, 1), "dump_mb": round(plain.stat().st_size / 1e6, 1),
            "dump_gz_mb": round(gz.stat().st_size / 1e6, 1), "dump_sqlite_s": round(t_dump, 1),
            "dump_gz_sqlite_s": round(t_dump_gz, 1), "restore_sqlite_s": round(t_restore_sqlite, 1),
            "restore_pg_s": round(t_restore_pg, 1), "dump_pg_s": round(t_dump_pg, 1),
            "pg_dump_identical": same}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1512,100000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tilios-bench-dump-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            print(json.dumps(bench(n, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
