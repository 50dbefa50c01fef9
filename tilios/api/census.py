"""The census through the API: definitions, counts on two clocks, explanations, series, snapshots and
estimates. Thin over tilios.census.services; every figure comes with the `reproduce` CLI line and
API address that re-derive it (definition version and dates always explicit).

A router mounted by tilios.api.api.
"""
import datetime
import io
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from tilios import csvsafe
from tilios.accounts import permissions
from tilios.accounts.throttle import hit
from tilios.census import definitions, services
from tilios.census import reproduce as rp
from tilios.census.models import CensusDefinition, Snapshot

from .answers import CSV
from .auth import WRITE, actor
from .census_schemas import (
    CountOut,
    DefinitionOut,
    EstimateOut,
    ExplainOut,
    SeriesOut,
    SnapshotOut,
)
from .errors import Error

router = Router()

TAGS = ["recensement"]
MAX_EXPLAIN = 2000
MAX_SERIES_YEARS = 100


def definition_out(d):
    return {"slug": d.slug, "version": d.version, "ref": d.ref, "name": d.name, "text": d.text,
            "changelog": d.changelog, "criteria": d.criteria, "created_at": d.created_at.isoformat()}


def count_csv(result):
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(["definition", "valid_on", "known_on", result.by or "total", "label", "count", "possible"])
    for row in result.rows or [{"key": "", "label": "total", "count": result.total, "possible": result.possible}]:
        writer.writerow([result.definition.ref, result.valid_on, result.known_on, row["key"], row["label"], row["count"],
                         row["possible"]])
    return out.getvalue()


def series_rows(query, year_from, year_to):
    """`services.series` between two years, each point with the CLI lines of its two figures."""
    if year_from > year_to:
        raise services.CensusError(_("from doit précéder to"))
    this_year = timezone.localdate().year
    if year_from < 1900 or year_to > this_year or year_to - year_from >= MAX_SERIES_YEARS:
        raise services.CensusError(_("années : de 1900 à %(y)d, %(n)d au plus") % {"y": this_year, "n": MAX_SERIES_YEARS})
    rows = services.series(query.definition, range(year_from, year_to + 1), query.known_on, query.within)
    for row in rows:
        day = datetime.date.fromisoformat(row["valid_on"])
        now = rp.CountQuery(query.definition, day, query.known_on, None, query.within)
        then = rp.CountQuery(query.definition, day, day, None, query.within)
        row["reproduce"] = {"known_today": now.cli(), "known_then": then.cli()}
    return rows


def series_csv(query, rows):
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(["definition", "year", "valid_on", "known_on", "known_today", "known_then"])
    for row in rows:
        writer.writerow([query.definition.ref, row["year"], row["valid_on"], query.known_on, row["known_today"],
                         row["known_then"]])
    return out.getvalue()


def csv_response(text, filename):
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_name(query, prefix):
    place = "-".join(f"{k}{v}" for k, v in query.within.items())
    parts = [prefix, query.definition.slug, f"v{query.definition.version}", query.valid_on.isoformat(),
             "connu", query.known_on.isoformat(), query.by or "", place]
    return "_".join(p for p in parts if p) + ".csv"


def snapshot_out(s, verify=False):
    within = (s.parameters or {}).get("within") or {}
    query = rp.CountQuery(s.definition, s.valid_on, s.known_on, s.by or None, within)
    data = {"id": s.pk, "title": s.title, "definition": s.definition.ref, "definition_name": s.definition.name,
            "valid_on": s.valid_on.isoformat(), "known_on": s.known_on.isoformat(), "by": s.by or None,
            "within": within, "total": s.total, "rows": s.rows, "content_hash": s.content_hash,
            "data_revision": s.data_revision, "created_at": s.created_at.isoformat(),
            "created_by": s.created_by.get_username() if s.created_by_id else None,
            "reproduce": {"cli": f"tilios census --verify {s.pk}", "api": f"/api/census/snapshots/{s.pk}",
                          "count_cli": query.cli(), "count_api": query.api_url()}}
    if verify:
        data["verify"] = services.verify(s)
    return data


# --- Definitions ---------------------------------------------------------------------------------

@router.get("/census/definitions", tags=TAGS, response=list[DefinitionOut], summary="Définitions de recensement (toutes les versions)")
def list_definitions(request):
    return [definition_out(d) for d in CensusDefinition.objects.all()]


