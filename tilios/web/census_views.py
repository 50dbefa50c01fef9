"""The census pages (/recensement/): a count on two clocks with its definition, table, bar chart,
time series, choropleth, explanation, snapshots and estimates. Server-rendered and usable without
JavaScript (the charts are SVG drawn here); census.js only adds the map and the copy buttons.

Every figure shown comes with the CLI line and the API address that re-derive it
(tilios.census.reproduce): the definition version and both dates are always explicit.
"""
import datetime
import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from tilios.accounts import permissions, throttle
from tilios.accounts.models import Role
from tilios.census import definitions, services
from tilios.census import reproduce as rp
from tilios.census.estimation import STRATA
from tilios.census.models import CensusDefinition, Snapshot
from tilios.pages.markdown import render as markdown
from tilios.sources.models import ImportRun, Source

from .common import add_errors, rate_limited, role_required
from .forms import DefinitionForm

BAR_ROWS = 30  # bars drawn; the table below always has every row
SERIES_FROM = 2010
EXPLAIN_LIMIT = 200
LEVEL_LABELS = {
    "": "—", "region": _l("région"), "departement": _l("département"), "epci": _l("intercommunalité (EPCI)"),
    "commune": _l("commune"), "metropole": _l("dans / hors métropole"), "population": _l("taille de commune"),
    "presence": _l("présence"), "kind": _l("type de lieu"),
}
METHOD_LABELS = {
    "chapman": _l("Lincoln–Petersen corrigé par Chapman (deux sources)"),
    "chao": _l("Borne inférieure de Chao"),
    "loglinear": _l("Modèles log-linéaires (trois sources ou plus)"),
}


def _levels():
    return list(LEVEL_LABELS.items())


def _definitions():
    return list(CensusDefinition.objects.order_by("slug", "-version"))


# --- SVG geometry (drawn by the server: the charts need no script) ------------------------------

def bar_chart(rows, width=400, row_height=34):
    shown = rows[:BAR_ROWS]
    top = max((r["count"] for r in shown), default=0) or 1
    usable = width - 56
    bars = []
    for i, row in enumerate(shown):
        y = i * row_height
        w = max(1.0, usable * row["count"] / top) if row["count"] else 0
        label = str(row["label"])
        bars.append({"label": label if len(label) <= 48 else label[:47] + "…", "count": row["count"],
                     "text_y": y + 12, "bar_y": y + 16, "w": round(w, 1), "count_x": round(w + 4, 1),
                     "count_y": y + 28})
    return {"bars": bars, "width": width, "height": max(row_height * len(shown), row_height),
            "truncated": len(rows) > len(shown), "shown": len(shown), "all": len(rows)}


def _nice_max(value):
    """The smallest of 1, 2, 2.5, 5 × 10^n at least `value` (the top of the chart's axis)."""
    if value <= 0:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 2.5, 5):
            if step * magnitude >= value:
                nice = step * magnitude
                return int(nice) if nice == int(nice) else nice
        magnitude *= 10


def series_chart(rows, width=400, height=220):
    left, right, top, bottom = 44, 22, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = _nice_max(max([r["known_today"] for r in rows] + [r["known_then"] for r in rows] + [0]))
    n = len(rows)

    def x(i):
        return round(left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2), 1)

    def y(v):
        return round(top + plot_h - plot_h * v / ymax, 1)

    points = []
    for i, r in enumerate(rows):
        points.append({"x": x(i), "y_today": y(r["known_today"]), "y_then": y(r["known_then"]), **r})
    step = 1 if n <= 8 else 2 if n <= 18 else 5
    xticks = [{"x": p["x"], "label": p["year"]} for i, p in enumerate(points) if i % step == 0 or i == n - 1]
    if len(xticks) > 1 and xticks[-1]["label"] - xticks[-2]["label"] < step:
        xticks.pop(-2)
    yticks = [{"y": y(v), "label": v} for v in (0, ymax / 2, ymax)]
    for t in yticks:
        t["label"] = int(t["label"]) if t["label"] == int(t["label"]) else t["label"]
    return {
        "width": width, "height": height, "left": left, "right": width - right, "top": top,
        "bottom": top + plot_h, "points": points, "xticks": xticks, "yticks": yticks,
        "today_line": " ".join(f"{p['x']},{p['y_today']}" for p in points),
        "then_line": " ".join(f"{p['x']},{p['y_then']}" for p in points),
    }


# --- Pages ---------------------------------------------------------------------------------------

def _raw(request, *names):
    return {name: request.GET.get(name, "").strip()[:200] for name in names}


