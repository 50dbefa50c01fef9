"""Activity pages: a place's activity (chart, reports, the form for its managers) and programme evaluations."""
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from tilios.activity import evaluation, importing, per_place, periods, reporting, schemes
from tilios.activity.models import ActivityReport, BandScheme
from tilios.places.models import Place
from tilios.policy.models import Programme
from tilios.revisions.services import NotAllowed
from tilios.territories.models import Departement, Region

from .common import add_errors, rate_limited


class ReportForm(forms.Form):
    # No min_value here: the service's messages (naming the field) are the ones shown.
    period_start = forms.DateField(label=_l("Début de la période"),
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    period_end = forms.DateField(label=_l("Fin de la période (vide : fin du mois)"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    regular_users = forms.IntegerField(label=_l("Usagers réguliers"))
    occasional_visits = forms.IntegerField(label=_l("Visites ponctuelles"), initial=0)
    desk_days_used = forms.IntegerField(label=_l("Jours-postes occupés"), required=False)
    desk_days_available = forms.IntegerField(label=_l("Jours-postes disponibles (capacité)"), required=False)
    events = forms.IntegerField(label=_l("Événements"), initial=0)
    reliability = forms.ChoiceField(label=_l("Fiabilité"), choices=ActivityReport.Reliability.choices)
    note = forms.CharField(label=_l("Note (jamais de donnée personnelle)"), required=False, max_length=500)


class ImportForm(forms.Form):
    file = forms.FileField(label=_l("Fichier CSV (UTF-8, séparateur , ou ;)"))
    source = forms.CharField(label=_l("Source (enquête, date…)"), required=False, max_length=300)
    kind = forms.ChoiceField(label=_l("Origine des chiffres"), choices=[
        (ActivityReport.ReportedBy.SURVEY, ActivityReport.ReportedBy.SURVEY.label),
        (ActivityReport.ReportedBy.IMPORT, ActivityReport.ReportedBy.IMPORT.label)])


class ReportEditForm(ReportForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReportDeleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


def _visible_place(public_id):
    return get_object_or_404(Place.objects.published().select_related("commune"), public_id=public_id)


def place_activity(request, public_id):
    place = _visible_place(public_id)
    try:
        on = periods.parse_date(request.GET.get("on")) or periods.today()
    except ValidationError:
        on = periods.today()
    indicators = per_place.place_indicators(place, on)
    reports = place.activity_reports.select_related("reported_by").order_by("-period_start")[:60]
    return render(request, "web/activity/place.html", {
        "place": place, "indicators": indicators, "reports": reports, "chart": per_place.chart(place, on, 36, 720, 200),
        "can_report": reporting.can_report(request.user, place), "on": on, "record": place, "tab": "activity",
    })


@rate_limited("edit")
def place_activity_new(request, public_id):
    place = _visible_place(public_id)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not reporting.can_report(request.user, place):
        raise NotAllowed(_("Seuls les gestionnaires de ce lieu et les modérateurs déclarent son activité."))
    previous = periods.add_months(periods.today(), -1).replace(day=1)
    form = ReportForm(request.POST or None, initial={
        "period_start": previous, "reliability": ActivityReport.Reliability.DECLARED,
        "desk_days_available": (place.capacity * 21) if place.capacity else None})
    if request.method == "POST" and form.is_valid():
        try:
            reporting.submit(place, form.cleaned_data, request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Rapport d’activité enregistré."))
            return redirect("web:place_activity", public_id=place.public_id)
    return render(request, "web/activity/report_form.html", {"place": place, "form": form},
                  status=400 if request.method == "POST" else 200)


def _editable_report(request, public_id, report_id):
    """The place and its report, for a signed-in manager of the place or a moderator (else login / 403)."""
    place = _visible_place(public_id)
    report = get_object_or_404(ActivityReport.objects.select_related("reported_by"), pk=report_id, place=place)
    if not request.user.is_authenticated:
        return place, report, redirect_to_login(request.get_full_path())
    if not reporting.can_report(request.user, place):
        raise NotAllowed(_("Seuls les gestionnaires de ce lieu et les modérateurs modifient son activité."))
    return place, report, None


def _report_initial(report):
    return {**{name: getattr(report, name) for name in reporting.EDITABLE}, "version": report.version}


@rate_limited("edit")
def place_activity_edit(request, public_id, report_id):
    place, report, login = _editable_report(request, public_id, report_id)
    if login:
        return login
    form = ReportEditForm(request.POST or None, initial=_report_initial(report))
    status, conflict = 400 if request.method == "POST" else 200, None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            reporting.edit(report, data, request.user, form.cleaned_data["version"])
        except ValidationError as exc:
            add_errors(form, exc)
        except reporting.ReportConflict as exc:
            # Show what is stored now, keep what the person typed: they decide, nothing is overwritten.
            report.refresh_from_db()
            form, conflict, status = ReportEditForm(initial=_report_initial(report)), str(exc), 409
        else:
            messages.success(request, _("Rapport d’activité modifié."))
            return redirect("web:place_activity", public_id=place.public_id)
    return render(request, "web/activity/report_form.html",
                  {"place": place, "form": form, "report": report, "conflict": conflict}, status=status)


@rate_limited("edit")
def place_activity_delete(request, public_id, report_id):
    place, report, login = _editable_report(request, public_id, report_id)
    if login:
        return login
    form = ReportDeleteForm(request.POST or None, initial={"version": report.version})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                reporting.delete(report, request.user, form.cleaned_data["version"])
            except reporting.ReportConflict as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                messages.success(request, _("Rapport d’activité supprimé (ses chiffres restent dans le journal)."))
                return redirect("web:place_activity", public_id=place.public_id)
    return render(request, "web/activity/report_delete.html", {"place": place, "form": form, "report": report},
                  status=status)


@rate_limited("edit")
def activity_import(request):
    """A survey's figures for many places at once: all lines or none, each error named by line and field."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not reporting.can_import(request.user):
        raise NotAllowed(_("Seuls les gestionnaires de lieux et les modérateurs importent des rapports d’activité."))
    form = ImportForm(request.POST or None, request.FILES or None)
    result, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > importing.IMPORT_MAX_BYTES:
                form.add_error("file", _("fichier trop gros (5 Mo au plus)"))
            else:
                result = importing.import_csv(upload.read(), kind=form.cleaned_data["kind"],
                                             source=form.cleaned_data["source"] or upload.name[:300],
                                             user=request.user)
                if result.ok:
                    messages.success(request, _("%(lines)s ligne(s) : %(created)s rapport(s) créé(s), %(updated)s mis à "
                                                "jour, %(unchanged)s inchangé(s).") % vars(result))
                    return redirect("web:activity_import")
    return render(request, "web/activity/import.html", {
        "form": form, "result": result, "columns": importing.IMPORT_COLUMNS}, status=status)


def evaluation_index(request):
    programmes = (Programme.objects.published().annotate(n_places=Count("places"))
                  .order_by("-n_places", "name"))
    return render(request, "web/activity/evaluation_index.html", {"programmes": programmes})


def _evaluation_choices(request):
    """(date, band scheme, error) from ?on= and ?scheme=; a bad value falls back to the default, said."""
    errors = []
    try:
        on = periods.parse_date(request.GET.get("on")) or periods.today()
    except ValidationError as exc:
        on = periods.today()
        errors += exc.messages
    try:
        scheme = schemes.current_scheme(request.GET.get("scheme") or None)
    except ValidationError as exc:
        scheme = schemes.current_scheme()
        errors += exc.messages
    return on, scheme, " ".join(errors) or None


def _evaluation_response(request, programme, result, on, error):
    """The page, or with ?format= the same figures as JSON (and, for a programme, its places as CSV)."""
    fmt = request.GET.get("format")
    if fmt == "csv" and programme is not None:
        response = HttpResponse(evaluation.evaluation_csv(result), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="evaluation-{programme.slug}-{on.isoformat()}.csv"'
        return response
    if fmt == "json":
        return HttpResponse(json.dumps(evaluation.jsonable(result), ensure_ascii=False, indent=1),
                            content_type="application/json; charset=utf-8")
    if fmt:
        raise Http404
    return render(request, "web/activity/evaluation.html", {
        "programme": programme, "result": result, "on": on, "error": error,
        "schemes": BandScheme.objects.order_by("code", "-version"),
        "regions": Region.objects.order_by("name") if programme is None else (),
        "departements": Departement.objects.order_by("code") if programme is None else (),
        "band_chart": band_chart(result), "group_chart": group_chart(result),
    })


def places_evaluation(request):
    """Every published place, or a territory's: read from the month's snapshot of window aggregates."""
    on, scheme, error = _evaluation_choices(request)
    # The page's menu sends territoire=region:84 or departement:38; links and the API use region= / departement=.
    level, _sep, code = request.GET.get("territoire", "").partition(":")
    chosen = {"region": request.GET.get("region"), "departement": request.GET.get("departement")}
    if level in chosen and code:
        chosen[level] = code
    try:
        territory = evaluation.territory_of(chosen["region"], chosen["departement"])
    except ValidationError as exc:
        territory, error = None, " ".join(filter(None, [error, *exc.messages]))
    return _evaluation_response(request, None, evaluation.evaluate_places(on, scheme, territory), on, error)


def programme_evaluation(request, slug):
    programme = get_object_or_404(Programme.objects.published(), slug=slug)
    on, scheme, error = _evaluation_choices(request)
    return _evaluation_response(request, programme, evaluation.evaluate_programme(programme, on, scheme), on, error)


COLOURS = {"never": "#b2182b", "sporadic": "#ef8a62", "regular_1_5": "#67a9cf", "regular_6_plus": "#2166ac",
           "unknown": "#bbbbbb"}


def band_chart(result, width=560, bar_h=26):
    rows = result["bands"] + [result["unknown"]]
    peak = max([r["count"] for r in rows] + [1])
    left, plot_w = 230, width - 230 - 50
    bars = []
    for i, row in enumerate(rows):
        w = plot_w * row["count"] / peak
        bars.append({"y": 8 + i * (bar_h + 8), "w": round(w, 1), "label": row["label"], "count": row["count"],
                     "colour": COLOURS.get(row["code"], "#888888"), "text_x": round(left + w + 6, 1)})
    return {"width": width, "height": 16 + len(rows) * (bar_h + 8), "left": left, "bar_h": bar_h,
            "label_x": left - 8, "bars": bars, "text_dy": bar_h / 2 + 5}


def group_chart(result, width=560, bar_h=22):
    """Stacked bars (shares of each band) for rural / urban and inside / outside métropoles."""
    codes = [b["code"] for b in result["bands"]] + ["unknown"]
    left, plot_w = 170, width - 170 - 60
    groups = []
    for i, (name, group) in enumerate((n, g) for n, g in result["groups"].items() if g["places"]):
        x, segments = left, []
        for code in codes:
            w = plot_w * group["bands"].get(code, 0) / group["places"]
            if w:
                segments.append({"x": round(x, 1), "w": round(w, 1), "colour": COLOURS.get(code, "#888888"),
                                 "title": f"{_(name)} — {code} : {group['bands'].get(code, 0)}"})
            x += w
        groups.append({"y": 8 + i * (bar_h + 10), "name": _(name), "places": group["places"], "segments": segments})
    labels = {b["code"]: b["label"] for b in result["bands"] + [result["unknown"]]}
    legend = [{"x": 10 + j * 110, "colour": COLOURS.get(c, "#888888"), "label": labels.get(c, c)[:18],
               "title": labels.get(c, c)} for j, c in enumerate(codes)]
    height = 8 + len(groups) * (bar_h + 10) + 30
    return {"width": width, "height": height, "left": left, "bar_h": bar_h, "groups": groups, "legend": legend,
            "legend_y": height - 14, "count_x": left + plot_w + 8, "text_dy": bar_h / 2 + 5}
