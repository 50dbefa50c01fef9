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


def save_fields(objs, names, using="default"):
    """Write the fields `names` of each of `objs` (saved instances of one model), one statement run for them
    all: Django's `bulk_update` builds a CASE per object and field, which cost an import more than the writes."""
    objs = list(objs)
    if not objs:
        return
    connection, meta = connections[using], type(objs[0])._meta
    fields, quote = [meta.get_field(name) for name in names], connections[using].ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",
            [[field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields] + [obj.pk]
             for obj in objs])
