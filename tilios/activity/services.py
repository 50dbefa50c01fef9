"""Activity reports, indicators and programme evaluations: the one way in for the CLI, the API and the web.

The heavy part (a band for every place as of a date) is one SQL statement aggregated by place
(`evaluation_rows`), the same text on SQLite and PostgreSQL: window functions for the median,
conditional sums for the trend, a CASE generated from the band scheme. Python only shapes the result.
"""
import calendar
import csv
import datetime
import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tilios.accounts import permissions
from tilios.accounts.models import Role
from tilios.places.models import Place

from .models import ActivityReport, BandScheme, default_bands, month_index

COUNT_FIELDS = ("regular_users", "occasional_visits", "desk_days_used", "desk_days_available", "events")
OPTIONAL_COUNTS = ("desk_days_used", "desk_days_available")
TREND_MONTHS = 6
# Rural / urban: INSEE's historical rule (« commune rurale » = fewer than 2 000 inhabitants), applied to
# the commune's own population since the unités urbaines and the 2020 density grid are not loaded.
RURAL_POPULATION = 2000
RURAL_RULE = ("rural = commune de moins de 2 000 habitants (population municipale de la commune, règle "
              "historique de l’INSEE ; la grille communale de densité n’est pas chargée)")
EMPTY_RULE = "vide la plupart du temps = plus de la moitié des mois déclarés de la fenêtre sans aucune activité"
UNKNOWN = "unknown"
UNKNOWN_LABEL = "activité inconnue"


# --- dates ---------------------------------------------------------------------------------------

def add_months(day, n):
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def parse_date(value, name="on"):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({name: _("date invalide « %(value)s » (attendu AAAA-MM-JJ)") % {"value": str(value)[:40]}})


def today():
    return timezone.localdate()


# --- permissions and writes ----------------------------------------------------------------------

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


def save(report, on=None):
    with transaction.atomic():
        # Serialise writers on one place so that two overlapping periods cannot both pass the check.
        Place.objects.select_for_update().filter(pk=report.place_id).exists()
        validate(report, on)
        report.save()
    return report


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


def import_csv(stream, kind=ActivityReport.ReportedBy.SURVEY, source="", user=None, on=None):
    """Import aggregate activity figures. Columns: place (public id), period_start, period_end (optional:
    end of month), regular_users, occasional_visits, desk_days_used, desk_days_available, events, and
    optionally reliability, reported_by_kind, source, note; or `month` (AAAA-MM) instead of the dates.

    All or nothing: any line in error (or a crash) leaves the database as it was. Idempotent: a line whose
    place and period are already recorded with the same figures changes nothing; with other figures,
    the report is updated."""
    text = stream.read() if hasattr(stream, "read") else stream
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    result = ImportResult()
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("place", "regular_users") if c not in header]
    if "month" not in header and "period_start" not in header:
        missing.append("period_start")
    if missing:
        result.errors.append((1, ",".join(missing), _("colonnes manquantes : %(cols)s") % {"cols": ", ".join(missing)}))
        return result
    places = {}
    try:
        with transaction.atomic():
            for number, raw in enumerate(reader, start=2):
                result.lines += 1
                row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
                _import_line(number, row, kind, source, user, on, places, result)
            if result.errors:
                raise ImportFailed
    except ImportFailed:
        result.created = result.updated = result.unchanged = 0
    return result


def _import_line(number, row, kind, source, user, on, places, result):
    public_id = row.get("place", "")
    place = places.get(public_id)
    if place is None:
        place = places[public_id] = Place.objects.filter(public_id=public_id).first()
    if place is None:
        result.errors.append((number, "place", _("lieu inconnu « %(id)s »") % {"id": public_id[:40]}))
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
            save(report, on)
            result.updated += 1
        else:
            save(report, on)
            result.created += 1
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


def band_labels(scheme):
    labels = {b["code"]: b["label"] for b in scheme.bands}
    labels[UNKNOWN] = UNKNOWN_LABEL
    return labels


def _band_case(scheme, unknown_before):
    """SQL CASE giving each place's band (see BandScheme's docstring); returns (sql, params)."""
    parts, params = ["WHEN s.place_id IS NULL THEN 'unknown'", "WHEN s.last_end <= %s THEN 'unknown'"], [unknown_before]
    for band in scheme.bands:
        conditions = []
        if band.get("no_activity"):
            conditions.append("s.total = 0")
        for key, op in (("lt", "<"), ("lte", "<="), ("gt", ">"), ("gte", ">=")):
            if band.get(key) is not None:
                conditions.append(f"s.stat {op} %s")
                params.append(float(band[key]))
        parts.append(f"WHEN {' AND '.join(conditions) or '1 = 1'} THEN %s")
        params.append(str(band["code"]))
    return "CASE " + " ".join(parts) + " ELSE 'unclassified' END", params


