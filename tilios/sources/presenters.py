"""Entity resolution as plain data: the same views of records, pairs, conflicts, merges and provenance for
the API, the `tilios review` command and the pages."""
import functools
import re

from django.db.models import Q
from django.utils.translation import gettext as _

from tilios.places.models import place_url
from tilios.places.queries import QueryError

from . import matching, provenance
from .models import FieldConflict, MatchCandidate, Merge, SourceRecord


@functools.cache
def _reason_patterns():
    """Each reason template as a regular expression capturing its values, with the conversions."""
    patterns = []
    for template in matching.REASONS.values():
        parts = re.split(r"(%[sd%])", template)
        regex = "".join({"%s": "(.+?)", "%d": r"(\d+)", "%%": "%"}.get(p, re.escape(p)) for p in parts)
        patterns.append((re.compile(regex), template, [int if p == "%d" else str for p in parts if p in ("%s", "%d")]))
    return patterns


def shown_reason(stored):
    """A stored reason (French, formatted) in the reader's language; as stored when no template fits."""
    for pattern, template, kinds in _reason_patterns():
        if match := pattern.fullmatch(stored):
            return _(template) % tuple(kind(value) for kind, value in zip(kinds, match.groups()))
    return stored


def records_of(places):
    """{place id: [records with their source]} for many places at once."""
    found = {}
    for record in (SourceRecord.objects.filter(place__in=[p.pk for p in places]).select_related("source")
                   .order_by("-source__priority", "source__slug", "id")):
        found.setdefault(record.place_id, []).append(record)
    return found


def record_out(record):
    return {"id": record.pk, "source": record.source.slug, "source_name": record.source.name,
            "licence": record.source.licence, "priority": record.source.priority, "external_id": record.external_id,
            "missing": record.missing_since_run_id is not None}


def place_out(place, records=()):
    """A place as the review tools show it: where it is, what it is called, which sources list it."""
    return {
        "id": place.public_id, "name": place.name, "address": place.address, "postcode": place.postcode,
        "town": place.commune.name if place.commune_id else place.town,
        "commune_code": place.commune.code if place.commune_id else None,
        "latitude": place.latitude, "longitude": place.longitude, "status": place.status,
        "merged_into": place.merged_into.public_id if place.merged_into_id else None,
        "url": place_url(place.public_id),
        "sources": [record_out(r) for r in records],
    }


def candidate_out(candidate, records):
    return {
        "id": candidate.pk, "status": candidate.status, "score": candidate.score,
        "reasons": [shown_reason(r) for r in candidate.reasons],
        "distance_m": round(candidate.distance_m, 1) if candidate.distance_m is not None else None,
        "created_at": candidate.created_at, "run": candidate.run_id,
        "decided_by": candidate.decided_by.get_username() if candidate.decided_by_id else None,
        "decided_at": candidate.decided_at,
        "places": [place_out(p, records.get(p.pk, ())) for p in (candidate.place_a, candidate.place_b)],
    }


def candidates_out(candidates):
    candidates = list(candidates)
    records = records_of([p for c in candidates for p in (c.place_a, c.place_b)])
    return [candidate_out(c, records) for c in candidates]


def ref(place):
    return {"id": place.public_id, "name": place.name}


def conflict_out(conflict):
    human = conflict.human_revision
    return {
        "id": conflict.pk, "status": conflict.status, "field": conflict.field,
        "label": str(provenance.COMPARED.get(conflict.field, conflict.field)),
        "place": ref(conflict.place), "source": {"slug": conflict.record.source.slug,
                                                  "name": conflict.record.source.name},
        "record": {"id": conflict.record_id, "external_id": conflict.record.external_id},
        "source_value": conflict.source_value, "current_value": conflict.current_value,
        "human_revision": {"id": human.pk, "number": human.number, "author": human.author_name,
                           "summary": human.summary, "accepted_at": human.accepted_at} if human else None,
        "run": conflict.run_id, "created_at": conflict.created_at,
        "decided_by": conflict.decided_by.get_username() if conflict.decided_by_id else None,
        "decided_at": conflict.decided_at,
    }


def merge_out(merge):
    return {
        "id": merge.pk, "kept": ref(merge.kept), "merged": ref(merge.merged), "records": merge.records,
        "at": merge.at, "by": merge.by.get_username() if merge.by_id else None, "automatic": merge.by_id is None,
        "score": merge.score, "reasons": [shown_reason(r) for r in merge.reasons], "candidate": merge.candidate_id, "run": merge.run_id,
        "undone_at": merge.undone_at,
        "undone_by": merge.undone_by.get_username() if merge.undone_by_id else None,
    }


def provenance_out(row):
    return {
        "field": row.name, "label": row.label, "value": row.value, "given_by": row.given_by,
        "given_at": row.given_at, "by_person": row.by_person, "disagreement": row.disagreement,
        "claims": [{
            "source": {"slug": c["source"].slug, "name": c["source"].name, "licence": c["source"].licence,
                       "priority": c["source"].priority},
            "record": {"id": c["record"].pk, "external_id": c["record"].external_id},
            "value": c["value"], "same": c["same"],
            "distance_m": round(c["distance_m"], 1) if c["distance_m"] is not None else None,
            "at": c["at"],
        } for c in row.claims],
    }


def closed_out(record):
    run = record.missing_since_run
    return {"record": record_out(record), "place": ref(record.place),
            "missing_since_run": {"id": run.pk, "started_at": run.started_at, "finished_at": run.finished_at}}


def merges_qs():
    return Merge.objects.select_related("kept", "merged", "by", "undone_by")


def candidates_qs():
    return MatchCandidate.objects.select_related("place_a__commune", "place_b__commune", "place_a__merged_into",
                                                 "place_b__merged_into", "decided_by")


def conflicts_qs():
    return FieldConflict.objects.select_related("place", "record__source", "human_revision__author", "decided_by")


# --- Keyset page of the duplicates queue (ordered pending first, then by score) -------------------------


def _queue_cursor(candidate):
    return f"{candidate.status}~{candidate.score!r}~{candidate.pk}"


def queue_page(qs, cursor, limit):
    """One page of `resolution.review_queue()` in its own order, and the cursor of the next: a pair decided
    between two pages neither shifts nor repeats the others."""
    if cursor:
        try:
            status, score, pk = cursor.split("~")
            score, pk = float(score), int(pk)
        except ValueError:
            raise QueryError(_("cursor : curseur invalide")) from None
        if status not in (MatchCandidate.Status.PENDING, MatchCandidate.Status.LATER) or score != score:
            raise QueryError(_("cursor : curseur invalide"))
        qs = qs.filter(Q(status__lt=status) | Q(status=status, score__lt=score) | Q(status=status, score=score,
                                                                                     id__gt=pk))
    items = list(qs[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, (_queue_cursor(items[-1]) if more and items else None)
