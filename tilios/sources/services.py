"""Import runs: read a source file, keep its raw records, match them to known places, update those.

A run is all or nothing: rows with errors are reported (line, field, reason) and skipped, but anything
unexpected aborts the run and leaves the database as it was. On SQLite it commits in short steps, journaled
so that a failure puts everything back (`tilios.journal`), and the site keeps serving writes meanwhile. Re-importing the same file
changes nothing, since each raw record is compared with the one kept from the previous run.

A record seen for the first time is matched (`planning`) against the registry and the rest of the file:
sure matches join the known place, uncertain ones create their own place and a pair to review. `writing`
writes the rows: the places of first-seen rows a batch at a time. A record never overwrites a field that a
person edited: what it says instead becomes a `FieldConflict`.
"""
import contextlib
import dataclasses
import datetime
import functools
import gc
import hashlib
import logging
from dataclasses import dataclass, field
from importlib import import_module

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from tilios import journal
from tilios.places.models import Kind
from tilios.places.services import tidy_indexes

from . import catalogue, planning, resolution, writing
from .importers import FileError, RowError
from .models import ImportRun, Source, SourceRecord
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
PROPOSED_AT_ONCE = 200
JOINED_AT_ONCE = 50  # a join costs a few ms: a batch holds the write lock for about one journal step


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

    def reject(self, line, field_name, reason, value):
        """Count a row refused and say why: its line, the field at fault, the reason and the value given."""
        self.rejected += 1
        self.errors.append({"line": line, "field": field_name, "reason": reason, "value": str(value)[:200]})


