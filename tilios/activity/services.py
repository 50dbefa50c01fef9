"""Activity reports, indicators and programme evaluations: the one way in for the CLI, the API and the web.

The heavy part (a band for every place as of a date) is one SQL statement aggregated by place
(`evaluation_rows`), the same text on SQLite and PostgreSQL: window functions for the median,
conditional sums for the trend, a CASE generated from the band scheme. Python only shapes the result.
"""
import calendar
import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tilios import csvsafe
from tilios.accounts import permissions
from tilios.accounts.models import Role
from tilios.places.models import Place

from .models import ActivityReport, BandScheme, WindowSnapshot, default_bands, month_index

COUNT_FIELDS = ("regular_users", "occasional_visits", "desk_days_used", "desk_days_available", "events")
OPTIONAL_COUNTS = ("desk_days_used", "desk_days_available")
TREND_MONTHS = 6
# Rural / urban: INSEE's historical rule (« commune rurale » = fewer than 2 000 inhabitants), applied to
# the commune's own population since the unités urbaines and the 2020 density grid are not loaded.
RURAL_POPULATION = 2000
# The rules and group names below are data of every evaluation (JSON, CSV, CLI: French); pages translate them.
RURAL_RULE = gettext_noop("rural = commune de moins de 2 000 habitants (population municipale de la commune, "
                          "règle historique de l’INSEE ; la grille communale de densité n’est pas chargée)")
EMPTY_RULE = gettext_noop("vide la plupart du temps = plus de la moitié des mois déclarés de la fenêtre sans "
                          "aucune activité")
COST_RULE = gettext_noop("budget du programme ÷ somme, sur les lieux à l’activité connue, de la statistique "
                         "d’usagers réguliers du barème (médiane mensuelle sur la fenêtre)")
UNKNOWN = "unknown"
UNKNOWN_LABEL = "activité inconnue"


# --- dates ---------------------------------------------------------------------------------------

def add_months(day, n):
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


# Reporting windows reach years back from a date: outside these years they leave the calendar.
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(2199, 12, 31)


