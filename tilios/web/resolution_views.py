"""Entity resolution on the web: the queue of possible duplicates, conflicts with people's edits, places a
source stopped listing, and each place's field-level provenance with its merges and splits."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from tilios.accounts import permissions
from tilios.places import reports
from tilios.places import services as place_services
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.revisions.visibility import visible_to
from tilios.sources import provenance, resolution
from tilios.sources.models import FieldConflict, ImportRun, MatchCandidate, Merge, SourceRecord

from .common import paginate, rate_limited, role_required
from .records import PLACE

reviewers_only = role_required(permissions.can_review, _l("Les fusions et séparations de lieux sont réservées aux "
                                                           "contributeurs de confiance et aux modérateurs."))
DECISIONS = {"same": MatchCandidate.Status.SAME, "distinct": MatchCandidate.Status.DISTINCT,
             "later": MatchCandidate.Status.LATER}


@reviewers_only
def unrecognised_values(request):
    page = paginate(request, place_services.unrecognised_values())
    return render(request, "web/review/values.html", {"page_obj": page, "counts": review_counts(), "current": "values"})


def review_counts():
    return {
        "duplicates": resolution.review_queue().filter(status=MatchCandidate.Status.PENDING).count(),
        "later": resolution.review_queue().filter(status=MatchCandidate.Status.LATER).count(),
        "conflicts": resolution.conflict_queue().count(),
        "closed": resolution.possibly_closed().count(),
        "locations": place_services.doubtful_locations().count(),
        "hours": place_services.unparsed_hours().count(),
        "values": place_services.unrecognised_values().count(),
        "reports": reports.queue().count(),
    }


def _with_records(places):
    """Attach each place's source records (with their source), for side-by-side comparison."""
    by_place = {}
    for record in SourceRecord.objects.filter(place__in=places).select_related("source"):
        by_place.setdefault(record.place_id, []).append(record)
    for place in places:
        place.source_records = by_place.get(place.pk, [])


@reviewers_only
def duplicates(request):
    page = paginate(request, resolution.review_queue())
    places = [c.place_a for c in page.object_list] + [c.place_b for c in page.object_list]
    _with_records(places)
    return render(request, "web/review/duplicates.html", {"page_obj": page, "counts": review_counts(),
                                                           "current": "duplicates"})


