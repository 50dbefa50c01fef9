"""Entity resolution through the API: the duplicates queue, conflicts with people's edits, field
provenance, merges (by hand, undone), splits, source priority and places some source stopped listing.

Thin on purpose: each endpoint finds its objects, counts the rate limit, calls
`tilios.sources.resolution` / `tilios.sources.provenance`, and shapes the answer. Reads are open to all
(the review queues are part of the open governance, like the moderation log); writes take a bearer token
or the session, and the services say who may: reviewers (trusted contributors and moderators, as on the
site) decide, merge, split and settle conflicts; administrators set priorities. A decision on something
already decided is a 409.
"""
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import StrictInt

from tilios.accounts.throttle import hit
from tilios.places import services as place_services
from tilios.places.models import Place
from tilios.places.presenters import doubtful_location, source_summary, unparsed_hours_item, unrecognised_item
from tilios.sources import provenance, registry, resolution
from tilios.sources.licences import LICENCES
from tilios.sources.models import FieldConflict, MatchCandidate, Source
from tilios.sources.presenters import (
    candidates_out,
    candidates_qs,
    closed_out,
    conflict_out,
    conflicts_qs,
    merge_out,
    merges_qs,
    place_out,
    provenance_out,
    queue_page,
    records_of,
    ref,
)

from .auth import WRITE, actor, viewer
from .errors import Error, FieldErrors
from .governance import Paging
from .records import MAX_LIMIT, PLACE, find_record, keyset
from .source_schemas import (
    CandidateOut,
    CandidatePage,
    ClosedPage,
    ConflictPage,
    DecisionOut,
    DoubtfulLocationPage,
    LicenceOut,
    MergeDoneOut,
    PlaceMergesOut,
    ProvenanceOut,
    ResolvedConflictOut,
    SourceOut,
    SourceWithRecordsOut,
    SplitOut,
    UndoneMergeOut,
    UnparsedHoursPage,
    UnrecognisedPage,
)

router = Router()

ERRORS = {400: FieldErrors, 401: Error, 403: Error, 404: Error, 409: Error, 429: Error}
REVIEW = ["doublons et provenance"]
# « relecteurs » in the summaries: trusted contributors, moderators and administrators (permissions.can_review).


# --- Schemas ---------------------------------------------------------------------------------


class DuplicateFilters(Paging):
    status: Literal["pending", "later"] | None = Field(None, description="pending (à examiner) ou later (plus tard)")


class DecisionIn(Schema):
    decision: Literal["same", "distinct", "later"] = Field(
        ..., description="same (même lieu : fusion), distinct (lieux distincts, retenu), later (plus tard)")


class KeepIn(Schema):
    keep: Literal["current", "source"] = Field(
        ..., description="current (garder la valeur actuelle) ou source (reprendre celle de la source)")


class MergeIn(Schema):
    other: str = Field(..., description="identifiant du lieu à fusionner dans celui-ci")
    summary: str = ""


class SplitIn(Schema):
    records: list[Annotated[StrictInt, Field(ge=1, lt=2**63)]] = Field(
        ..., max_length=10000, description="ids des enregistrements source à déplacer vers un nouveau lieu")
    summary: str = ""


class SummaryIn(Schema):
    summary: str = ""


class SourceChanges(Schema):
    name: str | None = Field(None, max_length=200)
    publisher: str | None = Field(None, max_length=200)
    url: str | None = Field(None, max_length=500, description="adresse http(s) de la source")
    licence: str | None = Field(None, max_length=30, description="code d'une licence connue (GET /api/licences)")
    attribution: str | None = Field(None, max_length=500, description="mention à citer en réutilisant les données")
    data_date: str | None = Field(None, max_length=10, description="date de publication des données, AAAA-MM-JJ")
    priority: int | None = Field(None, strict=True, description="0 à 1000 ; la plus grande l'emporte quand les "
                                                                "sources divergent")
    description: str | None = Field(None, max_length=5000)


class SourceIn(SourceChanges):
    slug: str = Field(..., max_length=60, description="identifiant : minuscules, chiffres, tirets")
    name: str = Field(..., max_length=200)
    licence: str = Field(..., max_length=30, description="code d'une licence connue (GET /api/licences)")


