"""Nearest places, served from a spatial index on both engines.

SQLite: an R*Tree virtual table kept in step with `places_place` by triggers. Capped counts on the
R*Tree alone (no row is read) estimate the density around the point and so the radius likely to hold
k places; the places in that radius's bounding box are then ranked on their exact coordinates (the
R*Tree keeps 32-bit floats, so it only pre-selects), and the radius grows until k places lie nearer
than it, which makes the answer exact.
PostgreSQL: a GiST index on `ll_to_earth(latitude, longitude)` (cube + earthdistance); its `<->`
is the chord through the sphere, which orders points exactly as the great-circle distance does.
The index walk (KNN) orders by that chord alone; ties are broken by id afterwards.

Results are ranked by (rank, id) so that pages of a « near » listing never overlap or skip. An
unfiltered queryset (`Place.objects.all()`) takes a raw-SQL path with no ORM work per query; any
other queryset is compiled once by the ORM and its SQL reused while the search radius grows; filtered on
its own columns' constants (the live places), it is kept compiled for the next searches.
"""
import math
from dataclasses import dataclass

from django.db import connections
from django.db.models.expressions import Col, RawSQL
from django.db.models.lookups import Lookup
from django.db.models.sql.where import WhereNode

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
    # Catch up after the triggers were missing (SQLite rebuilds a table it alters, dropping them).
    f"""DELETE FROM {RTREE_TABLE} WHERE id NOT IN (SELECT id FROM places_place
        WHERE latitude IS NOT NULL AND longitude IS NOT NULL)""",
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


def nearest(queryset, lat, lon, k=10, radius_km=None, after=None, where=None):
    """The k places of `queryset` nearest to (lat, lon), as `Hit`s in (rank, id) order.

    `after` is the (rank, id) of the last hit of the previous page; `radius_km` bounds the search. `where`,
    (SQL, params) on a place `p` that holds for the places of `queryset` and no other, stands for the queryset
    compiled: tested on each place of a box on SQLite, written into the statement on PostgreSQL.
    """
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be in [-90, 90] and longitude in [-180, 180]")
    # NaN compares false with everything: a NaN radius or rank would never end the search loops.
    if radius_km is not None and not math.isfinite(radius_km):
        raise ValueError("radius_km must be a finite number")
    if after is not None and not math.isfinite(after[0]):
        raise ValueError("after must hold a finite rank")
    if k <= 0 or (radius_km is not None and radius_km < 0):
        return []
    lat, lon = float(lat), float(lon)
    after = None if after is None else (float(after[0]), int(after[1]))
    connection = connections[queryset.db]
    plain = _is_plain(queryset)
    if connection.vendor == "sqlite":
        return _nearest_rtree(connection, None if plain else queryset, lat, lon, k, radius_km, after, where)
    if connection.vendor == "postgresql":
        return _nearest_postgres(connection, None if plain else queryset, lat, lon, k, radius_km, after, where)
    queryset = queryset.filter(latitude__isnull=False, longitude__isnull=False)
    return _nearest_scan(queryset, lat, lon, k, radius_km, after)


def _is_plain(queryset):
    """True for every place, unfiltered (`Place.objects.all()`): the raw-SQL paths apply."""
    q = queryset.query
    return (queryset.model._meta.db_table == "places_place" and not q.where and not q.is_sliced
            and not q.distinct and q.combinator is None and not q.extra and not q.annotations)


def _bbox(lat, lon, r_km):
    dlat = r_km / _KM_PER_DEG_LAT
    south, north = lat - dlat - _EPS_DEG, lat + dlat + _EPS_DEG
    widest = max(abs(south), abs(north))
    if widest >= 89.9 or r_km >= math.pi * EARTH_RADIUS_KM / 2:
        return max(south, -90.0), min(north, 90.0), -180.0, 180.0
    dlon = math.degrees(math.asin(min(1.0, math.sin(r_km / EARTH_RADIUS_KM) / math.cos(math.radians(widest)))))
    west, east = lon - dlon - _EPS_DEG, lon + dlon + _EPS_DEG
    if west < -180 or east > 180:
        west, east = -180.0, 180.0
    return south, north, west, east


# --- SQLite: R*Tree -----------------------------------------------------------------------------

_BOX = "max_lat >= ? AND min_lat <= ? AND max_lon >= ? AND min_lon <= ?"
# CROSS JOIN makes SQLite walk the R*Tree first, then fetch each candidate by its rowid.
_RTREE_CANDIDATES = (f"SELECT p.id, p.latitude, p.longitude FROM {RTREE_TABLE} r CROSS JOIN places_place p "
                     f"ON p.id = r.id WHERE r.{_BOX.replace(' AND ', ' AND r.')}")
