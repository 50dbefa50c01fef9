"""The live places of each kind in name order: a kind's first page and its count read from an index.

A search by kind alone (`q=coworking`, `kind=fablab`) found the kind's places by the tags, read each one's
row to keep the live ones, and sorted them all by name for a page of ten: 25 ms for 11 000 places at 10⁵ on
SQLite, 308 ms at 10⁶; 40 ms at 10⁵ on PostgreSQL. Here a table (kind, sort name, place) holds the live places
of every kind, kept in step by triggers on the places and their tags: a page is the first rows of its kind after
the cursor, a count the kind's rows.

On SQLite its name begins with the text index's (`places_place_fts_`): the undo journal of a long write leaves
such tables out, as it does the index's own, and the triggers keep them in step when it puts writes back.
On PostgreSQL the triggers are functions, and one more empties the table when the places are truncated (a
flush): row triggers do not fire then.

A second table keeps each kind's number of rows, by triggers on the first: counting a kind's 110 000 rows at
10⁶ places took 5 ms on SQLite, 23 ms on PostgreSQL, most of `q=coworking`. SQLite keeps one row per kind. On
PostgreSQL each statement appends what it added or took away, which `tidy` folds into one row per kind after
imports, restores and migrations: one row per kind updated for each place an import tags would leave row versions
that the import's one transaction cannot free, and that each update would walk past.
"""
from django.db import connections

from .text_index import FTS_TABLE, LIVE, install_postgres, install_sqlite, is_live

TABLE = f"{FTS_TABLE}_kinds"
COUNTS = f"{FTS_TABLE}_kind_counts"
_TAGS = "places_place_kinds"
_TRIGGERS = ("places_kinds_tag", "places_kinds_untag", "places_kinds_retag", "places_kinds_place",
             "places_kinds_unplace", "places_kinds_counted", "places_kinds_uncounted")
_TAGGED = (f"INSERT OR IGNORE INTO {TABLE} (kind_id, sort_name, place_id) SELECT new.kind_id, p.sort_name, p.id "
           f"FROM places_place AS p WHERE p.id = new.place_id AND {LIVE};")
_UNTAGGED = f"DELETE FROM {TABLE} WHERE place_id = old.place_id AND kind_id = old.kind_id;"
SETUP = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (kind_id INTEGER NOT NULL, sort_name TEXT NOT NULL,
        place_id INTEGER NOT NULL, PRIMARY KEY (kind_id, sort_name, place_id)) WITHOUT ROWID""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_place ON {TABLE} (place_id)",
    f"CREATE TRIGGER IF NOT EXISTS places_kinds_tag AFTER INSERT ON {_TAGS} BEGIN {_TAGGED} END",
    f"CREATE TRIGGER IF NOT EXISTS places_kinds_untag AFTER DELETE ON {_TAGS} BEGIN {_UNTAGGED} END",
    f"""CREATE TRIGGER IF NOT EXISTS places_kinds_retag AFTER UPDATE OF kind_id, place_id ON {_TAGS} BEGIN
        {_UNTAGGED} {_TAGGED} END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_kinds_place AFTER UPDATE OF sort_name, is_published, merged_into_id
        ON places_place WHEN old.sort_name IS NOT new.sort_name OR ({is_live("old")}) IS NOT ({is_live("new")}) BEGIN
        DELETE FROM {TABLE} WHERE place_id = old.id;
        INSERT OR IGNORE INTO {TABLE} (kind_id, sort_name, place_id) SELECT t.kind_id, new.sort_name, new.id
            FROM {_TAGS} AS t WHERE t.place_id = new.id AND {is_live("new")};
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_kinds_unplace AFTER DELETE ON places_place BEGIN
        DELETE FROM {TABLE} WHERE place_id = old.id; END""",
    f"CREATE TABLE IF NOT EXISTS {COUNTS} (kind_id INTEGER PRIMARY KEY, places INTEGER NOT NULL)",
    f"""CREATE TRIGGER IF NOT EXISTS places_kinds_counted AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {COUNTS} (kind_id, places) VALUES (new.kind_id, 1)
            ON CONFLICT (kind_id) DO UPDATE SET places = places + 1; END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_kinds_uncounted AFTER DELETE ON {TABLE} BEGIN
        UPDATE {COUNTS} SET places = places - 1 WHERE kind_id = old.kind_id; END""",
]
# A place is tagged with a kind once (the tags' unique pair), so the rebuild's rows are all new.
_EVERY_TAGGED = f"""INSERT INTO {TABLE} (kind_id, sort_name, place_id) SELECT t.kind_id, p.sort_name, p.id
    FROM {_TAGS} AS t JOIN places_place AS p ON p.id = t.place_id WHERE {LIVE}"""
