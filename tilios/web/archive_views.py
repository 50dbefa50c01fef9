"""Web forms for the rest of the archive: actors, programmes, promises, outcomes (studies included) and
replies, added and edited the way the API and `tilios archive` write them (policy.writing), under the same
governance: pending for newcomers, a stale form is a conflict shown to its author, never an overwrite."""
import datetime
import decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tilios.accounts import permissions
from tilios.policy import writing
from tilios.policy.models import Actor, Announcement, Outcome, Programme, Promise, Reply
from tilios.revisions import services as rev
from tilios.revisions.registry import spec_for

from .common import add_errors, contributor_required, rate_limited, say_saved
from .forms import HoneypotMixin

TYPE_LABELS = {"actors": gettext_lazy("un acteur"), "programmes": gettext_lazy("un programme"),
               "promises": gettext_lazy("une promesse"), "outcomes": gettext_lazy("un résultat ou une étude"),
               "replies": gettext_lazy("une réponse (droit de réponse)")}
# Fields a person edits here; a programme's places are linked from the places themselves, not a 10⁵ list.
FIELDS = {
    Actor: ["name", "kind", "territory_code"],
    Programme: ["slug", "name", "kind", "started_on", "ended_on", "budget_eur", "description", "actors"],
    Promise: ["announcement", "programme", "metric", "target_value", "unit", "deadline", "territory_code", "quote",
              "count_from_registry"],
    Outcome: ["promise", "value", "measured_on", "source_url", "archive_url", "method", "note", "distribution"],
    Reply: ["actor", "promise", "outcome", "made_on", "text", "source_url"],
}
PUBLISHED = {"actor": Actor, "actors": Actor, "announcement": Announcement, "programme": Programme,
             "promise": Promise, "outcome": Outcome}
DISTRIBUTION_HELP = gettext_lazy(
    "Une ligne par groupe : « libellé ; nombre de lieux ; bande » (la bande est facultative : never, sporadic, "
    "regular_1_5, regular_6_plus). Laissez vide pour une simple mesure.")


