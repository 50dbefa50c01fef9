"""The map and list other sites may frame: the places of a territory and of some kinds, with attribution."""
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt

from tilios.places import feed, queries
from tilios.places.models import Place, place_url
from tilios.sources.models import Source
from tilios.territories.models import Commune, Departement, Region

from .middleware import content_security_policy

EMBED_LIMIT = 2000  # a regional network's places; beyond, the page says how many were left out


@xframe_options_exempt
def embed(request):
    params = _params(request.GET)
    error, places, more = "", [], 0
    try:
        found = feed.within(queries.search(kinds=params["kind"]), params["region"], params["departement"],
                            params["commune"])
        rows = list(found.order_by("name", "id").values(
            "id", "public_id", "name", "latitude", "longitude", "town", "commune__name")[:EMBED_LIMIT + 1])
    except queries.QueryError as exc:
        error, rows = str(exc), []
    more = max(0, len(rows) - EMBED_LIMIT)
    rows = rows[:EMBED_LIMIT]
    kinds = _kinds_of([row["id"] for row in rows])
    for row in rows:
        places.append({"id": row["public_id"], "name": row["name"], "lat": row["latitude"], "lon": row["longitude"],
                       "town": row["commune__name"] or row["town"], "kinds": kinds.get(row["id"], []),
                       "url": request.build_absolute_uri(place_url(row["public_id"]))})
    sources = Source.objects.filter(records__place_id__in=[row["id"] for row in rows]).distinct().order_by("name")
    response = render(request, "web/embed.html", {
        "places": places, "more": more, "error": error, "territory": _territory_name(params),
        "sources": sources, "home_url": request.build_absolute_uri(reverse("web:home")),
        "TILE_URL": settings.TILE_URL, "TILE_ATTRIBUTION": settings.TILE_ATTRIBUTION,
    }, status=400 if error else 200)
    response["Content-Security-Policy"] = content_security_policy(settings.EMBED_FRAME_ANCESTORS)
    return response


def _params(query):
    return {"region": query.get("region", ""), "departement": query.get("departement", ""),
            "commune": query.get("commune", ""), "kind": [k for k in query.getlist("kind") if k]}


def _kinds_of(place_ids):
    kinds = {}
    through = Place.kinds.through.objects.filter(place_id__in=place_ids).select_related("kind")
    for link in through.order_by("kind__position"):
        kinds.setdefault(link.place_id, []).append(str(link.kind))
    return kinds


def _territory_name(params):
    for level, model in (("commune", Commune), ("departement", Departement), ("region", Region)):
        if params[level]:
            found = model.objects.filter(pk=params[level]).first()
            return found.name if found else ""
    return ""


def snippet(request, params):
    """The <iframe> another site pastes to show these places (offered on the open-data page)."""
    query = urlencode([(key, value) for key, value in params if value])
    url = request.build_absolute_uri(reverse("web:embed")) + (f"?{query}" if query else "")
    return url, f'<iframe src="{url}" title="Tiers-lieux — Tilios" width="100%" height="520" loading="lazy"></iframe>'
