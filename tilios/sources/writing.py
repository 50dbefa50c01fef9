"""How an import writes what its rows say (`services.import_rows` runs them).

First-seen rows have their places created a batch at a time: those that match nothing (`create_fresh`), and
those that join a place already known (`create_joined`). A record seen before updates its place
(`apply_row`), and one said again unchanged is only confirmed (`confirm`).
"""
import hashlib
import json
from collections import defaultdict, namedtuple

from django.core.exceptions import ValidationError

from tilios.places.models import Place
from tilios.revisions import services as revisions
from tilios.revisions.models import Revision
from tilios.rows import insert_all, save_fields

from . import provenance, resolution
from .models import SourceRecord
from .record_changes import wanted

# A record an earlier run kept, as an import reads it for every row (`services.known_records`).
Known = namedtuple("Known", ["external_id", "pk", "place_id", "checksum", "missing_since_run_id", "mapped"])


def _checksum(raw):
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _note(source, row, pair):
    note = f"Import {source.name} (ligne {row.line})"
    if pair is not None:
        note += f" : rapproché (probabilité {pair.score:.3f} ; {', '.join(pair.reasons)})"
    return note


def confirm(confirmed, run):
    """The records of `confirmed` (ids) were listed again by `run`, unchanged."""
    SourceRecord.objects.filter(pk__in=confirmed).update(last_run=run)
    confirmed.clear()


def apply_row(row, source, run, known, summary, known_at, confirmed):
    """Update the place of a record seen before (`known`), or give one its own place again; returns the place's
    id (None if rejected). A record the row repeats unchanged only joins `confirmed`."""
    checksum = _checksum(row.raw)
    if known.checksum == checksum and known.place_id:
        if known.mapped:
            confirmed.append(known.pk)
        else:  # kept by an earlier version that did not store the mapped values
            SourceRecord.objects.filter(pk=known.pk).update(last_run=run, fields=row.fields)
        summary.unchanged += 1
        row.raw = row.fields = None
        return known.place_id
    record = SourceRecord.objects.select_related("place").get(pk=known.pk)
    old_fields = record.fields or {}
    _record_of(row, source, run, record, checksum=checksum)
    try:
        if record.place_id:
            place = record.place
            changed, conflicts = _update(place, record, old_fields, run, source, _note(source, row, None), known_at)
            summary.changed_fields += changed
            if changed:
                summary.updated += 1
            else:
                summary.unchanged += 1
            summary.review_items += conflicts
        else:
            place, _ = revisions.create(Place, dict(row.fields), None, _note(source, row, None), source=source,
                                        kind=Revision.Kind.IMPORT, system=True, known_at=known_at)
            summary.created += 1
    except ValidationError as exc:
        _reject(row, exc, summary)
        return None
    record.place = place
    record.save()
    row.raw = row.fields = None
    return place.pk


def _record_of(row, source, run, record=None, place=None, checksum=None):
    """The source record of `row`: `record` (kept by an earlier run) filled with what the row says now, or a
    new one, not saved (`checksum`: the row's, when already known)."""
    if record is None:
        record = SourceRecord(source=source, external_id=row.external_id, first_run=run)
    record.raw, record.fields, record.checksum, record.line, record.last_run = (
        row.raw, row.fields, checksum or _checksum(row.raw), row.line, run)
    if place is not None:
        record.place = place
    return record


def _reject(row, error, summary):
    field_name, messages = next(iter(error.message_dict.items()))
    summary.reject(row.line, field_name, "; ".join(messages), row.fields.get(field_name, ""))


def create_fresh(fresh, source, run, summary, known_at):
    """Create the places of `fresh` rows (line -> row; first seen, matching nothing) and their records, a
    batch at a time; empties `fresh`. Returns {line: place id}."""
    rows = list(fresh.values())
    fresh.clear()
    created = _create([(row, dict(row.fields), _note(source, row, None), None) for row in rows], source, run,
                      summary, known_at)
    summary.created += len(created)
    return {row.line: place.pk for row, _record, place in created}


