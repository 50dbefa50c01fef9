"""Moderation: protecting records, blocking accounts, undoing an account's edits, granting roles and naming a
place's managers. Each act is checked against the actor's rank and written to the moderation log."""
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tilios.accounts import permissions
from tilios.accounts.models import ROLE_RANK, PlaceManager, Role

from .models import ModerationAction, Revision
from .services import NoChange, NotAllowed, edit, history, log_action, record_unpublished, reject


def set_protection(record, user, protected, reason=""):
    if not permissions.can_moderate(user):
        raise NotAllowed(_("seuls les modérateurs protègent un contenu"))
    type(record).objects.filter(pk=record.pk).update(protected=protected)
    record.protected = protected
    log_action(user, ModerationAction.Action.PROTECT if protected else ModerationAction.Action.UNPROTECT,
         record=record, reason=reason)


def _outranks(actor, target):
    return ROLE_RANK[permissions.role_of(actor)] > ROLE_RANK[permissions.role_of(target)]


def _block_rank(target):
    """The rank of whoever placed `target`'s block in force (as it was then), or None if not blocked."""
    if not target.profile.is_blocked:
        return None
    placed = (ModerationAction.objects.filter(target_user=target, action=ModerationAction.Action.BLOCK)
              .select_related("actor", "actor__profile").order_by("-id").first())
    if placed is None:  # set outside the moderation tools
        return None
    rank = placed.details.get("rank")
    return ROLE_RANK[Role(rank) if rank in Role.values else permissions.role_of(placed.actor)]


def _may_change_block(user, target):
    """Outrank the account, and be at least of the rank that placed the block in force."""
    if not permissions.can_moderate(user) or not _outranks(user, target):
        return False
    placed = _block_rank(target)
    return placed is None or ROLE_RANK[permissions.role_of(user)] >= placed


def block(target, user, until, reason):
    if not _may_change_block(user, target):
        raise NotAllowed(_("vous ne pouvez pas bloquer ce compte"))
    profile = target.profile
    profile.blocked_until, profile.blocked_reason = until, reason[:500]
    profile.save(update_fields=["blocked_until", "blocked_reason"])
    log_action(user, ModerationAction.Action.BLOCK, target_user=target, reason=reason,
         details={"until": until.isoformat() if until else None, "rank": permissions.role_of(user).value})


def unblock(target, user, reason=""):
    """Moderators lift the blocks of accounts they outrank, unless a higher rank placed the block."""
    if not _may_change_block(user, target):
        raise NotAllowed(_("vous ne pouvez pas débloquer ce compte : il faut un rang supérieur au sien "
                           "et au moins celui de qui l’a bloqué"))
    profile = target.profile
    profile.blocked_until, profile.blocked_reason = None, ""
    profile.save(update_fields=["blocked_until", "blocked_reason"])
    log_action(user, ModerationAction.Action.UNBLOCK, target_user=target, reason=reason)


def rollback_user(target, since, user, reason, block_until=None):
    """Undo everything `target` did since `since`, in one action; optionally block them.

    Pending proposals are rejected. A record whose latest revision is theirs is restored to the
    state before their first edit in the period (a record they created is unpublished). A record
    someone else edited after them is left for a human and reported in `skipped`.
    """
    if not permissions.can_moderate(user) or not _outranks(user, target):
        raise NotAllowed(_("vous ne pouvez pas annuler les modifications de ce compte"))
    reverted, unpublished, skipped, rejected = [], [], [], 0
    summary = _("Annulation des modifications de %(user)s depuis le %(date)s") % {
        "user": target.get_username(), "date": since.strftime("%Y-%m-%d %H:%M")}
    with transaction.atomic():
        for revision in Revision.objects.filter(author=target, status=Revision.Status.PENDING, created_at__gte=since):
            reject(revision, user, reason)
            rejected += 1
        touched = (Revision.objects.filter(author=target, status=Revision.Status.ACCEPTED, accepted_at__gte=since)
                   .values_list("content_type", "object_id").distinct())
        for ct_id, object_id in touched:
            model = ContentType.objects.get_for_id(ct_id).model_class()
            record = model.objects.get(pk=object_id)
            theirs = Revision.objects.filter(content_type_id=ct_id, object_id=object_id, author=target,
                                             status=Revision.Status.ACCEPTED, accepted_at__gte=since)
            first = theirs.order_by("number").first()
            if record.current_revision.author_id != target.pk:
                skipped.append(record)
                continue
            before = history(record).filter(status=Revision.Status.ACCEPTED, number__lt=first.number).order_by(
                "-number").first()
            if before is None:
                model.objects.filter(pk=record.pk).update(is_published=False)
                record_unpublished.send(sender=model, record=record, when=timezone.now())
                unpublished.append(record)
                continue
            try:
                edit(record, before.data, user, summary, record.current_revision_id, kind=Revision.Kind.REVERT)
                reverted.append(record)
            except NoChange:
                pass
        if block_until is not None:
            block(target, user, block_until, reason)
        log_action(user, ModerationAction.Action.ROLLBACK_USER, target_user=target, reason=reason,
             details={"since": since.isoformat(), "reverted": len(reverted), "unpublished": len(unpublished),
                      "skipped": len(skipped), "rejected": rejected})
    return {"reverted": reverted, "unpublished": unpublished, "skipped": skipped, "rejected": rejected}


def set_role(target, role, actor, reason=""):
    role = Role(role)
    if role == Role.READER or not permissions.can_grant(actor, role) or not permissions.can_grant(
            actor, permissions.role_of(target)):
        raise NotAllowed(_("vous ne pouvez pas attribuer ce rôle"))
    profile = target.profile
    before = profile.role
    profile.role = role
    profile.save(update_fields=["role"])
    log_action(actor, ModerationAction.Action.ROLE, target_user=target, reason=reason,
               details={"from": before, "to": role.value})


def link_manager(user, place, actor, reason=""):
    if not permissions.can_moderate(actor):
        raise NotAllowed(_("seuls les modérateurs désignent les gestionnaires d'un lieu"))
    link, _created = PlaceManager.objects.get_or_create(user=user, place=place, defaults={"linked_by": actor})
    log_action(actor, ModerationAction.Action.MANAGER, record=place, target_user=user, reason=reason,
               details={"place": place.public_id})
    return link