def check_date(day, name="on"):
    """`day` itself, or a ValidationError naming `name` when it lies outside FIRST_DAY..LAST_DAY."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError({name: _("date hors limites « %(value)s » (entre %(first)s et %(last)s)")
                               % {"value": day.isoformat(), "first": FIRST_DAY.isoformat(),
                                  "last": LAST_DAY.isoformat()}})
    return day


def parse_date(value, name="on"):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return check_date(value, name)
    try:
        day = datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({name: _("date invalide « %(value)s » (attendu AAAA-MM-JJ)") % {"value": str(value)[:40]}})
    return check_date(day, name)


def today():
    return timezone.localdate()


# --- permissions and writes ----------------------------------------------------------------------

def can_import(user):
    """Who may upload a survey: moderators, and the managers of at least one place (for their places)."""
    if user is None or not user.is_authenticated or not permissions.can_contribute(user):
        return False
    return permissions.at_least(user, Role.MODERATOR) or user.managed_places.exists()


def can_report(user, place):
    """The place's managers and the moderators (not blocked) may report a place's activity."""
    if user is None or not user.is_authenticated or not permissions.can_contribute(user):
        return False
    return permissions.at_least(user, Role.MODERATOR) or permissions.manages(user, place)


def validate(report, on=None):
    """Raise a ValidationError naming each wrong field. `on` is today (tests may pass another day)."""
    on = on or today()
    errors = {}
    for name in COUNT_FIELDS:
        value = getattr(report, name)
        if value is None:
            if name not in OPTIONAL_COUNTS:
                errors[name] = _("%(field)s : valeur obligatoire") % {"field": _label(name)}
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = _("%(field)s : un nombre entier est attendu") % {"field": _label(name)}
        elif value < 0:
            errors[name] = _("%(field)s : un nombre ne peut pas être négatif (%(value)s)") % {
                "field": _label(name), "value": value}
    used, available = report.desk_days_used, report.desk_days_available
    if "desk_days_used" not in errors and "desk_days_available" not in errors and used is not None \
            and available is not None and used > available:
        errors["desk_days_used"] = _("%(field)s : %(used)s jours-postes occupés pour %(available)s disponibles — "
                                     "l’occupation ne peut dépasser la capacité") % {
            "field": _label("desk_days_used"), "used": used, "available": available}
    start, end = report.period_start, report.period_end
    if start is None:
        errors["period_start"] = _("début de la période : date obligatoire")
    if end is None:
        errors["period_end"] = _("fin de la période : date obligatoire")
    if start and end:
        if end < start:
            errors["period_end"] = _("fin de la période : le %(end)s est avant le début (%(start)s)") % {
                "end": end.isoformat(), "start": start.isoformat()}
        elif end > on:
            errors["period_end"] = _("fin de la période : le %(end)s est dans le futur ; on ne déclare qu’une "
                                     "période écoulée (au plus tard le %(today)s)") % {
                "end": end.isoformat(), "today": on.isoformat()}
        elif report.place_id:
            clash = (ActivityReport.objects.filter(place_id=report.place_id, period_start__lte=end,
                                                   period_end__gte=start)
                     .exclude(pk=report.pk).order_by("period_start").first())
            if clash is not None:
                errors["period_start"] = _("période : du %(start)s au %(end)s chevauche le rapport déjà enregistré "
                                           "pour ce lieu du %(other_start)s au %(other_end)s") % {
                    "start": start.isoformat(), "end": end.isoformat(),
                    "other_start": clash.period_start.isoformat(), "other_end": clash.period_end.isoformat()}
    if report.reliability not in ActivityReport.Reliability.values:
        errors["reliability"] = _("fiabilité : valeur inconnue « %(value)s » (declared, verified, estimated)") % {
            "value": str(report.reliability)[:40]}
    if report.reported_by_kind not in ActivityReport.ReportedBy.values:
        errors["reported_by_kind"] = _("déclaré par : valeur inconnue « %(value)s »") % {
            "value": str(report.reported_by_kind)[:40]}
    if errors:
        raise ValidationError(errors)


def _label(name):
    return str(ActivityReport._meta.get_field(name).verbose_name)


def _coerce(data):
    """Figures from a form, JSON or CSV: integers stay, digit strings become integers, the rest stays
    as is so that `validate` names the field."""
    out = {}
    for name in COUNT_FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            text = value.strip()
            value = None if text == "" else (int(text) if text.lstrip("-").isdigit() else text)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = value
    for name in ("occasional_visits", "events"):
        if out[name] is None and name not in data:
            out[name] = 0
    return out


def build_report(place, data, user=None, kind=None):
    """An unsaved report from plain data (period_end defaults to the end of period_start's month)."""
    errors = {}
    dates = {}
    for name in ("period_start", "period_end"):
        try:
            dates[name] = parse_date(data.get(name), name)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if dates.get("period_start") and not dates.get("period_end") and "period_end" not in errors:
        dates["period_end"] = month_end(dates["period_start"])
    if errors:
        raise ValidationError(errors)
    if kind is None:
        kind = (ActivityReport.ReportedBy.MODERATOR
                if user is not None and not permissions.manages(user, place) else ActivityReport.ReportedBy.MANAGER)
    return ActivityReport(place=place, reported_by=user if user is not None and user.is_authenticated else None,
                          reported_by_kind=data.get("reported_by_kind") or kind,
                          reliability=data.get("reliability") or ActivityReport.Reliability.DECLARED,
                          source=(data.get("source") or "")[:300], note=(data.get("note") or "")[:500],
                          **dates, **_coerce(data))


def submit(place, data, user, on=None):
    """Save a report for `place` from `user` (a manager of the place or a moderator)."""
    if not can_report(user, place):
        raise PermissionDenied(_("seuls les gestionnaires de ce lieu et les modérateurs déclarent son activité"))
    report = build_report(place, data, user)
    return save(report, on)


def save(report, on=None, expected_version=None, refresh=True):
    """Validate and write `report` (new, or an existing one with new values) and keep the snapshots in step.

    `expected_version`: the version the writer read; refused with ReportConflict if it changed since.
    `refresh=False` leaves the snapshots to the caller (imports refresh once for all their places)."""
    with transaction.atomic():
        stored = _lock(report, expected_version)
        ends = {report.period_end}
        if stored is not None:
            report.version = stored.version + 1
            ends.add(stored.period_end)
        validate(report, on)
        report.save()
        if refresh:
            _refresh_snapshots({report.place_id: ends})
    return report


def _lock(report, expected_version=None):
    """Serialise the writers of one place (two overlapping periods cannot both pass the check) and return
    the stored version of `report` (None for a new one), refused if it is gone or changed since
    `expected_version` (None: not checked). Runs in the caller's transaction."""
    Place.objects.select_for_update().filter(pk=report.place_id).exists()
    if report.pk is None:
        return None
    stored = ActivityReport.objects.filter(pk=report.pk).first()
    if stored is None:
        raise ReportConflict(_("ce rapport a été supprimé entre-temps"))
    if expected_version is not None and stored.version != expected_version:
        raise ReportConflict(_("ce rapport a été modifié entre-temps (version %(now)s, vous avez lu la version "
                               "%(read)s) : relisez-le") % {"now": stored.version, "read": expected_version})
    return stored


class ReportConflict(Exception):
    """The report changed (or disappeared) since the version the writer read."""


EDITABLE = ("period_start", "period_end", *COUNT_FIELDS, "reliability", "note")


def edit(report, data, user, version, on=None):
    """Change a report's figures (the keys of `data` among EDITABLE) as `user`, from the `version` read.

    The previous figures go to the public log with who changed them: nothing is lost."""
    if not can_report(user, report.place):
        raise PermissionDenied(_("seuls les gestionnaires de ce lieu et les modérateurs modifient son activité"))
    values = {name: getattr(report, name) for name in EDITABLE}
    values.update({k: v for k, v in data.items() if k in EDITABLE})
    if "period_start" in data and "period_end" not in data:
        values["period_end"] = None  # a new start without an end: the end of that month
    changed = build_report(report.place, values, user)
    changed.pk, changed.created_at, changed.source = report.pk, report.created_at, report.source
    changed._state.adding = False
    with transaction.atomic():
        save(changed, on, expected_version=version)
        _log(user, changed, "edit", report)
    return changed


def delete(report, user, version=None):
    if not can_report(user, report.place):
        raise PermissionDenied(_("seuls les gestionnaires de ce lieu et les modérateurs suppriment son activité"))
    with transaction.atomic():
        stored = _lock(report, version)  # what is logged and unsnapshotted is what was stored
        _log(user, stored, "delete", stored)
        stored.delete()
        _refresh_snapshots({stored.place_id: {stored.period_end}})


def move_reports(source, target, ids=None):
    """Move `source`'s reports (or those of `ids` still there) to `target` when a place is merged into
    another, or back when the merge is undone. A report overlapping one of `target`'s stays where it is
    (the kept place's own figures win); returns the ids moved. Runs in the caller's transaction."""
    reports = ActivityReport.objects.filter(place=source)
    if ids is not None:
        reports = reports.filter(pk__in=ids)
    taken = list(ActivityReport.objects.filter(place=target).values_list("period_start", "period_end"))
    moved = [r for r in reports if not any(start <= r.period_end and end >= r.period_start for start, end in taken)]
    ActivityReport.objects.filter(pk__in=[r.pk for r in moved]).update(place=target, version=F("version") + 1)
    ends = {r.period_end for r in moved}
    _refresh_snapshots({source.pk: ends, target.pk: ends})
    return [r.pk for r in moved]


def _log(user, report, operation, before):
    from tilios.revisions.models import ModerationAction

    verb = _("modifié") if operation == "edit" else _("supprimé")
    ModerationAction.objects.create(
        actor=user, action=ModerationAction.Action.ACTIVITY, object_id=report.place_id,
        content_type=ContentType.objects.get_for_model(Place),
        reason=_("rapport du %(start)s au %(end)s %(verb)s") % {
            "start": before.period_start.isoformat(), "end": before.period_end.isoformat(), "verb": verb},
        details={"operation": operation, "report": before.pk,
                 "before": jsonable(report_out(before)), "version": before.version})


# --- CSV import ----------------------------------------------------------------------------------

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
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            result.errors.append((1, "file", _("le fichier n’est pas en UTF-8 (octet %(at)s)") % {"at": exc.start}))
            return result
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("place", "regular_users") if c not in header]
    if "month" not in header and "period_start" not in header:
        missing.append("period_start")
    if missing:
        result.errors.append((1, ",".join(missing), _("colonnes manquantes : %(cols)s") % {"cols": ", ".join(missing)}))
        return result
    places, touched = {}, {}
    try:
        with transaction.atomic():
            for number, raw in enumerate(reader, start=2):
                result.lines += 1
                row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
                _import_line(number, row, kind, source, user, on, places, result, touched)
            if result.errors:
                raise ImportFailed
            _refresh_snapshots(touched)
    except ImportFailed:
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


