"""Finding places: text, kind, bounding box, nearness and opening hours, with stable keyset pagination."""
import datetime
import math
from dataclasses import dataclass, field

from django.core import signing
from django.db import connections
from django.db.models import Prefetch, Q
from django.db.models.expressions import RawSQL

from tilios.rows import by_ids
from tilios.territories.models import Commune
from tilios.territories.services import EARTH_RADIUS_KM, OUTLINES
from tilios.text import QueryTooLong, query_tokens

from . import hours, kind_index, spatial, taxonomy, text_index
from .kinds import ids_by_code
from .models import Kind, Place, PlaceQuerySet, place_url


class QueryError(ValueError):
    """A parameter a user gave cannot be understood; the message says which and why."""


def parse_point(value):
    try:
        lat, lon = (float(x) for x in value.split(","))
    except (AttributeError, ValueError):
        raise QueryError("near : « latitude,longitude » attendu, par exemple 45.43,4.39") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise QueryError("near : latitude dans [-90, 90], longitude dans [-180, 180]")
    return lat, lon


MAX_RADIUS_KM = math.ceil(math.pi * EARTH_RADIUS_KM)  # half the globe's circumference: every place


def parse_radius(value):
    """A search radius in km: a finite number in ]0, MAX_RADIUS_KM] (NaN and infinities are refused)."""
    try:
        radius = float(value)
    except (TypeError, ValueError):
        raise QueryError("radius : un nombre de kilomètres") from None
    if not (math.isfinite(radius) and 0 < radius <= MAX_RADIUS_KM):
        raise QueryError(f"radius : un nombre de kilomètres dans ]0, {MAX_RADIUS_KM}]")
    return radius


