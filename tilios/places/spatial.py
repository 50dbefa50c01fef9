"""Nearest places, served from a spatial index on both engines.

SQLite: an R*Tree virtual table kept in step with `places_place` by triggers; the search grows a
bounding box around the point until it holds k candidates nearer than the box's inscribed radius,
then ranks them on the exact coordinates (R*Tree keeps 32-bit floats, so it only pre-selects).
PostgreSQL: a GiST index on `ll_to_earth(latitude, longitude)` (cube + earthdistance); its `<->`
is the chord through the sphere, which orders points exactly as the great-circle distance does.

Results are ranked by (distance, id) so that pages of a « near » listing never overlap or skip.
"""
import math
from dataclasses import dataclass

from django.db import connection
from django.db.models.expressions import RawSQL

from tilios.territories.services import EARTH_RADIUS_KM, haversine_km

RTREE_TABLE = "places_place_rtree"
_KM_PER_DEG_LAT = math.pi * EARTH_RADIUS_KM / 180
_EPS_DEG = 1e-5  # wider than float32 rounding at these magnitudes

SQLITE_SETUP = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {RTREE_TABLE} USING rtree(id, min_lat, max_lat, min_lon, max_lon)",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_rtree_insert AFTER INSERT ON places_place
        WHEN new.latitude IS NOT NULL AND new.longitude IS NOT NULL BEGIN
        INSERT INTO {RTREE_TABLE} VALUES (new.id, new.latitude, new.latitude, new.longitude, new.longitude);
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_rtree_update
        AFTER UPDATE OF latitude, longitude ON places_place BEGIN
        DELETE FROM {RTREE_TABLE} WHERE id = old.id;
        INSERT INTO {RTREE_TABLE} SELECT new.id, new.latitude, new.latitude, new.longitude, new.longitude
        WHERE new.latitude IS NOT NULL AND new.longitude IS NOT NULL;
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS places_place_rtree_delete AFTER DELETE ON places_place BEGIN
        DELETE FROM {RTREE_TABLE} WHERE id = old.id;
        END""",
    f"""INSERT INTO {RTREE_TABLE} SELECT id, latitude, latitude, longitude, longitude FROM places_place
        WHERE latitude IS NOT NULL AND longitude IS NOT NULL AND id NOT IN (SELECT id FROM {RTREE_TABLE})""",
]
SQLITE_TEARDOWN = [
    "DROP TRIGGER IF EXISTS places_place_rtree_insert",
    "DROP TRIGGER IF EXISTS places_place_rtree_update",
    "DROP TRIGGER IF EXISTS places_place_rtree_delete",
    f"DROP TABLE IF EXISTS {RTREE_TABLE}",
]
POSTGRES_SETUP = [
    "CREATE EXTENSION IF NOT EXISTS cube",
    "CREATE EXTENSION IF NOT EXISTS earthdistance",
    "CREATE INDEX IF NOT EXISTS places_place_earth ON places_place USING gist "
    "(ll_to_earth(latitude, longitude)) WHERE latitude IS NOT NULL AND longitude IS NOT NULL",
]
POSTGRES_TEARDOWN = ["DROP INDEX IF EXISTS places_place_earth"]


def install_index(schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_SETUP, "postgresql": POSTGRES_SETUP}.get(vendor, []):
        schema_editor.execute(sql)


def remove_index(schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_TEARDOWN, "postgresql": POSTGRES_TEARDOWN}.get(vendor, []):
        schema_editor.execute(sql)


@dataclass(frozen=True)
class Hit:
    id: int
    distance_km: float
    rank: float  # the engine's ordering key, kept for the next page's cursor


def nearest(queryset, lat, lon, k=10, radius_km=None, after=None):
    """The k places of `queryset` nearest to (lat, lon), as `Hit`s in (distance, id) order.

    `after` is the (rank, id) of the last hit of the previous page; `radius_km` bounds the search.
    """
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be in [-90, 90] and longitude in [-180, 180]")
    if k <= 0:
        return []
    queryset = queryset.filter(latitude__isnull=False, longitude__isnull=False)
    if connection.vendor == "postgresql":
        return _nearest_postgres(queryset, lat, lon, k, radius_km, after)
    if connection.vendor == "sqlite":
        return _nearest_rtree(queryset, lat, lon, k, radius_km, after)
    return _nearest_scan(queryset, lat, lon, k, radius_km, after)


def _after(hit_key, after):
    return after is None or hit_key > (after[0], after[1])


def _bbox(lat, lon, r_km):
    dlat = r_km / _KM_PER_DEG_LAT
    south, north = lat - dlat - _EPS_DEG, lat + dlat + _EPS_DEG
    widest = max(abs(south), abs(north))
    if widest >= 89.9 or r_km >= math.pi * EARTH_RADIUS_KM / 2:
        return max(south, -90), min(north, 90), -180.0, 180.0
    dlon = math.degrees(math.asin(min(1.0, math.sin(r_km / EARTH_RADIUS_KM) / math.cos(math.radians(widest)))))
    west, east = lon - dlon - _EPS_DEG, lon + dlon + _EPS_DEG
    if west < -180 or east > 180:
        west, east = -180.0, 180.0
    return south, north, west, east


def _nearest_rtree(queryset, lat, lon, k, radius_km, after):
    r = 2.0
    limit = radius_km if radius_km is not None else math.pi * EARTH_RADIUS_KM
    while True:
        r = min(r, limit)
        south, north, west, east = _bbox(lat, lon, r)
        inside = RawSQL(
            f"SELECT id FROM {RTREE_TABLE} WHERE max_lat >= %s AND min_lat <= %s "
            f"AND max_lon >= %s AND min_lon <= %s", (south, north, west, east))
        rows = queryset.filter(id__in=inside).values_list("id", "latitude", "longitude")
        hits = []
        for pid, plat, plon in rows:
            d = haversine_km(lat, lon, plat, plon)
            if d <= r and _after((d, pid), after):
                hits.append(Hit(pid, d, d))
        if len(hits) >= k or r >= limit:
            hits.sort(key=lambda h: (h.rank, h.id))
            return hits[:k]
        # Grow by the density seen so far: about k hits expected in the next box.
        r *= min(8.0, max(2.0, math.sqrt(k / max(len(hits), 0.5)) * 1.2))


def _nearest_postgres(queryset, lat, lon, k, radius_km, after):
    rank = RawSQL("ll_to_earth(latitude, longitude) <-> ll_to_earth(%s, %s)", (lat, lon))
    qs = queryset.annotate(_rank=rank)
    if radius_km is not None:
        # Chord length of the radius, as measured by `<->` on earthdistance's sphere.
        qs = qs.extra(where=["ll_to_earth(latitude, longitude) <-> ll_to_earth(%s, %s) "
                             "<= 2 * earth() * sin(%s / 2)"],
                      params=[lat, lon, min(math.pi, radius_km * 1.000001 / EARTH_RADIUS_KM)])
    if after is not None:
        qs = qs.extra(where=["(ll_to_earth(latitude, longitude) <-> ll_to_earth(%s, %s), places_place.id) > (%s, %s)"],
                      params=[lat, lon, after[0], after[1]])
    rows = qs.order_by("_rank", "id").values_list("id", "latitude", "longitude", "_rank")[:k]
    hits = [Hit(pid, haversine_km(lat, lon, plat, plon), rnk) for pid, plat, plon, rnk in rows]
    if radius_km is not None:
        hits = [h for h in hits if h.distance_km <= radius_km]
    return hits


def _nearest_scan(queryset, lat, lon, k, radius_km, after):
    hits = []
    for pid, plat, plon in queryset.values_list("id", "latitude", "longitude").iterator():
        d = haversine_km(lat, lon, plat, plon)
        if (radius_km is None or d <= radius_km) and _after((d, pid), after):
            hits.append(Hit(pid, d, d))
    hits.sort(key=lambda h: (h.rank, h.id))
    return hits[:k]


def in_bbox(queryset, south, west, north, east):
    """Places inside a bounding box (west > east crosses the antimeridian)."""
    qs = queryset.filter(latitude__gte=south, latitude__lte=north)
    if west <= east:
        return qs.filter(longitude__gte=west, longitude__lte=east)
    from django.db.models import Q

    return qs.filter(Q(longitude__gte=west) | Q(longitude__lte=east))