# --- bands ---------------------------------------------------------------------------------------

def current_scheme(code=None, version=None):
    """The latest version (or `version`) of the scheme `code` (default: the 2011 study's bands)."""
    code = code or "moriset-2011"
    qs = BandScheme.objects.filter(code=code)
    if version:
        qs = qs.filter(version=version)
    scheme = qs.order_by("-version").first()
    if scheme is None:
        if code != "moriset-2011" or version:
            raise ValidationError({"scheme": _("barème inconnu « %(code)s »") % {"code": f"{code} v{version or ''}"}})
        scheme = BandScheme(code="moriset-2011", version=1, label="défaut", bands=default_bands())
    return scheme


BAND_KEYS = {"code", "label", "no_activity", "lt", "lte", "gt", "gte"}
BOUNDS = ("lt", "lte", "gt", "gte")


def create_scheme(data, user=None):
    """A new version of a band scheme (version 1 for a new code), for administrators (`user` None: the
    operator's CLI); the previous versions stay, so that every published evaluation can be reproduced.
    Raises ValidationError naming the field."""
    if user is not None and (not user.is_authenticated or not permissions.at_least(user, Role.ADMIN)):
        raise PermissionDenied(_("seuls les administrateurs définissent les barèmes d’évaluation"))
    scheme = BandScheme(code=str(data.get("code") or "").strip(), label=str(data.get("label") or "").strip(),
                        source=str(data.get("source") or "").strip(), bands=data.get("bands"),
                        statistic=data.get("statistic") or BandScheme.Statistic.MEDIAN)
    errors = {}
    for name, default in (("window_months", 12), ("unknown_after_months", 12)):
        value = data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 120:
            errors[name] = _("%(field)s : un nombre de mois entre 1 et 120 est attendu") % {"field": name}
        else:
            setattr(scheme, name, value)
    if not scheme.code or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", scheme.code):
        errors["code"] = _("code : lettres minuscules, chiffres et tirets (60 au plus)")
    if not scheme.label:
        errors["label"] = _("libellé : obligatoire")
    if scheme.statistic not in BandScheme.Statistic.values:
        errors["statistic"] = _("statistique : « median » ou « max »")
    problem = _bands_problem(scheme.bands)
    if problem:
        errors["bands"] = problem
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        latest = BandScheme.objects.select_for_update().filter(code=scheme.code).order_by("-version").first()
        scheme.version = latest.version + 1 if latest else 1
        scheme.save()
    return scheme


def _bands_problem(bands):
    """What is wrong with a list of bands, in words, or None. Every place must fall in a band: each value of
    the statistic (checked on a grid of halves up to past the largest bound) and an empty window."""
    if not isinstance(bands, list) or not bands:
        return _("bandes : une liste non vide est attendue")
    codes = set()
    for i, band in enumerate(bands, start=1):
        if not isinstance(band, dict):
            return _("bande %(n)s : un objet est attendu") % {"n": i}
        unknown = set(band) - BAND_KEYS
        if unknown:
            return _("bande %(n)s : clé inconnue « %(key)s »") % {"n": i, "key": sorted(unknown)[0]}
        code = band.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9_]{1,40}", code) or code in (UNKNOWN, "unclassified"):
            return _("bande %(n)s : code invalide (lettres minuscules, chiffres, _ ; ni « unknown » ni "
                     "« unclassified »)") % {"n": i}
        if code in codes:
            return _("bande %(n)s : code « %(code)s » en double") % {"n": i, "code": code}
        codes.add(code)
        if not isinstance(band.get("label"), str) or not band["label"].strip():
            return _("bande %(n)s : libellé obligatoire") % {"n": i}
        if not isinstance(band.get("no_activity", False), bool):
            return _("bande %(n)s : no_activity vaut true ou false") % {"n": i}
        for key in BOUNDS:
            value = band.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                return _("bande %(n)s : %(key)s doit être un nombre positif") % {"n": i, "key": key}
    top = max([float(b[k]) for b in bands for k in BOUNDS if b.get(k) is not None] + [0])
    for value in [x / 2 for x in range(int(top * 2) + 4)]:
        if not any(_band_holds(b, value, empty=False) for b in bands):
            return _("bandes : aucune bande pour une statistique de %(value)s usagers réguliers") % {"value": value}
    if not any(_band_holds(b, 0, empty=True) for b in bands):
        return _("bandes : aucune bande pour un lieu sans aucune activité")
    return None


def _band_holds(band, value, empty):
    """Mirrors `_band_case`: a band with no_activity holds only for a window without any activity."""
    if band.get("no_activity") and not empty:
        return False
    checks = {"lt": value.__lt__, "lte": value.__le__, "gt": value.__gt__, "gte": value.__ge__}
    return all(checks[k](float(band[k])) for k in BOUNDS if band.get(k) is not None)


