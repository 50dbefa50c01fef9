"""Nearest places: exact against brute force on both engines, stable keyset pages, index in step."""
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tilios.places import queries, spatial
from tilios.places.models import Place
from tilios.places.spatial import RTREE_TABLE, nearest
from tilios.territories.services import haversine_km

pytestmark = pytest.mark.django_db


def brute(qs, lat, lon, k, radius_km=None):
    """The reference: every place with coordinates, by (great-circle distance, id)."""
    rows = qs.filter(latitude__isnull=False, longitude__isnull=False).values_list("id", "latitude", "longitude")
    ranked = sorted((haversine_km(lat, lon, plat, plon), pid) for pid, plat, plon in rows)
    if radius_km is not None:
        ranked = [(d, pid) for d, pid in ranked if d <= radius_km]
    return ranked[:k]


def random_points(n, seed):
    rng = random.Random(seed)
    points = [(rng.uniform(42.3, 51.1), rng.uniform(-4.8, 8.2)) for _ in range(n)]  # metropolitan box
    points += [(-21.1, 55.5), (14.6, -61.0), (16.25, -61.55), (4.9, -52.3), (-12.8, 45.15),  # overseas
               (46.2, 2.2), (0.0, 0.0), (89.99, 10.0), (-89.99, -170.0), (48.0, 179.99), (-17.5, -149.5)]
    return points


def assert_same(hits, expected):
    assert [h.id for h in hits] == [pid for _, pid in expected]
    for hit, (d, _) in zip(hits, expected):
        assert hit.distance_km == pytest.approx(d, rel=1e-9, abs=1e-9)


def pages(qs, lat, lon, size, total, radius_km=None):
    """Chains pages of `size` through the `after` cursor, as the « near » listing does."""
    got, after = [], None
    while len(got) < total:
        page = nearest(qs, lat, lon, k=size, radius_km=radius_km, after=after)
        if not page:
            break
        got += page
        after = (page[-1].rank, page[-1].id)
    return got[:total]


def test_the_national_base_has_places_to_search():
    assert Place.objects.filter(latitude__isnull=False).count() > 1400


@pytest.mark.parametrize("k", [1, 10, 37])
def test_exact_against_brute_force(k):
    qs = Place.objects.all()
    for lat, lon in random_points(40, seed=k):
        assert_same(nearest(qs, lat, lon, k), brute(qs, lat, lon, k))


def test_exact_with_a_kind_filter():
    qs = Place.objects.filter(kinds__code="fablab")
    assert 0 < qs.count() < Place.objects.count()
    for lat, lon in random_points(40, seed=3):
        assert_same(nearest(qs, lat, lon, 10), brute(qs, lat, lon, 10))


def test_exact_with_other_filters_and_orderings():
    for qs in (Place.objects.filter(id__gt=0), Place.objects.order_by("-name"),
               Place.objects.filter(search_text__contains=" lieu"), Place.objects.exclude(kinds__code="fablab")):
        for lat, lon in random_points(8, seed=4):
            assert_same(nearest(qs, lat, lon, 12), brute(qs, lat, lon, 12))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the R*Tree's rounds: SQLite")
def test_a_set_smaller_than_a_page_is_read_whole_not_sought_to_the_ends_of_the_earth():
    """« fablab lyon » from Lyon: fewer fablabs named so than a page. Its boxes grew to the whole world, one
    round at a time (16 on the demo); counting the set once the box holds more places ends the search."""
    qs, lyon = queries.search("lyon", ["fablab"]), (45.758, 4.8351)
    expected = brute(qs.all(), *lyon, 10)
    assert 0 < len(expected) < 10
    with CaptureQueriesContext(connection) as captured:
        hits = nearest(qs, *lyon, 10, where=qs.row_condition())
    assert_same(hits, expected)
    boxes = [query for query in captured.captured_queries if RTREE_TABLE in query["sql"]]
    assert 0 < len(boxes) <= 8, len(boxes)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the R*Tree's box query: SQLite")
def test_a_filter_on_constants_is_compiled_once_and_any_other_at_each_search(monkeypatch):
    compiled, real = [], spatial._compile_box_query
    monkeypatch.setattr(spatial, "_compile_box_query", lambda qs: compiled.append(qs) or real(qs))
    monkeypatch.setattr(spatial, "_compiled", {})
    some = list(Place.objects.order_by("id").values_list("id", flat=True)[:300])[::3]
    Place.objects.filter(pk__in=some).update(status="closed")
    points = random_points(6, seed=5)
    for lat, lon in points:
        for qs in (Place.objects.live(), Place.objects.filter(status="closed"), Place.objects.live(),
                   Place.objects.filter(status__in=["closed"]), Place.objects.filter(kinds__code="fablab")):
            assert_same(nearest(qs, lat, lon, 7), brute(qs, lat, lon, 7))
    # The live places and the closed ones once each; a list of values and a join at every search.
    assert len(compiled) == 2 + 2 * len(points)


@pytest.mark.parametrize("radius_km", [0.5, 5, 30, 150, 2000])
def test_exact_within_a_radius(radius_km):
    for qs in (Place.objects.all(), Place.objects.filter(kinds__code="fablab")):
        for lat, lon in random_points(15, seed=int(radius_km * 10)):
            hits = nearest(qs, lat, lon, 25, radius_km=radius_km)
            assert_same(hits, brute(qs, lat, lon, 25, radius_km))
            assert all(h.distance_km <= radius_km for h in hits)


