"""Merges, splits and the review queue of entity resolution — every change a revision, every one undoable.

A merge folds one place into another: the kept place takes what it lacked (and the other name as an
alternate name), the source records move over, and the merged place becomes a redirect (its
`merged_into` set by a revision, so « as known on K » counts stay true). Undoing a merge restores both.
A split moves some source records of a place to a new place. Decisions are remembered: a pair decided
« lieux distincts » is never proposed again.
"""
import logging
from collections import namedtuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tilios.accounts import permissions
from tilios.places.models import Place
from tilios.revisions import services as revisions
from tilios.revisions.models import Revision
from tilios.rows import insert_all, save_fields

from . import provenance
from .models import FieldConflict, MatchCandidate, Merge, SourceRecord
from .signals import merge_undone, place_merged, places_attested

logger = logging.getLogger(__name__)


def _require_reviewer(user):
    if user is not None and not permissions.can_review(user):
        raise revisions.NotAllowed(_("seuls les contributeurs de confiance et les modérateurs peuvent fusionner "
                                     "ou séparer des lieux"))


def ordered(a_id, b_id):
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def propose(pairs, run=None):
    """Queue possible duplicates, `pairs` of (place id, place id, matching.Pair), unless a pair is already
    known (pending or decided) or comes twice (the first stands): returns how many are new. A batch is one
    query and one insert: an import proposes tens of thousands."""
    wanted = {}
    for a, b, pair in pairs:
        if a != b:
            wanted.setdefault(ordered(a, b), pair)
    if not wanted:
        return 0
    known = set(MatchCandidate.objects.filter(place_a_id__in={a for a, _b in wanted},
                                              place_b_id__in={b for _a, b in wanted})
                .values_list("place_a_id", "place_b_id"))
    new = [MatchCandidate(place_a_id=a, place_b_id=b, score=pair.score, reasons=pair.reasons,
                          distance_m=pair.distance_m, run=run)
           for (a, b), pair in wanted.items() if (a, b) not in known]
    insert_all(new)
    return len(new)


def _absorb(kept_data, merged_data):
    """What the kept place takes from the merged one: empty fields filled; names, kinds, links and the lists
    of what it offers joined."""
    changes = {}
    for name, value in merged_data.items():
        if name in ("merged_into", "alternate_names", "name", *provenance.JOINED):
            continue
        if provenance.is_empty(kept_data.get(name)) and not provenance.is_empty(value):
            changes[name] = value
    if kept_data.get("latitude") is None and merged_data.get("latitude") is not None:
        changes["latitude"], changes["longitude"] = merged_data["latitude"], merged_data["longitude"]
    names = list(kept_data.get("alternate_names") or [])
    for name in [merged_data.get("name"), *(merged_data.get("alternate_names") or [])]:
        if name and not provenance.same_value("name", name, kept_data.get("name")) and not any(
                provenance.same_value("name", name, n) for n in names):
            names.append(name)
    if names != list(kept_data.get("alternate_names") or []):
        changes["alternate_names"] = names[:20]
    for name in provenance.JOINED:
        if name == "links":
            continue
        joined = sorted(set(kept_data.get(name) or []) | set(merged_data.get(name) or []))
        if joined != sorted(kept_data.get(name) or []):
            changes[name] = joined
    urls = {link["url"] for link in kept_data.get("links") or []}
    extra = [link for link in merged_data.get("links") or [] if link["url"] not in urls]
    if extra:
        changes["links"] = list(kept_data.get("links") or []) + extra
    return changes


def _take(kept_data, changes, taken):
    """Add to a merge's changes what the merged place's source wins by priority (an import's join): a name
    it replaces becomes an alternate name, and the shown name is not kept as one."""
    names = list(changes.get("alternate_names", kept_data.get("alternate_names") or []))
    names += taken.pop("alternate_names", [])
    changes.update(taken)
    if "name" in taken:
        names.append(kept_data.get("name"))
    shown, kept_names = changes.get("name", kept_data.get("name")), []
    for name in names:
        if name and not provenance.same_value("name", name, shown) and not any(
                provenance.same_value("name", name, n) for n in kept_names):
            kept_names.append(name)
    if kept_names[:20] != list(kept_data.get("alternate_names") or []):
        changes["alternate_names"] = kept_names[:20]
    else:
        changes.pop("alternate_names", None)
    return changes


