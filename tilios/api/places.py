"""Places: search, nearest, GeoJSON for the map, one place; kinds and communes to build a query."""
from typing import Any

from django.db.models import Prefetch
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.gzip import gzip_page
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError

from tilios.accounts.throttle import hit
from tilios.media.models import MediaFile
from tilios.places import clusters, queries, reports, understanding
from tilios.places.models import Kind, Place, Report
from tilios.places.presenters import geojson_feature, map_properties, place_detail, place_summary, source_summary
from tilios.sources import crosswalk
from tilios.sources.models import Source, SourceRecord
from tilios.territories import services as territories
from tilios.text import QueryTooLong

from .answers import Answer, unchecked
from .auth import WRITE
from .files import file_out
from .governance import ACTION_ERRORS, WRITE_ERRORS, CreateIn, EditIn, WriteOut, create_record, edit_record
from .place_schemas import (
    MAX_FEATURES,
    CommuneOut,
    GroupCollection,
    KindOut,
    PlaceCollection,
    PlaceOut,
    PlaceSummaryOut,
    ReportOut,
)
from .records import PLACE, html_of

router = Router()

MAX_LIMIT = 200


class PlaceFilters(Schema):
    q: str = ""
    kind: list[str] = []
    service: list[str] = Field([], description="codes de services (taxonomie de Tilios) que le lieu doit tous offrir")
    near: str | None = None
    radius: float | None = None
    bbox: str | None = None
    limit: int = 50
    cursor: str | None = None
    open_now: bool = False
    open_at: str | None = None


class PlacePage(Answer):
    count: int | None
    next_cursor: str | None
    next: str | None
    understood: dict[str, Any] = Field(..., description="comment `q` a été lu : types de lieux nommés (`kinds`), "
                                                         "équipements nommés (`services`), commune qui ordonne les "
                                                         "résultats depuis son centre (`town`), mots cherchés dans "
                                                         "les noms et villes (`text`), et parmi eux ceux qui ne sont "
                                                         "pas le nom de la commune (`other_words`)")
    results: list[PlaceSummaryOut]


def _filtered(filters, reading):
    bbox = queries.parse_bbox(filters.bbox) if filters.bbox else None
    return queries.search(reading.text, [*filters.kind, *reading.kinds], bbox, [*filters.service, *reading.services])


def open_moment(filters):
    """When the places must be open (`open_now`, or `open_at` an ISO datetime), or None."""
    if filters.open_at and filters.open_now:
        raise queries.QueryError("open_now et open_at : l'un ou l'autre")
    if filters.open_at:
        return queries.parse_moment(filters.open_at)
    return timezone.now() if filters.open_now else None


@router.get("/places", response=PlacePage, exclude_unset=True, summary="Lister et chercher des lieux")
def list_places(request, filters: Query[PlaceFilters]):
    """Search places by text (`q`), kind, bounding box (`bbox=west,south,east,north`) or nearness
    (`near=lat,lon`, optional `radius` in km; results sorted by distance, with `distance_km`).
    `open_now=true` or `open_at=2026-12-07T10:30` keep the places open then, by their `opening_hours`
    in their own time zone (a time without offset is read as local time at each place).
    Pages are chained by `next_cursor`: no place is repeated or skipped between pages."""
    if not 1 <= filters.limit <= MAX_LIMIT:
        raise HttpError(400, f"limit : entre 1 et {MAX_LIMIT}")
    radius = queries.parse_radius(filters.radius) if filters.radius is not None else None
    near = queries.parse_point(filters.near) if filters.near else None
    reading = understanding.read(filters.q)
    located = near is None and reading.town is not None
    if located:  # « coworking lyon »: Lyon's places, nearest its centre first
        near = (reading.town.latitude, reading.town.longitude)
    open_at = open_moment(filters)
    qs = _filtered(filters, reading)
    page = queries.page(qs, limit=filters.limit, cursor=filters.cursor, near=near, radius_km=radius, open_at=open_at)
    records = crosswalk.records_by_place(p.id for p in page.places)
    next_url = None
    if page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {
        "count": None if near and not located else queries.count(qs, open_at),
        "next_cursor": page.next_cursor,
        "next": next_url,
        "understood": reading.as_dict(),
        "results": [place_summary(p, records.get(p.id, ())) for p in page.places],
    }


