"""Helpers the governance views share: rate limits, the 429 page, pagination, errors on forms."""
import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from tilios.accounts import permissions, throttle
from tilios.revisions.models import Revision
from tilios.revisions.services import NotAllowed

PER_PAGE = 50


def too_many(request, exc):
    return render(request, "web/429.html", {"message": str(exc)}, status=429)


def rate_limited(scope):
    """Count each POST against `scope`; past the limit, answer 429 without running the view."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                try:
                    throttle.hit(request, scope)
                except throttle.RateLimited as exc:
                    return too_many(request, exc)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def contributor_required(view):
    """Anonymous → the login page; blocked or closed account → 403."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.can_contribute(request.user):
            raise NotAllowed(blocked_message(request.user))
        return view(request, *args, **kwargs)

    return wrapped


def role_required(check, message):
    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise NotAllowed(blocked_message(request.user) if permissions.is_blocked(request.user) else message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def blocked_message(user):
    profile = getattr(user, "profile", None)
    if profile is not None and profile.is_blocked:
        return _("Votre compte est bloqué jusqu’au %(date)s. Motif : %(reason)s") % {
            "date": profile.blocked_until.strftime("%d/%m/%Y %H:%M"), "reason": profile.blocked_reason or "—"}
    return _("Un compte de contributeur actif est nécessaire.")


def add_errors(form, exc):
    """Put a service's ValidationError on the form, by field when it names one the form has."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            for message in messages:
                if field in form.fields:
                    form.add_error(field, message)
                else:
                    form.add_error(None, f"{field} : {message}")
    else:
        for message in getattr(exc, "messages", [str(exc)]):
            form.add_error(None, message)


def paginate(request, queryset, per_page=PER_PAGE):
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


def say_saved(request, revision):
    """Tell the writer whether their revision is live or waits for review."""
    if revision.status == Revision.Status.ACCEPTED:
        messages.success(request, _("Enregistré et publié."))
    else:
        messages.info(request, _("Merci ! Votre contribution attend la relecture d’un contributeur de confiance "
                                 "avant d’être publiée."))
