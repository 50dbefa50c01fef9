"""The policy archive's pages (/politiques/): announcements with their figures highlighted and the
earlier announcements they repeat, programmes, promises and their written status rule, timelines,
past failures and recycled clusters. Server-rendered, no script; exports are the API's CSV and JSON.
"""
import datetime
from collections import Counter
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from tilios.accounts import permissions
from tilios.places.models import Place
from tilios.policy import services, writing
from tilios.policy.editing import place_links
from tilios.policy.models import Actor, Announcement, Figure, Programme, Promise, validate_archive_url
from tilios.revisions.models import Revision
from tilios.revisions.services import EditConflict, NoChange
from tilios.revisions.visibility import visible_to

from .common import add_errors, contributor_required, paginate, rate_limited, role_required, say_saved
from .forms import HoneypotMixin
from .policy_presenters import figure_marks, highlight, territory_label

PER_PAGE = 30
CAN_CORRECT = _l("Seuls les contributeurs de confiance corrigent les chiffres.")
REASONS = {"texte": _l("même texte"), "chiffres": _l("mêmes chiffres"), "promesse": _l("reprend une promesse"),
           "chiffre": _l("reprend un chiffre du programme")}


# --- Helpers ----------------------------------------------------------------------------------------

def _status_rows(rows):
    return [{"promise": p, "verdict": v, "status": v.status, "label": v.label} for p, v in rows]


def _context(request, section, **extra):
    return {"section": section, "can_correct": permissions.can_review(request.user),
            "can_contribute": permissions.can_contribute(request.user), **extra}


# --- Overview ---------------------------------------------------------------------------------------

def overview(request):
    rows = services.promises()
    counts = Counter(v.status for _p, v in rows)
    statuses = [{"code": code, "label": label, "count": counts.get(code, 0)}
                for code, label in services.STATUS_LABELS.items()]
    latest = (Announcement.objects.published().select_related("programme")
              .prefetch_related("actors").order_by("-made_on", "-id")[:5])
    return render(request, "web/policy/overview.html", _context(
        request, "overview", statuses=statuses, promise_count=len(rows), latest=latest,
        announcement_count=Announcement.objects.published().count(),
        programmes=Programme.objects.published(), status_rule=services.STATUS_RULE,
        failures=[(p, v) for p, v in rows if v.status == services.Status.BROKEN]))


# --- Announcements -----------------------------------------------------------------------------------

def announcements(request):
    raw = {name: request.GET.get(name, "").strip()[:200] for name in ("actor", "territory", "programme", "year", "q")}
    year = int(raw["year"]) if raw["year"].isdigit() and int(raw["year"]) in services.YEARS else None
    published = Announcement.objects.published()
    qs = services.filter_announcements(published.select_related("programme").prefetch_related("actors"),
                                       raw["actor"], raw["territory"], raw["programme"], year, raw["q"])
    page = paginate(request, qs.order_by("-made_on", "-id"), PER_PAGE)
    query = urlencode({k: v for k, v in raw.items() if v})
    return render(request, "web/policy/announcements.html", _context(
        request, "announcements", page_obj=page, raw=raw, query=query,
        actors=Actor.objects.published().filter(announcements__is_published=True).distinct(),
        programmes=Programme.objects.published(),
        years=sorted({d.year for d in published.dates("made_on", "year")}, reverse=True),
        territories=[(c, territory_label(c)) for c in
                     sorted(set(published.exclude(territory_code="").values_list("territory_code", flat=True)))],
        json_url="/api/policy/announcements" + ("?" + query if query else ""),
        csv_url="/api/policy/announcements.csv" + ("?" + query if query else "")))


def _visible_announcement(request, pk):
    announcement = get_object_or_404(Announcement.objects.select_related("programme", "current_revision")
                                     .prefetch_related("actors"), pk=pk)
    if not visible_to(announcement, request.user):
        raise Http404
    return announcement


