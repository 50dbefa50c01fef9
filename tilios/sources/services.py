"""Import runs: read a source file, keep its raw records, match them to known places, update those.

A run is all or nothing: rows with errors are reported (line, field, reason) and skipped, but anything
unexpected aborts the run and leaves the database as it was. On SQLite it commits in short steps, journaled
so that a failure puts everything back (`tilios.journal`), and the site keeps serving writes meanwhile. Re-importing the same file
changes nothing, since each raw record is compared with the one kept from the previous run.

A record seen for the first time is matched (`planning`) against the registry and the rest of the file:
sure matches join the known place, uncertain ones create their own place and a pair to review; the places of
rows that match nothing are written a batch at a time (`revisions.create_many`). A record never overwrites a
field that a person edited: what it says instead becomes a `FieldConflict`.
"""
import dataclasses
import datetime
import hashlib
import json
import logging
from dataclasses import dataclass, field
from importlib import import_module

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from tilios import journal
from tilios.places.models import Kind, Place
from tilios.revisions import services as revisions
from tilios.revisions.models import Revision

from . import catalogue, planning, resolution
from .importers import FileError, RowError
from .models import ImportRun, Source, SourceRecord
from .record_changes import wanted
from .signals import places_attested

logger = logging.getLogger(__name__)

READERS = {
    "cget": "tilios.sources.importers.cget",
    "mednum": "tilios.sources.importers.mednum",
    "geojson": "tilios.sources.importers.geojson",
    "fablabs-io": "tilios.sources.importers.fablabs_io",
    "osm": "tilios.sources.importers.osm",
    "csv": "tilios.sources.importers.csv_mapping",
}
NEEDS_MAPPING = {"csv"}


def line_label(kind):
    """What an error's « line » counts in this format (a CSV line, a GeoJSON feature, an OSM element)."""
    if kind not in READERS:
        return "ligne"
    return getattr(import_module(READERS[kind]), "LINE_LABEL", "ligne")


CONFIRMED_AT_ONCE = 500
CREATED_AT_ONCE = 200


class DryRunRollback(Exception):
    pass


@dataclass
class ImportSummary:
    run: ImportRun | None
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    missing: int = 0  # records of earlier runs that this file no longer holds (possibly closed)
    matched: int = 0  # new records joined to a place already known (or to another row of the file)
    review_items: int = 0  # possible duplicates and conflicts with people's edits, queued for review
    changed_fields: int = 0  # field values changed on places already known
    errors: list = field(default_factory=list)


def _checksum(raw):
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def run_import(kind, path, source=None, progress=None, dry_run=False, known_on=None, mapping=None,
               auto_merge=True):
    """Import `path` read as `kind` into `source` (a slug). Raises FileError for unreadable files.

    `mapping` (a JSON or TOML file, or a csv_mapping.Mapping) tells the `csv` format which column holds
    which field. Records that an earlier run of the same source kept and that this file no longer holds
    are marked `missing_since_run` (possibly closed, to review) — never deleted.

    `known_on` (a date) records what the file says as known since that day — the date the source
    published it — instead of today: how a historical directory enters the knowledge clock.

    `auto_merge=False` sends every match to the review queue, sure ones included: how a reference base
    is loaded as it was published. `progress` wraps the rows as they are written (a command's progress bar);
    a service never draws one itself."""
    if kind not in READERS:
        raise FileError(f"format inconnu : {kind} (formats : {', '.join(sorted(READERS))})")
    reader = import_module(READERS[kind])
    slug = source or catalogue.DEFAULT_SOURCE_FOR_KIND.get(kind)
    if not slug:
        raise FileError("précisez la source (--source)")
    applied = {"reader": READERS[kind]}
    if kind in NEEDS_MAPPING:
        if mapping is None:
            raise FileError(f"le format {kind} demande un mapping (--mapping FICHIER.toml|.json)")
        if not isinstance(mapping, reader.Mapping):
            mapping = reader.load_mapping(mapping)
        applied["mapping"] = dataclasses.asdict(mapping)
        rows = list(reader.read(path, mapping=mapping))
    elif mapping is not None:
        raise FileError(f"--mapping ne s'applique qu'au format csv, pas à {kind}")
    else:
        rows = list(reader.read(path))  # reads and maps everything before touching the database
    return import_rows(kind, rows, slug, str(path), file_sha256(path), applied, progress=progress, dry_run=dry_run,
                       known_on=known_on, auto_merge=auto_merge)