def parse_bbox(value):
    try:
        west, south, east, north = (float(x) for x in value.split(","))
    except (AttributeError, ValueError):
        raise QueryError("bbox : « ouest,sud,est,nord » attendu en degrés") from None
    if not (-90 <= south <= north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        raise QueryError("bbox : bornes invalides (ouest,sud,est,nord)")
    return west, south, east, north


def parse_moment(value):
    """`open_at`: an ISO date and time. With an offset it is an instant; without, the same wall-clock time
    in each place's own zone (« ouvert à 10 h » at Saint-Denis de La Réunion means 10 h there)."""
    try:
        moment = datetime.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise QueryError("open_at : date et heure ISO attendues, par exemple 2026-12-07T10:30 "
                         "ou 2026-12-07T10:30+01:00") from None
    if not 1900 <= moment.year <= 9998:
        raise QueryError("open_at : année entre 1900 et 9998")
    return moment


def search(q="", kinds=(), bbox=None, services=()):
    """Places matching a free-text query, any of `kinds` (codes), every one of `services` (codes of
    taxonomy.SERVICES) and a bounding box."""
    qs = Place.objects.live()
    try:
        tokens = query_tokens(q)
    except QueryTooLong as exc:
        raise QueryError(f"q : {exc}") from None
    qs = text_index.matching(qs, tokens)
    kinds, kind_ids = [k for k in kinds if k], []
    if kinds:
        by_code = ids_by_code(kinds)
        unknown = set(kinds) - set(by_code)
        if unknown:
            raise QueryError(f"kind : type inconnu « {sorted(unknown)[0]} »")
        # Written out: the ORM's subquery was compiled anew for the page and for its count, a third of a `q`.
        kind_ids = sorted(by_code.values())
        qs = qs.filter(id__in=RawSQL(_tagged(kind_ids), kind_ids))
    for code in dict.fromkeys(c for c in services if c):
        if code not in taxonomy.SERVICES:
            raise QueryError(f"service : service inconnu « {code[:60]} » (possibles : {', '.join(taxonomy.SERVICES)})")
        # The list is stored as JSON text on both engines; a code in quotes is that code and no other.
        qs = qs.filter(services__icontains=f'"{code}"')
    if bbox is not None:
        west, south, east, north = bbox
        qs = spatial.in_bbox(qs, south, west, north, east)
    elif not any(services):
        qs = _Matches(Place, qs.query, using=qs.db)
        qs.written, qs.tokens, qs.kind_ids = True, tokens, kind_ids
    return qs


class _Matches(PlaceQuerySet):
    """The live places matching a text and kinds (either, both or neither), and nothing else: their first page
    by name and their count are statements written out, where compiling them with the ORM was a quarter of a
    `q` read as a kind (bench/read_path.py); a text is answered by its index (on PostgreSQL, page and count at
    once), its matches tested for the kinds one by one. Any filter added makes a plain queryset again (a clone
    is not `written`), counted and ordered by the ORM."""
    written = False
    tokens = ()
    kind_ids = ()
    counted = None  # how many, when it came with a page (on PostgreSQL)

    def _tagged_too(self):
        """The kinds as a test of one place (SQL with `{id}` for its id, params), or None without kinds."""
        if not self.kind_ids:
            return None
        placeholders = ", ".join(["%s"] * len(self.kind_ids))
        return (f"EXISTS (SELECT 1 FROM {Place.kinds.through._meta.db_table} t WHERE t.place_id = {{id}} "
                f"AND t.kind_id IN ({placeholders}))", self.kind_ids)

    def row_condition(self):
        """(SQL, params): the same places, as a condition on a place `p`: on SQLite tested row by row on the
        places found another way (the R*Tree's box of a « near » search), where reading the text's and the
        kinds' indexes whole cost 2–3 ms a box at 10⁵ places; on PostgreSQL written into the nearest search's
        statement, where compiling the queryset was a fifth of a search near a town."""
        text, params = text_index.row_condition(self.tokens, connections[self.db].vendor)
        sql = [text_index.LIVE, *filter(None, [text])]
        if self.kind_ids:
            tagged, tagged_params = self._tagged_too()
            sql.append(tagged.format(id="p.id"))
            params = [*params, *tagged_params]
        return " AND ".join(sql), params

    def count(self):
        if not self.written or self._result_cache is not None:
            return super().count()
        if self.counted is not None:
            return self.counted
        if self.tokens:
            return text_index.count(self.tokens, self.db, self._tagged_too())
        if self.kind_ids:
            return kind_index.count(self.kind_ids, self.db)
        with connections[self.db].cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {Place._meta.db_table} p WHERE {text_index.LIVE}")
            return cursor.fetchone()[0]

    def first_by_name(self, k, after):
        """The first `k` places by name after `after` (a (sort_name, id) pair) if given, as `Listed`."""
        if self.tokens:
            ids, self.counted = text_index.first_by_name(self.tokens, k, after, self.db, self._tagged_too())
        elif self.kind_ids:
            ids = kind_index.first_by_name(self.kind_ids, k, after, self.db)
        else:  # every live place, by `place_live`
            where = text_index.LIVE + (" AND (p.sort_name, p.id) > (%s, %s)" if after is not None else "")
            with connections[self.db].cursor() as cursor:
                cursor.execute(f"{_LISTED_SELECT} WHERE {where} ORDER BY p.sort_name, p.id LIMIT %s",
                               [*(after or ()), k])
                return _listed(cursor.fetchall(), self.db)
        by_id = {place.id: place for place in listed_ids(ids, self.db)}
        return [by_id[i] for i in ids if i in by_id]  # one deleted meanwhile is left out


def _tagged(kind_ids):
    """The places tagged with any of `kind_ids`: SQL with a placeholder for each id."""
    placeholders = ", ".join(["%s"] * len(kind_ids))
    return f"SELECT place_id FROM {Place.kinds.through._meta.db_table} WHERE kind_id IN ({placeholders})"


def _kinds():
    return Prefetch("kinds", queryset=Kind.objects.order_by("position"))


def with_details(qs):
    """Places with everything their page shows, territories included, their outlines excepted."""
    return qs.select_related("commune", "departement", "region", "epci").defer(*OUTLINES).prefetch_related(_kinds())


@dataclass(slots=True)
class Listed:
    """A place as a listing or a map shows it (presenters.place_summary and map_properties), and nothing else."""
    id: int
    public_id: str
    name: str
    sort_name: str
    status: str
    latitude: float | None
    longitude: float | None
    town: str  # the commune's name where the place is in one, else the town it declares
    commune_code: str | None
    departement_id: str | None
    opening_hours: str
    kind_codes: list = field(default_factory=list)
    distance_km: float | None = None  # set by a « near » search

    @property
    def url(self):
        return place_url(self.public_id)

    @classmethod
    def of(cls, place):
        """A loaded Place seen as a listing sees it."""
        return cls(place.id, place.public_id, place.name, place.sort_name, place.status, place.latitude,
                   place.longitude, place.commune.name if place.commune_id else place.town,
                   place.commune.code if place.commune_id else None, place.departement_id, place.opening_hours,
                   [k.code for k in place.kinds.all()], getattr(place, "distance_km", None))


_LISTED_COLUMNS = ("id", "public_id", "name", "sort_name", "status", "latitude", "longitude", "commune__name",
                   "town", "commune__code", "departement_id", "opening_hours")


def listed(qs):
    """The places of `qs` (sliced or not, in its order) as `Listed`: two queries, plain rows, no model
    instances — building those and their prefetch was most of a listing's time (bench/read_path.py)."""
    return _listed(list(qs.values_list(*_LISTED_COLUMNS)), qs.db)


def listed_ids(ids, using="default"):
    """`listed` for the places of `ids` (a page's, found by distance or opening hours), in no particular
    order: the query is written out, compiling it cost a nearest search a third of its time, and it brings
    each place's kinds (a row per kind), which took a statement of their own."""
    places = {}
    for *row, code in by_ids(_LISTED_BY_ID, ids, using=using):
        place = places.get(row[0])
        if place is None:
            place = places[row[0]] = _place(row, [])
        if code is not None:
            place.kind_codes.append(code)
    return list(places.values())


def _listed(rows, using):
    kinds = {}
    for place_id, code in by_ids(_KIND_CODES, [row[0] for row in rows], using=using):
        kinds.setdefault(place_id, []).append(code)
    return [_place(row, kinds.get(row[0], [])) for row in rows]


def _place(row, kind_codes):
    """A row of _LISTED_COLUMNS as `Listed`."""
    return Listed(*row[:7], row[7] or row[8], *row[9:], kind_codes)


_LISTED_ROW = ("p.id, p.public_id, p.name, p.sort_name, p.status, p.latitude, p.longitude, c.name, p.town, c.code, "
               "p.departement_id, p.opening_hours")
_LISTED_TABLES = f"{Place._meta.db_table} p LEFT JOIN {Commune._meta.db_table} c ON c.id = p.commune_id"
_LISTED_SELECT = f"SELECT {_LISTED_ROW} FROM {_LISTED_TABLES}"
_LISTED_BY_ID = (f"SELECT {_LISTED_ROW}, kind.code FROM {_LISTED_TABLES} "
                 f"LEFT JOIN {Place.kinds.through._meta.db_table} tagged ON tagged.place_id = p.id "
                 f"LEFT JOIN {Kind._meta.db_table} kind ON kind.id = tagged.kind_id "
                 "WHERE p.id IN ({ids}) ORDER BY p.id, kind.position, kind.id")
_KIND_CODES = (f"SELECT tagged.place_id, kind.code FROM {Place.kinds.through._meta.db_table} tagged "
               f"JOIN {Kind._meta.db_table} kind ON kind.id = tagged.kind_id "
               "WHERE tagged.place_id IN ({ids}) ORDER BY tagged.place_id, kind.position, kind.id")


# Cursors are signed: a client may keep and replay them, never forge one (a forged key once sent
# the nearest-place search round a NaN radius for ever).
_CURSOR_SALT = "tilios.places.cursor"
_MAX_ID = 2**63 - 1


def _encode(mode, key):
    return signing.dumps([mode, key], salt=_CURSOR_SALT)


def _decode(cursor, mode):
    """The key of a cursor this server signed for `mode`, checked once more for its shape."""
    try:
        got_mode, key = signing.loads(cursor, salt=_CURSOR_SALT)
        first, last_id = key
    except (signing.BadSignature, ValueError, TypeError):
        raise QueryError("cursor : curseur invalide pour cette recherche") from None
    valid_id = type(last_id) is int and 0 < last_id <= _MAX_ID
    if mode == "near":
        valid = type(first) in (int, float) and math.isfinite(first) and first >= 0
    else:
        valid = isinstance(first, str)
    if got_mode != mode or not (valid and valid_id):
        raise QueryError("cursor : curseur invalide pour cette recherche")
    return first, last_id


# Places with hours are evaluated in batches, in the listing's own order, until a page is full: the k
# nearest open places, not the k nearest ones filtered down to fewer.
_OPEN_BATCH = 500
_HOURS_COLUMNS = ("id", "opening_hours", "departement_id", "postcode")


def _with_hours(qs):
    """The cheap prefilter: only places that have hours can be open."""
    return qs.exclude(opening_hours="")


def open_ids(qs, at):
    """Ids of the places of `qs` open at `at`, in id order."""
    rows = _with_hours(qs).order_by("id").values_list(*_HOURS_COLUMNS)
    return sorted(hours.open_among(rows.iterator(chunk_size=2000), at))


def _nearest_open(qs, near, k, radius_km, after, at):
    qs = _with_hours(qs)
    found, batch = [], max(4 * k, 100)
    while True:
        hits = spatial.nearest(qs, near[0], near[1], k=batch, radius_km=radius_km, after=after)
        rows = Place.objects.filter(id__in=[h.id for h in hits]).values_list(*_HOURS_COLUMNS)
        opened = hours.open_among(rows, at)
        found += [h for h in hits if h.id in opened]
        if len(found) >= k or len(hits) < batch:
            return found[:k]
        after = (hits[-1].rank, hits[-1].id)
        batch = min(2 * batch, 4000)


def _first_open_by_name(qs, k, at):
    ordered = _with_hours(qs).order_by("sort_name", "id")
    found, key = [], None
    while len(found) < k:
        chunk = ordered if key is None else ordered.filter(Q(sort_name__gt=key[0]) | Q(sort_name=key[0], id__gt=key[1]))
        rows = list(chunk.values_list("sort_name", *_HOURS_COLUMNS)[:_OPEN_BATCH])
        opened = hours.open_among((row[1:] for row in rows), at)
        found += [row[1] for row in rows if row[1] in opened]
        if len(rows) < _OPEN_BATCH:
            break
        key = (rows[-1][0], rows[-1][1])
    by_id = {place.id: place for place in listed_ids(found[:k], qs.db)}
    return [by_id[i] for i in found[:k]]


def count(qs, open_at=None):
    return qs.count() if open_at is None else len(open_ids(qs, open_at))


def _after(qs, key):
    return qs if key is None else qs.filter(Q(sort_name__gt=key[0]) | Q(sort_name=key[0], id__gt=key[1]))


@dataclass
class Page:
    places: list  # `Listed`, with `.distance_km` set for a « near » search
    next_cursor: str | None


def page(qs, limit=50, cursor=None, near=None, radius_km=None, open_at=None):
    """One page of `qs` as `Listed` places, by name or (with `near`) by distance, and the cursor of the next
    one; with `open_at` (a datetime), only the places open then."""
    if near is not None:
        after = _decode(cursor, "near") if cursor else None
        if open_at is not None:
            hits = _nearest_open(qs, near, limit + 1, radius_km, after, open_at)
        else:
            written = isinstance(qs, _Matches) and qs.written
            hits = spatial.nearest(qs, near[0], near[1], k=limit + 1, radius_km=radius_km, after=after,
                                   where=qs.row_condition() if written else None)
        more = len(hits) > limit
        hits = hits[:limit]
        by_id = {place.id: place for place in listed_ids([hit.id for hit in hits], qs.db)}
        places = []
        for hit in hits:
            place = by_id[hit.id]
            place.distance_km = hit.distance_km
            places.append(place)
        next_cursor = _encode("near", [hits[-1].rank, hits[-1].id]) if more and hits else None
        return Page(places, next_cursor)
    after = _decode(cursor, "name") if cursor else None
    if isinstance(qs, _Matches) and qs.written and open_at is None:
        places = qs.first_by_name(limit + 1, after)
    elif open_at is not None:
        places = _first_open_by_name(_after(qs, after), limit + 1, open_at)
    else:
        places = listed(_after(qs, after).order_by("sort_name", "id")[: limit + 1])
    more = len(places) > limit
    places = places[:limit]
    next_cursor = _encode("name", [places[-1].sort_name, places[-1].id]) if more else None
    return Page(places, next_cursor)