def _fold(kept, merged_data, user, summary, taken, source, known_at):
    """The kept place takes what the merged one brings (`_absorb`) and what its source wins (`taken`):
    returns the kept place's revision, or None when it changes nothing."""
    changes = _fold_changes(kept.current_revision.data, merged_data, taken)
    if not changes:
        return None
    try:
        return revisions.edit(kept, changes, user, summary, kind=Revision.Kind.MERGE, system=True, source=source,
                              known_at=known_at)
    except revisions.NoChange:
        return None


def _fold_changes(kept_data, merged_data, taken):
    changes = _absorb(kept_data, merged_data)
    return _take(kept_data, changes, dict(taken)) if taken else changes


def _locked(place_id):
    return Place.objects.select_for_update().get(pk=place_id)  # its current revision read after: see revisions._lock


def merge(kept, merged, user=None, *, candidate=None, run=None, score=None, reasons=(), summary="", taken=None,
          source=None, known_at=None):
    """Fold `merged` into `kept`. `user` None means the importer's automatic merge, which also passes the
    fields the merged place's `source` wins by priority (`taken`) and the import's knowledge time."""
    _require_reviewer(user)
    with transaction.atomic():
        kept, merged = _locked(kept.pk), _locked(merged.pk)
        if kept.pk == merged.pk:
            raise ValidationError({"place": _("un lieu ne peut pas être fusionné avec lui-même")})
        if kept.merged_into_id or merged.merged_into_id:
            raise ValidationError({"place": _("ce lieu a déjà été fusionné dans un autre")})
        if kept.current_revision_id is None or merged.current_revision_id is None:
            raise ValidationError({"place": _("ce lieu attend encore sa relecture")})
        summary = summary or _("Fusion de « %(merged)s » (%(id)s)") % {"merged": merged.name, "id": merged.public_id}
        kept_revision = _fold(kept, merged.current_revision.data, user, summary, taken, source, known_at)
        merged_revision = revisions.edit(
            merged, {"merged_into": kept.public_id}, user,
            _("Fusionné dans « %(kept)s » (%(id)s)") % {"kept": kept.name, "id": kept.public_id},
            kind=Revision.Kind.MERGE, system=True, source=source, known_at=known_at)
        moved = list(merged.records.values_list("pk", flat=True))
        SourceRecord.objects.filter(pk__in=moved).update(place=kept)
        if run is None:  # an import's merge: the import attests every place it touched once, at its end
            places_attested.send(sender=Merge, place_ids={kept.pk, merged.pk})
        FieldConflict.objects.filter(place=merged, status=FieldConflict.Status.PENDING).update(place=kept)
        pair = _carry_candidates(merged, kept)
        if candidate is None:
            candidate = pair
        if candidate is not None:
            _decide(candidate, MatchCandidate.Status.SAME, user)
        return _recorded(Merge(kept=kept, merged=merged, records=moved, kept_revision=kept_revision,
                               merged_revision=merged_revision, candidate=candidate, run=run, by=user,
                               score=score if score is not None else candidate.score if candidate else None,
                               reasons=list(reasons) or (candidate.reasons if candidate else [])))


# An import's join: `joined`, a place the import has just created for the new `record` as a redirect to the
# known place `kept` (`merged_into` set from its first revision), to fold into it as `merge` would; `taken`:
# what the record wins by priority (`record_changes.wanted`), `summary`: the revisions' summary.
Join = namedtuple("Join", ["kept", "joined", "record", "taken", "score", "reasons", "summary"])


def join_many(joins, *, run, source, known_at):
    """Fold each of `joins`, each kept place once, in a few statements. Being new, a joined place has no other
    record, no proposal, no conflict and no report to carry. Each `kept` is read by `revisions.lock_many` in
    the import's transaction. Returns the merges."""
    folds = [(join, _fold_changes(join.kept.current_revision.data, join.joined.current_revision.data, join.taken))
             for join in joins]
    folds = [(join, changes) for join, changes in folds if changes]
    with transaction.atomic():
        revised = revisions.edit_many(Place, [(join.kept, changes, join.summary) for join, changes in folds],
                                      source, Revision.Kind.MERGE, known_at)
        kept_revisions = {join.kept.pk: revision for (join, _changes), revision in zip(folds, revised)}
        for join in joins:
            join.record.place = join.kept
        save_fields([join.record for join in joins], ["place"])
        merges = insert_all([
            Merge(kept=join.kept, merged=join.joined, records=[join.record.pk], kept_revision=kept_revisions.get(
                join.kept.pk), merged_revision=join.joined.current_revision, run=run, score=join.score,
                  reasons=list(join.reasons)) for join in joins])
        for merge in merges:
            _announced(merge, joined=True)
        return merges