def file_sha256(path):
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise FileError(f"impossible de lire {path} : {exc.strerror}") from exc
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
    is loaded as it was published. `progress(rows, total=n)` wraps the rows as they are written (a
    command's progress bar); a service never draws one itself."""
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
        rows = FileRows(path, functools.partial(reader.read, path, mapping=mapping))
    elif mapping is not None:
        raise FileError(f"--mapping ne s'applique qu'au format csv, pas à {kind}")
    else:
        rows = FileRows(path, functools.partial(reader.read, path))
    return import_rows(kind, rows, slug, str(path), rows.sha256, applied, progress=progress, dry_run=dry_run,
                       known_on=known_on, auto_merge=auto_merge)


class FileRows:
    """The mapped rows of a source file, read anew each time they are gone through: an import goes through
    them twice (once to match, once to write) rather than hold 10⁵ rows beside their matching. The file must
    not change in between: it is checked before and after each reading."""

    def __init__(self, path, read):
        self.path, self.read, self.sha256 = path, read, file_sha256(path)
        next(iter(read()), None)  # a file unreadable as a whole (encoding, columns, syntax) is refused now

    def __iter__(self):
        self._unchanged()
        yield from self.read()
        self._unchanged()

    def _unchanged(self):
        if file_sha256(self.path) != self.sha256:
            raise FileError(f"{self.path} a changé pendant l'import : rien n'en est gardé, relancez-le")


@contextlib.contextmanager
def _long_lived():
    """What is alive now (the known records, the plan, the reference data) is left out of Python's full
    collections until the block ends: each walked it all again, a tenth of an import of 10⁵ rows
    (bench/README.md). What of it dies in a cycle meanwhile is collected once it is over."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def import_rows(kind, rows, slug, origin, checksum, applied, progress=None, dry_run=False, known_on=None,
                auto_merge=True, gone=None):
    """Import mapped `rows` into the source `slug` as one run (`origin`: the file or address they came from,
    `checksum` its digest, `applied`: how they were read, kept with the run). `rows` is gone through twice,
    once to match and once to write, and never held whole: a list, or a file read again (`FileRows`).

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
                records = known_records(src)
                present, valid = set(), set()  # the ids the file holds; the lines of its rows without errors
                plan = planning.plan((row for row in _screen(rows, summary, present, valid)
                                      if records.get(row.external_id) is None
                                      or records[row.external_id].place_id is None), auto_merge)
            with _long_lived():
                places = {}  # row line -> place it now describes
                confirmed = []  # records said again unchanged: their last run is written CONFIRMED_AT_ONCE at a time
                # First-seen rows, their places created a batch at a time: those that match nothing (line -> row)
                # and those that join a known place (see writing.create_joined).
                fresh, joining = {}, {}
                for row in (progress or _quiet)(_screened(rows, valid, kinds), total=len(valid)):
                    target, record = plan.targets.get(row.line), records.get(row.external_id)
                    if target and target[0] == "row" and target[1] in fresh:  # joins a place not written yet
                        places.update(writing.create_fresh(fresh, src, run, summary, known_at))
                    joined = places.get(target[1]) if target and target[0] == "row" else target and target[1]
                    if joined:  # only rows without a place have a target
                        joining[row.line] = (row, record, joined, plan.reasons.get(row.line))
                        places[row.line] = joined
                        if len(joining) >= JOINED_AT_ONCE:
                            writing.create_joined(joining, places, src, run, summary, known_at)
                    elif record is None:
                        fresh[row.line] = row
                        if len(fresh) >= CREATED_AT_ONCE:
                            places.update(writing.create_fresh(fresh, src, run, summary, known_at))
                    else:
                        writing.create_joined(joining, places, src, run, summary, known_at)  # in file order with edits
                        applied_to = writing.apply_row(row, src, run, record, summary, known_at, confirmed)
                        if applied_to is not None:
                            places[row.line] = applied_to
                        if len(confirmed) >= CONFIRMED_AT_ONCE:
                            writing.confirm(confirmed, run)
                    step()
                places.update(writing.create_fresh(fresh, src, run, summary, known_at))
                writing.create_joined(joining, places, src, run, summary, known_at)
                writing.confirm(confirmed, run)
                proposed = [(_place_of(x, places), _place_of(y, places), pair) for x, y, pair in plan.reviews]
                proposed = [(a, b, pair) for a, b, pair in proposed if a and b]
                for start in range(0, len(proposed), PROPOSED_AT_ONCE):
                    summary.review_items += resolution.propose(proposed[start:start + PROPOSED_AT_ONCE], run)
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
    _after_large_write()
    logger.info("import %s of %s (run %s): %d rows, %d created, %d updated, %d rejected, %d to review",
                kind, slug, summary.run.pk, summary.rows, summary.created, summary.updated, summary.rejected,
                summary.review_items)
    return summary


def _place_of(key, places):
    """The place a matching key ("place", id) or ("row", line) stands for: None for a row rejected meanwhile."""
    return places.get(key[1]) if key[0] == "row" else key[1]


def known_records(source):
    """external id -> what an import needs to know of each record an earlier run of `source` kept (a
    `writing.Known`). The raw rows are replaced, never read, and the mapped values are read only for the few
    rows that changed: both stay in the database. Plain tuples, not models: as models, 10⁵ held ~70 MB more."""
    rows = (SourceRecord.objects.filter(source=source)
            .annotate(mapped=ExpressionWrapper(~Q(fields={}), output_field=BooleanField()))
            .values_list(*writing.Known._fields).iterator(chunk_size=2000))
    return {row[0]: writing.Known._make(row) for row in rows}


def registered_source(slug):
    """The source `slug`; FileError saying how to register it when there is none."""
    source = Source.objects.filter(slug=slug).first()
    if source is None:
        raise FileError(f"source inconnue : {slug} (un administrateur l'enregistre d'abord : "
                        f"tilios sources add {slug} --name … --licence …)")
    return source


def _quiet(rows, total=None):
    return rows


def _after_large_write():
    """PostgreSQL plans well only with fresh statistics (autovacuum may be late); SQLite's text index puts
    the places the write created or changed in name order with the others, and PostgreSQL's kinds' counts fold
    what the write appended (places.services.tidy_indexes)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE places_place, sources_sourcerecord, sources_matchcandidate, census_placefact")
    tidy_indexes()


def _screen(rows, summary, present, valid):
    """The rows without errors, as they come; the others are counted and reported by line and field. Adds
    every row's id to `present` and the lines of the rows without errors to `valid`."""
    seen = set()
    for row in rows:
        summary.rows += 1
        if row.external_id:
            present.add(row.external_id)
        if row.error is None and row.external_id in seen:
            row.error = RowError("ID", "identifiant en double dans le fichier", row.external_id)
        if row.error is not None:
            summary.reject(row.line, row.error.field, row.error.reason, row.error.value)
            continue
        seen.add(row.external_id)
        valid.add(row.line)
        yield row


def _screened(rows, valid, kinds):
    """The rows `_screen` let through (their lines: `valid`), read again, with only the kinds known here."""
    for row in rows:
        if row.line in valid:
            row.fields = {**row.fields, "kinds": [c for c in row.kinds if c in kinds]}
            yield row


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