@require_POST
@reviewers_only
@rate_limited("review")
def duplicate_decide(request, candidate_id):
    candidate = get_object_or_404(MatchCandidate.objects.select_related("place_a", "place_b"), pk=candidate_id)
    decision = DECISIONS.get(request.POST.get("decision", ""))
    if decision is None:
        messages.error(request, _("Décision inconnue."))
    elif candidate.status not in (MatchCandidate.Status.PENDING, MatchCandidate.Status.LATER):
        messages.error(request, _("Cette paire a déjà été tranchée."))
    else:
        try:
            merge = resolution.decide(candidate, decision, request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if merge is not None:
                messages.success(request, _("Fusionné : « %(merged)s » renvoie désormais vers « %(kept)s ».")
                                 % {"merged": merge.merged.name, "kept": merge.kept.name})
            elif decision == MatchCandidate.Status.DISTINCT:
                messages.success(request, _("Noté : ce sont deux lieux distincts. La paire ne sera plus proposée."))
            else:
                messages.success(request, _("Paire remise à plus tard."))
    return redirect("web:review_duplicates")


@reviewers_only
def conflicts(request):
    page = paginate(request, resolution.conflict_queue())
    for conflict in page.object_list:
        conflict.label = provenance.COMPARED.get(conflict.field, conflict.field)
    return render(request, "web/review/conflicts.html", {"page_obj": page, "counts": review_counts(),
                                                          "current": "conflicts"})


@require_POST
@reviewers_only
@rate_limited("review")
def conflict_resolve(request, conflict_id):
    conflict = get_object_or_404(FieldConflict.objects.select_related("place", "record__source"), pk=conflict_id)
    keep = request.POST.get("keep")
    if keep not in ("current", "source"):
        messages.error(request, _("Choix inconnu."))
        return redirect("web:review_conflicts")
    try:
        resolution.resolve_conflict(conflict, keep == "source", request.user)
    except (ValidationError, rev.EditConflict) as exc:
        messages.error(request, str(exc) if isinstance(exc, rev.EditConflict) else " ".join(exc.messages))
    else:
        messages.success(request, _("Valeur de la source reprise.") if keep == "source"
                         else _("Valeur actuelle gardée."))
    return redirect("web:review_conflicts")


@reviewers_only
def possibly_closed(request):
    page = paginate(request, resolution.possibly_closed().order_by("place__sort_name", "id"))
    return render(request, "web/review/closed.html", {"page_obj": page, "counts": review_counts(), "current": "closed"})


@reviewers_only
def doubtful_locations(request):
    page = paginate(request, place_services.doubtful_locations())
    return render(request, "web/review/locations.html",
                  {"page_obj": page, "counts": review_counts(), "current": "locations"})


@reviewers_only
def unparsed_hours(request):
    page = paginate(request, place_services.unparsed_hours())
    return render(request, "web/review/hours.html", {"page_obj": page, "counts": review_counts(), "current": "hours"})


def place_provenance(request, public_id):
    place = get_object_or_404(Place.objects.select_related("merged_into", "commune"), public_id=public_id)
    if not visible_to(place, request.user):
        raise Http404
    if place.merged_into_id:
        return redirect("web:place_provenance", place.merged_into.public_id)
    rows = provenance.place_provenance(place)
    records = list(place.records.select_related("source", "first_run", "last_run", "missing_since_run")
                   .order_by("-source__priority", "source__name", "external_id"))
    merges = (Merge.objects.filter(Q(kept=place) | Q(merged=place)).select_related("kept", "merged", "by", "undone_by")
              .order_by("-at"))
    pairs = (MatchCandidate.objects.filter(Q(place_a=place) | Q(place_b=place))
             .select_related("place_a", "place_b", "decided_by").order_by("-created_at"))
    for pair in pairs:
        pair.other = pair.place_b if pair.place_a_id == place.pk else pair.place_a
    return render(request, "web/place_provenance.html", {
        "place": place, "record": place, "rtype": PLACE, "tab": "sources", "rows": rows, "records": records,
        "merges": merges, "pairs": pairs,
        "disagreements": sum(1 for row in rows if row.disagreement),
        "conflicts": place.field_conflicts.filter(status=FieldConflict.Status.PENDING).count(),
    })


@require_POST
@reviewers_only
@rate_limited("review")
def place_merge(request, public_id):
    """Merge another place, named by its Tilios id, into this one."""
    place = get_object_or_404(Place, public_id=public_id)
    other_id = request.POST.get("other", "").strip().rsplit("/", 2)[-1] if request.POST.get("other") else ""
    other = Place.objects.filter(public_id=other_id.strip("/")).first()
    if other is None:
        messages.error(request, _("Identifiant de lieu inconnu : %(id)s") % {"id": other_id[:20]})
        return redirect("web:place_provenance", place.public_id)
    try:
        resolution.merge(place, other, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("« %(other)s » a été fusionné dans cette fiche.") % {"other": other.name})
    return redirect("web:place_provenance", place.public_id)


@require_POST
@reviewers_only
@rate_limited("review")
def place_split(request, public_id):
    place = get_object_or_404(Place, public_id=public_id)
    try:
        ids = [int(x) for x in request.POST.getlist("records")]
    except ValueError:
        ids = []
    try:
        new_place = resolution.split(place, ids, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("web:place_provenance", place.public_id)
    messages.success(request, _("Nouvelle fiche créée à partir des enregistrements séparés."))
    return redirect("web:place_provenance", new_place.public_id)


@require_POST
@reviewers_only
@rate_limited("review")
def merge_undo(request, merge_id):
    merge = get_object_or_404(Merge.objects.select_related("kept", "merged"), pk=merge_id)
    try:
        resolution.undo_merge(merge, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("web:place_provenance", merge.kept.public_id)
    messages.success(request, _("Fusion annulée : « %(name)s » a retrouvé sa fiche.") % {"name": merge.merged.name})
    return redirect("web:place_provenance", merge.merged.public_id)


def import_runs(request):
    """The public journal of imports: what each run did, with its per-row errors."""
    runs = ImportRun.objects.select_related("source").annotate(
        pending=Count("candidates", filter=Q(candidates__status=MatchCandidate.Status.PENDING))).order_by("-started_at", "-id")
    page = paginate(request, runs)
    return render(request, "web/import_runs.html", {"page_obj": page})
