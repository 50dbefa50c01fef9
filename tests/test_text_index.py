"""Text search through the index (FTS5 on SQLite, a GIN index of the words on PostgreSQL) finds exactly what a scan finds."""
import random
import re
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from tilios.places import kind_index, queries, text_index
from tilios.places.models import Kind, Place
from tilios.text import query_tokens

pytestmark = pytest.mark.django_db

# The folding cases of the search tests, and words that are operators or odd for FTS5.
QUERIES = ["st etienne", "Saint-Étienne", "coworking", "co-working", "fab lab", "FabLab", "tiers-lieux", "TL",
           "EPN", "espace public num", "a", "3d", "l", "and", "or not", "near", "zzzz", "e", "lieux ateliers",
           "cœur", "l'atelier", "Œuvre", "numérique rural", "la", "de la", "0", "29"]


def scan(q):
    """Today's rule, applied to every place: each token starts a word of search_text."""
    qs = Place.objects.filter(is_published=True, merged_into=None)
    for token in query_tokens(q):
        qs = qs.filter(search_text__contains=" " + token)
    return set(qs.values_list("id", flat=True))


def indexed(q):
    return set(queries.search(q).values_list("id", flat=True))


def random_queries(count, seed=2026):
    """Prefixes (1 to 7 letters) of one to three words drawn from the places' own search texts."""
    rng = random.Random(seed)
    words = sorted({w for text in Place.objects.values_list("search_text", flat=True) for w in text.split()})
    found = []
    for _ in range(count):
        picked = rng.sample(words, rng.choice([1, 1, 2, 3]))
        found.append(" ".join(w[:rng.randint(1, 7)] for w in picked))
    return found


@pytest.mark.parametrize("q", QUERIES)
def test_the_index_finds_what_the_scan_finds(q):
    assert indexed(q) == scan(q)


def test_the_same_on_three_hundred_queries_drawn_from_the_names():
    matched = 0
    for q in random_queries(300):
        expected = scan(q)
        assert indexed(q) == expected, q
        matched += bool(expected)
    assert matched > 150  # the drawn queries mostly find something: the comparison is not of empty sets


def test_the_index_follows_creations_renames_and_deletions():
    place = Place.objects.create(name="Grange Zéphyrine", town="Quimperlé")
    assert indexed("zephyr") == {place.id} and indexed("quimperle zeph") == {place.id}
    place.name = "Hangar Ondine"
    place.save()
    assert indexed("zephyr") == set() and indexed("ondin") == {place.id}
    place.delete()
    assert indexed("ondin") == set()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {text_index.FTS_TABLE}({text_index.FTS_TABLE}, rank) "
                           "VALUES ('integrity-check', 1)")


def unindexed(cursor):
    """How the SQLite index differs from the live places: {place id: (words indexed, words of its search_text)}
    for each place whose words differ (an indexed place that is not live, or one indexed twice, counts), and
    {"order": ...} if the places in name order are not. Empty when right."""
    indexed, ranks = defaultdict(list), {}
    for table in (text_index.FTS_TABLE, text_index.RECENT_TABLE):
        cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_words USING fts5vocab(main, {table}, "
                       "'instance')")
        cursor.execute(f"SELECT term, doc FROM temp.{table}_words ORDER BY doc, offset")
        for term, doc in cursor.fetchall():
            if table == text_index.FTS_TABLE:
                ranks[doc & text_index.ID_BITS] = doc
            indexed[doc & text_index.ID_BITS if table == text_index.FTS_TABLE else doc].append(term)
    cursor.execute("SELECT id, search_text, sort_name FROM places_place WHERE is_published AND merged_into_id IS NULL")
    live = {id_: (text.split(), sort_name) for id_, text, sort_name in cursor.fetchall()}
    found = {id_: (indexed.get(id_), live.get(id_, (None,))[0]) for id_ in indexed.keys() | live.keys()
             if indexed.get(id_) != live.get(id_, (None,))[0]}
    cursor.execute(f"SELECT place_id, rank FROM {text_index.RANKS_TABLE}")
    by_rank = sorted(ranks, key=ranks.get)
    if dict(cursor.fetchall()) != ranks or by_rank != sorted(by_rank, key=lambda id_: (live[id_][1], id_)):
        found["order"] = by_rank
    cursor.execute(f"SELECT kind_id, sort_name, place_id FROM {kind_index.TABLE}")
    kinds = set(cursor.fetchall())
    cursor.execute("SELECT t.kind_id, p.sort_name, p.id FROM places_place_kinds t JOIN places_place p "
                   "ON p.id = t.place_id WHERE p.is_published AND p.merged_into_id IS NULL")
    tagged = set(cursor.fetchall())
    if kinds != tagged:  # the kinds' index (places.kind_index) beside the same places
        found["kinds"] = sorted(kinds ^ tagged)[:5]
    cursor.execute(f"SELECT kind_id, places FROM {kind_index.COUNTS} WHERE places <> 0")
    counts = dict(cursor.fetchall())
    if counts != Counter(kind_id for kind_id, _sort_name, _id in tagged):  # and each kind's count kept there
        found["kind counts"] = counts
    return found