class DistributionField(forms.CharField):
    """A study's distribution typed as lines « label ; count ; band », checked line by line."""

    widget = forms.Textarea(attrs={"rows": 5})

    def to_python(self, value):
        groups = []
        for number, line in enumerate((value or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(";")]
            if len(parts) not in (2, 3) or not parts[1].isdigit():
                raise ValidationError(_("ligne %(n)s : « libellé ; nombre de lieux ; bande » attendu") % {"n": number})
            group = {"label": parts[0], "count": int(parts[1])}
            if len(parts) == 3 and parts[2]:
                group["band"] = parts[2]
            groups.append(group)
        return groups

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(" ; ".join([g["label"], str(g["count"])] + ([g["band"]] if g.get("band") else []))
                             for g in value)
        return value


def form_class(model):
    """The form of one record type, its fields from the model (labels, choices, validators)."""
    fields = forms.fields_for_model(model, fields=FIELDS[model], formfield_callback=_formfield)
    fields["summary"] = forms.CharField(label=gettext_lazy("Résumé de la modification"), max_length=500,
                                        required=False)
    fields["base_revision"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
    return type(f"{model.__name__}Form", (HoneypotMixin,), fields)


def _formfield(field, **kwargs):
    if field.name == "distribution":
        return DistributionField(label=field.verbose_name, required=False, help_text=DISTRIBUTION_HELP)
    if field.name in PUBLISHED and field.is_relation:
        queryset = PUBLISHED[field.name].objects.published()
        if field.many_to_many:
            return forms.ModelMultipleChoiceField(queryset=queryset, label=field.verbose_name.capitalize(),
                                                  required=False, widget=forms.CheckboxSelectMultiple)
        return forms.ModelChoiceField(queryset=queryset, label=field.verbose_name.capitalize(),
                                      required=not field.null)
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    formfield = field.formfield(**kwargs)
    if isinstance(formfield, forms.DateField):
        formfield.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return formfield


def _data(model, cleaned):
    """Cleaned form values as the revision data writing.create / edit take (ids, ISO dates, numbers)."""
    data = {}
    for name in FIELDS[model]:
        value = cleaned.get(name)
        if hasattr(value, "values_list"):
            value = sorted(value.values_list("pk", flat=True))
        elif hasattr(value, "pk"):
            value = value.pk
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, decimal.Decimal):
            value = float(value)
        elif isinstance(value, str):
            value = value.strip()
        data[name] = value
    return data


def url_of(record):
    """Where a saved record is seen."""
    if isinstance(record, Actor):
        return reverse("web:announcements") + f"?actor={record.pk}"
    if isinstance(record, Outcome):
        return reverse("web:promise", args=[record.promise_id]) + f"#resultat-{record.pk}"
    return record.get_absolute_url()


def _model(type_name):
    try:
        return writing.model_of(type_name)
    except ValidationError:
        raise Http404 from None


def _initial(request, model):
    """A new record prefilled from the page it was asked from (?promise=, ?programme=, ?announcement=)."""
    initial = {}
    for name in ("promise", "outcome", "announcement", "actor"):
        if name in FIELDS[model] and request.GET.get(name, "").isdigit():
            initial[name] = int(request.GET[name])
    if "programme" in FIELDS[model] and request.GET.get("programme"):
        initial["programme"] = Programme.objects.filter(slug=request.GET["programme"][:120]).values_list(
            "pk", flat=True).first()
    if model is Promise and initial.get("announcement") and not initial.get("programme"):
        initial["programme"] = Announcement.objects.filter(pk=initial["announcement"]).values_list(
            "programme_id", flat=True).first()
    return initial


@contributor_required
@rate_limited("edit")
def record_add(request, type_name):
    model = _model(type_name)
    Form = form_class(model)
    status = 200
    if request.method == "POST":
        form = Form(request.POST)
        if form.is_valid():
            try:
                record, revision = writing.create(type_name, _data(model, form.cleaned_data), request.user,
                                                  form.cleaned_data["summary"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                say_saved(request, revision)
                return redirect(url_of(record))
        status = 400
    else:
        form = Form(initial=_initial(request, model))
    return render(request, "web/policy/record_form.html", {
        "section": type_name, "form": form, "record": None, "what": TYPE_LABELS[type_name],
        "live": permissions.can_publish(request.user, None)}, status=status)


@contributor_required
@rate_limited("edit")
def record_edit(request, type_name, key):
    model = _model(type_name)
    try:
        record = writing.find(type_name, key)
    except ValidationError:
        raise Http404 from None
    Form = form_class(model)
    current = record.current_revision
    status, conflict = 200, None
    if request.method == "POST":
        form = Form(request.POST)
        if form.is_valid():
            try:
                record, revision = writing.edit(type_name, key, _data(model, form.cleaned_data), request.user,
                                                form.cleaned_data["summary"], form.cleaned_data["base_revision"])
            except rev.EditConflict as exc:
                conflict = exc.current
                form = Form(initial={**_data(model, form.cleaned_data), "base_revision": conflict.pk,
                                     "summary": form.cleaned_data["summary"]})
                status = 409
            except rev.NoChange:
                messages.info(request, _("Rien n’a changé."))
                return redirect(url_of(record))
            except ValidationError as exc:
                add_errors(form, exc)
                status = 400
            else:
                say_saved(request, revision)
                return redirect(url_of(record))
        else:
            status = 400
    else:
        form = Form(initial={**spec_for(model).snapshot(record), "base_revision": current.pk if current else None})
    return render(request, "web/policy/record_form.html", {
        "section": type_name, "form": form, "record": record, "what": TYPE_LABELS[type_name], "conflict": conflict,
        "live": permissions.can_publish(request.user, record)}, status=status)


