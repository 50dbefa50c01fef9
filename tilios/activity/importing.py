"""Activity reports from a CSV survey: all or nothing, every bad line named."""
import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tilios import csvsafe
from tilios.places.models import Place

from .models import ActivityReport
from .periods import COUNT_FIELDS, month_end
from .reporting import build_report, can_report, save, validate
from .snapshots import refresh_snapshots


@dataclass
class ImportResult:
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # (line, field, message)

    @property
    def ok(self):
        return not self.errors


class ImportFailed(Exception):
    pass


IMPORT_MAX_BYTES = 5 * 1024 * 1024  # an upload through the web or the API
IMPORT_COLUMNS = ("place", "month", "period_start", "period_end", "regular_users", "occasional_visits",
                  "desk_days_used", "desk_days_available", "events", "reliability", "note")


def import_csv(stream, kind=ActivityReport.ReportedBy.SURVEY, source="", user=None, on=None):
    """Import aggregate activity figures. Columns: place (public id), period_start, period_end (optional:
    end of month), regular_users, occasional_visits, desk_days_used, desk_days_available, events, and
    optionally reliability, reported_by_kind, source, note; or `month` (AAAA-MM) instead of the dates.

    `user` None is the operator's CLI; a person may only import the places they may report (their own as
    a manager, any as a moderator). All or nothing: any line in error (or a crash) leaves the database as
    it was. Idempotent: a line whose place and period are already recorded with the same figures changes
    nothing; with other figures, the report is updated."""
    result = ImportResult()
    text = stream.read() if hasattr(stream, "read") else stream
    if isinstance(text, bytes):
        try:
            text = csvsafe.decode(text)
        except csvsafe.Undecodable as exc:
            message = _("le fichier n’est pas en UTF-8 (octet %(at)s)") % {"at": exc.offset}
            result.errors.append((exc.line, "file", message))
            return result
    rows = csvsafe.rows(text.lstrip("\ufeff"), ("place", "regular_users", ("period_start", "month")), strip=True)
    places, touched = {}, {}
    try:
        with transaction.atomic():
            for number, row in rows:
                result.lines += 1
                _import_line(number, row, kind, source, user, on, places, result, touched)
            if result.errors:
                raise ImportFailed
            refresh_snapshots(touched)
    except ImportFailed:
        pass
    except csvsafe.MissingColumns as exc:
        missing = ", ".join(exc.missing)
        result.errors.append((1, ",".join(exc.missing), _("colonnes manquantes : %(cols)s") % {"cols": missing}))
    except csvsafe.Unreadable as exc:
        result.errors.append((exc.line, "file", _("ligne illisible : %(reason)s") % {"reason": exc.reason}))
    if result.errors:  # the transaction was rolled back: nothing of the file is written
        result.created = result.updated = result.unchanged = 0
    return result


def _import_line(number, row, kind, source, user, on, places, result, touched):
    public_id = row.get("place", "")
    place = places.get(public_id)
    if place is None:
        place = places[public_id] = Place.objects.filter(public_id=public_id).first()
    if place is None:
        result.errors.append((number, "place", _("lieu inconnu « %(id)s »") % {"id": public_id[:40]}))
        return
    if user is not None and not can_report(user, place):
        result.errors.append((number, "place", _("« %(id)s » : seuls ses gestionnaires et les modérateurs déclarent "
                                                 "son activité") % {"id": public_id[:40]}))
        return
    data = dict(row)
    if row.get("month"):
        try:
            start = datetime.date.fromisoformat(row["month"] + "-01")
        except ValueError:
            result.errors.append((number, "month", _("mois invalide « %(v)s » (attendu AAAA-MM)") % {"v": row["month"][:20]}))
            return
        data["period_start"], data["period_end"] = start.isoformat(), month_end(start).isoformat()
    data.setdefault("source", source)
    data["reported_by_kind"] = row.get("reported_by_kind") or kind
    try:
        report = build_report(place, data, user, kind)
        report.reported_by = user
        existing = ActivityReport.objects.filter(place=place, period_start=report.period_start,
                                                 period_end=report.period_end).first()
        if existing is not None:
            report.pk, report.created_at = existing.pk, existing.created_at
            report._state.adding = False
            if all(getattr(existing, f) == getattr(report, f) for f in COUNT_FIELDS + ("reliability",)):
                validate(report, on)
                result.unchanged += 1
                return
            save(report, on, refresh=False)
            result.updated += 1
        else:
            save(report, on, refresh=False)
            result.created += 1
        touched.setdefault(place.pk, set()).add(report.period_end)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                result.errors.append((number, name, message))