def test_long_words_are_found_by_their_long_prefixes_too():
    """Past text_index.PREFIX_LETTERS, PostgreSQL finds a token as the start of a whole word."""
    place = Place.objects.create(name="Maison intercommunautaire Zéphyrine", town="Saint-Pierre-des-Corps")
    long_token = "intercommunautai"
    assert len(long_token) > text_index.PREFIX_LETTERS
    for q in ["intercommunautaire", long_token, "intercommunautaire zephyr", "intercommunautairex",
              "zephyrine maison intercommunautaire", "pierre des corps", "intercommunautaires"]:
        assert indexed(q) == scan(q), q
    assert place.id in indexed(long_token) and queries.search(long_token).count() == len(scan(long_token))


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_the_sqlite_index_holds_the_live_places_alone_as_they_change():
    """Unpublished and merged places leave the index, and come back when live again, under their new name."""
    with connection.cursor() as cursor:
        assert unindexed(cursor) == {}
        one, other = Place.objects.create(name="Grange Zéphyrine"), Place.objects.create(name="Hangar Zéphyr")
        hidden = Place.objects.create(name="Cabane Zéphyr", is_published=False)
        assert indexed("zephyr") == {one.id, other.id} and queries.search("zephyr").count() == 2
        one.is_published = False
        one.name = "Grange Ondine"
        one.save()
        other.merged_into = Place.objects.filter(is_published=True).exclude(id=other.id).first()
        other.save()
        assert indexed("zephyr") == indexed("ondin") == set() and queries.search("zephyr").count() == 0
        assert Place.objects.filter(search_text__contains=" zephyr").count() == 2  # still there, not live
        assert unindexed(cursor) == {}
        one.is_published = True
        one.save()
        other.merged_into = None
        other.save()
        assert indexed("ondin") == {one.id} and indexed("zephyr") == {other.id}
        one.delete()
        Place.objects.filter(id=other.id).update(is_published=False)
        other.delete()
        hidden.delete()
        assert indexed("ondin") == indexed("zephyr") == set()
        assert unindexed(cursor) == {}
        cursor.execute(f"INSERT INTO {text_index.FTS_TABLE}({text_index.FTS_TABLE}, rank) VALUES ('integrity-check', 1)")


@pytest.mark.parametrize("q", ["coworking", "saint etienne", "a", "zzzz"])
def test_a_text_alone_is_counted_as_the_scan_counts_and_with_filters_too(q):
    found = queries.search(q)
    with CaptureQueriesContext(connection) as queries_run:
        counted = found.count()
    assert counted == len(scan(q))
    if connection.vendor == "sqlite":  # the index counts alone: no place row read
        assert [set(re.findall(r"FROM (\w+)", run["sql"])) for run in queries_run] == [
            {text_index.FTS_TABLE, text_index.RECENT_TABLE}]
    coworkings = set(Place.objects.filter(kinds__code="coworking").values_list("id", flat=True))
    located = set(Place.objects.filter(latitude__isnull=False).values_list("id", flat=True))
    assert queries.search(q, kinds=["coworking"]).count() == len(scan(q) & coworkings)
    assert found.filter(latitude__isnull=False).count() == len(scan(q) & located)


@pytest.mark.parametrize("q", ["coworking", "saint etienne", "a", "zzzz"])
def test_the_count_of_a_page_is_of_every_match_and_on_postgresql_comes_with_it(q):
    first = queries.search(q)
    queries.page(first, limit=3)
    second = queries.search(q)
    queries.page(second, limit=3, cursor=queries.page(queries.search(q), limit=3).next_cursor)
    expected = len(scan(q))
    for found in (first, second):
        with CaptureQueriesContext(connection) as queries_run:
            assert queries.count(found) == expected
        if connection.vendor == "postgresql":
            assert len(queries_run) == 0


def every_page(q, limit=7):
    """The ids of `q`'s places on every page by name, through the cursors."""
    ids, cursor = [], None
    while True:
        page = queries.page(queries.search(q), limit=limit, cursor=cursor)
        ids += [place.id for place in page.places]
        if not page.next_cursor:
            return ids
        cursor = page.next_cursor


def by_name(q, after=("", 0)):
    """The ids of `q`'s places by name after `after`, in the database's order (its collation)."""
    return list(Place.objects.filter(Q(sort_name__gt=after[0]) | Q(sort_name=after[0], id__gt=after[1]),
                                     id__in=scan(q)).order_by("sort_name", "id").values_list("id", flat=True))


PAGED = ["co", "coworking", "lieu", "a", "saint", "fab lab", "zzzz", "e", "aaa"]