def _recorded(merge):
    merge.save()
    return _announced(merge)


def _announced(merge, joined=False):
    place_merged.send(sender=Merge, merge=merge, joined=joined)
    logger.info("merge %s: place %s into %s, %s", merge.pk, merge.merged.public_id, merge.kept.public_id,
                f"by {merge.by.get_username()}" if merge.by else "automatic")
    return merge


def _carry_candidates(merged, kept):
    """Open proposals about the merged place now concern the place it went into. Returns the proposal of
    the pair itself, if any, left for the merge to decide."""
    pair = None
    for candidate in MatchCandidate.objects.filter(Q(place_a=merged) | Q(place_b=merged)):
        other_id = candidate.place_b_id if candidate.place_a_id == merged.pk else candidate.place_a_id
        if other_id == kept.pk:
            pair = candidate
            continue
        if candidate.status == MatchCandidate.Status.SAME:  # a decision of an earlier merge: history
            continue
        a_id, b_id = ordered(kept.pk, other_id)
        MatchCandidate.objects.get_or_create(
            place_a_id=a_id, place_b_id=b_id,
            defaults={"score": candidate.score, "reasons": candidate.reasons, "distance_m": candidate.distance_m,
                      "status": candidate.status, "run": candidate.run, "decided_by": candidate.decided_by,
                      "decided_at": candidate.decided_at})
        candidate.delete()
    return pair


def undo_merge(merge_record, user, summary=""):
    """Restore the merged place and its records; the pair is then remembered as distinct."""
    _require_reviewer(user)
    with transaction.atomic():
        merge_record = Merge.objects.select_for_update().get(pk=merge_record.pk)
        if merge_record.undone_at is not None:
            raise ValidationError({"merge": _("cette fusion a déjà été annulée")})
        kept, merged = merge_record.kept, merge_record.merged
        summary = summary or _("Annulation de la fusion de « %(merged)s »") % {"merged": merged.name}
        revisions.edit(merged, {"merged_into": None}, user, summary, kind=Revision.Kind.SPLIT, system=True)
        SourceRecord.objects.filter(pk__in=merge_record.records, place=kept).update(place=merged)
        places_attested.send(sender=Merge, place_ids={kept.pk, merged.pk})
        merge_undone.send(sender=Merge, merge=merge_record)
        logger.info("merge %s undone by %s", merge_record.pk, user.get_username())
        if merge_record.kept_revision is not None:
            # Give back what the merge added, unless someone changed it since.
            current = Place.objects.get(pk=kept.pk).current_revision.data
            restore = {name: before for name, (before, after) in merge_record.kept_revision.diff.items()
                       if current.get(name) == after}
            if restore:
                try:
                    revisions.edit(kept, restore, user, summary, kind=Revision.Kind.SPLIT, system=True)
                except revisions.NoChange:
                    pass
        merge_record.undone_at, merge_record.undone_by = timezone.now(), user
        merge_record.save(update_fields=["undone_at", "undone_by"])
        a_id, b_id = ordered(kept.pk, merged.pk)
        candidate, _created = MatchCandidate.objects.get_or_create(
            place_a_id=a_id, place_b_id=b_id,
            defaults={"score": merge_record.score or 0.0, "reasons": merge_record.reasons})
        _decide(candidate, MatchCandidate.Status.DISTINCT, user)
        return merged


