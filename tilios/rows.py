"""Rows through SQL written out where compiling it with the ORM cost more than running it: reads by id for
the hot read path (bench/read_path.py), an import's many writes (bench/import_big.py)."""
import sqlite3

from django.db import connections, models

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
    all: Django's `bulk_update` builds a CASE per object and field, which cost an import more than the writes.
    A field stamped on each save (`auto_now`) is stamped, as `save(update_fields=names)` would."""
    objs = list(objs)
    if not objs:
        return
    connection, meta = connections[using], type(objs[0])._meta
    fields, quote = [meta.get_field(name) for name in names], connections[using].ops.quote_name
    for field in fields:
        if getattr(field, "auto_now", False):
            for obj in objs:
                field.pre_save(obj, False)
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",
            [[field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields] + [obj.pk]
             for obj in objs])


# Fields whose values of these Python types the drivers take as they are; any other value, and every other
# field (JSON, dates, decimals), goes through the field's own conversion.
PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.FloatField, models.BooleanField,
                models.ForeignKey)
PLAIN_VALUES = {str, int, float, bool}
INSERTED_AT_ONCE = 500  # rows per statement, and never more bound values than the engine takes


def insert_all(objs, using="default"):
    """Insert `objs` (new instances of one model with an automatic key; any related instance saved before it
    was assigned) and set their keys: what `bulk_create` does, in statements of many rows, without compiling
    each of their values (Django's compiler cost an import a fifth of its time)."""
    objs = list(objs)
    if not objs:
        return objs
    connection, meta = connections[using], type(objs[0])._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk and not field.generated]
    converted = [not isinstance(field, PLAIN_FIELDS) for field in fields]
    stamped = [field for field in fields if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)]
    quote = connection.ops.quote_name
    columns, one_row = ", ".join(quote(field.column) for field in fields), "(" + ", ".join(["%s"] * len(fields)) + ")"
    at_once = max(1, min(INSERTED_AT_ONCE, _most_values(connection) // len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), at_once):
            batch, values = objs[start:start + at_once], []
            for obj in batch:
                for field in stamped:
                    field.pre_save(obj, True)
                for field, convert in zip(fields, converted):
                    value = getattr(obj, field.attname)
                    if value is not None and (convert or type(value) not in PLAIN_VALUES):
                        value = field.get_db_prep_save(value, connection)
                    values.append(value)
            cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([one_row] * len(batch))} "
                           f"RETURNING {quote(meta.pk.column)}", values)
            for obj, (pk,) in zip(batch, cursor.fetchall()):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, using
    return objs


def _most_values(connection):
    """How many values one statement may bind: SQLite says its own limit (Django assumes an old build's 999)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535