@router.get("/places.geojson", response=PlaceCollection, summary="Lieux en GeoJSON")
@decorate_view(gzip_page)  # the map's largest download; public data, no secret to leak by compression
def places_geojson(request, filters: Query[PlaceFilters]):
    """A GeoJSON FeatureCollection of the places matching the filters (usually a `bbox`)."""
    open_at = open_moment(filters)
    qs = _filtered(filters, understanding.read(filters.q, locate=False)).filter(latitude__isnull=False)
    if open_at is not None:
        ids = queries.open_ids(qs, open_at)[: MAX_FEATURES + 1]
        places = []
        for start in range(0, len(ids), 500):
            places += queries.listed(Place.objects.filter(id__in=ids[start:start + 500]).order_by("id"))
    else:
        places = queries.listed(qs.order_by("id")[: MAX_FEATURES + 1])
    records = crosswalk.records_by_place(p.id for p in places[:MAX_FEATURES])
    return unchecked({
        "type": "FeatureCollection",
        "truncated": len(places) > MAX_FEATURES,
        "features": [geojson_feature(p, records.get(p.id, ())) for p in places[:MAX_FEATURES]],
        "licences": _licences(qs),
    })


def _licences(qs):
    """The sources (with their licence and attribution) of the places of `qs`."""
    return [source_summary(s) for s in Source.objects.filter(records__place__in=qs).distinct()]


class ClusterFilters(Schema):
    zoom: int = Field(..., description=f"niveau de zoom de la carte (0 à {clusters.MAX_ZOOM})")
    bbox: str = Field("-180,-85,180,85", description="la vue : ouest,sud,est,nord en degrés")
    q: str = ""
    kind: list[str] = []
    service: list[str] = []
    open_now: bool = False
    open_at: str | None = None
    summary: bool = Field(False, description="ajouter `total`, `extent` et `licences` de tous les lieux filtrés")


def _group_feature(group, places):
    west, south, east, north = group.extent
    point = {"type": "Point", "coordinates": [group.longitude, group.latitude]}
    if group.place_id is None:
        return {"type": "Feature", "geometry": point,
                "properties": {"cluster": True, "count": group.count, "extent": [west, south, east, north]}}
    place = places[group.place_id]
    return {"type": "Feature", "id": place.public_id, "geometry": point,
            "properties": {"cluster": False, "count": 1, **map_properties(place)}}


@router.get("/places/clusters", response=GroupCollection,
            summary="Lieux groupés pour une vue de carte")
@decorate_view(gzip_page)
def places_clusters(request, filters: Query[ClusterFilters]):
    """The places of a map view (`bbox`) at a zoom level, grouped by the server: the view is cut into square
    cells 64 pixels wide at that zoom, and each cell holding places is one feature, either a group
    (`cluster: true`, `count`, the `extent` of its places, at their mean position) or, alone in its cell,
    the place itself. The view is widened to whole cells (`bbox` in the answer), so `count` is exactly the
    matching places in it. With `summary=true`, `total` and `extent` of every matching place on the map (to
    fit a view to a search) and the `licences` of their sources. Filters as `/api/places` (`q`, `kind`,
    `open_now`, `open_at`)."""
    open_at = open_moment(filters)
    reading = understanding.read(filters.q, locate=False)
    # The view is cut by cells, not by bbox.
    qs = queries.search(reading.text, [*filters.kind, *reading.kinds], services=[*filters.service, *reading.services])
    if open_at is not None:
        qs = qs.filter(id__in=queries.open_ids(qs.filter(latitude__isnull=False), open_at))
    bbox = queries.parse_bbox(filters.bbox)

    def groups():
        shown = clusters.view(qs, filters.zoom, bbox)
        return {"type": "FeatureCollection", "zoom": shown.zoom, "bbox": list(shown.bbox), "count": shown.count,
                "features": [_group_feature(group, shown.places) for group in shown.groups]}

    if open_at is None:  # the places open now change with the clock: those are never cached
        answer = dict(clusters.cached((filters.zoom, bbox, filters.q, sorted(filters.kind)), groups))
    else:
        answer = groups()
    if filters.summary:  # what does not move with the view: asked once per search, not at every pan
        total, extent = clusters.extent(qs)
        answer.update(total=total, extent=list(extent) if extent else None, licences=_licences(qs))
    return unchecked(answer)