def pages_stay_the_scans_as_places_change(indexed_as_they_are=lambda: True):
    """Every page of PAGED by name is the scan's, before and after renames (the first page's last place's
    too), unpublishings, a deletion and a creation, and a cursor given before them still leads on."""
    assert {q: every_page(q) for q in PAGED} == {q: by_name(q) for q in PAGED}
    first = queries.page(queries.search("co"), limit=5)
    after = (first.places[-1].sort_name, first.places[-1].id)
    live = list(Place.objects.filter(is_published=True, merged_into=None).order_by("id")[:30])
    for i, place in enumerate([*live[:10], Place.objects.get(id=after[1])]):
        place.name = f"Aaa Coworking {i}"
        place.save()
    for place in live[10:15]:
        place.is_published = False
        place.save()
    live[15].delete()
    Place.objects.create(name="Coworking Zéphyr", town="Lyon")
    assert indexed_as_they_are()
    assert {q: every_page(q) for q in PAGED} == {q: by_name(q) for q in PAGED}
    assert [p.id for p in queries.page(queries.search("co"), limit=5, cursor=first.next_cursor).places] == \
        by_name("co", after)[:5]


def test_pages_by_name_from_the_index_are_the_scans_as_places_change():
    pages_stay_the_scans_as_places_change(searched_as_they_are if connection.vendor == "postgresql" else lambda: True)


def searched_as_they_are():
    """On PostgreSQL, the narrow table a text's page and count read (text_index.SEARCH_TABLE) holds every live
    place as it is now, and no other."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT place_id, sort_name, search_text FROM {text_index.SEARCH_TABLE}")
        kept = cursor.fetchall()
        cursor.execute("SELECT id, sort_name, search_text FROM places_place WHERE is_published AND merged_into_id IS NULL")
        live = cursor.fetchall()
    return len(kept) == len(live) > 1000 and set(kept) == set(live)


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_pages_by_name_read_from_the_ordered_and_the_recent_places_are_the_scans(monkeypatch):
    with connection.cursor() as cursor:
        for sql in text_index.SQLITE_REBUILD:  # every live place in name order
            cursor.execute(sql)
        assert unindexed(cursor) == {} and not text_index.tidy()
        pages_stay_the_scans_as_places_change(lambda: unindexed(cursor) == {})
        monkeypatch.setattr(text_index, "RECENT_FEW", 10)
        monkeypatch.setattr(text_index, "RECENT_SHARE", 1000)
        assert text_index.tidy()
        cursor.execute(f"SELECT count(*) FROM {text_index.RECENT_TABLE}_docsize")
        assert cursor.fetchone() == (0,) and unindexed(cursor) == {}
        assert {q: every_page(q) for q in PAGED} == {q: by_name(q) for q in PAGED}


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_a_missing_trigger_means_a_rebuild_from_the_places():
    """A migration that alters places_place on SQLite drops its triggers; writes meanwhile are not indexed
    until install_index (run after every migrate) puts them back and rebuilds."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER places_place_fts_update")
    place = Place.objects.filter(is_published=True).first()
    place.name = "Moulin Sélénite"
    place.save()
    assert indexed("selenite") == set()
    text_index.install_index(_Editor())
    assert indexed("selenite") == {place.id}


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_a_missing_trigger_of_the_kinds_index_means_its_rebuild():
    """The same for the kinds' index (places.kind_index): a migration that rebuilds the tags' table drops its
    triggers; install_index puts them back and rebuilds the index from the tags and the places."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER places_kinds_tag")
        place = Place.objects.filter(is_published=True).exclude(kinds__code="fablab").first()
        place.kinds.add(Kind.objects.get(code="fablab"))
        assert unindexed(cursor)["kinds"]
        kind_index.install_index(_Editor())
        assert unindexed(cursor) == {}


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_missing_search_table_is_built_again_from_the_places():
    """install_index (run after every migrate) builds the narrow table of the live places when it is not there:
    the first migrate of a database made before it, or one whose table was dropped."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {text_index.SEARCH_TABLE}")
    text_index.install_index(_Editor())
    assert searched_as_they_are()
    place = Place.objects.filter(is_published=True).first()
    place.name = "Moulin Sélénite"
    place.save()
    assert [p.id for p in queries.page(queries.search("selenite"), limit=5).places] == [place.id]


class _Editor:
    """What install_index uses of a schema editor (SQLite's will not open inside a test's transaction)."""
    connection = connection

    def execute(self, sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_answers_from_the_words_index():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # Joined to the communes, whose search_text has the same name: the expression names its table.
        qs = text_index.matching(queries.with_details(Place.objects.order_by()), ["cowork", "lyon"])
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'places_place_search_trgm'")
        assert cursor.fetchone()[0] == 0  # replaced: it would cost every write for nothing
    assert "places_place_search_words" in plan, plan


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_pages_a_text_from_the_narrow_tables_index():
    """A text's page by name and its count read the narrow table of the live places through its own index, not
    every row of it (an index of that name missing would leave a scan, right but 200× slower at 10⁵ places)."""
    with CaptureQueriesContext(connection) as run:
        found = queries.search("cowork lyon")
        queries.page(found, limit=5)
        queries.count(found)
    statements = [q["sql"] for q in run.captured_queries if text_index.SEARCH_TABLE in q["sql"]]
    assert statements
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in statements:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert text_index.SEARCH_INDEX in plan, plan
