"""Rows by id through SQL written out, for the hot read path: compiling the same query with the ORM cost
more than running it (bench/read_path.py)."""
from django.db import connections

CHUNK = 5000  # ids per statement, under every engine's limit on bound parameters


def by_ids(sql, ids, using="default"):
    """The rows of `sql` for `ids`, its `{ids}` filled with one placeholder per id. Long lists are read in
    chunks, so an ORDER BY holds within each chunk: order by the id first to rely on it."""
    ids = list(ids)
    rows = []
    with connections[using].cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            cursor.execute(sql.format(ids=", ".join(["%s"] * len(chunk))), chunk)
            rows += cursor.fetchall()
    return rows