# --- Duplicates ------------------------------------------------------------------------------------------


@router.get("/review/duplicates", tags=REVIEW, response=CandidatePage, summary="Doublons possibles à examiner (public)")
def duplicates_queue(request, filters: Query[DuplicateFilters]):
    """Pairs of places that may be one, pending first (most likely first), then those put off « plus tard »;
    each with both places, the score, the reasons in words and the distance. `next_cursor` for the next page."""
    qs = resolution.review_queue().select_related("place_a__merged_into", "place_b__merged_into", "decided_by")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if not 1 <= filters.limit <= MAX_LIMIT:
        raise HttpError(400, _("limit : entre 1 et %(max)d") % {"max": MAX_LIMIT})
    items, next_cursor = queue_page(qs, filters.cursor, filters.limit)
    return {"count": qs.count(), "next_cursor": next_cursor, "results": candidates_out(items)}


@router.get("/review/duplicates/{int:candidate_id}", tags=REVIEW, response=CandidateOut, summary="Une paire de doublons possibles")
def duplicate_pair(request, candidate_id: int):
    return candidates_out([get_object_or_404(candidates_qs(), pk=candidate_id)])[0]


@router.post("/review/duplicates/{int:candidate_id}", response={200: DecisionOut, **ERRORS}, auth=WRITE, tags=REVIEW,
             summary="Décider d'une paire : même lieu, lieux distincts, plus tard (relecteurs)")
def decide_duplicate(request, candidate_id: int, payload: DecisionIn):
    """`same` merges the two (the better documented one is kept; `merge` in the answer, undoable),
    `distinct` is remembered (the pair is never proposed again), `later` puts it at the end of the queue.
    409 when the pair is no longer in the queue (already decided, or one place merged elsewhere)."""
    candidate = get_object_or_404(candidates_qs(), pk=candidate_id)
    if candidate.status not in (MatchCandidate.Status.PENDING, MatchCandidate.Status.LATER):
        raise HttpError(409, _("cette paire a déjà été tranchée (%(status)s)") % {
            "status": candidate.get_status_display()})
    if not resolution.review_queue().filter(pk=candidate.pk).exists():
        raise HttpError(409, _("cette paire n'est plus à examiner : un des deux lieux a été fusionné ailleurs"))
    hit(request, "review")
    merge = resolution.decide(candidate, payload.decision, actor(request))
    candidate = candidates_qs().get(pk=candidate.pk)
    return {"id": candidate.pk, "status": candidate.status,
            "decided_by": candidate.decided_by.get_username() if candidate.decided_by_id else None,
            "merge": merge_out(merges_qs().get(pk=merge.pk)) if merge is not None else None}


# --- Conflicts with people's edits ---------------------------------------------------------------------------


@router.get("/review/conflicts", tags=REVIEW, response=ConflictPage, summary="Conflits entre une source et une modification humaine")
def conflicts_queue(request, page: Query[Paging]):
    """A source now says something else about a field a person edited: oldest first."""
    qs = resolution.conflict_queue().select_related("decided_by")
    items, next_cursor = keyset(qs, page.cursor, page.limit, descending=False)
    return {"count": qs.count(), "next_cursor": next_cursor, "results": [conflict_out(c) for c in items]}


@router.post("/review/conflicts/{int:conflict_id}", response={200: ResolvedConflictOut, **ERRORS}, auth=WRITE, tags=REVIEW,
             summary="Trancher un conflit : valeur actuelle ou valeur de la source (relecteurs)")
def resolve_conflict(request, conflict_id: int, payload: KeepIn):
    conflict = get_object_or_404(conflicts_qs(), pk=conflict_id)
    if conflict.status != FieldConflict.Status.PENDING:
        raise HttpError(409, _("ce conflit a déjà été tranché (%(status)s)")
                        % {"status": conflict.get_status_display()})
    hit(request, "review")
    resolution.resolve_conflict(conflict, payload.keep == "source", actor(request))
    conflict = conflicts_qs().get(pk=conflict.pk)
    place = Place.objects.get(pk=conflict.place_id)
    return {**conflict_out(conflict), "value_now": provenance.value_of(place.current_revision.data, conflict.field)}


