"""Import runs: read a source file, keep its raw records, create or update the places they describe.

One run is one transaction: rows with errors are reported (line, field, reason) and skipped, but
anything unexpected aborts the run and leaves the database as it was. Re-importing the same file
changes nothing, since each raw record is compared with the one kept from the previous run.
"""
import datetime
import hashlib
import json
from dataclasses import dataclass, field
from importlib import import_module

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from tilios.places.models import Kind, Place
from tilios.revisions import services as revisions
from tilios.revisions.models import Revision

from . import catalogue
from .importers import FileError, RowError
from .models import ImportRun, SourceRecord

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
    errors: list = field(default_factory=list)


def _checksum(raw):
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def run_import(kind, path, source=None, progress=False, dry_run=False, known_on=None, mapping=None):
    """Import `path` read as `kind` into `source` (a slug). Raises FileError for unreadable files.

    `mapping` (a JSON or TOML file, or a csv_mapping.Mapping) tells the `csv` format which column holds
    which field. Records that an earlier run of the same source kept and that this file no longer holds
    are marked `missing_since_run` (possibly closed, to review) — never deleted.

    `known_on` (a date) records what the file says as known since that day — the date the source
    published it — instead of today: how a historical directory enters the knowledge clock."""
    if kind not in READERS:
        raise FileError(f"format inconnu : {kind} (formats : {', '.join(sorted(READERS))})")
    reader = import_module(READERS[kind])
    slug = source or catalogue.DEFAULT_SOURCE_FOR_KIND.get(kind)
    if not slug:
        raise FileError("précisez la source (--source)")
    if kind in NEEDS_MAPPING:
        if mapping is None:
            raise FileError(f"le format {kind} demande un mapping (--mapping FICHIER.toml|.json)")
        rows = list(reader.read(path, mapping=mapping))
    elif mapping is not None:
        raise FileError(f"--mapping ne s'applique qu'au format csv, pas à {kind}")
    else:
        rows = list(reader.read(path))  # reads and maps everything before touching the database
    kinds = {k.code: k for k in Kind.objects.all()}
    summary = ImportSummary(run=None)
    try:
        with transaction.atomic():
            try:
                src = catalogue.get_or_register(slug)
            except LookupError:
                raise FileError(f"source inconnue : {slug}") from None
            run = ImportRun.objects.create(source=src, kind=kind, filename=str(path),
                                           file_sha256=_file_sha256(path))
            summary.run = run
            records = {r.external_id: r for r in SourceRecord.objects.filter(source=src).select_related("place")}
            seen = set()
            known_at = None
            if known_on is not None:
                if known_on > timezone.localdate():
                    raise FileError("--known-on : une date passée est attendue")
                known_at = timezone.make_aware(datetime.datetime.combine(known_on, datetime.time(12)))
            present = {row.external_id for row in rows if row.external_id}
            for row in tqdm(rows, desc="import", unit=" lignes", disable=not progress):
                summary.rows += 1
                if row.error is None and row.external_id in seen:
                    row.error = RowError("ID", "identifiant en double dans le fichier", row.external_id)
                if row.error is not None:
                    summary.rejected += 1
                    summary.errors.append({"line": row.line, "field": row.error.field,
                                           "reason": row.error.reason, "value": str(row.error.value)[:200]})
                    continue
                seen.add(row.external_id)
                _apply(row, src, run, records.get(row.external_id), kinds, summary, known_at)
            summary.missing = _mark_missing(src, run, records, present)
            run.missing = summary.missing
            run.rows, run.created, run.updated = summary.rows, summary.created, summary.updated
            run.unchanged, run.rejected, run.errors = summary.unchanged, summary.rejected, summary.errors
            run.status, run.finished_at = ImportRun.Status.DONE, timezone.now()
            run.save()
            if dry_run:
                raise DryRunRollback
    except DryRunRollback:
        pass
    return summary


def _mark_missing(source, run, records, present):
    """Flag the records this file no longer holds; clear the flag of those it holds again."""
    gone = [r.pk for r in records.values() if r.external_id not in present and r.missing_since_run_id is None]
    back = [r.pk for r in records.values() if r.external_id in present and r.missing_since_run_id is not None]
    for start in range(0, len(gone), 500):
        SourceRecord.objects.filter(pk__in=gone[start:start + 500]).update(missing_since_run=run)
    for start in range(0, len(back), 500):
        SourceRecord.objects.filter(pk__in=back[start:start + 500]).update(missing_since_run=None)
    return len(gone)


def _apply(row, source, run, record, kinds, summary, known_at=None):
    checksum = _checksum(row.raw)
    if record is not None and record.checksum == checksum and record.place_id:
        record.last_run = run
        record.save(update_fields=["last_run"])
        summary.unchanged += 1
        return
    changes = {**row.fields, "kinds": [code for code in row.kinds if code in kinds]}
    note = f"Import {source.name} (ligne {row.line})"
    try:
        if record is not None and record.place_id:
            place = record.place
            try:
                revisions.edit(place, changes, None, note, kind=Revision.Kind.IMPORT, source=source, system=True,
                               known_at=known_at)
                summary.updated += 1
            except revisions.NoChange:
                summary.unchanged += 1
        else:
            place, _ = revisions.create(Place, changes, None, note, source=source, kind=Revision.Kind.IMPORT,
                                        system=True, known_at=known_at)
            summary.created += 1
    except ValidationError as exc:
        field_name, messages = next(iter(exc.message_dict.items()))
        summary.rejected += 1
        summary.errors.append({"line": row.line, "field": field_name, "reason": "; ".join(messages),
                               "value": str(changes.get(field_name, ""))[:200]})
        return
    if record is None:
        SourceRecord.objects.create(source=source, external_id=row.external_id, place=place, raw=row.raw,
                                    checksum=checksum, line=row.line, first_run=run, last_run=run)
    else:
        record.place, record.raw, record.checksum, record.line, record.last_run = (
            place, row.raw, checksum, row.line, run)
        record.save()