def _d(day):
    return connection.ops.adapt_datefield_value(day)


ROW_COLUMNS = ("place_id", "band", "reports", "reported_months", "empty_months", "total", "stat", "max_regular",
               "last_end", "used", "available", "tn", "tx", "ty", "txy", "txx")


def evaluation_sql(scheme, on, universe=None):
    """The statement behind every band: one row per place of the universe, aggregated by place in SQL.

    `universe`: None (all published places), ("programme", id) or ("places", [ids])."""
    window_after = add_months(on, -scheme.window_months)  # reports whose period ended after this day…
    recent_after = add_months(on, -TREND_MONTHS)
    unknown_before = add_months(on, -scheme.unknown_after_months)
    median = scheme.statistic == BandScheme.Statistic.MEDIAN
    if universe is None:
        universe_sql, universe_params = "SELECT id FROM places_place WHERE is_published", []
    elif universe[0] == "programme":
        from tilios.policy.models import Programme

        table = Programme.places.through._meta.db_table
        universe_sql, universe_params = f"SELECT place_id FROM {table} WHERE programme_id = %s", [universe[1]]
    else:
        ids = [int(i) for i in universe[1]] or [0]
        universe_sql, universe_params = ", ".join(["%s"] * len(ids)), ids
    # One window (one sort) for both the rank and the count of each place's reports.
    rank = ", ROW_NUMBER() OVER pw AS rn, COUNT(*) OVER pw AS n" if median else ""
    window = (" WINDOW pw AS (PARTITION BY place_id ORDER BY regular_users"
              " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)") if median else ""
    stat = ("CAST(AVG(CASE WHEN w.rn IN ((w.n + 1) / 2, (w.n + 2) / 2) THEN w.r END) AS FLOAT)" if median
            else "CAST(MAX(w.r) AS FLOAT)")
    place_filter = "" if universe is None else f"AND place_id IN ({universe_sql})"
    case_sql, case_params = _band_case(scheme, _d(unknown_before))
    sql = f"""
WITH w AS MATERIALIZED (
  SELECT place_id, regular_users AS r, period_end, months, month_index - %s AS x,
         regular_users + occasional_visits + COALESCE(desk_days_used, 0) + events AS a,
         CASE WHEN desk_days_available IS NULL THEN NULL ELSE desk_days_used END AS used,
         CASE WHEN desk_days_used IS NULL THEN NULL ELSE desk_days_available END AS avail,
         CASE WHEN period_end > %s THEN 1 ELSE 0 END AS recent{rank}
  FROM activity_activityreport
  WHERE period_end > %s AND period_end <= %s {place_filter}{window}
), s AS MATERIALIZED (
  SELECT w.place_id, COUNT(*) AS reports, SUM(w.months) AS reported_months,
         SUM(CASE WHEN w.a = 0 THEN w.months ELSE 0 END) AS empty_months, SUM(w.a) AS total,
         {stat} AS stat, MAX(w.r) AS max_regular, MAX(w.period_end) AS last_end,
         SUM(w.used) AS used, SUM(w.avail) AS avail,
         SUM(w.recent) AS tn, SUM(w.recent * w.x) AS tx, SUM(w.recent * w.r) AS ty,
         SUM(w.recent * w.x * w.r) AS txy, SUM(w.recent * w.x * w.x) AS txx
  FROM w GROUP BY w.place_id
)
SELECT p.id, {case_sql} AS band, s.reports, s.reported_months, s.empty_months, s.total, s.stat, s.max_regular,
       s.last_end, s.used, s.avail, s.tn, s.tx, s.ty, s.txy, s.txx
FROM places_place p LEFT JOIN s ON s.place_id = p.id
WHERE p.id IN ({universe_sql})"""
    params = [month_index(on), _d(recent_after), _d(window_after), _d(on)]
    if universe is not None:
        params += universe_params
    params += case_params + universe_params
    return sql, params


def evaluation_rows(scheme, on, universe=None):
    sql, params = evaluation_sql(scheme, on, universe)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(ROW_COLUMNS, row)) for row in cursor.fetchall()]


def band_distribution(scheme, on, universe=None):
    """{band code: number of places}, counted in SQL (GROUP BY band over the per-place aggregate)."""
    sql, params = evaluation_sql(scheme, on, universe)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT band, COUNT(*) FROM ({sql}) q GROUP BY band", params)
        return dict(cursor.fetchall())


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
    on = on or today()
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
        "reliability": report.reliability, "source": report.source, "note": report.note,
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