# --- Possibly closed ---------------------------------------------------------------------------------------------


@router.get("/review/possibly-closed", tags=REVIEW, response=ClosedPage, summary="Lieux qu'une source ne liste plus (peut-être fermés)")
def possibly_closed(request, page: Query[Paging]):
    """Records absent from the latest file of their source while their place is still open: to check."""
    qs = resolution.possibly_closed()
    items, next_cursor = keyset(qs, page.cursor, page.limit, descending=False)
    return {"count": qs.count(), "next_cursor": next_cursor, "results": [closed_out(r) for r in items]}


@router.get("/review/locations", tags=REVIEW, response=DoubtfulLocationPage,
            summary="Lieux placés loin de leur commune déclarée (position à vérifier)")
def doubtful_locations(request, page: Query[Paging]):
    """Places whose coordinates lie more than 10 km from the centre of their declared commune: they are
    counted in the declared commune, and the position (or the address) is to be checked."""
    qs = place_services.doubtful_locations().order_by("id")
    items, next_cursor = keyset(qs, page.cursor, page.limit, descending=False)
    return {"count": qs.count(), "next_cursor": next_cursor, "results": [doubtful_location(p) for p in items]}


@router.get("/review/hours", tags=REVIEW, response=UnparsedHoursPage, summary="Horaires donnés par une source et non reconnus (à réécrire)")
def unparsed_hours(request, page: Query[Paging]):
    """Places whose source gave hours the OSM `opening_hours` parser refused: the text is kept as given
    (`opening_hours_unparsed`) until someone writes the hours in the syntax, which clears it."""
    qs = place_services.unparsed_hours().order_by("id").prefetch_related("records__source")
    items, next_cursor = keyset(qs, page.cursor, page.limit, descending=False)
    return {"count": qs.count(), "next_cursor": next_cursor, "results": [unparsed_hours_item(p) for p in items]}


@router.get("/review/values", tags=REVIEW, response=UnrecognisedPage, summary="Valeurs données par une source que la taxonomie ne reconnaît pas")
def unrecognised_values(request, page: Query[Paging]):
    """Places whose source gave services, access conditions or audiences that no term of the taxonomy means
    (`unrecognised`, by field): kept as given until a person rewrites the field and clears them."""
    qs = place_services.unrecognised_values().prefetch_related("records__source")
    items, next_cursor = keyset(qs.order_by("id"), page.cursor, page.limit, descending=False)
    return {"count": qs.count(), "next_cursor": next_cursor, "results": [unrecognised_item(p) for p in items]}


# --- Provenance, merges and splits of a place ------------------------------------------------------------------


@router.get("/places/{public_id}/provenance", tags=REVIEW, response=ProvenanceOut, url_name="place_provenance",
            summary="D'où vient chaque valeur d'un lieu, et ce que dit chaque source")
def place_provenance(request, public_id: str):
    """One row per field: the displayed value, who gave it and when (a source, or a person), and every
    source's claim (`same` false where it disagrees; `distance_m` for positions). A merged place answers
    with a redirect to the place it went into."""
    place = find_record(PLACE, public_id, viewer(request))
    if place.merged_into_id:
        target = Place.objects.get(pk=place.merged_into_id)
        return HttpResponsePermanentRedirect(reverse("api:place_provenance", args=[target.public_id]))
    place = Place.objects.select_related("commune").get(pk=place.pk)
    records = records_of([place]).get(place.pk, [])
    return {"place": place_out(place, records), "fields": [provenance_out(r) for r in
                                                          provenance.place_provenance(place)]}


@router.get("/places/{public_id}/merges", tags=REVIEW, response=PlaceMergesOut, summary="Fusions où ce lieu a été gardé ou fusionné")
def place_merges(request, public_id: str):
    """Newest first, undone ones included. Answers for a merged place too: that is how its merge is found."""
    place = find_record(PLACE, public_id, viewer(request))
    merges = merges_qs().filter(Q(kept=place) | Q(merged=place))
    return {"place": ref(place), "merged_into": place.merged_into.public_id if place.merged_into_id else None,
            "results": [merge_out(m) for m in merges]}


