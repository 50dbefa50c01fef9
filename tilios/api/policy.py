"""The policy archive through the API: announcements (with their figures and the earlier ones they
repeat), programmes, promises and their statuses, recycled clusters, timelines, past failures.

Reads are open to all. Writing an announcement is an edit like a place's (201 live, 202 pending
review); correcting figures is for trusted contributors. Thin: everything is in tilios.policy.services.
"""
import datetime
import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from tilios import csvsafe
from tilios.accounts import permissions
from tilios.accounts.throttle import hit
from tilios.places.models import place_url
from tilios.policy import services, writing
from tilios.policy.models import Announcement, Figure, Programme
from tilios.revisions.models import Revision
from tilios.revisions.visibility import visible_to

from .answers import CSV, Answer
from .auth import WRITE, actor, viewer
from .governance import ACTION_ERRORS, WRITE_ERRORS, CreateIn, EditIn
from .policy_presenters import (
    announcement_ref,
    announcement_summary,
    event_out,
    figure_out,
    iso_date,
    match_out,
    outcome_out,
    programme_summary,
    promise_out,
    statuses,
)
from .policy_schemas import (
    AnnouncementOut,
    AnnouncementPage,
    ClusterOut,
    FailureOut,
    FigureOut,
    ProgrammeListItem,
    ProgrammeOut,
    PromiseList,
    TimelineOut,
)

router = Router()

TAGS = ["politiques"]
MAX_LIMIT = 200


def _announcement(announcement_id, user):
    announcement = get_object_or_404(Announcement.objects.select_related("programme", "current_revision")
                                     .prefetch_related("actors"), pk=announcement_id)
    if not visible_to(announcement, user):
        raise HttpError(404, _("contenu introuvable ou non publié"))
    return announcement


def _csv(rows, fields, filename):
    buffer = io.StringIO()
    writer = csvsafe.dict_writer(buffer, fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)  # csvsafe: a contributor's « =HYPERLINK(…) » is written as text
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Announcements -----------------------------------------------------------------------------------

class AnnouncementFilters(Schema):
    actor: str | None = Field(None, description="acteur : identifiant ou partie du nom")
    territory: str | None = Field(None, description="code du territoire")
    programme: str | None = Field(None, description="programme (slug)")
    year: int | None = Field(None, ge=services.YEARS[0], le=services.YEARS[-1])
    q: str | None = Field(None, description="mots du titre ou du texte")
    limit: int = 50
    offset: int = Field(0, ge=0, le=10**6)


def _announcements(filters):
    qs = Announcement.objects.published().select_related("programme").prefetch_related("actors")
    return services.filter_announcements(qs, filters.actor, filters.territory, filters.programme, filters.year,
                                         filters.q)


@router.get("/policy/announcements", tags=TAGS, response=AnnouncementPage, summary="Annonces publiques (filtres : acteur, territoire, "
                                                       "programme, année)")
def list_announcements(request, filters: Query[AnnouncementFilters]):
    """Newest first. `next_offset` gives the next page."""
    if not 1 <= filters.limit <= MAX_LIMIT or filters.offset < 0:
        raise ValidationError({"limit": _("entre 1 et %(max)d") % {"max": MAX_LIMIT}})
    qs = _announcements(filters)
    items = list(qs.order_by("-made_on", "-id")[filters.offset:filters.offset + filters.limit + 1])
    more = len(items) > filters.limit
    return {"count": qs.count(), "next_offset": filters.offset + filters.limit if more else None,
            "results": [announcement_summary(a) for a in items[:filters.limit]]}


ANNOUNCEMENT_CSV = ["id", "made_on", "title", "actors", "territory_code", "programme", "source_url", "source_title",
                    "source_page", "archive_url", "figures", "url"]


@router.get("/policy/announcements.csv", tags=TAGS, openapi_extra=CSV, summary="Annonces en CSV (mêmes filtres)")
def announcements_csv(request, filters: Query[AnnouncementFilters]):
    rows = []
    for a in _announcements(filters).prefetch_related("figures").order_by("made_on", "id"):
        rows.append({"id": a.pk, "made_on": iso_date(a.made_on), "title": a.title,
                     "actors": " ; ".join(x.name for x in a.actors.all()), "territory_code": a.territory_code,
                     "programme": a.programme.slug if a.programme_id else "", "source_url": a.source_url,
                     "source_title": a.source_title, "source_page": a.source_page, "archive_url": a.archive_url,
                     "figures": " ; ".join(f.key for f in a.figures.all()),
                     "url": request.build_absolute_uri(a.get_absolute_url())})
    return _csv(rows, ANNOUNCEMENT_CSV, "tilios-annonces.csv")


