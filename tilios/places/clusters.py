"""The home map's places, grouped by the server for the view the map shows.

A map that downloaded every place sent 4.5 MB at 10⁵ places. Instead the map asks for its view (`bbox`) at
its zoom level; the places are counted in the square cells of a grid laid on the Web-Mercator plane,
CELL_PX screen pixels wide at that zoom, and each cell comes back as one group (how many places, their mean
position, their extent) or, holding a single place, as that place. What a view costs depends on the
screen, not on the size of the registry.

Cells are whole: the view is widened to the edges of the cells it touches and the places are kept by the
cell the database computes for them, so a group counts every matching place of its cell and the groups
of a view add up to the places in it, whatever the filters.
"""
import hashlib
import math
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Avg, Count, F, FloatField, Max, Min, Q, Value
from django.db.models.functions import Floor, Greatest, Least, Ln, Pi, Radians, Tan

from .models import Place
from .queries import QueryError, listed

CELL_PX = 64  # a group's cell on screen: about the size of a group's marker and its margin
TILE_PX = 256  # the Web-Mercator world is 256 × 2^zoom pixels wide
MAX_ZOOM = 19
MAX_LATITUDE = 85.0511287798  # where the Web-Mercator square ends
MAX_CELLS = 12_000  # a view of about 7 000 × 7 000 pixels; a wider one is a request for everything
WIDE_DEGREES = 2.0  # a view taller than this is read by a scan, not through the latitude index


def cells_per_side(zoom):
    return TILE_PX * 2**zoom // CELL_PX


def _mercator_y(latitude):
    """0 at the top of the Web-Mercator square, 1 at the bottom."""
    phi = math.radians(max(-MAX_LATITUDE, min(MAX_LATITUDE, latitude)))
    return 0.5 - math.log(math.tan(math.pi / 4 + phi / 2)) / (2 * math.pi)


def _latitude(y):
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))


def _cell_columns(n):
    """The grid cell of each place, computed by the database (Django gives SQLite the math functions)."""
    latitude = Least(Greatest(F("latitude"), Value(-MAX_LATITUDE)), Value(MAX_LATITUDE))
    mercator_y = Value(0.5) - Ln(Tan(Pi() / 4 + Radians(latitude) / 2)) / (2 * Pi())
    return {"cell_x": Floor((F("longitude") + 180.0) / 360.0 * n, output_field=FloatField()),
            "cell_y": Floor(mercator_y * n, output_field=FloatField())}


@dataclass
class View:
    zoom: int
    bbox: tuple  # west, south, east, north: the cells' edges around the asked view
    count: int  # places in the view: the sum of its groups' counts
    groups: list  # Group, in cell order
    places: dict  # id → Place (with its summary) for the groups of one place


@dataclass
class Group:
    count: int
    latitude: float
    longitude: float
    extent: tuple  # west, south, east, north of its places
    place_id: int | None  # the place, when the group holds one


def _cell_range(west, south, east, north, n):
    def column(lon):
        return min(n - 1, max(0, math.floor((lon + 180) / 360 * n)))

    def row(lat):
        return min(n - 1, max(0, math.floor(_mercator_y(lat) * n)))

    return column(west), row(north), column(east), row(south)


def view(qs, zoom, bbox):
    """The groups of the places of `qs` inside `bbox` (west, south, east, north; west > east crosses the
    antimeridian) at `zoom`."""
    if not 0 <= zoom <= MAX_ZOOM:
        raise QueryError(f"zoom : un entier entre 0 et {MAX_ZOOM}")
    n = cells_per_side(zoom)
    west, south, east, north = bbox
    x0, y0, x1, y1 = _cell_range(west, south, east, north, n)
    columns = (x1 - x0 + 1) if x0 <= x1 else (n - x0 + x1 + 1)
    if columns * (y1 - y0 + 1) > MAX_CELLS:
        raise QueryError(f"bbox : trop grande pour le zoom {zoom} (plus de {MAX_CELLS} cellules) ; "
                         "zoomez ou réduisez la zone")
    # The cells' edges: in a narrow view the latitude filter takes the index; the cell filter decides at the
    # edges exactly. A wide view holds most places, which a plain scan reads faster than the index (SQLite,
    # 10⁶ places, France: 1.1 s scanning, 2.6 s through the index).
    top, bottom = _latitude(y0 / n), _latitude((y1 + 1) / n)
    margin = 1e-6
    located = qs.filter(latitude__isnull=False, longitude__isnull=False)
    if top - bottom < WIDE_DEGREES:
        located = located.filter(latitude__gte=bottom - margin, latitude__lte=top + margin)
    cells = located.annotate(**_cell_columns(n)).filter(cell_y__gte=y0, cell_y__lte=y1)
    if x0 <= x1:
        cells = cells.filter(cell_x__gte=x0, cell_x__lte=x1)
    else:
        cells = cells.filter(Q(cell_x__gte=x0) | Q(cell_x__lte=x1))
    rows = (cells.order_by().values("cell_x", "cell_y")
            .annotate(n=Count("id"), mean_lat=Avg("latitude"), mean_lon=Avg("longitude"),
                      west=Min("longitude"), south=Min("latitude"), east=Max("longitude"), north=Max("latitude"),
                      first=Min("id"))
            .order_by("cell_y", "cell_x"))
    groups = [Group(row["n"], row["mean_lat"], row["mean_lon"], (row["west"], row["south"], row["east"], row["north"]),
                    row["first"] if row["n"] == 1 else None) for row in rows]
    alone = [g.place_id for g in groups if g.place_id is not None]
    places = {place.id: place for place in listed(Place.objects.filter(id__in=alone))} if alone else {}
    edges = ((x0 / n) * 360 - 180, _latitude((y1 + 1) / n), ((x1 + 1) / n) * 360 - 180, _latitude(y0 / n))
    return View(zoom, edges, sum(g.count for g in groups), groups, places)


CACHE_SECONDS = 300


def cached(key_parts, build):
    """`build()`'s answer, kept in the cache for the registry's current version: every visitor's first view
    is the same France, and counting 10⁵ places for it costs 0.1–0.2 s. Any change to a place (each goes
    through its save) moves the version, so a cached answer is never older than the places it counts."""
    version = Place.objects.aggregate(v=Max("updated_at"))["v"]
    key = "clusters:" + hashlib.sha256(repr((str(version), *key_parts)).encode()).hexdigest()
    answer = cache.get(key)
    if answer is None:
        answer = build()
        cache.set(key, answer, CACHE_SECONDS)
    return answer


def extent(qs):
    """How many located places `qs` holds and their extent (west, south, east, north), or None."""
    located = qs.filter(latitude__isnull=False, longitude__isnull=False).order_by()
    found = located.aggregate(count=Count("id"), west=Min("longitude"), south=Min("latitude"),
                              east=Max("longitude"), north=Max("latitude"))
    if not found["count"]:
        return 0, None
    return found["count"], (found["west"], found["south"], found["east"], found["north"])