REBUILD = [f"DELETE FROM {TABLE}", _EVERY_TAGGED, f"DELETE FROM {COUNTS}",
           f"INSERT INTO {COUNTS} (kind_id, places) SELECT kind_id, count(*) FROM {TABLE} GROUP BY kind_id"]
TEARDOWN = [*(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS), f"DROP TABLE IF EXISTS {TABLE}",
            f"DROP TABLE IF EXISTS {COUNTS}"]


_LIVE_NEW = is_live("NEW")
_PG_FUNCTIONS = {
    "tilios_kinds_tags": f"""IF TG_OP <> 'INSERT' THEN {_UNTAGGED} END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO {TABLE} (kind_id, sort_name, place_id) SELECT NEW.kind_id, p.sort_name, p.id
                FROM places_place AS p WHERE p.id = NEW.place_id AND {LIVE} ON CONFLICT DO NOTHING;
        END IF;""",
    "tilios_kinds_place": f"""DELETE FROM {TABLE} WHERE place_id = OLD.id;
        IF TG_OP = 'UPDATE' AND {_LIVE_NEW} THEN
            INSERT INTO {TABLE} (kind_id, sort_name, place_id) SELECT t.kind_id, NEW.sort_name, NEW.id
                FROM {_TAGS} AS t WHERE t.place_id = NEW.id ON CONFLICT DO NOTHING;
        END IF;""",
    "tilios_kinds_truncate": f"TRUNCATE {TABLE}, {COUNTS};",
    "tilios_kinds_counted": f"INSERT INTO {COUNTS} SELECT kind_id, count(*) FROM added GROUP BY kind_id;",
    "tilios_kinds_uncounted": f"INSERT INTO {COUNTS} SELECT kind_id, -count(*) FROM removed GROUP BY kind_id;",
}
POSTGRES_SETUP = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (kind_id bigint NOT NULL, sort_name varchar(200) NOT NULL,
        place_id bigint NOT NULL, PRIMARY KEY (kind_id, sort_name, place_id))""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_place ON {TABLE} (place_id)",
    *(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
      for name, body in _PG_FUNCTIONS.items()),
    f"""CREATE OR REPLACE TRIGGER places_kinds_tags AFTER INSERT OR UPDATE OR DELETE ON {_TAGS}
        FOR EACH ROW EXECUTE FUNCTION tilios_kinds_tags()""",
    f"""CREATE OR REPLACE TRIGGER places_kinds_place AFTER UPDATE OF sort_name, is_published, merged_into_id
        ON places_place FOR EACH ROW WHEN (OLD.sort_name IS DISTINCT FROM NEW.sort_name
            OR ({is_live("OLD")}) IS DISTINCT FROM ({_LIVE_NEW})) EXECUTE FUNCTION tilios_kinds_place()""",
    "CREATE OR REPLACE TRIGGER places_kinds_unplace AFTER DELETE ON places_place FOR EACH ROW "
    "EXECUTE FUNCTION tilios_kinds_place()",
    f"CREATE TABLE IF NOT EXISTS {COUNTS} (kind_id bigint NOT NULL, places bigint NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {COUNTS}_kind ON {COUNTS} (kind_id)",
    "CREATE OR REPLACE TRIGGER places_kinds_truncate AFTER TRUNCATE ON places_place FOR EACH STATEMENT "
    "EXECUTE FUNCTION tilios_kinds_truncate()",
    f"""CREATE OR REPLACE TRIGGER places_kinds_counted AFTER INSERT ON {TABLE} REFERENCING NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION tilios_kinds_counted()""",
    f"""CREATE OR REPLACE TRIGGER places_kinds_uncounted AFTER DELETE ON {TABLE} REFERENCING OLD TABLE AS removed
        FOR EACH STATEMENT EXECUTE FUNCTION tilios_kinds_uncounted()""",
]
POSTGRES_REBUILD = [f"TRUNCATE {TABLE}, {COUNTS}", _EVERY_TAGGED]
POSTGRES_FOLD = (f"WITH folded AS (DELETE FROM {COUNTS} RETURNING kind_id, places) INSERT INTO {COUNTS} "
                 "SELECT kind_id, sum(places) FROM folded GROUP BY kind_id")
