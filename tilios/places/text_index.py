"""Text search served from an index on both engines, with exactly the matching rule of a scan.

The rule: each token of the query (tilios.text.query_tokens) starts a word of the place's `search_text`
(its names, town and commune, folded; words of [a-z0-9] between single spaces), that is
`search_text LIKE '% token%'`. Scanning every place for it grows with the registry (35–41 ms at 10⁵).

SQLite: FTS5 over the `search_text` of the live places alone (contentless: it holds the index, not a copy),
kept in step by triggers, so that it counts a text's places without reading their rows (`count`). Its rowids
put the places in name order (position << 32 | id): the first page of a word that 55 000 of 10⁶ places carry
is its first entries (`first_by_name`), where sorting the matches read every one's row (85 ms). A place
created or changed since waits in a second FTS5 table (rowid = id), whose matches are read and sorted, until
`tidy` puts every live place in name order again (after imports and migrations).
A prefix query `"token"*` finds the places with a word starting with the token; since the words are
[a-z0-9]+, FTS5's unicode61 tokenizer splits them exactly as `search_text` does. Prefixes of 1 to 6 letters
are indexed as such: FTS5 otherwise merges the lists of every word the prefix starts (« saint » then costs
12 ms at 10⁶ places, 2.5 ms indexed), for an index 45 → 76 MB at 10⁶.
PostgreSQL: a GIN index on the words of `search_text` (split at its spaces, as they are: no parser, no
dictionary) and their prefixes, one lexeme per token. The trigram index it replaces answered the LIKE itself,
but re-read every candidate row: 24–69 ms for a frequent trigram at 10⁵ places. A text's page by name and its
count read every match's row, for its name: they read them from a narrow table of the live places alone (id,
sort name, search_text; `SEARCH_TABLE`), with the same index, kept by triggers: « tiers lieu » at 10⁵ places
(5 527 matches) read 2 838 pages of the places, 1 348 of it (6.8–7.5 → 4.1–4.5 ms). The places keep their own
index for a text with other conditions (a box, a point), which the ORM writes.
"""
from contextlib import nullcontext

from django.db import connections, transaction
from django.db.models import BooleanField, F, Func, Value
from django.db.models.expressions import RawSQL

from tilios import journal
from tilios.rows import by_ids

FTS_TABLE = "places_place_fts"  # the live places by name: rowid = (position by name << 32) | id
RECENT_TABLE = "places_place_fts_recent"  # the live places created or changed since: rowid = id
RANKS_TABLE = "places_place_fts_ranks"  # place id -> rowid in FTS_TABLE; a shadow of it, as the journal sees it
ID_BITS = 0xFFFFFFFF
_TRIGGERS = ("places_place_fts_insert", "places_place_fts_update", "places_place_fts_delete")


def is_live(row):
    """SQL: the place `row` is live (published, not merged away)."""
    return f"{row}.is_published AND {row}.merged_into_id IS NULL"


def _fts(table):
    # Contentless: an external content table would be places_place whole, and a view of its live rows would
    # break the table's rebuild by SQLite migrations (a view naming a dropped table fails the rename after).
    return f"""CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(search_text, content='', tokenize='unicode61',
        prefix='1 2 3 4 5 6')"""


# A live place leaves the index from where it is (its words must be given back exactly to be deleted).
_LEAVE = f"""
    INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
        SELECT 'delete', rank, old.search_text FROM {RANKS_TABLE} WHERE place_id = old.id;
    INSERT INTO {RECENT_TABLE}({RECENT_TABLE}, rowid, search_text) SELECT 'delete', old.id, old.search_text
        WHERE {is_live("old")} AND NOT EXISTS (SELECT 1 FROM {RANKS_TABLE} WHERE place_id = old.id);
    DELETE FROM {RANKS_TABLE} WHERE place_id = old.id;"""