@router.get("/policy/announcements/{int:announcement_id}", tags=TAGS, response=AnnouncementOut, summary="Une annonce, ses chiffres et les "
                                                                             "annonces antérieures qu'elle répète")
def get_announcement(request, announcement_id: int):
    """`figures` carry their character span (`start`, `end`) in `text`; each of `recycled` gives the
    shared passages as spans in this text (`shared_passages`) and in the earlier one (`other_passages`)."""
    announcement = _announcement(announcement_id, viewer(request))
    current = announcement.current_revision
    return {
        **announcement_summary(announcement),
        "text": announcement.text,
        "figures": [figure_out(f) for f in announcement.figures.all()],
        "promises": [promise_out(p, services.status(p)) for p in
                     announcement.promises.published().select_related("announcement", "programme")],
        "recycled": [match_out(m) for m in services.recycled(announcement)],
        "current_revision": {"id": current.pk, "number": current.number} if current else None,
    }


class AnnouncementIn(Schema):
    made_on: datetime.date
    title: str
    text: str
    source_url: str
    source_title: str = ""
    source_page: str = ""
    archive_url: str = Field("", description="la source dans une archive du web (web.archive.org, archive.today…)")
    actors: list[int | str | dict[str, str]] = Field(
        [], description="acteurs : identifiants, noms exacts, ou {\"name\", \"kind\"} pour en créer un")
    territory_code: str = ""
    programme: str | None = Field(None, description="programme (slug)")
    summary: str = ""


class WrittenAnnouncement(Answer):
    id: int
    url: str
    live: bool
    revision: dict
    recycled: list[dict]


def announcement_data(payload, user):
    """JSON input as the announcement's revision data (actors by id, name or {name, kind}; programme by slug)."""
    refs = writing.resolve(Announcement, {"actors": list(payload.actors), "programme": payload.programme}, user,
                           payload.summary)
    return {"made_on": payload.made_on.isoformat(), "title": payload.title.strip(), "text": payload.text.strip(),
            "source_url": payload.source_url.strip(), "source_title": payload.source_title.strip(),
            "source_page": payload.source_page.strip(), "archive_url": payload.archive_url.strip(),
            "territory_code": payload.territory_code.strip(),
            "programme": refs["programme"], "actors": refs["actors"]}


@router.post("/policy/announcements", response={201: WrittenAnnouncement, 202: WrittenAnnouncement, **ACTION_ERRORS},
          auth=WRITE, tags=TAGS, summary="Ajouter une annonce")
def create_announcement(request, payload: AnnouncementIn):
    """201 when live at once (trusted contributors), 202 when it waits for review. The answer lists
    the earlier announcements that say the same thing (`recycled`), found at once."""
    hit(request, "edit")
    with transaction.atomic():  # an actor created on the fly goes if the announcement is refused
        data = announcement_data(payload, actor(request))
        record, revision, matches = services.propose_announcement(data, actor(request), payload.summary)
    live = revision.status == Revision.Status.ACCEPTED
    return Status(201 if live else 202, {
        "id": record.pk, "url": record.get_absolute_url(), "live": live,
        "revision": {"id": revision.pk, "number": revision.number, "status": revision.status},
        "recycled": [match_out(m) for m in matches]})


class FigureIn(Schema):
    kind: str = Field(..., description="amount, count, year, deadline ou percent")
    value: float
    unit: str = ""
    text: str = ""


def _check_corrector(request):
    if not permissions.can_review(actor(request)):
        raise PermissionDenied(_("seuls les contributeurs de confiance corrigent les chiffres"))


@router.post("/policy/announcements/{int:announcement_id}/figures", response={201: FigureOut, **ACTION_ERRORS}, auth=WRITE,
          tags=TAGS, summary="Ajouter un chiffre à la main (contributeurs de confiance)")
def add_figure(request, announcement_id: int, payload: FigureIn):
    _check_corrector(request)
    announcement = _announcement(announcement_id, actor(request))
    if payload.kind not in Figure.Kind.values:
        raise ValidationError({"kind": _("type inconnu : %(kinds)s") % {"kinds": ", ".join(Figure.Kind.values)}})
    hit(request, "edit")
    figure = services.add_figure(announcement, payload.kind, payload.value, payload.unit.strip(), payload.text.strip(),
                                 actor(request))
    return Status(201, figure_out(figure))


