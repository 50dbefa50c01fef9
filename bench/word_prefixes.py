"""Benchmark of a design not built: a B-tree of word prefixes in name order for `q` on PostgreSQL, against the
GIN index of the narrow table that Tilios reads (text_index.SEARCH_TABLE).

    .venv/bin/python bench/word_prefixes.py [--n 100000] [--repeat 40]

On the synthetic base of text_search.py, a table of every (prefix, sort_name, place_id) that the words' GIN
index holds (each word's prefixes up to text_index.PREFIX_LETTERS letters, and the whole word), with a B-tree
on (prefix, sort_name, place_id) for a page in name order and one on (prefix, place_id) for counts. Per query,
the statement of a first page of 10 by name and its count, medians in ms:
- `gin`: Tilios's own (text_index.first_by_name: every match read from the narrow table, counted and sorted);
- `btree`: one token, its page read in name order and its entries counted, both from the index alone; two
  tokens, the pages of one token read in name order with the other tested on each place's text, the count by
  the two lists joined (`btree`), or by Tilios's own (text_index.count: `walk + gin count`), each token walked
  in turn (the first one written being the one walked). Every statement runs on the same connection, Django's.
Answers (ids and count) are checked equal to the GIN's. Writes bench/out/word_prefixes.md; the database
tilios_bench is dropped at the end.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nearest import PG_ADMIN, PG_URL, log, pg_connect, tilios_env  # noqa: E402
from text_search import OUT, PG_DB, build_postgres  # noqa: E402

from tilios.places import text_index  # noqa: E402
from tilios.places.text_index import SEARCH_TABLE  # noqa: E402

TABLE = "bench_word_prefixes"
QUERIES = [("atel",), ("coworking",), ("quimperle",), ("tier", "lieu"), ("lieu", "tier"), ("maison", "num"),
           ("num", "maison"), ("saint", "etienne"), ("etienne", "saint")]  # folded tokens, as `q` reads them
ONE_PAGE = f"SELECT place_id FROM {TABLE} WHERE prefix = %s ORDER BY sort_name, place_id LIMIT 10"
ONE_COUNT = f"SELECT count(*) FROM {TABLE} WHERE prefix = %s"
WALK = (f"SELECT a.place_id FROM {TABLE} a JOIN {SEARCH_TABLE} s ON s.place_id = a.place_id WHERE a.prefix = %s "
        "AND s.search_text LIKE %s ORDER BY a.sort_name, a.place_id LIMIT 10")
JOINED_COUNT = f"SELECT count(*) FROM {TABLE} a JOIN {TABLE} b USING (place_id) WHERE a.prefix = %s AND b.prefix = %s"


def build_table(con):
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE {TABLE} AS SELECT DISTINCT w AS prefix, sort_name, place_id FROM {SEARCH_TABLE}, "
                "unnest(tsvector_to_array(tilios_search_words(search_text))) AS w")
    con.execute(f"CREATE INDEX {TABLE}_by_name ON {TABLE} (prefix, sort_name, place_id)")
    con.execute(f"CREATE INDEX {TABLE}_by_id ON {TABLE} (prefix, place_id)")
    con.execute(f"VACUUM ANALYZE {TABLE}")
    seconds = time.perf_counter() - t0
    rows, places, size, narrow = con.execute(
        f"SELECT (SELECT count(*) FROM {TABLE}), (SELECT count(*) FROM {SEARCH_TABLE}), "
        f"pg_total_relation_size('{TABLE}'), pg_total_relation_size('{SEARCH_TABLE}')").fetchone()
    return (f"{rows:,} rows ({rows / places:.1f} a place), {size / 1e6:.0f} MB with its two indexes, against "
            f"{narrow / 1e6:.0f} MB for the narrow table with its GIN; built in {seconds:.1f} s")


def timed(repeat, run):
    samples, answer = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = run()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), answer


def measure(cursor, repeat, tokens):
    def rows(sql, params):
        cursor.execute(sql, params)
        return cursor.fetchall()

    gin_ms, (ids, total) = timed(repeat, lambda: text_index.first_by_name(tokens, 10, None, "default"))
    if len(tokens) == 1:
        page_ms, page = timed(repeat, lambda: rows(ONE_PAGE, list(tokens)))
        count_ms, count = timed(repeat, lambda: rows(ONE_COUNT, list(tokens)))
        other = None
    else:
        page_ms, page = timed(repeat, lambda: rows(WALK, [tokens[0], f"% {tokens[1]}%"]))
        count_ms, count = timed(repeat, lambda: rows(JOINED_COUNT, list(tokens)))
        other = timed(repeat, lambda: text_index.count(tokens, "default"))[0]
    assert [r[0] for r in page] == ids and count[0][0] == (total or 0), (tokens, ids, total, page, count)
    return {"matches": total or 0, "gin": gin_ms, "page": page_ms, "count": count_ms, "gin_count": other}


def measure_all(var_dir, repeat):
    """Every query, in this process set up as Tilios on the bench's database."""
    import django

    os.environ.update(tilios_env(var_dir, PG_URL), DJANGO_SETTINGS_MODULE="tilios.settings")
    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        results = {tokens: measure(cursor, repeat, tokens) for tokens in QUERIES}
    connection.close()  # before the database is dropped
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory() as var_dir:
            log(f"PostgreSQL {args.n:,}: COPY + words GIN {build_postgres(var_dir, args.n):.0f} s")
            with pg_connect(PG_URL) as con:
                built = build_table(con)
            log(built)
            results = measure_all(var_dir, args.repeat)
    finally:
        with pg_connect(PG_ADMIN) as con:
            con.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    lines = [f"First page of 10 by name + count, PostgreSQL, {args.n:,} places, medians of {args.repeat} (ms); "
             f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}.", "",
             "| tokens (first: walked) | matches | gin (Tilios) | btree page + count | walk + gin count |",
             "|---|---:|---:|---:|---:|"]
    for tokens, r in results.items():
        walk = "—" if r["gin_count"] is None else f"{r['page']:.2f} + {r['gin_count']:.2f} = {r['page'] + r['gin_count']:.2f}"
        lines.append(f"| {' '.join(tokens)} | {r['matches']:,} | {r['gin']:.2f} | "
                     f"{r['page']:.2f} + {r['count']:.2f} = {r['page'] + r['count']:.2f} | {walk} |")
    lines += ["", f"The prefixes' table: {built}."]
    OUT.mkdir(exist_ok=True)
    (OUT / "word_prefixes.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