def band_labels(scheme):
    labels = {b["code"]: b["label"] for b in scheme.bands}
    labels[UNKNOWN] = UNKNOWN_LABEL
    return labels


def _band_case(scheme, unknown_before, stat):
    """SQL CASE giving each place's band (see BandScheme's docstring); returns (sql, params)."""
    parts, params = ["WHEN s.place_id IS NULL THEN 'unknown'", "WHEN s.last_end <= %s THEN 'unknown'"], [unknown_before]
    for band in scheme.bands:
        conditions = []
        if band.get("no_activity"):
            conditions.append("s.total = 0")
        for key, op in (("lt", "<"), ("lte", "<="), ("gt", ">"), ("gte", ">=")):
            if band.get(key) is not None:
                conditions.append(f"{stat} {op} %s")
                params.append(float(band[key]))
        parts.append(f"WHEN {' AND '.join(conditions) or '1 = 1'} THEN %s")
        params.append(str(band["code"]))
    return "CASE " + " ".join(parts) + " ELSE 'unclassified' END", params


def _d(day):
    return connection.ops.adapt_datefield_value(day)


ROW_COLUMNS = ("place_id", "band", "reports", "reported_months", "empty_months", "total", "stat", "max_regular",
               "last_end", "used", "available", "tn", "tx", "ty", "txy", "txx", "commune_id", "in_metropole",
               "departement_id")
# One row per place of its reports over a window: what `WindowSummary` stores and `_aggregate_sql` computes.
AGGREGATE_COLUMNS = ("place_id", "reports", "reported_months", "empty_months", "total", "median_regular",
                     "max_regular", "last_end", "used", "avail", "tn", "tx", "ty", "txy", "txx")
# Past this many places whose window differs from the snapshot's, the snapshot is not worth patching.
DIRTY_LIMIT = 5000
TERRITORY_COLUMNS = {"region": "region_id", "departement": "departement_id"}
# Snapshots kept (each write refreshes the place's row in every snapshot whose window holds the report).
MAX_SNAPSHOTS = 24


def _aggregate_sql(on, window_months, median, place_filter="", filter_params=()):
    """CTEs `w` (the reports whose period ended in the window) and `agg` (AGGREGATE_COLUMNS, one row per
    place); returns (sql, params). `place_filter` is an `AND …` on `place_id`."""
    window_after = add_months(on, -window_months)  # reports whose period ended after this day…
    recent_after = add_months(on, -TREND_MONTHS)
    # One window (one sort) for both the rank and the count of each place's reports.
    rank = ", ROW_NUMBER() OVER pw AS rn, COUNT(*) OVER pw AS n" if median else ""
    window = (" WINDOW pw AS (PARTITION BY place_id ORDER BY regular_users"
              " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)") if median else ""
    median_sql = ("CAST(AVG(CASE WHEN w.rn IN ((w.n + 1) / 2, (w.n + 2) / 2) THEN w.r END) AS FLOAT)" if median
                  else "CAST(NULL AS FLOAT)")
    sql = f"""w AS MATERIALIZED (
  SELECT place_id, regular_users AS r, period_end, months, month_index - %s AS x,
         regular_users + occasional_visits + COALESCE(desk_days_used, 0) + events AS a,
         CASE WHEN desk_days_available IS NULL THEN NULL ELSE desk_days_used END AS used,
         CASE WHEN desk_days_used IS NULL THEN NULL ELSE desk_days_available END AS avail,
         CASE WHEN period_end > %s THEN 1 ELSE 0 END AS recent{rank}
  FROM activity_activityreport
  WHERE period_end > %s AND period_end <= %s {place_filter}{window}
), agg AS MATERIALIZED (
  SELECT w.place_id, COUNT(*) AS reports, SUM(w.months) AS reported_months,
         SUM(CASE WHEN w.a = 0 THEN w.months ELSE 0 END) AS empty_months, SUM(w.a) AS total,
         {median_sql} AS median_regular, MAX(w.r) AS max_regular, MAX(w.period_end) AS last_end,
         SUM(w.used) AS used, SUM(w.avail) AS avail,
         SUM(w.recent) AS tn, SUM(w.recent * w.x) AS tx, SUM(w.recent * w.r) AS ty,
         SUM(w.recent * w.x * w.r) AS txy, SUM(w.recent * w.x * w.x) AS txx
  FROM w GROUP BY w.place_id
)"""
    return sql, [month_index(on), _d(recent_after), _d(window_after), _d(on), *filter_params]


def _placeholders(values):
    return ", ".join(["%s"] * len(values))