@router.delete("/policy/announcements/{int:announcement_id}/figures/{int:figure_id}",
            response={204: None, **ACTION_ERRORS}, auth=WRITE, tags=TAGS,
            summary="Retirer un chiffre d'une annonce (contributeurs de confiance)")
def remove_figure(request, announcement_id: int, figure_id: int):
    _check_corrector(request)
    announcement = _announcement(announcement_id, actor(request))
    figure = get_object_or_404(Figure, pk=figure_id, announcement=announcement)
    hit(request, "edit")
    services.remove_figure(figure)
    return Status(204, None)


# --- Programmes, promises, clusters, timelines ---------------------------------------------------------

@router.get("/policy/programmes", tags=TAGS, response=list[ProgrammeListItem], summary="Programmes, plans et appels à projets")
def list_programmes(request):
    qs = (Programme.objects.published().prefetch_related("actors")
          .annotate(n_announcements=Count("announcements", filter=Q(announcements__is_published=True), distinct=True),
                    n_promises=Count("promises", filter=Q(promises__is_published=True), distinct=True),
                    n_places=Count("places", distinct=True)))
    return [{**programme_summary(p), "announcements": p.n_announcements, "promises": p.n_promises,
             "places": p.n_places} for p in qs]


@router.get("/policy/programmes/{slug}", tags=TAGS, response=ProgrammeOut, summary="Un programme : annonces, promesses, résultats, lieux")
def get_programme(request, slug: str):
    programme = get_object_or_404(Programme.objects.published().prefetch_related("actors"), slug=slug)
    announcements = programme.announcements.published().select_related("programme") \
        .prefetch_related("actors")
    promises = [promise_out(p, services.status(p)) for p in
                programme.promises.published().select_related("announcement", "programme")]
    return {**programme_summary(programme), "description": programme.description,
            "announcements": [announcement_summary(a) for a in announcements.order_by("made_on", "id")],
            "promises": promises,
            "places": [{"id": link.place.public_id, "name": link.place.name, "since": iso_date(link.since),
                        "until": iso_date(link.until), "url": place_url(link.place.public_id)}
                       for link in services.linked_places(programme)]}


class PromiseFilters(Schema):
    actor: str | None = Field(None, description="acteur (partie du nom)")
    status: str | None = Field(None, description="statut : " + ", ".join(services.STATUS_LABELS))


def _promise_rows(filters):
    if filters.status and filters.status not in services.STATUS_LABELS:
        codes = ", ".join(services.STATUS_LABELS)
        raise ValidationError({"status": _("statut inconnu : %(codes)s") % {"codes": codes}})
    return services.promises(filters.actor, filters.status)


@router.get("/policy/promises", tags=TAGS, response=PromiseList, summary="Promesses et leur statut")
def list_promises(request, filters: Query[PromiseFilters]):
    """Each promise with its status (by the written `status_rule`), label and latest outcome."""
    return {"status_rule": str(services.STATUS_RULE), "statuses": statuses(),
            "results": [promise_out(p, v) for p, v in _promise_rows(filters)]}


PROMISE_CSV = ["id", "announced_on", "metric", "target", "unit", "deadline", "territory_code", "programme", "status",
               "status_label", "latest_value", "latest_on", "latest_source", "announcement_source", "url"]


@router.get("/policy/promises.csv", tags=TAGS, openapi_extra=CSV, summary="Promesses et leur statut en CSV")
def promises_csv(request, filters: Query[PromiseFilters]):
    rows = []
    for p, v in _promise_rows(filters):
        latest = v.latest
        rows.append({"id": p.pk, "announced_on": iso_date(p.announcement.made_on), "metric": p.metric,
                     "target": p.target_value, "unit": p.unit, "deadline": iso_date(p.deadline),
                     "territory_code": p.territory_code or p.announcement.territory_code,
                     "programme": p.programme.slug if p.programme_id else "", "status": v.status,
                     "status_label": v.label, "latest_value": latest.value if latest else None,
                     "latest_on": iso_date(latest.measured_on) if latest else None,
                     "latest_source": (latest.source_url or "") if latest else "",
                     "announcement_source": p.announcement.source_url,
                     "url": request.build_absolute_uri(p.get_absolute_url())})
    return _csv(rows, PROMISE_CSV, "tilios-promesses.csv")


