"""Registering and describing a source on the site: administrators only, the same checks as the API and CLI."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from tilios.accounts import permissions
from tilios.accounts.models import Role
from tilios.sources import registry
from tilios.sources.models import Source

from .common import add_errors, rate_limited, role_required
from .forms import SourceForm

admins_only = role_required(lambda user: permissions.at_least(user, Role.ADMIN),
                            _l("Seuls les administrateurs enregistrent ou modifient une source."))


def _initial(source):
    return {"name": source.name, "publisher": source.publisher, "url": source.url, "licence": source.licence_code,
            "attribution": source.attribution, "priority": source.priority, "description": source.description,
            "data_date": source.data_date.isoformat() if source.data_date else ""}


def _save(request, form, source):
    """Registers or updates; the service's field errors go back onto the form."""
    if not form.is_valid():
        return None
    try:
        if source is None:
            return registry.register(form.cleaned_data, request.user)
        return registry.update(source, form.cleaned_data, request.user)
    except ValidationError as exc:
        add_errors(form, exc)
    return None


@admins_only
@rate_limited("review")
def source_create(request):
    form = SourceForm(request.POST or None)
    if request.method == "POST":
        source = _save(request, form, None)
        if source is not None:
            messages.success(request, _("Source « %(name)s » enregistrée : les imports l'acceptent avec "
                                        "--source %(slug)s.") % {"name": source.name, "slug": source.slug})
            return redirect("web:sources")
    return render(request, "web/source_form.html", {"form": form, "source": None})


@admins_only
@rate_limited("review")
def source_edit(request, slug):
    source = get_object_or_404(Source, slug=slug)
    form = SourceForm(request.POST or None, initial=_initial(source), editing=True)
    if request.method == "POST":
        if _save(request, form, source) is not None:
            messages.success(request, _("Source « %(name)s » modifiée.") % {"name": source.name})
            return redirect("web:sources")
    return render(request, "web/source_form.html", {"form": form, "source": source})