def _distribution(rows, codes):
    counts = {code: 0 for code in codes}
    for row in rows:
        counts[row["band"]] = counts.get(row["band"], 0) + 1
    return counts


def evaluate_programme(programme, on=None, scheme=None):
    """Band distribution, emptiness, rural / urban and métropole splits, cost per regular user, as of `on`."""
    on = on or today()
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
    known = [d for d in details if d["band"] != UNKNOWN]

    def group(selected):
        counts = _distribution(selected, codes + [UNKNOWN])
        known_here = [d for d in selected if d["band"] != UNKNOWN]
        return {"places": len(selected), "bands": counts,
                "empty_most_of_the_time": sum(d["empty_most_of_the_time"] for d in known_here),
                "regular_users": round(sum(d["regular_users"] or 0 for d in known_here), 1)}

    counts = _distribution(details, codes + [UNKNOWN])
    total_regular = round(sum(d["regular_users"] or 0 for d in known), 1)
    budget = float(programme.budget_eur) if programme.budget_eur is not None else None
    empty = sum(d["empty_most_of_the_time"] for d in known)
    return {
        "programme": {"slug": programme.slug, "name": programme.name, "budget_eur": budget},
        "on": on, "window": window_of(scheme, on), "scheme": scheme_out(scheme),
        "places": len(details), "known": len(known),
        "bands": [{"code": c, "label": labels[c], "count": counts.get(c, 0), "share": _share(counts.get(c, 0), len(known))}
                  for c in codes],
        "unknown": {"code": UNKNOWN, "label": UNKNOWN_LABEL, "count": counts.get(UNKNOWN, 0),
                    "share": _share(counts.get(UNKNOWN, 0), len(details))},
        "empty_most_of_the_time": {"count": empty, "of": len(known), "share": _share(empty, len(known)),
                                   "rule": EMPTY_RULE},
        "rural_rule": RURAL_RULE,
        "groups": {
            "rural": group([d for d in details if d["rural"] is True]),
            "urbain": group([d for d in details if d["rural"] is False]),
            "commune inconnue": group([d for d in details if d["rural"] is None]),
            "métropole": group([d for d in details if d["in_metropole"] is True]),
            "hors métropole": group([d for d in details if d["in_metropole"] is False]),
            "métropole inconnue": group([d for d in details if d["in_metropole"] is None]),
        },
        "regular_users": total_regular,
        "cost": {"budget_eur": budget,
                 "per_place": round(budget / len(details)) if budget is not None and details else None,
                 "per_regular_user": round(budget / total_regular) if budget is not None and total_regular else None,
                 "rule": "budget du programme ÷ somme, sur les lieux à l’activité connue, de la statistique "
                         "d’usagers réguliers du barème (médiane mensuelle sur la fenêtre)"},
        "rows": details,
    }


def evaluation_csv(result):
    out = io.StringIO()
    columns = ["place", "name", "commune", "population", "rural", "in_metropole", "band", "band_label",
               "regular_users", "max_regular_users", "occupancy_rate", "trend_regular_users_per_month",
               "reported_months", "months_without_activity", "months_without_report", "empty_most_of_the_time",
               "last_report_in_window"]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
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
    lines = [f"Évaluation : {result['programme']['name']} ({result['programme']['slug']})",
             f"au {result['on'].isoformat()} — fenêtre de {result['window']['months']} mois "
             f"({result['window']['start'].isoformat()} → {result['window']['end'].isoformat()}) — barème "
             f"{result['scheme']['code']} v{result['scheme']['version']} ({ {'median': 'médiane', 'max': 'maximum'}.get(result['scheme']['statistic'], result['scheme']['statistic'])} des "
             f"usagers réguliers mensuels)",
             f"Lieux du programme : {result['places']} (activité connue : {result['known']})", ""]
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
    cost = result["cost"]
    lines += ["", f"Usagers réguliers (somme des médianes) : {result['regular_users']:g}"]
    if cost["budget_eur"] is None:
        lines.append("Coût par usager régulier : budget du programme inconnu")
    else:
        lines.append(f"Budget : {_eur(cost['budget_eur'])} — par lieu : {_eur(cost['per_place'])} — par usager "
                     f"régulier : " + (_eur(cost["per_regular_user"]) if cost["per_regular_user"] else "aucun usager"))
    return "\n".join(lines)


def _eur(value):
    return "—" if value is None else f"{value:,.0f} €".replace(",", "\u202f")