@router.get("/policy/failures", tags=TAGS, response=list[FailureOut], summary="Échecs passés : promesses non tenues et leurs preuves")
def list_failures(request):
    return [{**promise_out(p, v), "outcomes": [outcome_out(o) for o in services.outcomes(p)]}
            for p, v in services.past_failures()]


@router.get("/policy/clusters", tags=TAGS, response=list[ClusterOut], summary="Groupes d'annonces recyclées")
def list_clusters(request):
    """Announcements linked by recycling, oldest first in each group, newest group first."""
    return [{"size": len(group), "announcements": [announcement_ref(a) for a in group]}
            for group in services.clusters()]


@router.get("/policy/timeline", tags=TAGS, response=TimelineOut, exclude_unset=True, summary="Chronologie d'un programme ou d'un territoire")
def timeline(request, programme: str | None = None, territory: str | None = None):
    """Announcements, promise deadlines and outcomes in date order."""
    found = None
    if programme:
        found = Programme.objects.published().filter(slug=programme).first()
        if found is None:
            raise ValidationError({"programme": _("programme inconnu : %(slug)s") % {"slug": programme}})
    events = services.timeline(programme=found, territory_code=(territory or "").strip() or None)
    return {"programme": programme, "territory": territory, "events": [event_out(*e) for e in events]}


# --- Writing the rest of the archive ------------------------------------------------------------------

class ArchiveWriteOut(Answer):
    type: str
    id: int
    url: str
    live: bool
    revision: dict


def _written(type_name, record, revision):
    return {"type": type_name, "id": record.pk, "url": record.get_absolute_url() if hasattr(
        record, "get_absolute_url") else "", "live": revision.status == Revision.Status.ACCEPTED,
        "revision": {"id": revision.pk, "number": revision.number, "status": revision.status}}


def _create(type_name):
    def create(request, payload: CreateIn):
        hit(request, "edit")
        record, revision = writing.create(type_name, payload.data, actor(request), payload.summary)
        return Status(201 if revision.status == Revision.Status.ACCEPTED else 202,
                      _written(type_name, record, revision))

    return create


def _edit(type_name):
    def edit(request, key: str, payload: EditIn):
        try:
            writing.find(type_name, key)
        except ValidationError as exc:
            raise HttpError(404, " ".join(exc.messages)) from None
        hit(request, "edit")
        record, revision = writing.edit(type_name, key, payload.changes, actor(request), payload.summary,
                                        payload.base_revision)
        return Status(200 if revision.status == Revision.Status.ACCEPTED else 202,
                      _written(type_name, record, revision))

    if type_name == "programmes":  # the same path as the programme's page, where it is named {slug}
        def edit_programme(request, slug: str, payload: EditIn):
            return edit(request, slug, payload)

        return edit_programme
    return edit


CREATE_DOC = """References are written as people know them: a programme by its slug, an announcement, a promise or an
outcome by its id, actors by id, exact name, or `{"name": …, "kind": …}` to create one (kinds: state, region,
departement, epci, commune, operator, network, company, other). A reply (right of reply) names its `actor` and
one `promise` or one `outcome`. 201 when live at once, 202 when it waits for review."""
EDIT_DOC = """Send `base_revision` (the `current_revision` you read): a change made meanwhile by someone else is a 409
that names the fields in conflict, never a silent overwrite. Programmes are named by their slug, the rest by id."""

for _type, _label in (("actors", "un acteur"), ("programmes", "un programme"), ("promises", "une promesse"),
                      ("outcomes", "un résultat"), ("replies", "un droit de réponse")):
    router.post(f"/policy/{_type}", response={201: ArchiveWriteOut, 202: ArchiveWriteOut, **ACTION_ERRORS},
                auth=WRITE, tags=TAGS, summary=f"Ajouter {_label}", description=CREATE_DOC,
                operation_id=f"create_policy_{_type}", url_name=f"create_policy_{_type}")(_create(_type))
    router.patch(f"/policy/{_type}/{{slug}}" if _type == "programmes" else f"/policy/{_type}/{{key}}", response={200: ArchiveWriteOut, 202: ArchiveWriteOut, **WRITE_ERRORS},
                 auth=WRITE, tags=TAGS, summary=f"Modifier {_label}", description=EDIT_DOC,
                 operation_id=f"edit_policy_{_type}", url_name=f"edit_policy_{_type}")(_edit(_type))
