"""Activity of places and programme evaluations through the API (thin: the topic modules of tilios.activity)."""
import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from tilios.accounts.throttle import hit
from tilios.activity import evaluation, importing, per_place, reporting, schemes, snapshots
from tilios.activity.models import ActivityReport, BandScheme
from tilios.places.models import Place
from tilios.policy.models import Programme

from .activity_schemas import (
    ActivityList,
    ActivityReportOut,
    PlaceIndicatorsOut,
    PlacesEvaluationOut,
    ProgrammeEvaluationOut,
    SchemeOut,
)
from .answers import Answer
from .auth import WRITE
from .errors import Error, FieldErrors

router = Router()


class ActivityReportIn(Schema):
    period_start: datetime.date
    period_end: datetime.date | None = None
    regular_users: int
    occasional_visits: int = 0
    desk_days_used: int | None = None
    desk_days_available: int | None = None
    events: int = 0
    reliability: str = ActivityReport.Reliability.DECLARED
    note: str = ""


class ReportPatch(Schema):
    """The version read (`version` of the report) and the figures to change; others stay as they are."""
    version: int
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    regular_users: int | None = None
    occasional_visits: int | None = None
    desk_days_used: int | None = None
    desk_days_available: int | None = None
    events: int | None = None
    reliability: str | None = None
    note: str | None = None


class LineError(Answer):
    line: int
    field: str
    message: str


class ImportOut(Answer):
    lines: int
    created: int
    updated: int
    unchanged: int


class ImportErrors(Answer):
    detail: str
    errors: list[LineError]


# A request that is not a CSV upload at all is refused like any other: errors by field.
ImportRefused = ImportErrors | FieldErrors


def _place(public_id):
    return get_object_or_404(Place.objects.published(), public_id=public_id)


@router.get("/places/{public_id}/activity", response=ActivityList, summary="Rapports d’activité d’un lieu")
def list_activity(request, public_id: str):
    """Aggregate figures only (regular users, visits, desk-days, events) per period, newest first."""
    place = _place(public_id)
    reports = place.activity_reports.select_related("reported_by").order_by("-period_start")[:240]
    return evaluation.jsonable({"place": place.public_id, "reports": [per_place.report_out(r) for r in reports]})


@router.post("/places/{public_id}/activity", auth=WRITE, summary="Déclarer l’activité d’un lieu",
          response={201: ActivityReportOut, 400: FieldErrors, 401: Error, 403: Error, 429: Error})
def post_activity(request, public_id: str, payload: ActivityReportIn):
    """For the place's managers and moderators. `period_end` defaults to the end of `period_start`'s month.
    Negative counts, used desk-days above available ones, periods not yet over, an end before the start
    and periods overlapping another report of the place are refused (400, `errors` by field)."""
    place = _place(public_id)
    hit(request, "edit")
    report = reporting.submit(place, payload.dict(), request.auth)
    return Status(201, evaluation.jsonable(per_place.report_out(report)))


def _report(public_id, report_id):
    return get_object_or_404(ActivityReport.objects.select_related("place", "reported_by"), pk=report_id,
                             place=_place(public_id))


@router.patch("/places/{public_id}/activity/{report_id}", auth=WRITE, summary="Corriger un rapport d’activité",
           response={200: ActivityReportOut, 400: FieldErrors, 401: Error, 403: Error, 404: Error, 409: Error,
                     429: Error})
def patch_activity(request, public_id: str, report_id: int, payload: ReportPatch):
    """For the place's managers and moderators. Send the `version` you read: if the report changed since,
    the answer is 409 and nothing is written. Only the fields sent change (`desk_days_used: null` clears
    it); the same rules as a new report apply, and the previous figures go to the public log."""
    report = _report(public_id, report_id)
    hit(request, "edit")
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    try:
        changed = reporting.edit(report, data, request.auth, version)
    except reporting.ReportConflict as exc:
        raise HttpError(409, str(exc))
    return evaluation.jsonable(per_place.report_out(changed))


@router.delete("/places/{public_id}/activity/{report_id}", auth=WRITE, summary="Supprimer un rapport d’activité",
            response={204: None, 401: Error, 403: Error, 404: Error, 409: Error, 429: Error})
def delete_activity(request, public_id: str, report_id: int, version: int):
    """For the place's managers and moderators; `version` is the one you read (409 if it changed). The
    month then has no report (« sans rapport », never zero); the deleted figures stay in the public log."""
    report = _report(public_id, report_id)
    hit(request, "edit")
    try:
        reporting.delete(report, request.auth, version)
    except reporting.ReportConflict as exc:
        raise HttpError(409, str(exc))
    return Status(204, None)