def import_rows(kind, rows, slug, origin, checksum, applied, progress=None, dry_run=False, known_on=None,
                auto_merge=True, gone=None):
    """Import mapped `rows` into the source `slug` as one run (`origin`: the file or address they came from,
    `checksum` its digest, `applied`: how they were read, kept with the run).

    `gone` is None for a whole file: the records it no longer holds are marked missing. A partial update
    (a change feed) passes the ids it says are gone instead, and the records it does not mention stay as
    they are. Each row's values (`raw`, `fields`) are let go once written: 10⁵ rows would hold hundreds of MB."""
    kinds = {k.code: k for k in Kind.objects.all()}
    summary = ImportSummary(run=None)
    try:
        with journal.stepwise(one_transaction=dry_run) as step:
            src = registered_source(slug)
            run = ImportRun.objects.create(source=src, kind=kind, filename=origin, known_on=known_on,
                                           file_sha256=checksum, mapping=applied)
            summary.run = run
            known_at = None
            if known_on is not None:
                if known_on > timezone.localdate():
                    raise FileError("--known-on : une date passée est attendue")
                known_at = timezone.make_aware(datetime.datetime.combine(known_on, datetime.time(12)))
            with step.paused():  # matching only reads, for a while: other writers go first
                # The raw rows of earlier runs are replaced, never read, and their mapped values are read only
                # for the few rows that changed: leave both in the database (10⁵ of them are ~200 MB).
                records = {r.external_id: r for r in SourceRecord.objects.filter(source=src).defer("raw", "fields")
                           .annotate(mapped=ExpressionWrapper(~Q(fields={}), output_field=BooleanField()))}
                present = {row.external_id for row in rows if row.external_id}
                valid = _screen(rows, summary)
                for row in valid:
                    row.fields = {**row.fields, "kinds": [c for c in row.kinds if c in kinds]}
                new = [row for row in valid if records.get(row.external_id) is None
                       or records[row.external_id].place_id is None]
                plan = planning.plan(new, auto_merge)
            places = {}  # row line -> place it now describes
            confirmed = []  # records said again unchanged: their last run is written CONFIRMED_AT_ONCE at a time
            fresh = {}  # line -> first-seen row that matches nothing: their places are created CREATED_AT_ONCE at a time
            for row in (progress or _quiet)(valid):
                target = plan.targets.get(row.line)
                if target is None and row.external_id not in records:
                    fresh[row.line] = row
                    if len(fresh) >= CREATED_AT_ONCE:
                        places.update(_create_fresh(fresh, src, run, summary, known_at))
                    step()
                    continue
                if target and target[0] == "row" and target[1] in fresh:  # joins a place not written yet
                    places.update(_create_fresh(fresh, src, run, summary, known_at))
                place_id = places.get(target[1]) if target and target[0] == "row" else (
                    target[1] if target else None)
                applied_to = _apply(row, src, run, records.get(row.external_id), summary, known_at, place_id,
                                    plan.reasons.get(row.line), confirmed)
                if applied_to is not None:
                    places[row.line] = applied_to
                row.raw = row.fields = None
                if len(confirmed) >= CONFIRMED_AT_ONCE:
                    _confirm(confirmed, run)
                step()
            places.update(_create_fresh(fresh, src, run, summary, known_at))
            _confirm(confirmed, run)
            for x, y, pair in plan.reviews:
                a = places.get(x[1]) if x[0] == "row" else x[1]
                b = places.get(y[1]) if y[0] == "row" else y[1]
                if a and b and a != b and resolution.propose(Place(pk=a), Place(pk=b), pair.score, pair.reasons,
                                                             pair.distance_m, run):
                    summary.review_items += 1
                step()
            summary.missing = _mark_missing(run, records, present, gone)
            places_attested.send(sender=ImportRun, place_ids=set(places.values()), step=step)
            for name in ("rows", "created", "updated", "unchanged", "rejected", "missing", "errors", "matched",
                         "review_items", "changed_fields"):
                setattr(run, name, getattr(summary, name))
            run.status, run.finished_at = ImportRun.Status.DONE, timezone.now()
            run.save()
            if dry_run:
                raise DryRunRollback
    except DryRunRollback:
        return summary
    except journal.WriteInProgress as exc:
        raise FileError(str(exc)) from None
    _refresh_statistics()
    logger.info("import %s of %s (run %s): %d rows, %d created, %d updated, %d rejected, %d to review",
                kind, slug, summary.run.pk, summary.rows, summary.created, summary.updated, summary.rejected,
                summary.review_items)
    return summary


def registered_source(slug):
    """The source `slug`; FileError saying how to register it when there is none."""
    source = Source.objects.filter(slug=slug).first()
    if source is None:
        raise FileError(f"source inconnue : {slug} (un administrateur l'enregistre d'abord : "
                        f"tilios sources add {slug} --name … --licence …)")
    return source


def _quiet(rows):
    return rows