def evaluation_sql(scheme, on, universe=None, snapshot=None, changed=()):
    """The statement behind every band: one row per place of the universe (ROW_COLUMNS).

    `universe`: None (all published places), ("territory", (level, code)) (those of a région or a
    département), ("programme", id: its places, a merged one standing for the place it went into) or
    ("places", [ids]). With a `snapshot`
    (see `snapshot_for`), places read their aggregate from it, except the `changed` ones, whose window
    differs from the snapshot's and which are aggregated from their reports."""
    median = scheme.statistic == BandScheme.Statistic.MEDIAN
    if universe is None or universe[0] == "territory":  # a merged place counts as the one it went into
        where_sql, universe_params = "p.is_published AND p.merged_into_id IS NULL", []
        if universe is not None:
            level, code = universe[1]
            where_sql += f" AND p.{TERRITORY_COLUMNS[level]} = %s"
            universe_params = [code]
        universe_sql = f"SELECT p.id FROM places_place p WHERE {where_sql}"
    elif universe[0] == "programme":
        from tilios.policy.models import Programme

        table = Programme.places.through._meta.db_table
        # Two levels: a place merged into one that was merged in turn (a merge never targets a merged place).
        universe_sql = (f"SELECT COALESCE(k.merged_into_id, m.merged_into_id, m.id) FROM {table} t "
                        f"JOIN places_place m ON m.id = t.place_id LEFT JOIN places_place k ON k.id = m.merged_into_id "
                        f"WHERE t.programme_id = %s")
        universe_params = [universe[1]]
    else:
        ids = [int(i) for i in universe[1]] or [0]
        universe_sql, universe_params = _placeholders(ids), ids
    if universe is not None and universe[0] != "territory":
        where_sql = f"p.id IN ({universe_sql})"
    columns = ", ".join(AGGREGATE_COLUMNS)
    if snapshot is None:
        place_filter = "" if universe is None else f"AND place_id IN ({universe_sql})"
        aggregate, params = _aggregate_sql(on, scheme.window_months, median, place_filter, universe_params
                                           if universe is not None else ())
        source, source_params = "SELECT * FROM agg", []
    else:
        changed = sorted(changed)
        place_filter = f"AND place_id IN ({_placeholders(changed)})" if changed else "AND 1 = 0"
        aggregate, params = _aggregate_sql(on, scheme.window_months, median, place_filter, changed)
        source = (f"SELECT {columns} FROM agg UNION ALL SELECT {columns} FROM activity_windowsummary "
                  f"WHERE snapshot_id = %s" + (f" AND place_id NOT IN ({_placeholders(changed)})" if changed else "")
                  + ("" if universe is None else f" AND place_id IN ({universe_sql})"))
        source_params = [snapshot.pk, *changed, *(universe_params if universe is not None else ())]
    stat = "s.median_regular" if median else "CAST(s.max_regular AS FLOAT)"
    case_sql, case_params = _band_case(scheme, _d(add_months(on, -scheme.unknown_after_months)), stat)
    sql = f"""
WITH {aggregate}, s AS ({source})
SELECT p.id, {case_sql} AS band, s.reports, s.reported_months, s.empty_months, s.total, {stat} AS stat,
       s.max_regular, s.last_end, s.used, s.avail, s.tn, s.tx, s.ty, s.txy, s.txx,
       p.commune_id, p.in_metropole, p.departement_id
FROM places_place p LEFT JOIN s ON s.place_id = p.id
WHERE {where_sql}"""
    return sql, params + source_params + case_params + universe_params


def _snapshot(scheme, on, universe):
    """All places or a territory's: the month's snapshot, built if missing; a programme: the snapshot if
    there is one; a few places: their reports (cheaper than looking for a snapshot)."""
    if universe is not None and universe[0] == "places":
        return None, ()
    return snapshot_for(scheme, on, build=universe is None or universe[0] == "territory")


def evaluation_rows(scheme, on, universe=None):
    sql, params = evaluation_sql(scheme, on, universe, *_snapshot(scheme, on, universe))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(ROW_COLUMNS, row)) for row in cursor.fetchall()]


def band_distribution(scheme, on, universe=None):
    """{band code: number of places}, counted in SQL (GROUP BY band over the per-place aggregate)."""
    sql, params = evaluation_sql(scheme, on, universe, *_snapshot(scheme, on, universe))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT band, COUNT(*) FROM ({sql}) q GROUP BY band", params)
        return dict(cursor.fetchall())


# --- snapshots of the window aggregates ----------------------------------------------------------

def snapshot_date(on):
    """The last month end on or before `on`: the day a snapshot serving `on` is taken."""
    return on if on == month_end(on) else on.replace(day=1) - datetime.timedelta(days=1)


def snapshot_for(scheme, on, build=False):
    """(snapshot, changed places) to evaluate `on` with, or (None, ()) to read the reports.

    A snapshot taken at the month end M gives, for any day D of the next month, the same aggregate for
    every place but those with a report whose period ended in (M, D] (entering the window), in
    (M − window, D − window] (leaving it) or in (M − 6 months, D − 6 months] (crossing the trend's
    start): those are aggregated from their reports. `build` takes a missing snapshot (all places
    evaluated: it pays once for every later evaluation of that month)."""
    as_of = snapshot_date(on)
    if as_of > today():
        return None, ()
    snapshot = WindowSnapshot.objects.filter(window_months=scheme.window_months, as_of=as_of).first()
    if snapshot is None:
        if not build:
            return None, ()
        snapshot = build_snapshot(scheme.window_months, as_of)
    if on == as_of:
        return snapshot, ()
    boundaries = Q(pk__in=[])
    for months in (0, scheme.window_months, TREND_MONTHS):
        boundaries |= Q(period_end__gt=add_months(as_of, -months), period_end__lte=add_months(on, -months))
    changed = set(ActivityReport.objects.filter(boundaries).order_by().values_list("place_id", flat=True)
                  .distinct()[:DIRTY_LIMIT + 1])
    return (None, ()) if len(changed) > DIRTY_LIMIT else (snapshot, changed)


def build_snapshot(window_months, as_of):
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers wait until the snapshot is committed, then keep it in step (see `_refresh_snapshots`).
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE activity_activityreport IN SHARE MODE")
        snapshot, created = WindowSnapshot.objects.get_or_create(window_months=window_months, as_of=as_of)
        if created:
            snapshot.places = _fill_snapshot(snapshot)
            snapshot.save(update_fields=["places"])
            # Dropped here, writers held off: none is between its report write and its snapshot refresh.
            for old in WindowSnapshot.objects.order_by("-built_at", "-pk")[MAX_SNAPSHOTS:]:
                old.delete()
    if created and connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:  # 10⁵ new rows: plan the reads with fresh statistics
            cursor.execute("ANALYZE activity_windowsummary")
    return snapshot


