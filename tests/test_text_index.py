"""Text search through the index (FTS5 on SQLite, pg_trgm on PostgreSQL) finds exactly what a scan finds."""
import random
from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tilios.places import queries, text_index
from tilios.places.models import Place
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
    for each place whose words differ, an indexed place that is not live counting as one. Empty when right."""
    cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.indexed_words USING fts5vocab(main, "
                   f"{text_index.FTS_TABLE}, 'instance')")
    cursor.execute("SELECT term, doc FROM temp.indexed_words ORDER BY doc, offset")
    indexed = defaultdict(list)
    for term, doc in cursor.fetchall():
        indexed[doc].append(term)
    cursor.execute("SELECT id, search_text FROM places_place WHERE is_published AND merged_into_id IS NULL")
    live = {id_: text.split() for id_, text in cursor.fetchall()}
    return {id_: (indexed.get(id_), live.get(id_)) for id_ in indexed.keys() | live.keys()
            if indexed.get(id_) != live.get(id_)}


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
        assert [run["sql"].split(" WHERE")[0] for run in queries_run] == ["SELECT count(*) FROM places_place_fts"]
    coworkings = set(Place.objects.filter(kinds__code="coworking").values_list("id", flat=True))
    located = set(Place.objects.filter(latitude__isnull=False).values_list("id", flat=True))
    assert queries.search(q, kinds=["coworking"]).count() == len(scan(q) & coworkings)
    assert found.filter(latitude__isnull=False).count() == len(scan(q) & located)


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


class _Editor:
    """What install_index uses of a schema editor (SQLite's will not open inside a test's transaction)."""
    connection = connection

    def execute(self, sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_answers_from_the_trigram_index():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = text_index.matching(Place.objects.order_by(), ["coworking"]).query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "places_place_search_trgm" in plan, plan