class FigureForm(forms.Form):
    kind = forms.ChoiceField(label=_l("Type"), choices=Figure.Kind.choices)
    value = forms.FloatField(label=_l("Valeur"))
    unit = forms.CharField(label=_l("Unité (EUR, télécentres, emplois…)"), max_length=40, required=False)
    text = forms.CharField(label=_l("Passage du texte"), max_length=200, required=False)


def announcement(request, pk):
    record = _visible_announcement(request, pk)
    figures = list(record.figures.all())
    matches = []
    for match in services.recycled(record):
        other_figures = list(match.other.figures.all())
        shared = set(match.shared_figures)
        matches.append({
            "match": match, "other": match.other,
            "reasons": [REASONS[r] for r in match.reasons],
            "similarity": round(100 * match.text_similarity),
            "mine": highlight(record.text, [(s, e, "shared", "") for s, e in match.shared_passages]
                              + figure_marks(figures, shared, "fig shared-fig")),
            "theirs": highlight(match.other.text, [(s, e, "shared", "") for s, e in match.other_passages]
                                + figure_marks(other_figures, shared, "fig shared-fig")),
            "shared_figures": [f for f in other_figures if f.key in shared],
        })
    pending = (not record.is_published and Revision.objects.filter(
        content_type__model="announcement", content_type__app_label="policy", object_id=record.pk,
        status=Revision.Status.PENDING).exists())
    promises = [{"promise": p, "verdict": services.status(p)} for p in record.promises.published()]
    return render(request, "web/policy/announcement.html", _context(
        request, "announcements", a=record, figures=figures, text=highlight(record.text, figure_marks(figures)),
        matches=matches, promises=promises, pending=pending, territory=territory_label(record.territory_code),
        figure_form=FigureForm()))


@require_POST
@role_required(permissions.can_review, CAN_CORRECT)
@rate_limited("edit")
def figure_add(request, pk):
    record = _visible_announcement(request, pk)
    form = FigureForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        services.add_figure(record, c["kind"], c["value"], c["unit"].strip(), c["text"].strip(), request.user)
        messages.success(request, _("Chiffre ajouté."))
    else:
        messages.error(request, _("Chiffre non ajouté : ") + " ; ".join(
            f"{form.fields[name].label if name in form.fields else name} — {' '.join(errs)}"
            for name, errs in form.errors.items()))
    return redirect(record.get_absolute_url() + "#chiffres")


@require_POST
@role_required(permissions.can_review, CAN_CORRECT)
@rate_limited("edit")
def figure_remove(request, pk, figure_id):
    record = _visible_announcement(request, pk)
    figure = get_object_or_404(Figure, pk=figure_id, announcement=record)
    services.remove_figure(figure)
    messages.success(request, _("Chiffre retiré."))
    return redirect(record.get_absolute_url() + "#chiffres")