def _contrast(definition, within):
    """The two clocks in sentences, with the real numbers: « at the end of 2018, as known in 2019 vs as known
    today » (certainly and possibly valid), and « valid today, as known when the first source was published
    vs as known today »."""
    today = timezone.localdate()
    valid = datetime.date(2018, 12, 31)
    known_then = min(datetime.date(2019, 12, 31), today)
    then_q = rp.CountQuery(definition, valid, known_then, None, within)
    now_q = rp.CountQuery(definition, valid, today, None, within)
    then, now = then_q.run(), now_q.run()
    contrast = {"valid_on": valid, "known_then_on": known_then, "then": then.total, "now": now.total,
                "then_possible": then.possible, "now_possible": now.possible,
                "then_reproduce": then_q.reproduce(), "now_reproduce": now_q.reproduce(),
                "first_source": _first_source_date(), "early": None}
    first = contrast["first_source"]
    if first is not None and first < today:
        early_q = rp.CountQuery(definition, today, first, None, within)
        today_q = rp.CountQuery(definition, today, today, None, within)
        contrast["early"] = {"known_on": first, "then": early_q.run().total, "now": today_q.run().total,
                             "then_reproduce": early_q.reproduce(), "now_reproduce": today_q.reproduce()}
    return contrast


def _first_source_date():
    """The earliest day a source the registry holds was published (an import's --known-on, else its date)."""
    run = ImportRun.objects.exclude(known_on=None).order_by("known_on").values_list("known_on", flat=True).first()
    source = (Source.objects.filter(records__isnull=False).exclude(data_date=None).order_by("data_date")
              .values_list("data_date", flat=True).first())
    return min(filter(None, [run, source]), default=None)


def _row_links(query, result):
    """Each row's own figure: the same count restricted to that territory (when the level allows it)."""
    rows = []
    total = result.total or 1
    for row in result.rows:
        entry = dict(row, pct=round(100 * row["count"] / total, 1))
        if query.by in services.WITHIN and row["key"] not in (None, ""):
            sub = rp.CountQuery(query.definition, query.valid_on, query.known_on, None,
                                {**query.within, query.by: str(row["key"])})
            entry["api"] = sub.api_url()
            entry["cli"] = sub.cli()
            entry["page"] = "?" + sub.query_string()
        rows.append(entry)
    return rows


def index(request):
    raw = _raw(request, "definition", "valid_on", "known_on", "by", "within")
    landing = not any(raw.values())
    if landing:
        raw["by"] = "region"
    context = {"definitions": _definitions(), "levels": _levels(), "raw": raw, "landing": landing, "error": None,
               "can_freeze": permissions.can_contribute(request.user),
               "can_publish": permissions.at_least(request.user, Role.ADMIN)}
    try:
        query = rp.resolve(**raw)
    except services.CensusError as exc:
        context["error"] = str(exc)
        return render(request, "web/census.html", context, status=400)
    result = query.run()
    series_rows = services.series(query.definition, range(SERIES_FROM, timezone.localdate().year + 1),
                                  query.known_on, query.within)
    series_q = {"from": SERIES_FROM, "to": timezone.localdate().year}
    context.update({
        "query": query, "definition": query.definition, "definition_html": markdown(query.definition.text),
        "within_labels": rp.within_labels(query.within), "within_text": rp.within_text(query.within),
        "result": result, "rows": _row_links(query, result), "by_label": LEVEL_LABELS.get(query.by or "", ""),
        "reproduce": query.reproduce(),
        "csv_url": query.api_url("/api/census.csv"),
        "explain_url": reverse("web:census_explain") + "?" + query.query_string(by=""),
        "chart": bar_chart(result.rows) if result.rows else None,
        "series": series_chart(series_rows), "series_rows": series_rows,
        "series_api": query.api_url("/api/census/series", valid_on="", by="", **series_q),
        "series_csv": query.api_url("/api/census/series.csv", valid_on="", by="", **series_q),
        "contrast": _contrast(query.definition, query.within),
        "choropleth": ({str(r["key"]): r["count"] for r in result.rows if r["key"]}
                       if query.by == "departement" else None),
        "snapshots": Snapshot.objects.select_related("definition", "created_by")[:10],
        "freeze_params": query.params(),
    })
    return render(request, "web/census.html", context)