_RTREE_COUNT = f"SELECT count(*) FROM (SELECT 1 FROM {RTREE_TABLE} WHERE {_BOX} LIMIT ?)"
_PROBE_START_KM = 0.25
_PROBE_GROWTH = 4.0
_PROBE_CAP = 16
_BIG_BOX = 32768  # R*Tree candidates counted at most, to compare a box with a filtered search's whole set
# From this many places in its next box, a filtered search counts its set (up to the box's count): one that
# holds fewer than k places (« fablab lyon ») otherwise grows its box to the whole world, a round at a time
# (16 rounds, 19 ms on the demo, where 4 096 was never reached).
_SET_COUNTED_FROM = 256
_WORLD_KM = math.pi * EARTH_RADIUS_KM
_SENTINELS = (-1234567.25, -2345678.25, -3456789.25, -4567890.25)  # placeholders for a compiled box


COMPILED_KEPT = 64  # box queries kept compiled, for querysets filtered on constants only
_compiled = {}


def _compiled_box_query(connection, queryset):
    """The queryset's SQL restricted to an R*Tree box, compiled once: (sql, params, box slots). Kept for the
    next search when its SQL depends on nothing but a filter on constants: the live places, which every
    `near` without other criteria searches, cost a third of the search to compile each time."""
    key = _reusable_key(connection, queryset)
    compiled = _compiled.get(key) if key is not None else None
    if compiled is None:
        compiled = _compile_box_query(queryset)
        if key is not None and compiled is not None:
            if len(_compiled) >= COMPILED_KEPT:
                _compiled.clear()
            _compiled[key] = compiled
    return compiled and (compiled[0], list(compiled[1]), compiled[2])  # the caller fills the box in its copy


def _reusable_key(connection, queryset):
    """A key for the box query of `queryset`: its filter when that compares the table's own columns with
    constants and nothing else shapes its SQL (two such filters equal compile to the same statement); None
    for anything else (a join, a subquery, a list of values), compiled at each search."""
    q = queryset.query
    joined = sum(1 for alias in q.alias_map if q.alias_refcount[alias]) > 1  # a join not trimmed away
    if (joined or q.distinct or q.is_sliced or q.combinator or q.extra or q.extra_tables
            or q.annotations or not _on_constants(q.where)):
        return None
    return connection.alias, queryset.model, q.where


_CONSTANTS = {bool, int, float, str, type(None)}


def _on_constants(where):
    return all(_on_constants(child) if isinstance(child, WhereNode) else
               isinstance(child, Lookup) and type(child.lhs) is Col and type(child.rhs) in _CONSTANTS
               for child in where.children)


def _compile_box_query(queryset):
    inside = RawSQL(f"SELECT id FROM {RTREE_TABLE} WHERE {_BOX.replace('?', '%s')}", _SENTINELS)
    qs = queryset.filter(id__in=inside, latitude__isnull=False, longitude__isnull=False)
    sql, params = qs.order_by().values_list("id", "latitude", "longitude").query.sql_with_params()
    params = list(params)
    slots = [i for i, p in enumerate(params) if isinstance(p, float) and p in _SENTINELS]
    if len(slots) != 4:
        return None
    return sql, params, slots


def _nearest_rtree(connection, queryset, lat, lon, k, radius_km, after, where=None):
    # Beyond half the circumference every place is inside: a bigger radius only adds rounds.
    limit = min(radius_km, _WORLD_KM) if radius_km is not None else _WORLD_KM
    connection.ensure_connection()
    # Raw DB-API cursor: the same connection and transaction as Django's, without its wrapper.
    cur = connection.connection.cursor()
    if queryset is None:
        def candidates(box):
            return cur.execute(_RTREE_CANDIDATES, box).fetchall()
    elif where is not None:
        sql, where_params = f"{_RTREE_CANDIDATES.replace('?', '%s')} AND {where[0]}", where[1]
        django_cursor = connection.cursor()

        def candidates(box):
            django_cursor.execute(sql, (*box, *where_params))
            return django_cursor.fetchall()
    else:
        compiled = _compiled_box_query(connection, queryset)
        if compiled is None:  # a sentinel collided with a user value: the slow, simple way
            qs = queryset.filter(latitude__isnull=False, longitude__isnull=False)
            return _nearest_scan(qs, lat, lon, k, radius_km, after)
        sql, params, slots = compiled
        django_cursor = connection.cursor()

        def candidates(box):
            for slot, value in zip(slots, box):
                params[slot] = value
            django_cursor.execute(sql, params)
            return django_cursor.fetchall()

    # 1. A first radius from the density around the point: capped counts on the R*Tree alone.
    if after is not None:
        r = max(after[0] * 1.25, after[0] + 0.1)
    else:
        target, cap = 2 * k, _PROBE_CAP * k
        r, grown = _PROBE_START_KM, False
        while True:
            count = cur.execute(_RTREE_COUNT, (*_bbox(lat, lon, r), cap)).fetchone()[0]
            if count >= cap and not grown and r > 1e-3:
                r /= 4  # far too many: look closer
                continue
            if count >= target or r >= limit:
                break
            r, grown = r * _PROBE_GROWTH, True
        if count:
            # About 1.5 k expected inside the circle of radius r (box of 4 r², disc of π r²).
            r = min(r, r * math.sqrt(1.5 * k * 4 / (math.pi * count)))

    # 2. Rank the candidates of the box exactly; grow until k of them lie within the radius.
    p1 = math.radians(lat)
    cos_p1 = math.cos(p1)
    radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt
    two_r = 2 * EARTH_RADIUS_KM
    rounds, total, counted_up_to = 0, None, 0
    while True:
        r = min(r, limit)
        inside, hits = 0, []
        for pid, plat, plon in candidates(_bbox(lat, lon, r)):
            # haversine_km(lat, lon, plat, plon), inlined with the same operations (same bits).
            p2 = radians(plat)
            a = sin((p2 - p1) / 2) ** 2 + cos_p1 * cos(p2) * sin(radians(plon - lon) / 2) ** 2
            d = two_r * asin(min(1.0, sqrt(a)))
            if d <= r:
                inside += 1
                if after is None or (d, pid) > after:
                    hits.append((d, pid))
        if len(hits) >= k or r >= limit:
            hits.sort()
            return [Hit(pid, d, d) for d, pid in hits[:k]]
        # Grow by the density seen so far, aiming at ~1.5 k hits in the next disc.
        wanted = inside - len(hits) + 1.5 * k
        r *= min(8.0, max(1.5, math.sqrt(wanted / max(inside, 0.5))))
        rounds += 1
        if queryset is not None and rounds >= 2:
            # A selective filter and a wide or no radius: once the next box holds more places than
            # the whole filtered set, reading that set beats growing (up to the whole world).
            box_count = cur.execute(_RTREE_COUNT, (*_bbox(lat, lon, min(r, limit)), _BIG_BOX)).fetchone()[0]
            if box_count >= _SET_COUNTED_FROM:
                located = queryset.filter(latitude__isnull=False, longitude__isnull=False)
                if total is None or total == counted_up_to < box_count:  # capped: count further
                    total, counted_up_to = located.order_by()[:box_count].count(), box_count
                if total < box_count:
                    return _nearest_scan(located, lat, lon, k, radius_km, after)


