"""Finding places: text, kind, bounding box and nearness, with stable keyset pagination."""
import math
from dataclasses import dataclass

from django.core import signing
from django.db.models import Prefetch, Q

from tilios.territories.services import EARTH_RADIUS_KM
from tilios.text import QueryTooLong, query_tokens

from . import spatial
from .models import Kind, Place


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


def search(q="", kinds=(), bbox=None):
    """Places matching a free-text query, any of `kinds` (codes) and a bounding box."""
    qs = Place.objects.filter(is_published=True, merged_into=None)
    try:
        tokens = query_tokens(q)
    except QueryTooLong as exc:
        raise QueryError(f"q : {exc}") from None
    for token in tokens:
        qs = qs.filter(search_text__contains=" " + token)
    kinds = [k for k in kinds if k]
    if kinds:
        unknown = set(kinds) - set(Kind.objects.filter(code__in=kinds).values_list("code", flat=True))
        if unknown:
            raise QueryError(f"kind : type inconnu « {sorted(unknown)[0]} »")
        tagged = Place.kinds.through.objects.filter(kind__code__in=kinds).values("place_id")
        qs = qs.filter(id__in=tagged)
    if bbox is not None:
        west, south, east, north = bbox
        qs = spatial.in_bbox(qs, south, west, north, east)
    return qs


def with_details(qs):
    return qs.select_related("commune", "departement", "region", "epci").prefetch_related(
        Prefetch("kinds", queryset=Kind.objects.order_by("position")))


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


@dataclass
class Page:
    places: list  # Place objects, with `.distance_km` set for a « near » search
    next_cursor: str | None


def page(qs, limit=50, cursor=None, near=None, radius_km=None):
    """One page of `qs`, by name or (with `near`) by distance, and the cursor of the next one."""
    if near is not None:
        after = _decode(cursor, "near") if cursor else None
        hits = spatial.nearest(qs, near[0], near[1], k=limit + 1, radius_km=radius_km, after=after)
        more = len(hits) > limit
        hits = hits[:limit]
        by_id = with_details(Place.objects.filter(id__in=[h.id for h in hits])).in_bulk()
        places = []
        for hit in hits:
            place = by_id[hit.id]
            place.distance_km = hit.distance_km
            places.append(place)
        next_cursor = _encode("near", [hits[-1].rank, hits[-1].id]) if more and hits else None
        return Page(places, next_cursor)
    if cursor:
        sort_name, last_id = _decode(cursor, "name")
        qs = qs.filter(Q(sort_name__gt=sort_name) | Q(sort_name=sort_name, id__gt=last_id))
    places = list(with_details(qs.order_by("sort_name", "id"))[: limit + 1])
    more = len(places) > limit
    places = places[:limit]
    next_cursor = _encode("name", [places[-1].sort_name, places[-1].id]) if more else None
    return Page(places, next_cursor)