def test_a_radius_holding_nothing_gives_nothing():
    assert nearest(Place.objects.all(), 0.0, -30.0, 10, radius_km=100) == []


@pytest.mark.parametrize("size", [1, 7, 10])
def test_pages_chain_into_the_full_ordering(size):
    for qs in (Place.objects.all(), Place.objects.filter(kinds__code="coworking")):
        for lat, lon in random_points(3, seed=size) + [(45.4397, 4.3872)]:
            whole = nearest(qs, lat, lon, 60)
            chained = pages(qs, lat, lon, size, 60)
            assert [h.id for h in chained] == [h.id for h in whole]
            assert len({h.id for h in chained}) == len(chained) == 60
            assert_same(chained, brute(qs, lat, lon, 60))


def test_pages_within_a_radius_stop_at_its_edge():
    qs = Place.objects.all()
    lat, lon = 45.4397, 4.3872
    expected = brute(qs, lat, lon, 10_000, radius_km=40)
    assert 10 < len(expected) < 500
    chained = pages(qs, lat, lon, 9, 10_000, radius_km=40)
    assert_same(chained, expected)


def test_ties_are_broken_by_id():
    lat, lon = 44.123456789, 3.987654321
    twins = [Place.objects.create(name=f"Jumeau {i}", latitude=lat, longitude=lon) for i in range(4)]
    ids = sorted(p.id for p in twins)
    for qs in (Place.objects.all(), Place.objects.filter(name__startswith="Jumeau")):
        hits = nearest(qs, lat, lon, 4)
        assert [h.id for h in hits] == ids
        assert len({h.rank for h in hits}) == 1 and hits[0].distance_km == 0
        # a page boundary falling between twins neither repeats nor skips one
        assert [h.id for h in pages(qs, lat, lon, 1, 4)] == ids
        assert [h.id for h in pages(qs, lat, lon, 3, 6)][:4] == ids
        # seen from elsewhere, the twins stay together, in id order
        far = nearest(qs, lat + 0.05, lon - 0.03, 40)
        positions = [i for i, h in enumerate(far) if h.id in ids]
        assert [far[i].id for i in positions] == ids and positions == list(range(positions[0], positions[0] + 4))
        assert_same(far, brute(qs, lat + 0.05, lon - 0.03, 40))


def test_places_without_coordinates_are_ignored():
    lat, lon = 47.5, 1.5
    nowhere = Place.objects.create(name="Sans coordonnées")
    half = Place.objects.create(name="Latitude seule", latitude=lat)
    Place.objects.create(name="Longitude seule", longitude=lon)
    here = Place.objects.create(name="Ici", latitude=lat, longitude=lon)
    for qs in (Place.objects.all(), Place.objects.filter(id__in=[nowhere.id, half.id, here.id])):
        hits = nearest(qs, lat, lon, 2000)
        assert hits[0].id == here.id
        assert {nowhere.id, half.id}.isdisjoint(h.id for h in hits)
    assert [h.id for h in nearest(Place.objects.filter(id__in=[nowhere.id, half.id]), lat, lon, 5)] == []


def rtree_row(pid):
    with connection.cursor() as cur:
        cur.execute(f"SELECT min_lat, max_lat, min_lon, max_lon FROM {RTREE_TABLE} WHERE id = %s", [pid])
        return cur.fetchone()


def test_index_follows_inserts_updates_and_deletes():
    sqlite = connection.vendor == "sqlite"
    place = Place.objects.create(name="Nomade", latitude=43.0, longitude=-1.0)
    assert nearest(Place.objects.all(), 43.0, -1.0, 1)[0].id == place.id
    if sqlite:
        assert rtree_row(place.id) == pytest.approx((43.0, 43.0, -1.0, -1.0), abs=1e-5)

    place.latitude, place.longitude = 49.5, 6.25
    place.save()
    assert nearest(Place.objects.all(), 49.5, 6.25, 1)[0].id == place.id
    assert place.id not in {h.id for h in nearest(Place.objects.all(), 43.0, -1.0, 5, radius_km=50)}
    if sqlite:
        assert rtree_row(place.id) == pytest.approx((49.5, 49.5, 6.25, 6.25), abs=1e-5)

    Place.objects.filter(id=place.id).update(latitude=None)  # a bulk update fires the triggers too
    assert place.id not in {h.id for h in nearest(Place.objects.all(), 49.5, 6.25, 50)}
    if sqlite:
        assert rtree_row(place.id) is None

    Place.objects.filter(id=place.id).update(latitude=45.0, longitude=5.0)
    assert nearest(Place.objects.all(), 45.0, 5.0, 1)[0].id == place.id
    place.delete()
    assert place.id not in {h.id for h in nearest(Place.objects.all(), 45.0, 5.0, 50)}
    if sqlite:
        assert rtree_row(place.id) is None
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {RTREE_TABLE}")
            in_tree = cur.fetchone()[0]
        assert in_tree == Place.objects.filter(latitude__isnull=False, longitude__isnull=False).count()


def test_bad_arguments():
    with pytest.raises(ValueError):
        nearest(Place.objects.all(), 91, 0, 10)
    with pytest.raises(ValueError):
        nearest(Place.objects.all(), 0, -181, 10)
    assert nearest(Place.objects.all(), 45, 4, 0) == []
