"""Text search served from an index on both engines, with exactly the matching rule of a scan.

The rule: each token of the query (tilios.text.query_tokens) starts a word of the place's `search_text`
(its names, town and commune, folded; words of [a-z0-9] between single spaces), that is
`search_text LIKE '% token%'`. Scanning every place for it grows with the registry (35–41 ms at 10⁵).

SQLite: an FTS5 table over the `search_text` of the live places alone (contentless: it holds the index, not a
copy), kept in step by triggers; since it holds nothing else, it counts a text's live places without reading
their rows (`count`). A prefix query `"token"*` finds the places with a word starting with the token; since the
words are [a-z0-9]+, FTS5's unicode61 tokenizer splits them exactly as `search_text` does. Prefixes of 1 to 6
letters are indexed as such: FTS5 otherwise merges the lists of every word the prefix starts (« saint » then
costs 12 ms at 10⁶ places, 2.5 ms indexed), for an index twice as large (45 → 76 MB at 10⁶).
PostgreSQL: a trigram GIN index (pg_trgm) on `search_text`, which answers the same LIKE itself.
"""
from django.db import connections
from django.db.models.expressions import RawSQL

FTS_TABLE = "places_place_fts"
_TRIGGERS = ("places_place_fts_insert", "places_place_fts_update", "places_place_fts_delete")


def _live(row):
    return f"{row}.is_published AND {row}.merged_into_id IS NULL"


# Contentless: an external content table would be places_place whole, and a view of its live rows would break
# the table's rebuild by SQLite migrations (a view naming a dropped table fails the rename that follows).
SQLITE_SETUP = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_text, content='', tokenize='unicode61',
        prefix='1 2 3 4 5 6')""",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_fts_insert AFTER INSERT ON places_place WHEN {_live("new")} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_fts_update
        AFTER UPDATE OF search_text, is_published, merged_into_id ON places_place BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) SELECT 'delete', old.id, old.search_text
            WHERE {_live("old")};
        INSERT INTO {FTS_TABLE}(rowid, search_text) SELECT new.id, new.search_text WHERE {_live("new")};
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_fts_delete AFTER DELETE ON places_place WHEN {_live("old")} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        END""",
]
SQLITE_REBUILD = [f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')",
                  f"INSERT INTO {FTS_TABLE}(rowid, search_text) SELECT id, search_text FROM places_place AS p "
                  f"WHERE {_live('p')}"]
SQLITE_TEARDOWN = [*(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS), f"DROP TABLE IF EXISTS {FTS_TABLE}"]
POSTGRES_SETUP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS places_place_search_trgm ON places_place USING gin (search_text gin_trgm_ops)",
]
POSTGRES_TEARDOWN = ["DROP INDEX IF EXISTS places_place_search_trgm"]


def install_index(schema_editor):
    """Idempotent. On SQLite, a migration that alters places_place rebuilds the table without its triggers:
    the index is then rebuilt from the table, since writes may have happened without it."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            present = cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s)",
                _TRIGGERS).fetchone()[0]
        for sql in SQLITE_SETUP:
            schema_editor.execute(sql)
        if present < len(_TRIGGERS):
            for sql in SQLITE_REBUILD:
                schema_editor.execute(sql)
    elif vendor == "postgresql":
        for sql in POSTGRES_SETUP:
            schema_editor.execute(sql)


def remove_index(schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_TEARDOWN, "postgresql": POSTGRES_TEARDOWN}.get(vendor, []):
        schema_editor.execute(sql)


def _expression(tokens):
    return " ".join(f'"{token}"*' for token in tokens)  # tokens are [a-z0-9]+: nothing to escape


def matching(queryset, tokens):
    """`queryset` narrowed to the places where every token starts a word of their search_text (and, on SQLite,
    to the live ones: the only ones indexed)."""
    if not tokens:
        return queryset
    if connections[queryset.db].vendor == "sqlite":
        return queryset.filter(id__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",
                                             [_expression(tokens)]))
    for token in tokens:
        queryset = queryset.filter(search_text__contains=" " + token)
    return queryset


def count(tokens, using):
    """How many live places match every token, counted by the SQLite index alone; None on other engines.
    Counting through places_place reads each match's row: 77 ms for a word that 55 000 of 10⁶ places carry,
    3.4 ms here."""
    if connections[using].vendor != "sqlite":
        return None
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [_expression(tokens)])
        return cursor.fetchone()[0]