def _refresh_statistics():
    """After a large write, PostgreSQL plans well only with fresh statistics (autovacuum may be late)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE places_place, sources_sourcerecord, sources_matchcandidate, census_placefact")


def _screen(rows, summary):
    """The rows without errors; the others are counted and reported by line and field."""
    seen, valid = set(), []
    for row in rows:
        summary.rows += 1
        if row.error is None and row.external_id in seen:
            row.error = RowError("ID", "identifiant en double dans le fichier", row.external_id)
        if row.error is not None:
            summary.rejected += 1
            summary.errors.append({"line": row.line, "field": row.error.field,
                                   "reason": row.error.reason, "value": str(row.error.value)[:200]})
            continue
        seen.add(row.external_id)
        valid.append(row)
    return valid


def _mark_missing(run, records, present, gone=None):
    """Flag the records this file no longer holds (or, for a partial update, those it says are `gone`);
    clear the flag of those it holds again."""
    if gone is None:
        gone = {r.external_id for r in records.values() if r.external_id not in present}
    gone = [records[i].pk for i in gone if i in records and i not in present and records[i].missing_since_run_id is None]
    back = [r.pk for r in records.values() if r.external_id in present and r.missing_since_run_id is not None]
    for start in range(0, len(gone), 500):
        SourceRecord.objects.filter(pk__in=gone[start:start + 500]).update(missing_since_run=run)
    for start in range(0, len(back), 500):
        SourceRecord.objects.filter(pk__in=back[start:start + 500]).update(missing_since_run=None)
    return len(gone)


def _note(source, row, pair):
    note = f"Import {source.name} (ligne {row.line})"
    if pair is not None:
        note += f" : rapproché (probabilité {pair.score:.3f} ; {', '.join(pair.reasons)})"
    return note


def _confirm(confirmed, run):
    """The records of `confirmed` (ids) were listed again by `run`, unchanged."""
    SourceRecord.objects.filter(pk__in=confirmed).update(last_run=run)
    confirmed.clear()


def _apply(row, source, run, record, summary, known_at, place_id, pair, confirmed):
    """Create, join or update the place the row describes; returns the place's id (None if rejected). A record
    the row repeats unchanged only joins `confirmed`."""
    checksum = _checksum(row.raw)
    if record is not None and record.checksum == checksum and record.place_id:
        if record.mapped:
            confirmed.append(record.pk)
        else:  # kept by an earlier version that did not store the mapped values
            record.last_run, record.fields = run, row.fields
            record.save(update_fields=["last_run", "fields"])
        summary.unchanged += 1
        return record.place_id
    if record is None:
        record = SourceRecord(source=source, external_id=row.external_id, first_run=run)
    old_fields = record.fields or {}
    record.raw, record.checksum, record.line, record.last_run = row.raw, checksum, row.line, run
    record.fields = row.fields
    record.source = source
    try:
        if record.place_id:
            place = record.place
            changed, conflicts = _update(place, record, old_fields, run, source, _note(source, row, pair), known_at)
            summary.changed_fields += changed
            if changed:
                summary.updated += 1
            else:
                summary.unchanged += 1
            summary.review_items += conflicts
        else:
            place_fields = dict(row.fields)
            place, _ = revisions.create(Place, place_fields, None, _note(source, row, None), source=source,
                                        kind=Revision.Kind.IMPORT, system=True, known_at=known_at)
            if place_id:  # the merge moved the record to the known place: nothing left to save
                return _join(place, Place.objects.select_related("current_revision").get(pk=place_id), record,
                             run, source, row, pair, known_at, summary)
            summary.created += 1
    except ValidationError as exc:
        _reject(row, exc, summary)
        return None
    record.place = place
    record.save()
    return place.pk


def _reject(row, error, summary):
    field_name, messages = next(iter(error.message_dict.items()))
    summary.rejected += 1
    summary.errors.append({"line": row.line, "field": field_name, "reason": "; ".join(messages),
                           "value": str(row.fields.get(field_name, ""))[:200]})


def _create_fresh(fresh, source, run, summary, known_at):
    """Create the places of `fresh` rows (line -> row; first seen, matching nothing) and their records, a
    batch at a time; empties `fresh`. Returns {line: place id}."""
    rows = list(fresh.values())
    fresh.clear()
    outcomes = revisions.create_many(Place, [(dict(row.fields), _note(source, row, None)) for row in rows], source,
                                     kind=Revision.Kind.IMPORT, known_at=known_at)
    created, records = {}, []
    for row, outcome in zip(rows, outcomes):
        if isinstance(outcome, ValidationError):
            _reject(row, outcome, summary)
            continue
        records.append(SourceRecord(source=source, external_id=row.external_id, place=outcome, raw=row.raw,
                                    fields=row.fields, checksum=_checksum(row.raw), line=row.line, first_run=run,
                                    last_run=run))
        created[row.line] = outcome.pk
        row.raw = row.fields = None
    SourceRecord.objects.bulk_create(records)
    summary.created += len(records)
    return created


def _join(own, known, record, run, source, row, pair, known_at, summary):
    """A new record matched to a known place: it gets its own place, merged at once into the known one, so
    that `tilios review merges` lists the join and undoing it gives the record its own place back. The
    known place takes what the record wins by priority (`record_changes.wanted`), besides what a merge fills in.
    Returns the known place's id."""
    record.place = own
    record.save()
    taken, conflicts = wanted(known, record, {}, run)
    resolution.merge(known, own, None, run=run, score=pair.score if pair else None,
                     reasons=pair.reasons if pair else (), summary=_note(source, row, pair), taken=taken,
                     source=source, known_at=known_at)
    summary.matched += 1
    summary.review_items += conflicts
    return known.pk


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