class AnnouncementForm(HoneypotMixin):
    made_on = forms.DateField(label=_l("Date de l’annonce"),
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    title = forms.CharField(label=_l("Titre"), max_length=300)
    text = forms.CharField(label=_l("Texte ou citation"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    actors = forms.ModelMultipleChoiceField(label=_l("Acteurs"), required=False, queryset=Actor.objects.none(),
                                            widget=forms.CheckboxSelectMultiple)
    territory_code = forms.CharField(label=_l("Territoire (code INSEE de la région, du département ou de la commune)"),
                                     max_length=9, required=False)
    programme = forms.ModelChoiceField(label=_l("Programme"), required=False, queryset=Programme.objects.none(),
                                       to_field_name="slug")
    source_url = forms.URLField(label=_l("Source (adresse)"), max_length=500, assume_scheme="https")
    source_title = forms.CharField(label=_l("Titre du document source"), max_length=300, required=False)
    source_page = forms.CharField(label=_l("Page"), max_length=20, required=False)
    archive_url = forms.URLField(label=_l("Copie archivée (Wayback Machine, archive.today…)"), max_length=500,
                                 required=False, assume_scheme="https", validators=[validate_archive_url])
    summary = forms.CharField(label=_l("Résumé de la modification"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actors"].queryset = Actor.objects.published()
        self.fields["programme"].queryset = Programme.objects.published()

    def data_for_revision(self):
        c = self.cleaned_data
        return {"made_on": c["made_on"].isoformat(), "title": c["title"].strip(), "text": c["text"].strip(),
                "actors": sorted(a.pk for a in c["actors"]), "territory_code": c["territory_code"].strip(),
                "programme": c["programme"].pk if c["programme"] else None, "source_url": c["source_url"].strip(),
                "source_title": c["source_title"].strip(), "source_page": c["source_page"].strip(),
                "archive_url": c["archive_url"].strip()}


@contributor_required
@rate_limited("edit")
def announcement_create(request):
    status = 200
    if request.method == "POST":
        form = AnnouncementForm(request.POST)
        if form.is_valid():
            try:
                record, revision, matches = services.propose_announcement(
                    form.data_for_revision(), request.user, form.cleaned_data.get("summary") or "")
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                if revision.status == Revision.Status.ACCEPTED:
                    messages.success(request, _("Annonce publiée."))
                else:
                    messages.info(request, _("Merci ! Votre annonce attend la relecture d’un contributeur de "
                                             "confiance avant d’être publiée."))
                if matches:
                    messages.warning(request, _("%(n)d annonce(s) antérieure(s) disent la même chose : voyez "
                                                "ci-dessous.") % {"n": len(matches)})
                return redirect(record.get_absolute_url() + "#recyclage")
        status = 400
    else:
        form = AnnouncementForm(initial={"made_on": datetime.date.today()})
    return render(request, "web/policy/announcement_form.html", _context(
        request, "announcements", form=form, live=permissions.can_publish(request.user, None)), status=status)


def clusters(request):
    groups = services.clusters()
    return render(request, "web/policy/clusters.html", _context(request, "clusters", groups=groups))


# --- Programmes, promises -----------------------------------------------------------------------------

def programmes(request):
    return render(request, "web/policy/programmes.html", _context(
        request, "programmes", programmes=Programme.objects.published().prefetch_related("actors")))


class PlaceLinkForm(HoneypotMixin):
    """Link a place to a programme (or change the dates of its link) from the programme's page."""

    place = forms.CharField(label=_l("Lieu (identifiant ou adresse de sa page)"), max_length=300)
    since = forms.DateField(label=_l("Depuis"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_l("Jusqu’au"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    summary = forms.CharField(label=_l("Résumé de la modification"), max_length=500, required=False)
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)


def programme(request, slug, link_form=None, status=200):
    record = get_object_or_404(Programme.objects.prefetch_related("actors"), slug=slug)
    if not visible_to(record, request.user):
        raise Http404
    rows = []
    for a in record.announcements.published().prefetch_related("actors").order_by("made_on", "id"):
        promises = []
        for p in a.promises.published():
            promises.append({"promise": p, "verdict": services.status(p), "outcomes": services.outcomes(p)})
        rows.append({"announcement": a, "promises": promises})
    current = record.current_revision_id
    return render(request, "web/policy/programme.html", _context(
        request, "programmes", programme=record, rows=rows, links=services.linked_places(record),
        link_form=link_form or PlaceLinkForm(initial={"base_revision": current}), base_revision=current),
        status=status)


@require_POST
@contributor_required
@rate_limited("edit")
def programme_places(request, slug):
    """Link a place (or change its dates), or unlink one (`remove`: its public id): a revision of the
    programme, published or proposed as any other edit."""
    record = get_object_or_404(Programme.objects.published(), slug=slug)
    links = {link["place"]: link for link in place_links(record)}
    form = PlaceLinkForm(request.POST)
    if "remove" in request.POST:
        form.fields["place"].required = False
    if not form.is_valid():
        return programme(request, slug, form, 400)
    data = form.cleaned_data
    if "remove" in request.POST:
        gone = Place.objects.filter(public_id=request.POST["remove"][:12]).values_list("pk", flat=True).first()
        changes = [link for pk, link in links.items() if pk != gone]
        summary = data["summary"] or _("Lieu retiré du programme")
    else:
        given = {"place": data["place"], "since": data["since"] and data["since"].isoformat(),
                 "until": data["until"] and data["until"].isoformat()}
        changes = [*links.values(), given]  # a place linked already takes the new dates
        summary = data["summary"] or _("Lieu rattaché au programme")
    try:
        _record, revision = writing.edit("programmes", slug, {"places": changes}, request.user, summary,
                                         data["base_revision"])
    except EditConflict:
        messages.error(request, _("Le programme a changé pendant que vous le lisiez : relisez ses lieux et "
                                  "recommencez."))
        return redirect(record.get_absolute_url() + "#h-places")
    except NoChange:
        messages.info(request, _("Rien n’a changé."))
        return redirect(record.get_absolute_url() + "#h-places")
    except ValidationError as exc:
        for message in exc.message_dict.pop("places", []):  # the list the form's one place was added to
            form.add_error("place", message)
        add_errors(form, exc)
        return programme(request, slug, form, 400)
    say_saved(request, revision)
    return redirect(record.get_absolute_url() + "#h-places")


def promises(request):
    status = request.GET.get("status", "").strip()
    actor = request.GET.get("actor", "").strip()[:200]
    if status and status not in services.STATUS_LABELS:
        status = ""
    rows = _status_rows(services.promises(actor or None, status or None))
    query = urlencode({k: v for k, v in {"actor": actor, "status": status}.items() if v})
    return render(request, "web/policy/promises.html", _context(
        request, "promises", rows=rows, status=status, actor=actor, status_rule=services.STATUS_RULE,
        statuses=list(services.STATUS_LABELS.items()),
        json_url="/api/policy/promises" + ("?" + query if query else ""),
        csv_url="/api/policy/promises.csv" + ("?" + query if query else "")))


def promise(request, pk):
    record = get_object_or_404(Promise.objects.select_related("announcement", "programme"), pk=pk)
    if not visible_to(record, request.user) or not record.announcement.is_published and not visible_to(
            record.announcement, request.user):
        raise Http404
    return render(request, "web/policy/promise.html", _context(
        request, "promises", promise=record, verdict=services.status(record), outcomes=services.outcomes(record),
        replies=services.replies(record).select_related("outcome"), status_rule=services.STATUS_RULE,
        territory=territory_label(record.territory_code or record.announcement.territory_code)))


def failures(request):
    rows = [{"promise": p, "verdict": v, "outcomes": services.outcomes(p)} for p, v in services.past_failures()]
    return render(request, "web/policy/failures.html", _context(
        request, "failures", rows=rows, status_rule=services.STATUS_RULE))


# --- Timelines ------------------------------------------------------------------------------------------

def _timeline(request, title, events, **extra):
    return render(request, "web/policy/timeline.html", _context(
        request, "timeline", title=title, events=[{"date": d, "kind": k, "obj": o} for d, k, o in events], **extra))


def timeline(request):
    territories = sorted(set(Announcement.objects.published().exclude(territory_code="")
                             .values_list("territory_code", flat=True)))
    return _timeline(request, _("Chronologie de l’archive"), services.timeline(),
                     territories=[(c, territory_label(c)) for c in territories],
                     programmes=Programme.objects.published(),
                     json_url=reverse("api:timeline"))


def programme_timeline(request, slug):
    record = get_object_or_404(Programme.objects.published(), slug=slug)
    return _timeline(request, _("Chronologie : %(name)s") % {"name": record.name},
                     services.timeline(programme=record), programme=record,
                     json_url=reverse("api:timeline") + f"?programme={record.slug}")


def territory_timeline(request, code):
    code = code.strip()[:9]
    label = territory_label(code)
    return _timeline(request, _("Chronologie : %(name)s") % {"name": label}, services.timeline(territory_code=code),
                     territory=label, json_url=reverse("api:timeline") + f"?territory={code}")
