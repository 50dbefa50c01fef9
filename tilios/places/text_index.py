"""Text search served from an index on both engines, with exactly the matching rule of a scan.

The rule: each token of the query (tilios.text.query_tokens) starts a word of the place's `search_text`
(its names, town and commune, folded; words of [a-z0-9] between single spaces), that is
`search_text LIKE '% token%'`. Scanning every place for it grows with the registry (35–41 ms at 10⁵).

SQLite: an FTS5 table over `search_text` (external content: it holds the index, not a copy), kept in step
by triggers. A prefix query `"token"*` finds the places with a word starting with the token; since the
words are [a-z0-9]+, FTS5's unicode61 tokenizer splits them exactly as `search_text` does.
PostgreSQL: a trigram GIN index (pg_trgm) on `search_text`, which answers the same LIKE itself.
"""
from django.db import connections
from django.db.models.expressions import RawSQL

FTS_TABLE = "places_place_fts"
_TRIGGERS = ("places_place_fts_insert", "places_place_fts_update", "places_place_fts_delete")
SQLITE_SETUP = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_text, content='places_place',
        content_rowid='id', tokenize='unicode61', prefix='2 3')""",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_fts_insert AFTER INSERT ON places_place BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_fts_update AFTER UPDATE OF search_text ON places_place BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_fts_delete AFTER DELETE ON places_place BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        END""",
]
SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"
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
            schema_editor.execute(SQLITE_REBUILD)
    elif vendor == "postgresql":
        for sql in POSTGRES_SETUP:
            schema_editor.execute(sql)


def remove_index(schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_TEARDOWN, "postgresql": POSTGRES_TEARDOWN}.get(vendor, []):
        schema_editor.execute(sql)


def matching(queryset, tokens):
    """`queryset` narrowed to the places where every token starts a word of their search_text."""
    if not tokens:
        return queryset
    if connections[queryset.db].vendor == "sqlite":
        expression = " ".join(f'"{token}"*' for token in tokens)  # tokens are [a-z0-9]+: nothing to escape
        return queryset.filter(id__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",
                                             [expression]))
    for token in tokens:
        queryset = queryset.filter(search_text__contains=" " + token)
    return queryset