@router.post("/places/{public_id}/merge", response={201: MergeDoneOut, **ERRORS}, auth=WRITE, tags=REVIEW,
             summary="Fusionner un autre lieu dans celui-ci (relecteurs)")
def merge_places(request, public_id: str, payload: MergeIn):
    """The other place becomes a redirect to this one, which takes what it lacked; undoable."""
    kept = find_record(PLACE, public_id, for_write=True)
    merged = Place.objects.published().filter(public_id=payload.other).first()
    if merged is None:
        raise ValidationError({"other": _("lieu inconnu ou non publié")})
    hit(request, "review")
    merge = resolution.merge(kept, merged, actor(request), summary=payload.summary.strip())
    return Status(201, {"merge": merge_out(merges_qs().get(pk=merge.pk))})


@router.post("/merges/{int:merge_id}/undo", response={200: UndoneMergeOut, **ERRORS}, auth=WRITE, tags=REVIEW,
             summary="Annuler une fusion (relecteurs)")
def undo_merge(request, merge_id: int, payload: SummaryIn | None = None):
    """The merged place is served again with its records; the pair is then remembered as distinct."""
    merge = get_object_or_404(merges_qs(), pk=merge_id)
    if merge.undone_at is not None:
        raise HttpError(409, _("cette fusion a déjà été annulée"))
    hit(request, "review")
    restored = resolution.undo_merge(merge, actor(request), (payload.summary.strip() if payload else ""))
    restored = Place.objects.select_related("commune").get(pk=restored.pk)
    return {"merge": merge_out(merges_qs().get(pk=merge.pk)),
            "restored": place_out(restored, records_of([restored]).get(restored.pk, []))}


@router.post("/places/{public_id}/split", response={201: SplitOut, **ERRORS}, auth=WRITE, by_alias=True, tags=REVIEW,
             summary="Séparer des enregistrements source vers un nouveau lieu (relecteurs)")
def split_place(request, public_id: str, payload: SplitIn):
    """The records (ids from `/provenance`) leave this place for a new one built from what they say;
    the two are then remembered as distinct."""
    place = find_record(PLACE, public_id, for_write=True)
    if len(payload.records) > 1000:
        raise ValidationError({"records": _("trop d'enregistrements")})
    hit(request, "review")
    new_place = resolution.split(place, payload.records, actor(request), payload.summary.strip())
    new_place = Place.objects.select_related("commune").get(pk=new_place.pk)
    return Status(201, {"from": ref(place),
                        "place": place_out(new_place, records_of([new_place]).get(new_place.pk, []))})


# --- Sources ---------------------------------------------------------------------------------------------------


@router.get("/sources", response=list[SourceOut], tags=["sources"], summary="Sources et licences")
def list_sources(request):
    return [source_summary(s) for s in Source.objects.all()]


@router.get("/licences", response=list[LicenceOut], tags=["sources"], summary="Licences qu'une source peut déclarer")
def list_licences(request):
    return [{"code": licence.code, "name": licence.name, "url": licence.url, "share_alike": licence.share_alike,
             "open": licence.open} for licence in LICENCES.values()]


@router.post("/sources", response={201: SourceWithRecordsOut, **ERRORS}, auth=WRITE, tags=["sources"],
             summary="Enregistrer une source (administrateurs)")
def register_source(request, payload: SourceIn):
    """Imports then accept it (`--source SLUG`); its licence and attribution go into every export."""
    hit(request, "review")
    source = registry.register(payload.model_dump(exclude_none=True), actor(request))
    return Status(201, {**source_summary(source), "records": 0})


@router.patch("/sources/{slug}", response={200: SourceWithRecordsOut, **ERRORS}, auth=WRITE, tags=["sources"],
              summary="Modifier une source, dont sa priorité (administrateurs)")
def update_source(request, slug: str, payload: SourceChanges):
    """Only the fields sent change; the slug stays. When sources disagree on a field, the highest priority
    wins (a person's edit wins over all): a new priority applies from the next import of each record."""
    source = get_object_or_404(Source, slug=slug)
    hit(request, "review")
    registry.update(source, payload.model_dump(exclude_unset=True), actor(request))
    summary = source_summary(source)
    summary["records"] = source.records.count()
    return summary
