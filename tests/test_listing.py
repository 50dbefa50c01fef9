"""A listing's places (`queries.listed`: plain rows in two queries) are the places their pages show."""
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse, set_script_prefix

from tilios import rows
from tilios.places import kind_index, queries, spatial, text_index
from tilios.places.models import Kind, Place, place_url
from tilios.sources import crosswalk
from tilios.text import search_text

pytestmark = pytest.mark.django_db


def _awkward_places():
    """Places of every shape a listing must read: outside any commune, of several kinds, of none."""
    first, second, third = Place.objects.order_by("id")[:3]
    Place.objects.filter(id=first.id).update(commune=None, town="Hors commune")
    second.kinds.set(Kind.objects.order_by("-position")[:3])
    third.kinds.clear()
    return first.id, second.id, third.id


def test_a_listing_reads_each_place_as_its_page_does():
    outside, several, none = _awkward_places()
    listed = {place.id: place for place in queries.listed(Place.objects.all())}
    loaded = {place.id: queries.Listed.of(place) for place in queries.with_details(Place.objects.all())}
    assert listed == loaded and len(listed) == Place.objects.count() > 1000
    assert listed[outside].town == "Hors commune" and listed[outside].commune_code is None
    positions = [Kind.objects.get(code=code).position for code in listed[several].kind_codes]
    assert len(positions) == 3 and positions == sorted(positions)
    assert listed[none].kind_codes == []
    by_id = {place.id: place for place in queries.listed_ids(list(listed))}  # a nearest search's page
    assert by_id == listed


def test_a_nearest_page_lists_its_hits_in_order_at_their_distances():
    hits = spatial.nearest(Place.objects.live(), 45.4397, 4.3872, k=11)
    page = queries.page(Place.objects.live(), limit=10, near=(45.4397, 4.3872))
    expected = {place.id: place for place in queries.listed(Place.objects.filter(id__in=[h.id for h in hits]))}
    for hit in hits:
        expected[hit.id].distance_km = hit.distance_km
    assert page.places == [expected[hit.id] for hit in hits[:10]] and page.next_cursor


def test_a_place_address_is_the_one_django_reverses_under_any_script_prefix():
    ids = [*Place.objects.values_list("public_id", flat=True)[:50], "a b", "x?y#z", "é", "<script>", "..", "0"]
    try:
        for prefix in ("/", "/sous/dossier/"):
            set_script_prefix(prefix)
            for public_id in ids:
                assert place_url(public_id) == reverse("web:place", args=[public_id])
        assert place_url(ids[0]).startswith("/sous/dossier/lieux/")
    finally:
        set_script_prefix("/")
    with pytest.raises(NoReverseMatch):  # as Django refuses it: a public id holds no slash
        place_url("a/b")


def test_a_listing_keeps_the_order_and_slice_of_its_queryset():
    qs = Place.objects.order_by("-sort_name", "id")[5:25]
    assert [place.id for place in queries.listed(qs)] == list(qs.values_list("id", flat=True))
    assert queries.listed(Place.objects.none()) == []


def test_long_lists_of_ids_are_read_in_chunks_with_nothing_lost(monkeypatch):
    _awkward_places()
    ids = list(Place.objects.order_by("id").values_list("id", flat=True))
    whole_records = crosswalk.records_by_place(ids)
    whole_listing = queries.listed(Place.objects.order_by("id"))
    assert sum(map(len, whole_records.values())) >= len(ids) - 1
    monkeypatch.setattr(rows, "CHUNK", 7)
    assert crosswalk.records_by_place(ids) == whole_records
    assert queries.listed(Place.objects.order_by("id")) == whole_listing