@router.get("/places/{public_id}/indicators", response=PlaceIndicatorsOut, summary="Indicateurs d’activité d’un lieu")
def place_indicators(request, public_id: str, on: datetime.date | None = None):
    """Occupancy, regular users (the band scheme's statistic over the window), trend over 6 months,
    months without activity, last report, and the evaluation band — « unknown » when nothing was
    reported for too long (never counted as zero)."""
    return evaluation.jsonable(per_place.place_indicators(_place(public_id), on))


@router.get("/programmes/{slug}/evaluation", response=ProgrammeEvaluationOut, summary="Évaluation d’un programme")
def programme_evaluation(request, slug: str, on: datetime.date | None = None, scheme: str | None = None):
    programme = get_object_or_404(Programme.objects.published(), slug=slug)
    return evaluation.jsonable(evaluation.evaluate_programme(programme, on, schemes.current_scheme(scheme)))


@router.get("/evaluation", summary="Évaluation de tous les lieux publiés",
         response={200: PlacesEvaluationOut, 400: FieldErrors})
def places_evaluation(request, on: datetime.date | None = None, scheme: str | None = None,
                      region: str | None = None, departement: str | None = None):
    """The same figures as a programme's evaluation (bands, « activité inconnue » apart, empty most of the
    time, rural / urban and métropole splits) and the bands by département, for every published place (or
    those of a `region` or a `departement`, INSEE codes) as of `on`. `snapshot` says from which month end
    the window aggregates were read and how many places were recomputed from their reports."""
    territory = evaluation.territory_of(region, departement)
    return evaluation.jsonable(evaluation.evaluate_places(on, schemes.current_scheme(scheme), territory))


class BandIn(Schema):
    code: str
    label: str
    no_activity: bool | None = None
    lt: float | None = None
    lte: float | None = None
    gt: float | None = None
    gte: float | None = None


class SchemeIn(Schema):
    code: str
    label: str
    source: str = ""
    statistic: str = "median"
    window_months: int = 12
    unknown_after_months: int = 12
    bands: list[BandIn]


@router.get("/band-schemes", response=list[SchemeOut], summary="Barèmes d’évaluation")
def band_schemes(request):
    """Every version of every scheme, newest first: an evaluation names the code and version it used."""
    return [snapshots.scheme_out(s) for s in BandScheme.objects.order_by("code", "-version")]


@router.post("/band-schemes", auth=WRITE, summary="Ajouter une version d’un barème",
          response={201: SchemeOut, 400: FieldErrors, 401: Error, 403: Error, 429: Error})
def create_band_scheme(request, payload: SchemeIn):
    """Administrators. Bands are tried in order; each has either `no_activity: true` (a window without any
    activity) or bounds on the scheme's statistic of monthly regular users (`lt`, `lte`, `gt`, `gte`).
    Every value must fall in a band (400 otherwise). An existing code gets a new version."""
    hit(request, "edit")
    data = payload.dict()
    data["bands"] = [{k: v for k, v in band.items() if v is not None} for band in data["bands"]]
    return Status(201, snapshots.scheme_out(schemes.create_scheme(data, request.auth)))


@router.post("/activity/import", auth=WRITE, summary="Importer les rapports d’une enquête (CSV)",
          response={200: ImportOut, 400: ImportRefused, 401: Error, 403: Error, 429: Error})
def import_activity(request, file: UploadedFile = File(...), source: str = Form(""),
                    kind: str = Form(ActivityReport.ReportedBy.SURVEY)):
    """Multipart upload of a CSV (columns: see `tilios activity import`). All lines or none: on any error the
    answer is 400 with every error by line and field, and nothing is written. Managers import the places
    they manage, moderators any place."""
    if not reporting.can_import(request.auth):
        raise PermissionDenied(_("seuls les gestionnaires de lieux et les modérateurs importent des rapports"))
    hit(request, "edit")
    if kind not in (ActivityReport.ReportedBy.SURVEY, ActivityReport.ReportedBy.IMPORT):
        return Status(400, {"detail": _("kind : survey ou import"), "errors": []})
    if file.size > importing.IMPORT_MAX_BYTES:
        return Status(400, {"detail": _("fichier trop gros (5 Mo au plus)"), "errors": []})
    result = importing.import_csv(file.read(), kind=kind, source=source or (file.name or "")[:300], user=request.auth)
    if not result.ok:
        return Status(400, {"detail": _("%(n)s erreur(s) : rien n’a été importé") % {"n": len(result.errors)},
                            "errors": [{"line": line, "field": field, "message": message}
                                       for line, field, message in result.errors[:1000]]})
    return {"lines": result.lines, "created": result.created, "updated": result.updated, "unchanged": result.unchanged}