def _fill_snapshot(snapshot, place_ids=None):
    """Insert the aggregates of `place_ids` (None: every place) into `snapshot`; returns the rows added."""
    if place_ids is None:
        chunks = [None]
    else:
        place_ids = sorted(place_ids)
        chunks = [place_ids[i:i + 2000] for i in range(0, len(place_ids), 2000)]
    added = 0
    with connection.cursor() as cursor:
        for chunk in chunks:
            place_filter = f"AND place_id IN ({_placeholders(chunk)})" if chunk else ""
            aggregate, params = _aggregate_sql(snapshot.as_of, snapshot.window_months, True, place_filter, chunk or ())
            if chunk:
                cursor.execute(f"DELETE FROM activity_windowsummary WHERE snapshot_id = %s "
                               f"AND place_id IN ({_placeholders(chunk)})", [snapshot.pk, *chunk])
            columns = ", ".join(AGGREGATE_COLUMNS)
            cursor.execute(f"INSERT INTO activity_windowsummary (snapshot_id, {columns}) "
                           f"WITH {aggregate} SELECT %s, {columns} FROM agg", [*params, snapshot.pk])
            added += max(cursor.rowcount, 0)
    return added


def _refresh_snapshots(period_ends):
    """Keep the snapshots in step after reports were written or deleted: `period_ends` maps a place to the
    ends of the periods touched (before and after an edit). Runs in the writer's transaction."""
    for snapshot in WindowSnapshot.objects.all():
        start = add_months(snapshot.as_of, -snapshot.window_months)
        places = [place for place, ends in period_ends.items() if any(start < end <= snapshot.as_of for end in ends)]
        if places:
            _fill_snapshot(snapshot, places)


def _slope(row):
    n = row.get("tn") or 0
    if n < 2:
        return None
    sx, sy, sxy, sxx = (float(row[k] or 0) for k in ("tx", "ty", "txy", "txx"))
    denominator = n * sxx - sx * sx
    return None if denominator == 0 else round((n * sxy - sx * sy) / denominator, 3)


def _as_date(value):
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _row_indicators(row, scheme, labels):
    known = row["band"] != UNKNOWN
    used, available = row.get("used"), row.get("available")
    return {
        "band": row["band"],
        "band_label": labels.get(row["band"], row["band"]),
        "regular_users": (round(float(row["stat"]), 1) if row["stat"] is not None else None) if known else None,
        "max_regular_users": row["max_regular"] if known else None,
        "occupancy_rate": round(float(used) / float(available), 4) if known and used is not None and available else None,
        "trend_regular_users_per_month": _slope(row) if known else None,
        "reported_months": int(row["reported_months"] or 0),
        "months_without_activity": int(row["empty_months"] or 0) if known else None,
        "months_without_report": max(0, scheme.window_months - int(row["reported_months"] or 0)),
        "last_report_in_window": _as_date(row["last_end"]),
    }


def scheme_out(scheme):
    return {"code": scheme.code, "version": scheme.version, "label": scheme.label, "statistic": scheme.statistic,
            "window_months": scheme.window_months, "unknown_after_months": scheme.unknown_after_months,
            "bands": scheme.bands, "source": scheme.source}


def window_of(scheme, on):
    return {"start": add_months(on, -scheme.window_months) + datetime.timedelta(days=1), "end": on,
            "months": scheme.window_months}


# --- one place -----------------------------------------------------------------------------------

def place_indicators(place, on=None, scheme=None):
    on = check_date(on) or today()
    scheme = scheme or current_scheme()
    labels = band_labels(scheme)
    row = evaluation_rows(scheme, on, ("places", [place.pk]))[0]
    last = ActivityReport.objects.filter(place=place, period_end__lte=on).aggregate(last=Max("period_end"))["last"]
    latest = (ActivityReport.objects.filter(place=place, period_end__lte=on).order_by("-period_end").first())
    return {
        "place": place.public_id, "on": on, "window": window_of(scheme, on), "scheme": f"{scheme.code} v{scheme.version}",
        "status": "unknown" if row["band"] == UNKNOWN else "known",
        "last_report": last,
        "latest": report_out(latest, public=True) if latest else None,
        **_row_indicators(row, scheme, labels),
    }


def report_out(report, public=True):
    return {
        "id": report.pk, "period_start": report.period_start, "period_end": report.period_end,
        "regular_users": report.regular_users, "occasional_visits": report.occasional_visits,
        "desk_days_used": report.desk_days_used, "desk_days_available": report.desk_days_available,
        "occupancy_rate": round(report.occupancy, 4) if report.occupancy is not None else None,
        "events": report.events, "reported_by_kind": report.reported_by_kind,
        "reported_by": report.reported_by.username if report.reported_by_id and report.reported_by else None,
        "reliability": report.reliability, "source": report.source, "note": report.note, "version": report.version,
    }


