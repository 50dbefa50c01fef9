"""The moderation queue, the user tools of moderators and the public audit log."""
import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from tilios.accounts import permissions
from tilios.revisions import moderation
from tilios.revisions import services as rev
from tilios.revisions.models import ModerationAction, Revision

from . import diffs
from .common import paginate, rate_limited, role_required
from .forms import BlockForm, ManagerForm, ReviewForm, RoleForm, RollbackForm, UnblockForm
from .records import attach_records

User = get_user_model()
reviewers_only = role_required(permissions.can_review, _l("La relecture est réservée aux contributeurs de confiance "
                                                           "et aux modérateurs."))
moderators_only = role_required(permissions.can_moderate, _l("Réservé aux modérateurs."))


@reviewers_only
def queue(request):
    page = paginate(request, rev.pending_queue().select_related("source"))
    items = attach_records(list(page.object_list))
    for item in items:
        current = item.record_obj.current_revision if item.record_obj is not None else None
        item.rows = diffs.revision_rows(item, current)
    return render(request, "web/moderation/queue.html", {"page_obj": page, "items": items,
                                                          "form": ReviewForm()})


@require_POST
@reviewers_only
@rate_limited("review")
def review(request, revision_id, decision):
    revision = get_object_or_404(Revision.objects.select_related("content_type"), pk=revision_id)
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if decision == "accept":
            rev.accept(revision, request.user, note)
            messages.success(request, _("Révision acceptée et publiée."))
        else:
            rev.reject(revision, request.user, note)
            messages.success(request, _("Révision refusée."))
    except rev.EditConflict as exc:
        model = revision.content_type.model_class()
        fields = "; ".join(_("%(field)s : « %(now)s » publié depuis, « %(proposed)s » proposé") % {
            "field": diffs.field_label(model, name), "now": diffs.show(exc.current.data.get(name)),
            "proposed": diffs.show(revision.data.get(name))} for name in exc.conflicting)
        messages.error(request, _("Conflit avec la révision %(n)s publiée depuis la proposition — %(fields)s. "
                                  "Refusez-la ou reprenez-la à la main.") % {"n": exc.current.number, "fields": fields})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/moderation/")
                    else "web:moderation")


@moderators_only
def users(request):
    q = request.GET.get("q", "").strip()[:150]
    found = []
    if q:
        found = list(User.objects.filter(Q(username__icontains=q) | Q(email__iexact=q))
                     .select_related("profile").order_by("username")[:50])
    blocked = User.objects.filter(profile__blocked_until__gt=timezone.now()).select_related("profile")[:50]
    return render(request, "web/moderation/users.html", {"q": q, "found": found, "blocked": blocked})


@moderators_only
def user_tools(request, user_id):
    target = get_object_or_404(User.objects.select_related("profile"), pk=user_id)
    return _user_tools(request, target)


def _user_tools(request, target, status=200, **forms):
    contributions = attach_records(list(Revision.objects.filter(author=target).select_related("content_type")
                                        .order_by("-id")[:50]))
    context = {
        "target": target, "role": permissions.role_of(target), "contributions": contributions,
        "managed": target.managed_places.select_related("place"),
        "rollback_form": forms.get("rollback_form") or RollbackForm(
            initial={"since": timezone.localtime() - datetime.timedelta(days=1), "block_days": 0}),
        "block_form": forms.get("block_form") or BlockForm(),
        "unblock_form": UnblockForm(),
        "role_form": forms.get("role_form") or RoleForm(initial={"role": permissions.role_of(target)}),
        "manager_form": forms.get("manager_form") or ManagerForm(),
        "log": ModerationAction.objects.filter(target_user=target).select_related("actor")[:20],
    }
    return render(request, "web/moderation/user.html", context, status=status)


def _target(user_id):
    return get_object_or_404(User.objects.select_related("profile"), pk=user_id)


@require_POST
@moderators_only
def user_rollback(request, user_id):
    target = _target(user_id)
    form = RollbackForm(request.POST)
    if not form.is_valid():
        return _user_tools(request, target, 400, rollback_form=form)
    days = form.cleaned_data.get("block_days") or 0
    until = timezone.now() + datetime.timedelta(days=days) if days else None
    result = moderation.rollback_user(target, form.cleaned_data["since"], request.user, form.cleaned_data["reason"],
                               block_until=until)
    messages.success(request, _("%(reverted)d contenu(s) rétabli(s), %(unpublished)d dépublié(s), "
                                "%(rejected)d proposition(s) refusée(s), %(skipped)d laissé(s) à vérifier "
                                "(modifiés depuis par d’autres).") % {
        "reverted": len(result["reverted"]), "unpublished": len(result["unpublished"]),
        "rejected": result["rejected"], "skipped": len(result["skipped"])})
    for record in result["skipped"]:
        messages.warning(request, _("À vérifier : %(name)s") % {"name": str(record)})
    return redirect("web:user_tools", target.pk)


@require_POST
@moderators_only
def user_block(request, user_id):
    target = _target(user_id)
    form = BlockForm(request.POST)
    if not form.is_valid():
        return _user_tools(request, target, 400, block_form=form)
    until = timezone.now() + datetime.timedelta(days=form.cleaned_data["days"])
    moderation.block(target, request.user, until, form.cleaned_data["reason"])
    messages.success(request, _("Compte bloqué."))
    return redirect("web:user_tools", target.pk)


@require_POST
@moderators_only
def user_unblock(request, user_id):
    target = _target(user_id)
    form = UnblockForm(request.POST)
    form.is_valid()
    moderation.unblock(target, request.user, form.cleaned_data.get("reason") or "")
    messages.success(request, _("Compte débloqué."))
    return redirect("web:user_tools", target.pk)


@require_POST
@moderators_only
def user_role(request, user_id):
    target = _target(user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _user_tools(request, target, 400, role_form=form)
    moderation.set_role(target, form.cleaned_data["role"], request.user, form.cleaned_data["reason"])
    messages.success(request, _("Rôle modifié."))
    return redirect("web:user_tools", target.pk)


@require_POST
@moderators_only
def user_manager(request, user_id):
    target = _target(user_id)
    form = ManagerForm(request.POST)
    if not form.is_valid():
        return _user_tools(request, target, 400, manager_form=form)
    moderation.link_manager(target, form.cleaned_data["place"], request.user, form.cleaned_data["reason"])
    messages.success(request, _("Gestionnaire du lieu désigné : ses modifications de ce lieu sont publiées "
                                "directement."))
    return redirect("web:user_tools", target.pk)


def audit_log(request):
    qs = ModerationAction.objects.select_related("actor", "target_user", "revision")
    action = request.GET.get("action", "")
    if action in ModerationAction.Action.values:
        qs = qs.filter(action=action)
    page = paginate(request, qs)
    attach_records(page.object_list)
    return render(request, "web/moderation/log.html", {"page_obj": page, "action": action,
                                                        "actions": ModerationAction.Action.choices})
