"""Text search through the index (FTS5 on SQLite, pg_trgm on PostgreSQL) finds exactly what a scan finds."""
import random

import pytest
from django.db import connection

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