SQLITE_SETUP = [
    _fts(FTS_TABLE),
    _fts(RECENT_TABLE),
    f"CREATE TABLE IF NOT EXISTS {RANKS_TABLE} (place_id INTEGER PRIMARY KEY, rank INTEGER NOT NULL)",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_fts_insert AFTER INSERT ON places_place WHEN {is_live("new")} BEGIN
        INSERT INTO {RECENT_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_fts_update
        AFTER UPDATE OF search_text, sort_name, is_published, merged_into_id ON places_place
        WHEN old.search_text IS NOT new.search_text OR old.sort_name IS NOT new.sort_name
            OR ({is_live("old")}) IS NOT ({is_live("new")}) BEGIN
        {_LEAVE}
        INSERT INTO {RECENT_TABLE}(rowid, search_text) SELECT new.id, new.search_text WHERE {is_live("new")};
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_fts_delete AFTER DELETE ON places_place WHEN {is_live("old")} BEGIN
        {_LEAVE}
        END""",
]
# Every live place in name order again: a recent place costs a read of its row when a text finds it.
SQLITE_REBUILD = [
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')",
    f"INSERT INTO {RECENT_TABLE}({RECENT_TABLE}) VALUES ('delete-all')",
    f"DELETE FROM {RANKS_TABLE}",
    f"""INSERT INTO {RANKS_TABLE}(place_id, rank)
        SELECT id, (row_number() OVER (ORDER BY sort_name, id) << 32) | id FROM places_place AS p
        WHERE {is_live("p")}""",
    f"""INSERT INTO {FTS_TABLE}(rowid, search_text)
        SELECT r.rank, p.search_text FROM {RANKS_TABLE} AS r JOIN places_place AS p ON p.id = r.place_id
        ORDER BY r.rank""",
]
SQLITE_TEARDOWN = [*(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS),
                   *(f"DROP TABLE IF EXISTS {name}" for name in (FTS_TABLE, RECENT_TABLE, RANKS_TABLE))]
# The words of search_text (" word word ") and their prefixes up to PREFIX_LETTERS, as a tsvector: a token is
# then one lexeme, whose list GIN intersects with the others' (« fablab lyon » 0.3 ms at 10⁵ places, where
# prefix matches read every list they cover whole: 1.8 ms). Changing PREFIX_LETTERS calls for a REINDEX.
# Its cost tells the planner it is dear to compute for a row (17 µs): else it may walk the places by name
# computing it for each, rather than read the index. Not parallel: a worker started for a query costs more
# than it saves at these sizes (a frequent word's page 6.5 → 13 ms), and takes a core from another request.
PREFIX_LETTERS = 12
_WORDS = "tilios_search_words"
_HAS_WORDS = _WORDS + "({text}) @@ {query}::tsquery"  # a match, on the index's own expression
SEARCH_TABLE = "places_place_search"  # PostgreSQL: the live places' sort names and texts, and nothing else
SEARCH_INDEX = f"{SEARCH_TABLE}_by_words"  # not …_search_words: the places' own index has that name
_LIVE_NEW = is_live("NEW")
POSTGRES_SETUP = [
    "DROP INDEX IF EXISTS places_place_search_trgm",
    f"""CREATE OR REPLACE FUNCTION {_WORDS}(search_text text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE STRICT PARALLEL UNSAFE COST 1000
        AS $$ SELECT array_to_tsvector(array_agg(left(word, n)))
            FROM unnest(string_to_array(search_text, ' ')) AS word, generate_series(1, length(word)) AS n
            WHERE n <= {PREFIX_LETTERS} OR n = length(word) $$""",
    f"CREATE INDEX IF NOT EXISTS places_place_search_words ON places_place USING gin ({_WORDS}(search_text))",
    f"""CREATE TABLE IF NOT EXISTS {SEARCH_TABLE} (place_id bigint PRIMARY KEY, sort_name varchar(200) NOT NULL,
        search_text text NOT NULL)""",
    f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON {SEARCH_TABLE} USING gin ({_WORDS}(search_text))",
    f"""CREATE OR REPLACE FUNCTION tilios_search_place() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF TG_OP <> 'DELETE' AND {_LIVE_NEW} THEN
            INSERT INTO {SEARCH_TABLE} (place_id, sort_name, search_text) VALUES (NEW.id, NEW.sort_name, NEW.search_text)
                ON CONFLICT (place_id) DO UPDATE SET sort_name = EXCLUDED.sort_name, search_text = EXCLUDED.search_text;
        ELSIF TG_OP <> 'INSERT' THEN
            DELETE FROM {SEARCH_TABLE} WHERE place_id = OLD.id;
        END IF;
        RETURN NULL; END $$""",
    f"CREATE OR REPLACE FUNCTION tilios_search_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"TRUNCATE {SEARCH_TABLE}; RETURN NULL; END $$",
    f"""CREATE OR REPLACE TRIGGER places_search_insert AFTER INSERT ON places_place FOR EACH ROW WHEN ({_LIVE_NEW})
        EXECUTE FUNCTION tilios_search_place()""",
    f"""CREATE OR REPLACE TRIGGER places_search_update AFTER UPDATE OF search_text, sort_name, is_published,
        merged_into_id ON places_place FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text
            OR OLD.sort_name IS DISTINCT FROM NEW.sort_name OR ({is_live("OLD")}) IS DISTINCT FROM ({_LIVE_NEW}))
        EXECUTE FUNCTION tilios_search_place()""",
    f"""CREATE OR REPLACE TRIGGER places_search_delete AFTER DELETE ON places_place FOR EACH ROW
        WHEN ({is_live("OLD")}) EXECUTE FUNCTION tilios_search_place()""",
    # A flush truncates the places, which fires no row trigger.
    "CREATE OR REPLACE TRIGGER places_search_truncate AFTER TRUNCATE ON places_place FOR EACH STATEMENT "
    "EXECUTE FUNCTION tilios_search_truncate()",
]
POSTGRES_REBUILD = [f"TRUNCATE {SEARCH_TABLE}", f"""INSERT INTO {SEARCH_TABLE} (place_id, sort_name, search_text)
    SELECT id, sort_name, search_text FROM places_place AS p WHERE {is_live("p")}"""]
SEARCH_TEARDOWN = [f"DROP TABLE IF EXISTS {SEARCH_TABLE}", "DROP FUNCTION IF EXISTS tilios_search_place CASCADE",
                   "DROP FUNCTION IF EXISTS tilios_search_truncate CASCADE"]
POSTGRES_TEARDOWN = ["DROP INDEX IF EXISTS places_place_search_trgm", "DROP INDEX IF EXISTS places_place_search_words",
                     *SEARCH_TEARDOWN, f"DROP FUNCTION IF EXISTS {_WORDS}"]


def install_sqlite(schema_editor, triggers, setup, rebuild):
    """Run `setup` (idempotent), then `rebuild` if any of `triggers` was missing: a SQLite migration that alters
    a table rebuilds it without its triggers, and writes may have happened without them."""
    placeholders = ", ".join(["%s"] * len(triggers))
    with schema_editor.connection.cursor() as cursor:
        present = cursor.execute(
            f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({placeholders})", list(triggers)
        ).fetchone()[0]
    for sql in setup:
        schema_editor.execute(sql)
    if present < len(triggers):
        for sql in rebuild:
            schema_editor.execute(sql)


def install_postgres(schema_editor, tables, setup, rebuild):
    """Run `setup` (idempotent), then `rebuild` if any of `tables` was missing before it: new, they must be filled
    from the places."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT " + " OR ".join(["to_regclass(%s) IS NULL"] * len(tables)), list(tables))
        new = cursor.fetchone()[0]
    for sql in setup + (rebuild if new else []):
        schema_editor.execute(sql)


def install_index(schema_editor):
    """Idempotent; rebuilt from the places when a trigger was missing on SQLite (`install_sqlite`), or when the
    narrow table is new on PostgreSQL."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        install_sqlite(schema_editor, _TRIGGERS, SQLITE_SETUP, SQLITE_REBUILD)
    elif vendor == "postgresql":
        install_postgres(schema_editor, [SEARCH_TABLE], POSTGRES_SETUP, POSTGRES_REBUILD)


def remove_index(schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_TEARDOWN, "postgresql": POSTGRES_TEARDOWN}.get(vendor, []):
        schema_editor.execute(sql)


def _expression(tokens):
    return " ".join(f'"{token}"*' for token in tokens)  # tokens are [a-z0-9]+: nothing to escape


_ORDERED_IDS = f"SELECT rowid & {ID_BITS} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
_RECENT_IDS = f"SELECT rowid FROM {RECENT_TABLE} WHERE {RECENT_TABLE} MATCH %s"
_SQLITE_IDS = f"{_ORDERED_IDS} UNION ALL {_RECENT_IDS}"  # the live places that match
_SORT_NAMES = "SELECT id, sort_name FROM places_place WHERE id IN ({ids})"


def matching(queryset, tokens):
    """`queryset` narrowed to the places where every token starts a word of their search_text (and, on SQLite,
    to the live ones: the only ones indexed)."""
    if not tokens:
        return queryset
    if connections[queryset.db].vendor == "sqlite":
        return queryset.filter(id__in=RawSQL(_SQLITE_IDS, [_expression(tokens)] * 2))
    return queryset.filter(_HasWords(F("search_text"), Value(_prefixes(tokens))))


def _prefixes(tokens):
    """A tsquery (read as such: no parser, no dictionary; tokens are [a-z0-9]+): each token is an indexed prefix,
    or, longer, starts a whole word."""
    return " & ".join(f"'{token}'" if len(token) <= PREFIX_LETTERS else f"'{token}':*" for token in tokens)


class _HasWords(Func):
    """search_text's words hold a prefix of each token: the expression of places_place_search_words, so that
    PostgreSQL answers it from that index."""
    template = _HAS_WORDS.format(text="%(field)s", query="%(query)s")
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        (field, field_params), (query, query_params) = (compiler.compile(e) for e in self.get_source_expressions())
        return self.template % {"field": field, "query": query}, [*field_params, *query_params]


LIVE = is_live("p")  # a live place, as `p`, in statements written out


def row_condition(tokens, vendor):
    """(SQL, params): the rule on the row of a place `p` of places_place. On SQLite, the rule itself,
    `p.search_text LIKE '% token%'` for each token: cheaper than the index for a few rows already found
    another way (a map box); tokens are [a-z0-9] and search_text lowercase, so LIKE's wildcards and its case
    folding change nothing. On PostgreSQL, the expression of the places' own index of words, which its
    planner reads or tests row by row as it finds cheaper."""
    if not tokens:
        return "", []
    if vendor == "postgresql":
        return _HAS_WORDS.format(text="p.search_text", query="%s"), [_prefixes(tokens)]
    return " AND ".join(["p.search_text LIKE %s"] * len(tokens)), [f"% {token}%" for token in tokens]


# The live places whose words hold a prefix of each token, on PostgreSQL, as `p` (their id: `p.place_id`).
_POSTGRES_MATCHES = f"FROM {SEARCH_TABLE} AS p WHERE {_HAS_WORDS.format(text='p.search_text', query='%s')}"


def _also(also, place_id):
    """`also` ((SQL with `{id}` for a place id, params), or None) said of `place_id`: (" AND …", params)."""
    return (f" AND {also[0].format(id=place_id)}", list(also[1])) if also else ("", [])


def _postgres_matches(tokens, also):
    """("FROM … AS p WHERE …", params): on PostgreSQL, the live places matching every token and `also`."""
    extra, params = _also(also, "p.place_id")
    return f"{_POSTGRES_MATCHES}{extra}", [_prefixes(tokens), *params]


def count(tokens, using, also=None):
    """How many live places match every token (and `also`: see first_by_name). On SQLite, counted by the index
    alone: counting through places_place reads each match's row (77 ms for a word that 55 000 of 10⁶ places
    carry, 3.4 ms here)."""
    if connections[using].vendor == "postgresql":
        matches, params = _postgres_matches(tokens, also)
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT count(*) {matches}", params)
            return cursor.fetchone()[0]
    # Named by their table: a bare `rowid` in `also`'s subquery would be its own table's.
    (ordered, ordered_params) = _also(also, f"({FTS_TABLE}.rowid & {ID_BITS})")
    (recent, recent_params) = _also(also, f"{RECENT_TABLE}.rowid")
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT (SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s{ordered}) "
                       f"+ (SELECT count(*) FROM {RECENT_TABLE} WHERE {RECENT_TABLE} MATCH %s{recent})",
                       [_expression(tokens), *ordered_params, _expression(tokens), *recent_params])
        return cursor.fetchone()[0]


def first_by_name(tokens, k, after, using, also=None):
    """The ids of the first `k` live places matching every token, by (sort_name, id) and after `after` (such a
    pair) if given, and how many places match in all when that came with them (else None). `also`, if given,
    is one more condition on each match, (SQL with `{id}` for its id, params): tested on the index's matches,
    not read as a list of its own (a kind's list was most of the time of « fablab lyon » at 10⁵ places).
    On SQLite, the places in name order are read in their order and the reading stops at the k-th, where
    sorting every match read each one's row (85 ms for 55 000 matches of 10⁶); the recent places that match
    are read and sorted, and the two merged. On PostgreSQL, every match is read from the index, counted and
    sorted, in one query: a frequent word's rows are read once, from the narrow table (5 % of 10⁵ places: 1 350
    pages, 2 840 in the places' own)."""
    if connections[using].vendor == "postgresql":
        return _postgres_first_by_name(*_postgres_matches(tokens, also), k, after, using)
    expression = _expression(tokens)
    ordered_also, ordered_params = _also(also, f"({FTS_TABLE}.rowid & {ID_BITS})")
    recent_also, recent_params = _also(also, "places_place.id")
    with connections[using].cursor() as cursor:
        start = 0
        if after is not None:  # the last place in name order up to `after`: a walk back along place_sort
            cursor.execute(f"SELECT r.rank FROM places_place AS p JOIN {RANKS_TABLE} AS r ON r.place_id = p.id "
                           "WHERE (p.sort_name, p.id) <= (%s, %s) ORDER BY p.sort_name DESC, p.id DESC LIMIT 1",
                           list(after))
            start = (cursor.fetchone() or (0,))[0]
        cursor.execute(f"{_ORDERED_IDS} AND rowid > %s{ordered_also} ORDER BY rowid LIMIT %s",
                       [expression, start, *ordered_params, k])
        ordered = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT id, sort_name FROM places_place WHERE id IN ({_RECENT_IDS}){recent_also}"
                       + (" AND (sort_name, id) > (%s, %s)" if after is not None else "")
                       + " ORDER BY sort_name, id LIMIT %s", [expression, *recent_params, *(after or ()), k])
        recent = cursor.fetchall()
    if not recent:
        return ordered, None
    merged = sorted([*by_ids(_SORT_NAMES, ordered, using), *recent], key=lambda row: (row[1], row[0]))
    return [row[0] for row in merged[:k]], None


