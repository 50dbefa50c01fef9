"""Editing places and knowledge pages, their history, comparisons, reverts and protection."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from tilios.accounts import permissions
from tilios.media.models import MediaFile
from tilios.pages.models import LICENCE, LICENCE_URL, Page, Training
from tilios.places.models import Place
from tilios.revisions import moderation, records
from tilios.revisions import services as rev
from tilios.revisions.models import Revision
from tilios.revisions.registry import spec_for

from . import diffs
from .common import add_errors, contributor_required, paginate, rate_limited, role_required
from .forms import FileForm, PageForm, PlaceForm, ProtectForm, RevertForm, TrainingForm
from .records import FILE, PAGE, PLACE, TRAINING, TYPES, find, link, title_of

# The form each kind of governed record is edited with.
FORMS = {Place: PlaceForm, Page: PageForm, MediaFile: FileForm, Training: TrainingForm}


def _published_message(request, revision):
    if getattr(revision, "replaces", None):
        messages.info(request, _("Votre proposition précédente, encore en attente, est remplacée par celle-ci, qui "
                                 "reprend ses changements : une seule proposition reste à relire."))
    if revision.status == Revision.Status.ACCEPTED:
        messages.success(request, _("Modification publiée (révision %(n)d).") % {"n": revision.number})
    else:
        messages.info(request, _("Merci ! Votre modification attend la relecture d’un contributeur de confiance "
                                 "avant d’être publiée."))


def _save(request, form, record, model, base):
    """Validate, send to the services; returns a response, or None to re-show the form."""
    spec = spec_for(model)
    mine = form.data_for_revision()
    summary = form.cleaned_data.get("summary") or ""
    try:
        if record is None:
            if model is Page and Page.objects.filter(slug=slugify(mine["title"])[:200]).exists():
                form.add_error("title", _("une page porte déjà ce titre"))
                return None
            record, revision = rev.create(model, mine, request.user, summary)
        else:
            clean = spec.validate({**base.data, **mine})  # the service's own validation, for field errors
            changes = {k: clean[k] for k in mine if clean[k] != base.data.get(k)}
            if not changes:
                form.add_error(None, _("Aucune modification : le contenu est identique."))
                return None
            form.changes = changes  # kept for an edit conflict: only what this editor changed
            revision = rev.edit(record, changes, request.user, summary, base_revision=base.pk)
    except rev.NoChange:
        form.add_error(None, _("Aucune modification : le contenu est identique."))
        return None
    except ValidationError as exc:
        add_errors(form, exc)
        return None
    _published_message(request, revision)
    return redirect(link(records.of(model), "read", record))


def _conflict_context(exc, form, model):
    current = exc.current
    mine = getattr(form, "changes", None) or form.data_for_revision()
    rows = []
    for name in exc.conflicting:
        rows.append({"label": diffs.field_label(model, name),
                     "current": diffs.show(current.data.get(name)), "mine": diffs.show(mine.get(name))})
    return current, mine, rows


def _initial(form_class, data):
    """A form's initial values from a revision's data (forms whose fields differ from it convert it)."""
    convert = getattr(form_class, "initial_from", None)
    return convert(data) if convert else dict(data)


def _edit(request, model, record, template, extra, default_title=""):
    rtype = records.of(model)
    base = record.current_revision if record is not None else None
    form_class = FORMS[model]
    kwargs = {"base_links": base.data.get("links") or []} if model is Place and base else {}
    if model is Place:
        kwargs["language"] = get_language()
    conflict = None
    status = 200
    if record is not None and base is None:
        raise rev.NotAllowed(_("ce contenu attend encore sa relecture"))
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            if record is not None:
                base_id = form.cleaned_data.get("base_revision")
                base = rev.history(record).filter(pk=base_id).first() if base_id else None
                if base is None:
                    form.add_error(None, _("Révision de base inconnue : rechargez la page."))
            if not form.errors:
                try:
                    response = _save(request, form, record, model, base)
                except rev.EditConflict as exc:
                    current, mine, rows = _conflict_context(exc, form, model)
                    initial = _initial(form_class, {**current.data, **mine})
                    initial.update(base_revision=current.pk, summary=form.cleaned_data.get("summary"))
                    form = form_class(initial=initial, **kwargs)
                    conflict = {"current": current, "rows": rows,
                                "yours": current.author_id is not None and current.author_id == request.user.pk}
                    status = 409
                    response = None
                if response is not None:
                    return response
        if not conflict and form.errors:
            status = 400
    else:
        if record is not None:
            data = dict(base.data)
            for mine in rev.pending_of(record, request.user):  # go on from one's own pending proposal
                data.update({name: mine.data[name] for name in mine.diff if name in mine.data})
                extra = {**extra, "editing_pending": True}
            initial = _initial(form_class, data)
            initial["base_revision"] = base.pk
        else:
            initial = {"title": (request.GET.get("titre") or default_title)[:200]} if model is Page else {}
        form = form_class(initial=initial, **kwargs)
    context = {"form": form, "record": record, "conflict": conflict, "rtype": rtype,
               "live": permissions.can_publish(request.user, record), **extra}
    return render(request, template, context, status=status)


@contributor_required
@rate_limited("edit")
def place_edit(request, public_id):
    record = find(PLACE, public_id, request.user)
    return _edit(request, Place, record, "web/place_edit.html", {"place": record, "tab": "edit"})


@contributor_required
@rate_limited("edit")
def place_create(request):
    return _edit(request, Place, None, "web/place_edit.html", {"place": None, "tab": "edit"})


@contributor_required
@rate_limited("edit")
def file_edit(request, name):
    record = find(FILE, name, request.user)
    return _edit(request, MediaFile, record, "web/file_edit.html", {"file": record, "tab": "edit"})


@contributor_required
@rate_limited("edit")
def training_edit(request, slug):
    record = find(TRAINING, slug, request.user)
    return _edit(request, Training, record, "web/training_edit.html", {"training": record, "tab": "edit"})


@contributor_required
@rate_limited("edit")
def training_create(request):
    return _edit(request, Training, None, "web/training_edit.html", {"training": None, "tab": "edit"})


@contributor_required
@rate_limited("edit")
def page_edit(request, slug):
    record = Page.objects.filter(slug=slug).first()
    if record is not None:
        record = find(PAGE, slug, request.user)
    return _edit(request, Page, record, "web/wiki/edit.html",
                 {"page": record, "slug": slug, "tab": "edit", "licence": LICENCE, "licence_url": LICENCE_URL},
                 default_title=slug.replace("-", " ").capitalize())


# --- history, compare, revert, protection -----------------------------------------------------------

def history(request, kind, key):
    rtype = TYPES[kind]
    record = find(rtype, key, request.user)
    revisions = rev.history(record).select_related("author", "source", "parent").order_by("-id")
    page = paginate(request, revisions)
    return render(request, "web/history.html", {
        "record": record, "rtype": rtype, "title": title_of(record), "page_obj": page, "tab": "history",
        "can_revert": permissions.can_contribute(request.user),
        "can_protect": permissions.can_moderate(request.user),
        "licence": LICENCE if kind == "page" else None, "licence_url": LICENCE_URL,
    })


def compare(request, kind, key):
    rtype = TYPES[kind]
    record = find(rtype, key, request.user)
    try:
        ids = sorted({int(x) for x in request.GET.getlist("r")})
    except ValueError:
        ids = []
    revisions = list(rev.history(record).filter(pk__in=ids).select_related("author", "source", "parent"))
    if not ids or len(ids) > 2 or len(revisions) != len(ids):
        return render(request, "web/compare.html", {
            "record": record, "rtype": rtype, "title": title_of(record), "tab": "history",
            "error": _("Choisissez deux révisions de ce contenu à comparer.")}, status=400)
    revisions.sort(key=lambda r: r.pk)
    if len(revisions) == 1:
        after = revisions[0]
        before = after.parent
    else:
        before, after = revisions
    rows = diffs.rows(rtype.model, before.data if before else {}, after.data)
    return render(request, "web/compare.html", {
        "record": record, "rtype": rtype, "title": title_of(record), "tab": "history",
        "before": before, "after": after, "rows": rows,
        "can_revert": permissions.can_contribute(request.user),
        "licence": LICENCE if kind == "page" else None, "licence_url": LICENCE_URL,
    })


@require_POST
@contributor_required
@rate_limited("edit")
def revert(request, kind, key, revision_id):
    rtype = TYPES[kind]
    record = find(rtype, key, request.user)
    target = get_object_or_404(rev.history(record), pk=revision_id)
    form = RevertForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Demande d’annulation incomplète : rechargez l’historique."))
        return redirect(link(rtype, "history", record))
    try:
        revision = rev.revert(record, target, request.user, form.cleaned_data["summary"] or "",
                              base_revision=form.cleaned_data["base_revision"])
    except rev.EditConflict as exc:
        messages.error(request, _("Le contenu a changé entre-temps (révision %(n)s) : vérifiez l’historique "
                                  "avant d’annuler.") % {"n": exc.current.number})
    except rev.NoChange:
        messages.info(request, _("Rien à annuler : le contenu est déjà dans cet état."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        _published_message(request, revision)
    return redirect(link(rtype, "history", record))


@require_POST
@role_required(permissions.can_moderate, _l("Seuls les modérateurs protègent un contenu."))
def protect(request, kind, key):
    rtype = TYPES[kind]
    record = find(rtype, key, request.user)
    form = ProtectForm(request.POST)
    form.is_valid()
    protected = bool(form.cleaned_data.get("protected"))
    moderation.set_protection(record, request.user, protected, form.cleaned_data.get("reason") or "")
    messages.success(request, _("Contenu protégé : toute modification passe par un modérateur.") if protected
                     else _("Protection levée."))
    return redirect(link(rtype, "history", record))

