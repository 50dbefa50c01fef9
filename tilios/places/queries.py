"""Finding places: text, kind, bounding box and nearness, with stable keyset pagination."""
import base64
import json
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from tilios.text import search_tokens

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
    for token in search_tokens(q or ""):
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


def _encode(mode, key):
    return base64.urlsafe_b64encode(json.dumps([mode, key]).encode()).decode().rstrip("=")


def _decode(cursor, mode):
    try:
        got_mode, key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if got_mode != mode:
            raise ValueError
        return key
    except (ValueError, TypeError):
        raise QueryError("cursor : curseur invalide pour cette recherche") from None


@dataclass
class Page:
    places: list  # Place objects, with `.distance_km` set for a « near » search
    next_cursor: str | None


def page(qs, limit=50, cursor=None, near=None, radius_km=None):
    """One page of `qs`, by name or (with `near`) by distance, and the cursor of the next one."""
    if near is not None:
        after = _decode(cursor, "near") if cursor else None
        hits = spatial.nearest(qs, near[0], near[1], k=limit + 1, radius_km=radius_km,
                               after=tuple(after) if after else None)
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