def _postgres_first_by_name(matches, params, k, after, using):
    """On PostgreSQL, the ids of the first `k` places of `matches` ("FROM … AS p WHERE …" with `params`) by
    (sort_name, id) and after `after` if given, and how many match in all, in one query. The count over every
    match also keeps the planner from walking the places by name until k match: names often begin with their
    kind (« Coworking … »), so a frequent word's places sit together, maybe far along (74 ms at 10⁵ places)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT place_id, total FROM (SELECT p.place_id, p.sort_name, count(*) OVER () AS total "
                       f"{matches}) AS m" + (" WHERE (sort_name, place_id) > (%s, %s)" if after is not None else "")
                       + " ORDER BY sort_name, place_id LIMIT %s", [*params, *(after or ()), k])
        rows = cursor.fetchall()
    if rows:
        return [row[0] for row in rows], rows[0][1]
    return [], 0 if after is None else None  # nothing past a cursor: how many before it is not known here


RECENT_SHARE = 50  # at most one live place in RECENT_SHARE recent: beyond, `tidy` puts them in name order
RECENT_FEW = 200  # and fewer than this never calls for it


def tidy(using="default"):
    """On SQLite, when many places are recent (created or changed since the index was last put in name
    order), put every live place in name order again, in one transaction (2 s at 10⁵ places, 22 s at 10⁶).
    Run after each import and restore, and on migrate. Returns whether it did."""
    if connections[using].vendor != "sqlite":
        return False
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT (SELECT count(*) FROM {RECENT_TABLE}_docsize), (SELECT count(*) FROM {RANKS_TABLE})")
        recent, ordered = cursor.fetchone()
    if recent < max(RECENT_FEW, ordered / RECENT_SHARE):
        return False
    # Lean on its own: mapped in memory, the pages read would count in the process (+140 MB after an import
    # of 10⁵ rows). Within a transaction (a restore, a test) the pragmas cannot change.
    lean = nullcontext() if connections[using].in_atomic_block else journal.lean(using)
    with lean, transaction.atomic(using=using), connections[using].cursor() as cursor:
        for sql in SQLITE_REBUILD:
            cursor.execute(sql)
    return True