@router.get("/places/{public_id}", response=PlaceOut, summary="Un lieu")
def get_place(request, public_id: str):
    qs = queries.with_details(Place.objects.published()).prefetch_related(
        Prefetch("records", queryset=SourceRecord.objects.select_related("source")))
    place = get_object_or_404(qs.select_related("declared_commune", "current_revision", "merged_into"),
                              public_id=public_id)
    if place.merged_into_id:  # a merged record answers with the place it now belongs to
        return HttpResponsePermanentRedirect(reverse("api:get_place", args=[place.merged_into.public_id]))
    data = place_detail(place, crosswalk.records_by_place([place.id]).get(place.id, ()))
    current = place.current_revision
    # The revision to send back as `base_revision` when editing (PATCH /api/places/{id}).
    data["current_revision"] = {"id": current.pk, "number": current.number} if current else None
    data["protected"] = place.protected
    data["description_html"] = html_of(place.description)
    data["photos"] = [file_out(f) for f in place.files.published().filter(kind=MediaFile.Kind.IMAGE)
                      .select_related("current_revision").order_by("created_at", "id")]
    return data


class PlaceReportIn(Schema):
    kind: Report.Kind = Field(..., description="ce qui ne va pas")
    message: str = Field(..., max_length=2000, description="ce que la personne sait (2 000 caractères au plus)")
    email: str = Field("", description="facultatif, pour répondre ; jamais publié")


@router.post("/places/{public_id}/reports", response={201: ReportOut}, summary="Signaler qu’un lieu a fermé ou "
             "qu’une information est fausse (sans compte : limité par adresse IP)")
def report_place(request, public_id: str, payload: PlaceReportIn):
    """The report waits in the reviewers' queue (`/revue/signalements/`) and the place's managers receive it by
    e-mail. Reports sent through the API are anonymous; a signed-in person reports from the place's page."""
    hit(request, "report")
    place = get_object_or_404(Place.objects.published().select_related("merged_into"), public_id=public_id)
    report = reports.submit(place, payload.kind, payload.message, payload.email)
    return Status(201, {"id": report.pk, "place": report.place.public_id, "kind": report.kind,
                        "status": report.status})


@router.get("/kinds", response=list[KindOut], summary="Types de lieux (taxonomie)")
def list_kinds(request):
    return [{"code": k.code, "label": k.label, "label_en": k.label_en, "cget_typology": k.cget_typology,
             "osm_tags": k.osm_tags, "taxonomy_version": k.introduced_in} for k in Kind.objects.all()]


@router.get("/communes", response=list[CommuneOut], summary="Chercher une commune (centre et codes)")
def find_communes(request, q: str, limit: int = 10):
    try:
        communes = territories.find_communes(q, limit)
    except QueryTooLong as exc:
        raise HttpError(400, f"q : {exc}") from None
    return [{"code": c.code, "name": c.name, "departement": c.departement_id, "latitude": c.latitude,
             "longitude": c.longitude, "population": c.population} for c in communes]


# Writes go through the wiki governance (tilios.api.governance): same rules as every record.
@router.post("/places", response={201: WriteOut, 202: WriteOut, **ACTION_ERRORS}, auth=WRITE, tags=["lieux"],
          summary="Créer un lieu")
def create_place(request, payload: CreateIn):
    """201 when the place is live at once (trusted contributors), 202 when it waits for review."""
    return create_record(request, PLACE, payload.data, payload.summary)


@router.patch("/places/{public_id}", response={200: WriteOut, 202: WriteOut, **WRITE_ERRORS}, auth=WRITE,
           tags=["lieux"], summary="Modifier un lieu")
def edit_place(request, public_id: str, payload: EditIn):
    """Change some fields against `base_revision`, the revision you read (`current_revision.id`).
    200 live, 202 pending review, 409 when the place changed since your base revision (the
    answer says which fields changed and the current revision to re-read)."""
    return edit_record(request, PLACE, public_id, payload)