def create_joined(joining, places, source, run, summary, known_at):
    """Join the rows of `joining` (line -> (row, its `Known` record if kept without a place, known place id, pair)) to
    the places they describe, a batch at a time; empties it. Each row gets its own place, created as a
    redirect to the known one and folded into it at once (`resolution.join_many`), so that `tilios review
    merges` lists the join and undoing it gives the record its own place back. The known place takes what
    the record wins by priority (`record_changes.wanted`), besides what a merge fills in. A row whose known
    place was merged meanwhile keeps a place of its own; one refused leaves `places`."""
    items = {row.line: (known, pair) for row, _record, known, pair in joining.values()}
    rows = [(row, record) for row, record, _known, _pair in joining.values()]
    joining.clear()
    if not items:
        return
    live = dict(Place.objects.filter(pk__in={known for known, _pair in items.values()}, merged_into=None)
                .exclude(current_revision=None).values_list("pk", "public_id"))
    to_create = []
    for row, record in rows:
        known, pair = items[row.line]
        if known in live:
            to_create.append((row, {**row.fields, "merged_into": live[known]}, _note(source, row, pair), record))
        else:
            to_create.append((row, dict(row.fields), _note(source, row, None), record))
    created = _create(to_create, source, run, summary, known_at)
    for line in items.keys() - {row.line for row, _record, _place in created}:
        del places[line]  # refused
    joins = []
    for row, record, own in created:
        if own.merged_into_id is None:
            places[row.line] = own.pk
            summary.created += 1
        else:
            known, pair = items[row.line]
            joins.append((known, own, record, pair, _note(source, row, pair)))
    for joins_of_distinct_places in _rounds(joins):
        _join(joins_of_distinct_places, run, source, summary, known_at)


def _create(items, source, run, summary, known_at):
    """Create a place for each of `items`, [(row, its fields, the revision's note, the `Known` record an earlier
    run kept without a place, or None)], and write the rows' records; a row refused is reported. Returns
    [(row, record, place)] for the places created, in order; their rows' values are let go."""
    outcomes = revisions.create_many(Place, [(fields, note) for _row, fields, note, _known in items], source,
                                     kind=Revision.Kind.IMPORT, known_at=known_at)
    kept_without_place = SourceRecord.objects.in_bulk([known.pk for *_rest, known in items if known])
    created = []
    for (row, _fields, _note, known), place in zip(items, outcomes):
        if isinstance(place, ValidationError):
            _reject(row, place, summary)
            continue
        record = kept_without_place[known.pk] if known else None
        created.append((row, _record_of(row, source, run, record, place=place), place))
        row.raw = row.fields = None
    records = [record for _row, record, _place in created]
    save_fields([r for r in records if r.pk], ["raw", "fields", "checksum", "line", "last_run", "place"])
    insert_all([r for r in records if r.pk is None])
    return created


def _rounds(joins):
    """`joins` in rounds that join each known place once, in file order: a place's second join reads what the
    first wrote."""
    rounds, seen = [], {}
    for join in joins:
        seen[join[0]] = seen.get(join[0], -1) + 1
        if seen[join[0]] == len(rounds):
            rounds.append([])
        rounds[seen[join[0]]].append(join)
    return rounds


def _join(joins, run, source, summary, known_at):
    """Fold the places of `joins`, [(known place id, own place, record, pair, note)], into their known places,
    each once, reading what `wanted` needs of them all at once."""
    ids = [known for known, *_rest in joins]
    kept = revisions.lock_many(Place, ids)
    others = defaultdict(list)
    for other in SourceRecord.objects.filter(place__in=ids).select_related("source").defer("raw"):
        others[other.place_id].append(other)
    human = provenance.human_fields_of(ids)
    folds = []
    for known, own, record, pair, note in joins:
        taken, conflicts = wanted(kept[known], record, {}, run, others[known], human[known])
        folds.append(resolution.Join(kept[known], own, record, taken, pair.score if pair else None,
                                     pair.reasons if pair else (), note))
        summary.matched += 1
        summary.review_items += conflicts
    resolution.join_many(folds, run=run, source=source, known_at=known_at)


def _update(place, record, old_fields, run, source, note, known_at):
    """Bring `place` in line with what `record` now says (see `record_changes.wanted`). Returns (how many fields changed,
    how many conflicts were queued)."""
    changes, conflicts = wanted(place, record, old_fields, run)
    if not changes:
        return 0, conflicts
    try:
        revision = revisions.edit(place, changes, None, note, kind=Revision.Kind.IMPORT, source=source,
                                  system=True, known_at=known_at)
    except revisions.NoChange:
        return 0, conflicts
    return len(revision.diff), conflicts