def explain(request):
    raw = _raw(request, "definition", "valid_on", "known_on", "within")
    context = {"raw": raw, "error": None}
    try:
        query = rp.resolve(**raw)
    except services.CensusError as exc:
        context["error"] = str(exc)
        return render(request, "web/census_explain.html", context, status=400)
    result = services.explain(query.definition, query.valid_on, query.known_on, query.within, limit=EXPLAIN_LIMIT)
    context.update({
        "query": query, "result": result, "limit": EXPLAIN_LIMIT,
        "within_labels": rp.within_labels(query.within),
        "reproduce": {"cli": query.cli(extra=["--explain"]),
                      "api": query.api_url("/api/census/explain", limit=str(EXPLAIN_LIMIT))},
        "api_more": query.api_url("/api/census/explain", limit="2000"),
        "back_url": reverse("web:census") + "?" + query.query_string(),
    })
    return render(request, "web/census_explain.html", context)


def estimate(request):
    chosen = rp.parse_sources(",".join(request.GET.getlist("sources")))[:10]
    raw = _raw(request, "definition", "valid_on", "known_on", "within", "by")
    with_records = Source.objects.filter(records__isnull=False).distinct().order_by("name")  # registered ≠ imported
    context = {"sources": with_records, "chosen": chosen, "raw": raw, "error": None, "strata_levels": STRATA,
               "definitions": _definitions(), "result": None}
    if not chosen:
        return render(request, "web/census_estimate.html", context)
    try:
        query = rp.resolve_estimate(",".join(chosen), raw["definition"], raw["valid_on"], raw["known_on"],
                                    raw["within"], raw["by"])
        result = query.run()
    except services.CensusError as exc:
        context["error"] = str(exc)
        return render(request, "web/census_estimate.html", context, status=400)
    for e in result["estimates"]:
        e["label"] = METHOD_LABELS.get(e["method"], e["method"])
    context.update({"query": query, "result": result, "reproduce": query.reproduce(),
                    "within_labels": rp.within_labels(query.within)})
    return render(request, "web/census_estimate.html", context)


@require_POST
def freeze(request):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("web:census"))
    if not permissions.can_contribute(request.user):
        return render(request, "web/census.html", {"error": _("Un compte de contributeur actif est nécessaire."),
                                                   "definitions": _definitions(), "levels": _levels(), "raw": {}},
                      status=403)
    try:
        throttle.hit(request, "edit")
    except throttle.RateLimited as exc:
        return render(request, "web/census.html", {"error": str(exc), "definitions": _definitions(),
                                                   "levels": _levels(), "raw": {}}, status=429)
    raw = {name: request.POST.get(name, "").strip()[:200] for name in ("definition", "valid_on", "known_on", "by",
                                                                       "within")}
    try:
        query = rp.resolve(**raw)
    except services.CensusError as exc:
        return render(request, "web/census.html", {"error": str(exc), "definitions": _definitions(),
                                                   "levels": _levels(), "raw": raw}, status=400)
    snapshot = services.freeze(query.definition, query.valid_on, query.known_on, query.by, query.within,
                               user=request.user, title=request.POST.get("title", "").strip()[:200])
    return redirect("web:census_snapshot", snapshot_id=snapshot.pk)


def snapshot(request, snapshot_id):
    snap = get_object_or_404(Snapshot.objects.select_related("definition", "created_by"), pk=snapshot_id)
    within = (snap.parameters or {}).get("within") or {}
    if not isinstance(within, dict):
        raise Http404
    query = rp.CountQuery(snap.definition, snap.valid_on, snap.known_on, snap.by or None, within)
    check = services.verify(snap)
    return render(request, "web/census_snapshot.html", {
        "snap": snap, "check": check, "query": query, "within_labels": rp.within_labels(within),
        "by_label": LEVEL_LABELS.get(snap.by or "", ""),
        "reproduce": {"cli": f"tilios census --verify {snap.pk}", "api": f"/api/census/snapshots/{snap.pk}"},
        "count_reproduce": query.reproduce(),
        "page_url": reverse("web:census") + "?" + query.query_string(),
    })


@role_required(lambda user: permissions.at_least(user, Role.ADMIN),
               _l("Seuls les administrateurs publient une définition de recensement."))
@rate_limited("review")
def definition_publish(request):
    """A new definition, or the next version of one (`?from=SLUG` starts from its latest version)."""
    initial = {}
    start = CensusDefinition.objects.filter(slug=request.GET.get("from", "")).order_by("-version").first()
    if start is not None:
        initial = {"slug": start.slug, "name": start.name, "text": start.text,
                   "criteria": json.dumps(start.criteria, ensure_ascii=False, indent=1)}
    form = DefinitionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            published = definitions.publish(form.cleaned_data, request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Définition %(ref)s publiée ; les versions précédentes et leurs "
                                        "instantanés restent inchangés.") % {"ref": published.ref})
            return redirect(reverse("web:census") + "?" + urlencode({"definition": published.ref}))
    return render(request, "web/census_definition_form.html", {"form": form, "start": start},
                  status=400 if request.method == "POST" else 200)