POSTGRES_TEARDOWN = [f"DROP TABLE IF EXISTS {TABLE}", f"DROP TABLE IF EXISTS {COUNTS}",
                     *(f"DROP FUNCTION IF EXISTS {name} CASCADE" for name in _PG_FUNCTIONS)]


def install_index(schema_editor):
    """Idempotent; rebuilt from the tags and the places when it is new or, on SQLite, when a trigger was missing
    (a migration that altered either table)."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        install_sqlite(schema_editor, _TRIGGERS, SETUP, REBUILD)
    elif vendor == "postgresql":
        install_postgres(schema_editor, [TABLE, COUNTS], POSTGRES_SETUP, POSTGRES_REBUILD)


def remove_index(schema_editor):
    for sql in {"sqlite": TEARDOWN, "postgresql": POSTGRES_TEARDOWN}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def first_by_name(kind_ids, k, after, using):
    """The ids of the first `k` live places of any of `kind_ids` by (sort_name, id), after `after` (such a
    pair) if given: the first `k` of each kind, merged by the database (its order of names is the pages')."""
    cursor_condition = " AND (sort_name, place_id) > (%s, %s)" if after is not None else ""
    each = (f"SELECT * FROM (SELECT sort_name, place_id FROM {TABLE} WHERE kind_id = %s{cursor_condition} "
            "ORDER BY sort_name, place_id LIMIT %s) AS k{n}")
    sql = " UNION ".join(each.format(n=n) for n in range(len(kind_ids))) + " ORDER BY 1, 2 LIMIT %s"
    params = [value for kind_id in kind_ids for value in (kind_id, *(after or ()), k)]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*params, k])
        return [place_id for _sort_name, place_id in cursor.fetchall()]


def count(kind_ids, using):
    """How many live places have any of `kind_ids`, from the index alone (one kind's: its count kept)."""
    with connections[using].cursor() as cursor:
        if len(kind_ids) == 1:
            cursor.execute(f"SELECT coalesce(sum(places), 0) FROM {COUNTS} WHERE kind_id = %s", list(kind_ids))
            return int(cursor.fetchone()[0])
        placeholders = ", ".join(["%s"] * len(kind_ids))  # a place may carry several of them
        cursor.execute(f"SELECT count(DISTINCT place_id) FROM {TABLE} WHERE kind_id IN ({placeholders})",
                       list(kind_ids))
        return cursor.fetchone()[0]


def tidy(using="default"):
    """On PostgreSQL, fold what each statement appended to the kinds' counts into one row per kind. Safe beside
    other writers: the rows it folds are those its statement sees, and one appended meanwhile is left to the next."""
    if connections[using].vendor != "postgresql":
        return
    with connections[using].cursor() as cursor:
        cursor.execute(POSTGRES_FOLD)