def plan_of(sql, params=()):
    with connection.cursor() as cursor:
        return " / ".join(row[-1] for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan, without statistics")
def test_the_live_places_are_listed_by_name_and_counted_from_an_index_of_their_own():
    with CaptureQueriesContext(connection) as paging:
        queries.page(queries.search(), limit=20)
    plan = plan_of(paging.captured_queries[-2]["sql"])  # the page's places (then their kinds)
    assert "USING INDEX place_live" in plan and "TEMP B-TREE" not in plan, plan
    with CaptureQueriesContext(connection) as counting:
        counted = queries.count(queries.search())
    plan = plan_of(counting.captured_queries[-1]["sql"])
    assert "USING INDEX place_live" in plan, plan
    assert counted == Place.objects.filter(is_published=True, merged_into=None).count()


def every_page(search, plain, limit=7, near=None):
    """The places of `search()` on every page by name (or from `near`), through the cursors; with `plain`, as
    the ORM pages and counts them (any filter added, e.g. `.all()`, makes a plain queryset); and its count."""
    ids, cursor = [], None
    while True:
        found = search().all() if plain else search()
        page = queries.page(found, limit=limit, cursor=cursor, near=near)
        ids += [place.id for place in page.places]
        if not page.next_cursor:
            return ids, queries.count(found)
        cursor = page.next_cursor


WRITTEN = [{}, {"kinds": ["coworking"]}, {"kinds": ["fablab", "epn"]}, {"q": "lieu", "kinds": ["coworking"]},
           {"q": "a", "kinds": ["fablab", "coworking"]}, {"q": "zzzz", "kinds": ["coworking"]}]


def test_pages_and_counts_written_out_are_the_orms_as_places_change():
    """The live places, by kinds, or by text and kinds: each page by name and the count, as the statements
    written out give them, are the ORM's, before and after renames, unpublishings, a merge and a deletion."""
    def both():
        found = {}
        for case in WRITTEN:
            written, plain = (every_page(lambda: queries.search(**case), plain) for plain in (False, True))
            assert written == plain, case
            found[str(case)] = written
        return found

    before = both()
    assert sum(len(ids) for ids, _ in before.values()) > 1000 and all(n == len(ids) for ids, n in before.values())
    live = list(Place.objects.filter(is_published=True, merged_into=None, kinds__code="coworking").order_by("id")[:20])
    gone = {place.id for place in [*live[5:11], live[12]]}  # to be unpublished, merged away, deleted
    for i, place in enumerate(live[:5]):
        place.name = f"Aaa lieu {i}"
        place.save()
    Place.objects.filter(id__in=[p.id for p in live[5:10]]).update(is_published=False)
    Place.objects.filter(id=live[10].id).update(merged_into=live[11])
    live[12].delete()
    coworking, fablab = Kind.objects.get(code="coworking"), Kind.objects.get(code="fablab")
    live[13].kinds.remove(coworking)
    live[14].kinds.add(fablab)
    Place.objects.filter(is_published=True).exclude(kinds=coworking).first().kinds.add(coworking)
    after = both()
    assert after != before
    assert kinds_index() == kinds_of_live_places()
    assert kept_counts() == counted(kinds_index())
    kind_index.tidy()  # on PostgreSQL, the rows appended since fold into one per kind, with the same sums
    assert kept_counts() == counted(kinds_index()) and kept_rows() == len(kept_counts())
    assert gone <= set(before["{}"][0]) and not gone & set(after["{}"][0])


def kinds_index():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT kind_id, sort_name, place_id FROM {kind_index.TABLE}")
        return set(cursor.fetchall())


def kept_counts():
    """{kind id: its count kept beside the kinds' index} (places.kind_index.COUNTS), the kinds of no place left out."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT kind_id, sum(places) FROM {kind_index.COUNTS} GROUP BY kind_id HAVING sum(places) <> 0")
        return dict(cursor.fetchall())


def kept_rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {kind_index.COUNTS} WHERE places <> 0")
        return cursor.fetchone()[0]


def counted(index):
    return dict(Counter(kind_id for kind_id, _sort_name, _place_id in index))


def kinds_of_live_places():
    return set(Place.kinds.through.objects.filter(place__is_published=True, place__merged_into=None)
               .values_list("kind_id", "place__sort_name", "place_id"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a flush truncates the tables on PostgreSQL")
def test_truncating_the_places_empties_the_kinds_index_too():
    """Django's flush truncates the tables, which fires no row trigger: a trigger on TRUNCATE empties the kinds'
    index and the text's narrow table, which would otherwise keep places that no longer exist."""
    assert kinds_index() == kinds_of_live_places() and len(kinds_index()) > 1000
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE places_place, places_place_kinds CASCADE")  # rolled back with the test
        cursor.execute(f"SELECT count(*) FROM {text_index.SEARCH_TABLE}")  # and the text's narrow table
        assert cursor.fetchone() == (0,)
    assert kinds_index() == set() and kept_counts() == {}


NEAR_SEARCHES = [*WRITTEN, {"q": "saint"}, {"q": "espace numerique"}]


def test_the_nearest_places_of_a_search_tested_row_by_row_are_the_orms():
    """From a point, each page of a search by text and kinds (its conditions tested on each place of the map's
    boxes on SQLite, written into the statement on PostgreSQL) holds the places the ORM's compiled query gives,
    before and after changes."""
    points = [(45.4397, 4.3872), (48.8566, 2.3522), (43.2965, 5.3698)]  # Saint-Étienne, Paris, Marseille

    def both():
        found = {}
        for case in NEAR_SEARCHES:
            for near in points:
                written, plain = (every_page(lambda: queries.search(**case), plain, limit=25, near=near)
                                  for plain in (False, True))
                assert written == plain, (case, near)
                found[str(case), near] = written[0]
        return found

    before = both()
    assert sum(map(len, before.values())) > 2000
    first = before[str({"kinds": ["coworking"]}), points[0]][:4]
    Place.objects.filter(id__in=first[:2]).update(is_published=False)
    Place.objects.filter(id=first[2]).update(merged_into=first[3])
    Place.objects.filter(id=before[str({"q": "saint"}), points[1]][0]).update(name="Renommé",
                                                                             search_text=search_text("Renommé"))
    after = both()
    assert not set(first[:3]) & set(after[str({"kinds": ["coworking"]}), points[0]])