def series(place, on=None, months=24):
    """The place's reports ending in the last `months` months, one slot per calendar month (None = no report)."""
    on = on or today()
    last = month_index(on)
    first = last - months + 1
    slots = {i: None for i in range(first, last + 1)}
    for report in ActivityReport.objects.filter(place=place, period_end__lte=on,
                                                period_end__gt=add_months(on, -months)):
        if first <= report.month_index <= last:
            slots[report.month_index] = report
    return [(datetime.date(i // 12, i % 12 + 1, 1), slots[i]) for i in range(first, last + 1)]


def chart(place, on=None, months=24, width=480, height=140):
    """Geometry of a small SVG chart: bars of regular users per month, a line of occupancy (0–100 %)."""
    slots = series(place, on, months)
    top, bottom, left, right = 14, 20, 28, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([r.regular_users for _, r in slots if r is not None] + [1])
    scale_max = max(5, peak)
    step = plot_w / len(slots)
    bars, missing, points, labels = [], [], [], []
    for i, (month, report) in enumerate(slots):
        x = left + i * step
        if month.month == 1 or i == 0:
            labels.append({"x": round(x + 1, 1), "text": month.strftime("%m/%Y")})
        if report is None:
            missing.append({"x": round(x + step * 0.2, 1), "y": top + plot_h - 4, "w": round(step * 0.6, 1),
                            "title": month.strftime("%m/%Y") + " : " + _("pas de rapport")})
            continue
        h = plot_h * report.regular_users / scale_max
        bars.append({"x": round(x + step * 0.15, 1), "y": round(top + plot_h - h, 1), "w": round(step * 0.7, 1),
                     "h": round(max(h, 0.5), 1),
                     "title": _("%(month)s : %(n)s usagers réguliers") % {"month": month.strftime("%m/%Y"),
                                                                          "n": report.regular_users}
                     + (_(", occupation %(pct)s %%") % {"pct": round(100 * report.occupancy)}
                        if report.occupancy is not None else "")})
        if report.occupancy is not None:
            points.append(f"{x + step / 2:.1f},{top + plot_h * (1 - report.occupancy):.1f}")
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h,
            "bottom_y": top + plot_h, "right_x": left + plot_w, "scale_max": scale_max, "bars": bars,
            "missing": missing, "occupancy": " ".join(points), "labels": labels,
            "has_data": bool(bars), "months": months}


# --- programme evaluation ------------------------------------------------------------------------

def _share(part, whole):
    return round(part / whole, 4) if whole else None


GROUPS = ((gettext_noop("rural"), "rural", True), (gettext_noop("urbain"), "rural", False),
          (gettext_noop("commune inconnue"), "rural", None), (gettext_noop("métropole"), "in_metropole", True),
          (gettext_noop("hors métropole"), "in_metropole", False),
          (gettext_noop("métropole inconnue"), "in_metropole", None))


def _tally(scheme, on, cells):
    """The shape shared by programme and national evaluations, from cells of places alike: dicts with
    band, rural, in_metropole, count, empty (of them, empty most of the time) and regular (their users)."""
    labels = band_labels(scheme)
    codes = [b["code"] for b in scheme.bands]

    def group(selected):
        counts = {code: 0 for code in codes + [UNKNOWN]}
        for cell in selected:
            counts[cell["band"]] = counts.get(cell["band"], 0) + cell["count"]
        return {"places": sum(c["count"] for c in selected), "bands": counts,
                "empty_most_of_the_time": sum(c["empty"] for c in selected),
                "regular_users": round(sum(c["regular"] for c in selected), 1)}

    everything = group(cells)
    places, counts = everything["places"], everything["bands"]
    known = places - counts[UNKNOWN]
    empty = everything["empty_most_of_the_time"]
    return {
        "on": on, "window": window_of(scheme, on), "scheme": scheme_out(scheme), "places": places, "known": known,
        "bands": [{"code": c, "label": labels[c], "count": counts.get(c, 0), "share": _share(counts.get(c, 0), known)}
                  for c in codes],
        "unknown": {"code": UNKNOWN, "label": UNKNOWN_LABEL, "count": counts[UNKNOWN],
                    "share": _share(counts[UNKNOWN], places)},
        "empty_most_of_the_time": {"count": empty, "of": known, "share": _share(empty, known), "rule": EMPTY_RULE},
        "rural_rule": RURAL_RULE,
        "groups": {name: group([c for c in cells if c[key] is value]) for name, key, value in GROUPS},
        "regular_users": everything["regular_users"],
    }


def evaluate_programme(programme, on=None, scheme=None):
    """Band distribution, emptiness, rural / urban and métropole splits, cost per regular user, as of `on`."""
    on = check_date(on) or today()
    scheme = scheme or current_scheme()
    labels = band_labels(scheme)
    codes = [b["code"] for b in scheme.bands]
    rows = evaluation_rows(scheme, on, ("programme", programme.pk))
    places = {p.pk: p for p in Place.objects.filter(pk__in=[r["place_id"] for r in rows]).select_related("commune")}
    details = []
    for row in rows:
        place = places[row["place_id"]]
        population = place.commune.population if place.commune_id and place.commune else None
        ind = _row_indicators(row, scheme, labels)
        empty = (ind["months_without_activity"] is not None and ind["reported_months"] > 0
                 and ind["months_without_activity"] * 2 > ind["reported_months"])
        details.append({"place": place.public_id, "name": place.name,
                        "commune": place.commune.name if place.commune_id and place.commune else place.town,
                        "population": population,
                        "rural": None if population is None else population < RURAL_POPULATION,
                        "in_metropole": place.in_metropole, "empty_most_of_the_time": empty, **ind})
    details.sort(key=lambda d: ([*codes, UNKNOWN].index(d["band"]) if d["band"] in codes or d["band"] == UNKNOWN
                                else 99, d["name"]))
    result = _tally(scheme, on, [{"band": d["band"], "rural": d["rural"], "in_metropole": d["in_metropole"],
                                  "count": 1, "empty": int(d["empty_most_of_the_time"]),
                                  "regular": d["regular_users"] or 0} for d in details])
    budget = float(programme.budget_eur) if programme.budget_eur is not None else None
    total_regular = result["regular_users"]
    return {
        "programme": {"slug": programme.slug, "name": programme.name, "budget_eur": budget}, **result,
        "cost": {"budget_eur": budget,
                 "per_place": round(budget / len(details)) if budget is not None and details else None,
                 "per_regular_user": round(budget / total_regular) if budget is not None and total_regular else None,
                 "rule": COST_RULE},
        "rows": details,
    }


def territory_of(region=None, departement=None):
    """("region" | "departement", code) from a request's or a command's options, or None for all of France."""
    from tilios.territories.models import Departement, Region

    if region and departement:
        raise ValidationError({"territory": _("une région ou un département, pas les deux")})
    for level, code, model in (("region", region, Region), ("departement", departement, Departement)):
        if code:
            if not model.objects.filter(code=str(code).strip().upper()).exists():
                raise ValidationError({level: _("territoire inconnu « %(code)s »") % {"code": str(code)[:10]}})
            return level, str(code).strip().upper()
    return None


def evaluate_places(on=None, scheme=None, territory=None):
    """Every published place (or those of a `territory`, see `territory_of`), as of `on`: the same figures
    as a programme's (no cost, no rows) and, by département, the bands; counted in SQL over the snapshot
    of the window aggregates (see `snapshot_for`)."""
    from tilios.territories.models import Commune, Departement, Region

    on = check_date(on) or today()
    scheme = scheme or current_scheme()
    universe = ("territory", territory) if territory else None
    snapshot, changed = _snapshot(scheme, on, universe)
    sql, params = evaluation_sql(scheme, on, universe, snapshot, changed)
    grouped = f"""
SELECT q.band, CASE WHEN c.population IS NULL THEN NULL WHEN c.population < %s THEN 1 ELSE 0 END, q.in_metropole,
       q.departement_id, COUNT(*),
       SUM(CASE WHEN q.band <> %s AND q.reported_months > 0 AND q.empty_months * 2 > q.reported_months
           THEN 1 ELSE 0 END),
       SUM(CASE WHEN q.band <> %s THEN COALESCE(q.stat, 0) ELSE 0 END)
FROM ({sql}) q LEFT JOIN {Commune._meta.db_table} c ON c.id = q.commune_id
GROUP BY 1, 2, 3, 4"""
    with connection.cursor() as cursor:
        cursor.execute(grouped, [RURAL_POPULATION, UNKNOWN, UNKNOWN, *params])
        cells = [{"band": band, "rural": None if rural is None else bool(rural),
                  "in_metropole": None if metro is None else bool(metro), "departement": departement,
                  "count": count, "empty": empty or 0, "regular": float(regular or 0)}
                 for band, rural, metro, departement, count, empty, regular in cursor.fetchall()]
    result = _tally(scheme, on, cells)
    names = dict(Departement.objects.values_list("code", "name"))
    by_departement = {}
    for cell in cells:
        row = by_departement.setdefault(cell["departement"], {
            "code": cell["departement"], "name": names.get(cell["departement"], "—"), "places": 0, "known": 0,
            "empty_most_of_the_time": 0, "bands": {b["code"]: 0 for b in result["bands"]} | {UNKNOWN: 0}})
        row["places"] += cell["count"]
        row["known"] += 0 if cell["band"] == UNKNOWN else cell["count"]
        row["empty_most_of_the_time"] += cell["empty"]
        row["bands"][cell["band"]] = row["bands"].get(cell["band"], 0) + cell["count"]
    territory_out = None
    if territory:
        model = Region if territory[0] == "region" else Departement
        territory_out = {"level": territory[0], "code": territory[1],
                         "name": model.objects.get(code=territory[1]).name}
    return {**result, "territory": territory_out,
            "by_departement": sorted(by_departement.values(), key=lambda r: (r["code"] is None, r["code"] or "")),
            "snapshot": None if snapshot is None else {
                "as_of": snapshot.as_of, "built_at": snapshot.built_at, "recomputed_places": len(changed)}}


def evaluation_csv(result):
    out = io.StringIO()
    columns = ["place", "name", "commune", "population", "rural", "in_metropole", "band", "band_label",
               "regular_users", "max_regular_users", "occupancy_rate", "trend_regular_users_per_month",
               "reported_months", "months_without_activity", "months_without_report", "empty_most_of_the_time",
               "last_report_in_window"]
    writer = csvsafe.dict_writer(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in result["rows"]:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return out.getvalue()


def jsonable(value):
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def evaluation_text(result):
    """The plain-text report `tilios evaluate` prints."""
    programme = result.get("programme")
    territory = result.get("territory")
    lines = [f"Évaluation : {programme['name']} ({programme['slug']})" if programme
             else f"Évaluation : tous les lieux publiés — {territory['name']}" if territory
             else "Évaluation : tous les lieux publiés",
             f"au {result['on'].isoformat()} — fenêtre de {result['window']['months']} mois "
             f"({result['window']['start'].isoformat()} → {result['window']['end'].isoformat()}) — barème "
             f"{result['scheme']['code']} v{result['scheme']['version']} ({ {'median': 'médiane', 'max': 'maximum'}.get(result['scheme']['statistic'], result['scheme']['statistic'])} des "
             f"usagers réguliers mensuels)",
             f"{'Lieux du programme' if programme else 'Lieux'} : {result['places']} "
             f"(activité connue : {result['known']})", ""]
    width = max(len(b["label"]) for b in result["bands"] + [result["unknown"]])
    for band in result["bands"]:
        share = f"{100 * band['share']:.0f} %" if band["share"] is not None else "—"
        lines.append(f"  {band['label']:<{width}}  {band['count']:>5}  {share:>6}")
    lines.append(f"  {result['unknown']['label']:<{width}}  {result['unknown']['count']:>5}  (à part)")
    empty = result["empty_most_of_the_time"]
    lines += ["", f"Vides la plupart du temps : {empty['count']} / {empty['of']}"
              + (f" ({100 * empty['share']:.0f} %)" if empty["share"] is not None else ""),
              f"  ({empty['rule']})", "", f"Comparaisons ({result['rural_rule']}) :"]
    codes = [b["code"] for b in result["bands"]] + [UNKNOWN]
    head = "  ".join(f"{c[:14]:>14}" for c in codes)
    lines.append(f"  {'groupe':<20} {'lieux':>5}  {head}")
    for name, g in result["groups"].items():
        if g["places"]:
            lines.append(f"  {name:<20} {g['places']:>5}  " + "  ".join(f"{g['bands'].get(c, 0):>14}" for c in codes))
    cost = result.get("cost")
    lines += ["", f"Usagers réguliers (somme des médianes) : {result['regular_users']:g}"]
    if cost is not None and cost["budget_eur"] is None:
        lines.append("Coût par usager régulier : budget du programme inconnu")
    elif cost is not None:
        lines.append(f"Budget : {_eur(cost['budget_eur'])} — par lieu : {_eur(cost['per_place'])} — par usager "
                     f"régulier : " + (_eur(cost["per_regular_user"]) if cost["per_regular_user"] else "aucun usager"))
    return "\n".join(lines)


def _eur(value):
    return "—" if value is None else f"{value:,.0f} €".replace(",", "\u202f")