@router.get("/census/definitions/{ref}", tags=TAGS, response={200: DefinitionOut, 400: Error},
         summary="Une définition (`slug` : dernière version, ou `slug@version`)")
def get_definition(request, ref: str):
    return definition_out(services.get_definition(ref))


class DefinitionIn(Schema):
    slug: str
    name: str
    text: str
    criteria: dict[str, Any]
    changelog: str = ""


@router.post("/census/definitions", tags=TAGS, auth=WRITE, response={201: DefinitionOut, 400: Error, 401: Error,
                                                                      403: Error, 429: Error},
             summary="Publier une définition ou une nouvelle version (administrateurs)")
def publish_definition(request, payload: DefinitionIn):
    """A new `slug` starts at version 1; an existing one gets the next version, which must say what changes
    (`changelog`). Earlier versions, and the snapshots frozen with them, never change. Criteria are checked
    (`kinds_any`, `kinds_none`, `include_untyped`, `presence`, `statuses`, `min_sources`, `or_verified`,
    `markers_all`)."""
    hit(request, "edit")
    return Status(201, definition_out(definitions.publish(payload.model_dump(), actor(request))))


# --- Counts --------------------------------------------------------------------------------------

@router.get("/census", tags=TAGS, response={200: CountOut, 400: Error},
         summary="Compter les lieux valides le jour D tels que connus le jour K")
def census(request, definition: str = "", valid_on: str = "", known_on: str = "", by: str = "", within: str = ""):
    """Places valid on `valid_on` (D) as known on `known_on` (K), by a versioned definition
    (`slug` or `slug@version`; default `cget-2018`), optionally broken down `by` a level (region,
    departement, epci, commune, metropole, population, presence, kind) and restricted `within`
    territories (`departement:42`, several separated by commas). Dates default to today.
    `total` counts the places certainly valid on D; `possible` those only possibly valid: with no known
    opening date and first attested after D (each row has both).
    `reproduce` gives the CLI line and the API address that re-derive the same figure later."""
    query = rp.resolve(definition, valid_on, known_on, by, within)
    return {**query.run().as_dict(), "reproduce": query.reproduce()}


@router.get("/census.csv", tags=TAGS, openapi_extra=CSV, summary="Le même compte en CSV")
def census_csv(request, definition: str = "", valid_on: str = "", known_on: str = "", by: str = "",
               within: str = ""):
    query = rp.resolve(definition, valid_on, known_on, by, within)
    return csv_response(count_csv(query.run()), csv_name(query, "recensement"))


@router.get("/census/explain", tags=TAGS, response={200: ExplainOut, 400: Error}, exclude_unset=True,
         summary="Les lieux comptés, et ceux qui ne le sont pas avec la raison")
def census_explain(request, definition: str = "", valid_on: str = "", known_on: str = "", within: str = "",
                   limit: int = 200):
    if not 1 <= limit <= MAX_EXPLAIN:
        raise HttpError(400, _("limit : entre 1 et %(n)d") % {"n": MAX_EXPLAIN})
    query = rp.resolve(definition, valid_on, known_on, None, within)
    result = services.explain(query.definition, query.valid_on, query.known_on, query.within, limit=limit)
    return {"definition": query.definition.ref, "valid_on": query.valid_on.isoformat(),
            "known_on": query.known_on.isoformat(), "within": query.within, "limit": limit, **result,
            "reproduce": {"cli": query.cli(extra=["--explain"]),
                          "api": query.api_url("/api/census/explain", limit=str(limit))}}


def _series(definition, year_from, year_to, known_on, within):
    query = rp.resolve(definition, None, known_on, None, within)
    this_year = timezone.localdate().year
    year_from = 2010 if year_from is None else year_from
    year_to = this_year if year_to is None else year_to
    return query, year_from, year_to, series_rows(query, year_from, year_to)


@router.get("/census/series", tags=TAGS, response={200: SeriesOut, 400: Error}, by_alias=True,
         summary="Lieux valides à la fin de chaque année, connus aujourd'hui et connus à l'époque")