# --- PostgreSQL: GiST on ll_to_earth() ------------------------------------------------------------

_EARTH = "ll_to_earth(latitude, longitude)"
_RANK = f"{_EARTH} <-> ll_to_earth(%s, %s)"


def _pg_conditions(lat, lon, radius_km, after, table):
    where, params = [], []
    if radius_km is not None:
        # Angle of the radius on our sphere, scaled to earthdistance's; the box is index-searchable
        # (cube @>) and bounds the KNN walk, the chord condition trims the box to the disc.
        theta = min(math.pi, radius_km * 1.000001 / EARTH_RADIUS_KM)
        where.append(f"earth_box(ll_to_earth(%s, %s), %s * earth()) @> {_EARTH}")
        where.append(f"{_RANK} <= 2 * earth() * sin(%s / 2)")
        params += [lat, lon, theta, lat, lon, theta]
    if after is not None:
        where.append(f"({_RANK}, {table}.id) > (%s, %s)")
        params += [lat, lon, after[0], after[1]]
    return where, params


def _nearest_postgres(connection, queryset, lat, lon, k, radius_km, after, matching=None):
    written = queryset is None or matching is not None
    where, where_params = _pg_conditions(lat, lon, radius_km, after, "p" if written else "places_place")
    if written:
        if matching is not None:
            where, where_params = [matching[0], *where], [*matching[1], *where_params]
        sql = (f"SELECT p.id, p.latitude, p.longitude, {_RANK} FROM places_place AS p "
               f"WHERE p.latitude IS NOT NULL AND p.longitude IS NOT NULL"
               + "".join(f" AND {w}" for w in where) + f" ORDER BY {_RANK} LIMIT %s")

        def fetch(n):
            with connection.cursor() as cur:
                cur.execute(sql, [lat, lon, *where_params, lat, lon, n])
                return cur.fetchall()
    else:
        qs = queryset.filter(latitude__isnull=False, longitude__isnull=False).annotate(
            _rank=RawSQL(_RANK, (lat, lon)))
        if where:
            qs = qs.extra(where=where, params=where_params)
        qs = qs.order_by("_rank").values_list("id", "latitude", "longitude", "_rank")

        def fetch(n):
            return list(qs[:n])

    # The index walks by rank alone: fetch one more than needed, and more while the last rank ties.
    n = k + 1
    while True:
        rows = fetch(n)
        if len(rows) < n or rows[-1][3] > rows[k - 1][3]:
            break
        n *= 2
    rows.sort(key=lambda row: (row[3], row[0]))
    hits = [Hit(pid, haversine_km(lat, lon, plat, plon), rnk) for pid, plat, plon, rnk in rows[:k]]
    if radius_km is not None:
        hits = [h for h in hits if h.distance_km <= radius_km]
    return hits


def _nearest_scan(queryset, lat, lon, k, radius_km, after):
    hits = []
    for pid, plat, plon in queryset.values_list("id", "latitude", "longitude").iterator():
        d = haversine_km(lat, lon, plat, plon)
        if (radius_km is None or d <= radius_km) and (after is None or (d, pid) > after):
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