def split(place, record_ids, user, summary=""):
    """Move some source records of `place` to a new place built from what they say; remembered as distinct."""
    _require_reviewer(user)
    with transaction.atomic():
        place = Place.objects.select_for_update().get(pk=place.pk)
        records = list(place.records.filter(pk__in=record_ids).select_related("source"))
        if not records or len(records) != len(set(record_ids)):
            raise ValidationError({"records": _("choisissez des enregistrements de ce lieu")})
        if place.records.count() == len(records):
            raise ValidationError({"records": _("gardez au moins un enregistrement sur le lieu d'origine")})
        data = {}
        for name in provenance.COMPARED:
            winner = provenance.winning_record(records, name)
            if winner is None:
                continue
            if name == "location":
                data["latitude"], data["longitude"] = winner.fields["latitude"], winner.fields["longitude"]
            else:
                data[name] = winner.fields[name]
        summary = summary or _("Séparé de « %(name)s » (%(id)s)") % {"name": place.name, "id": place.public_id}
        new_place, _revision = revisions.create(Place, data, user, summary, kind=Revision.Kind.SPLIT, system=True)
        SourceRecord.objects.filter(pk__in=[r.pk for r in records]).update(place=new_place)
        places_attested.send(sender=Merge, place_ids={place.pk, new_place.pk})
        a_id, b_id = ordered(place.pk, new_place.pk)
        candidate = MatchCandidate.objects.create(place_a_id=a_id, place_b_id=b_id, score=0.0,
                                                  reasons=[str(summary)])
        _decide(candidate, MatchCandidate.Status.DISTINCT, user)
        return new_place


def _decide(candidate, status, user):
    candidate.status, candidate.decided_by, candidate.decided_at = status, user, timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])


def decide(candidate, decision, user):
    """A moderator's answer to a proposed pair: « same » merges, « distinct » and « later » are remembered."""
    _require_reviewer(user)
    if user is None:
        raise revisions.NotAllowed(_("une décision est prise par une personne"))
    if decision not in (MatchCandidate.Status.SAME, MatchCandidate.Status.DISTINCT, MatchCandidate.Status.LATER):
        raise ValidationError({"decision": _("décision inconnue")})
    if candidate.status not in (MatchCandidate.Status.PENDING, MatchCandidate.Status.LATER):
        raise ValidationError({"decision": _("cette paire a déjà été tranchée")})
    if decision == MatchCandidate.Status.SAME:
        a, b = candidate.place_a, candidate.place_b
        kept, merged = (a, b) if a.records.count() >= b.records.count() else (b, a)  # keep the better documented
        return merge(kept, merged, user, candidate=candidate)
    _decide(candidate, decision, user)
    return None


def review_queue():
    """Pending pairs first (most likely duplicates first), then the ones put off « plus tard »."""
    return (MatchCandidate.objects.filter(status__in=[MatchCandidate.Status.PENDING, MatchCandidate.Status.LATER],
                                          place_a__merged_into=None, place_b__merged_into=None)
            .select_related("place_a", "place_b", "place_a__commune", "place_b__commune")
            .order_by("-status", "-score", "id"))  # "pending" sorts after "later": reversed


def conflict_queue():
    return FieldConflict.objects.filter(status=FieldConflict.Status.PENDING).select_related(
        "place", "record__source", "human_revision__author")


def resolve_conflict(conflict, take_source, user):
    """Keep the person's value, or take the source's (as a revision by the moderator)."""
    _require_reviewer(user)
    if user is None:
        raise revisions.NotAllowed(_("une décision est prise par une personne"))
    with transaction.atomic():
        conflict = FieldConflict.objects.select_for_update().get(pk=conflict.pk)
        if conflict.status != FieldConflict.Status.PENDING:
            raise ValidationError({"conflict": _("ce conflit a déjà été tranché")})
        if take_source:
            value = conflict.source_value
            changes = ({"latitude": value[0], "longitude": value[1]} if conflict.field == "location"
                       else {conflict.field: value})
            try:
                revisions.edit(conflict.place, changes, user,
                               _("Valeur reprise de %(source)s") % {"source": conflict.record.source.name},
                               system=True, source=conflict.record.source)
            except revisions.NoChange:
                pass
        conflict.status = FieldConflict.Status.TAKEN if take_source else FieldConflict.Status.KEPT
        conflict.decided_by, conflict.decided_at = user, timezone.now()
        conflict.save(update_fields=["status", "decided_by", "decided_at"])
    return conflict


def possibly_closed():
    """Places some source stopped listing, while still open in the registry: to check."""
    return (SourceRecord.objects.exclude(missing_since_run=None)
            .filter(place__status=Place.Status.OPEN, place__merged_into=None, place__is_published=True)
            .select_related("place", "source", "missing_since_run"))