def census_series(request, definition: str = "", known_on: str = "", within: str = "",
                  year_from: int | None = Query(None, alias="from"),
                  year_to: int | None = Query(None, alias="to")):
    """`known_today`: as known on `known_on` (default today); `known_then`: as known on that same
    day. `from` and `to` are years (default 2010 to this year; this year's point is today)."""
    query, year_from, year_to, rows = _series(definition, year_from, year_to, known_on, within)
    params = {"from": year_from, "to": year_to}
    return {"definition": query.definition.ref, "definition_name": query.definition.name,
            "known_on": query.known_on.isoformat(), "within": query.within, "from": year_from, "to": year_to,
            "rows": rows, "reproduce": {"api": query.api_url("/api/census/series", valid_on="", **params),
                                        "csv": query.api_url("/api/census/series.csv", valid_on="", **params)}}


@router.get("/census/series.csv", tags=TAGS, openapi_extra=CSV, summary="La même série en CSV")
def census_series_csv(request, definition: str = "", known_on: str = "", within: str = "",
                      year_from: int | None = Query(None, alias="from"),
                  year_to: int | None = Query(None, alias="to")):
    query, year_from, year_to, rows = _series(definition, year_from, year_to, known_on, within)
    return csv_response(series_csv(query, rows), csv_name(query, f"serie-{year_from}-{year_to}").replace(
        f"_{query.valid_on.isoformat()}", ""))


# --- Snapshots -----------------------------------------------------------------------------------

class SnapshotIn(Schema):
    definition: str = ""
    valid_on: str = ""
    known_on: str = ""
    by: str = ""
    within: str = ""
    title: str = ""


@router.post("/census/snapshots", tags=TAGS, auth=WRITE, response={201: SnapshotOut, 400: Error, 401: Error,
                                                                 403: Error, 429: Error}, exclude_unset=True,
          summary="Figer un compte (contributeur connecté)")
def create_snapshot(request, payload: SnapshotIn):
    """Freeze a count: its definition version, dates, rows and a hash of the places it counted.
    Needs a bearer token or a logged-in session (with its CSRF token)."""
    user = request.auth
    if not permissions.can_contribute(user):
        raise HttpError(403, _("un compte de contributeur actif est nécessaire"))
    hit(request, "edit")
    query = rp.resolve(payload.definition, payload.valid_on, payload.known_on, payload.by, payload.within)
    snapshot = services.freeze(query.definition, query.valid_on, query.known_on, query.by, query.within,
                               user=user, title=payload.title.strip())
    return Status(201, snapshot_out(snapshot))


@router.get("/census/snapshots", tags=TAGS, response=list[SnapshotOut], exclude_unset=True, summary="Les comptes figés")
def list_snapshots(request, limit: int = 50):
    limit = max(1, min(limit, 200))
    qs = Snapshot.objects.select_related("definition", "created_by")[:limit]
    return [snapshot_out(s) for s in qs]


@router.get("/census/snapshots/{snapshot_id}", tags=TAGS, response={200: SnapshotOut, 404: Error},
         summary="Un compte figé, et son recalcul aujourd'hui (même nombre, même empreinte ?)")
def get_snapshot(request, snapshot_id: int):
    snapshot = get_object_or_404(Snapshot.objects.select_related("definition", "created_by"), pk=snapshot_id)
    return snapshot_out(snapshot, verify=True)


# --- Estimates -----------------------------------------------------------------------------------

@router.get("/census/estimate", tags=TAGS, response={200: EstimateOut, 400: Error},
         summary="Estimer le nombre total de lieux à partir de sources qui se recoupent")
def census_estimate(request, sources: str, definition: str = "", valid_on: str = "", known_on: str = "",
                    within: str = "", by: str = ""):
    """Capture–recapture from two sources (Chapman, Chao) or more (log-linear models, Chao), each with its
    95 % interval and the assumptions it rests on, computed within the scope the sources share (`scope`:
    each source's départements and kinds, read from what it lists, and their intersection). `warnings`
    says, in words and by `code`, what would make the figures mislead (scopes that differ, a small or no
    overlap, a tiny source, a wide interval, review pairs pending — `sensitivity` then gives the estimates
    if they were all duplicates). `valid_on` / `known_on` / `definition` restrict the places to those valid
    on D as known on K (and counted); `within` (`departement:29`) restricts the territory; `by`
    (`departement` or `region`) adds one estimate per territory and their sums (`strata`)."""
    query = rp.resolve_estimate(sources, definition, valid_on, known_on, within, by)
    return {**query.run(), "definition": query.definition.ref if query.definition else None,
            "valid_on": query.valid_on.isoformat() if query.valid_on else None,
            "known_on": query.known_on.isoformat() if query.known_on else None,
            "reproduce": query.reproduce()}
