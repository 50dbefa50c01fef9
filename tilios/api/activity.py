"""Activity of places and programme evaluations through the API (thin: tilios.activity.services)."""
import datetime

from django.shortcuts import get_object_or_404
from ninja import Schema, Status

from tilios.accounts.throttle import hit
from tilios.activity import services
from tilios.activity.models import ActivityReport
from tilios.places.models import Place
from tilios.policy.models import Programme

from .api import api
from .auth import WRITE
from .errors import Error, FieldErrors


class ReportIn(Schema):
    period_start: datetime.date
    period_end: datetime.date | None = None
    regular_users: int
    occasional_visits: int = 0
    desk_days_used: int | None = None
    desk_days_available: int | None = None
    events: int = 0
    reliability: str = ActivityReport.Reliability.DECLARED
    note: str = ""


def _place(public_id):
    return get_object_or_404(Place.objects.filter(is_published=True), public_id=public_id)


@api.get("/places/{public_id}/activity", summary="Rapports d’activité d’un lieu")
def list_activity(request, public_id: str):
    """Aggregate figures only (regular users, visits, desk-days, events) per period, newest first."""
    place = _place(public_id)
    reports = place.activity_reports.select_related("reported_by").order_by("-period_start")[:240]
    return services.jsonable({"place": place.public_id, "reports": [services.report_out(r) for r in reports]})


@api.post("/places/{public_id}/activity", auth=WRITE, summary="Déclarer l’activité d’un lieu",
          response={201: dict, 400: FieldErrors, 401: Error, 403: Error, 429: Error})
def post_activity(request, public_id: str, payload: ReportIn):
    """For the place's managers and moderators. `period_end` defaults to the end of `period_start`'s month.
    Negative counts, used desk-days above available ones, periods not yet over, an end before the start
    and periods overlapping another report of the place are refused (400, `errors` by field)."""
    place = _place(public_id)
    hit(request, "edit")
    report = services.submit(place, payload.dict(), request.auth)
    return Status(201, services.jsonable(services.report_out(report)))


@api.get("/places/{public_id}/indicators", summary="Indicateurs d’activité d’un lieu")
def place_indicators(request, public_id: str, on: datetime.date | None = None):
    """Occupancy, regular users (the band scheme's statistic over the window), trend over 6 months,
    months without activity, last report, and the evaluation band — « unknown » when nothing was
    reported for too long (never counted as zero)."""
    return services.jsonable(services.place_indicators(_place(public_id), on))


@api.get("/programmes/{slug}/evaluation", summary="Évaluation d’un programme")
def programme_evaluation(request, slug: str, on: datetime.date | None = None, scheme: str | None = None):
    programme = get_object_or_404(Programme.objects.filter(is_published=True), slug=slug)
    return services.jsonable(services.evaluate_programme(programme, on, services.current_scheme(scheme)))
