"""Programme and territory evaluations, and their CSV and text renderings."""
import datetime
import io

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tilios import csvsafe
from tilios.places.models import Place
from tilios.policy.models import Outcome
from tilios.territories.models import Commune, Departement, Region

from .periods import (
    COST_RULE,
    EMPTY_RULE,
    RURAL_POPULATION,
    RURAL_RULE,
    UNKNOWN,
    check_date,
    today,
)
from .schemes import band_labels, current_scheme
from .snapshots import (
    _snapshot,
    evaluation_rows,
    evaluation_sql,
    row_indicators,
    scheme_out,
    window_of,
)


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
        "unknown": {"code": UNKNOWN, "label": labels[UNKNOWN], "count": counts[UNKNOWN],
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
        ind = row_indicators(row, scheme, labels)
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
        "studies": published_studies(programme, result, labels),
        "cost": {"budget_eur": budget,
                 "per_place": round(budget / len(details)) if budget is not None and details else None,
                 "per_regular_user": round(budget / total_regular) if budget is not None and total_regular else None,
                 "rule": COST_RULE},
        "rows": details,
    }


def published_studies(programme, result, labels):
    """The studies published on the programme's promises (outcomes with a distribution), oldest first, each
    with its groups and, for the groups it maps to the scheme's bands, the same bands as the places' own
    reports give them — the evaluation a researcher made by hand beside the one the registry makes."""
    outcomes = (Outcome.objects.published().filter(promise__programme=programme, promise__is_published=True)
                .select_related("promise").order_by("measured_on", "id"))
    studies = []
    for outcome in outcomes:
        if not outcome.is_study:
            continue
        total = sum(group["count"] for group in outcome.distribution)
        mapped = {}
        for group in outcome.distribution:
            if group.get("band") in labels:
                mapped[group["band"]] = mapped.get(group["band"], 0) + group["count"]
        in_bands = sum(mapped.values())
        studies.append({
            "promise": outcome.promise.metric, "measured_on": outcome.measured_on, "source_url": outcome.source_url,
            "method": outcome.method, "note": outcome.note, "places": total,
            "groups": [{"label": g["label"], "count": g["count"], "band": g.get("band") or None,
                        "band_label": labels.get(g.get("band")), "share": _share(g["count"], total)}
                       for g in outcome.distribution],
            "compared": [{"code": b["code"], "label": b["label"], "study": mapped.get(b["code"], 0),
                          "study_share": _share(mapped.get(b["code"], 0), in_bands), "reports": b["count"],
                          "reports_share": b["share"]} for b in result["bands"]] if in_bands else [],
            "outside_bands": total - in_bands,
        })
    return studies


def territory_of(region=None, departement=None):
    """("region" | "departement", code) from a request's or a command's options, or None for all of France."""
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
    for study in result.get("studies", []):
        lines += ["", f"Étude publiée ({study['measured_on'].isoformat()}, {study['method'] or 'méthode non dite'}) : "
                      f"{study['places']} lieux — {study['source_url']}"]
        lines += [f"  {g['label']:<{width}}  {g['count']:>5}" + (f"  → {g['band_label']}" if g["band_label"] else "")
                  for g in study["groups"]]
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
