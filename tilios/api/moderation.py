"""Moderation and API tokens through the API: undoing an account's edits, blocks, roles, the public
moderation log, and each account's own tokens. Thin: the acts are in `tilios.revisions.moderation`."""
import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from tilios.accounts import services as accounts
from tilios.accounts.models import Role
from tilios.accounts.throttle import hit
from tilios.revisions import moderation
from tilios.revisions.models import ModerationAction

from .answers import Answer
from .auth import WRITE, WRITE_EVEN_BLOCKED, actor
from .errors import Error
from .governance import ACTION_ERRORS, Paging, ReasonIn
from .records import keyset, ref_of, refs

router = Router()

User = get_user_model()


class RollbackIn(Schema):
    since: datetime.datetime
    reason: str = ""
    block_days: int | None = Field(None, ge=1, le=36500)


class BlockIn(Schema):
    days: int = Field(..., ge=1, le=36500)
    reason: str = ""


class RoleIn(Schema):
    role: str = Field(..., description="contributor, trusted, moderator ou admin")
    reason: str = ""


class TokenIn(Schema):
    name: str = "API"


class RecordOut(Answer):
    type: str
    id: str | int = Field(..., description="identifiant public d'un lieu, adresse d'une page, numéro sinon")


class RollbackOut(Answer):
    username: str
    reverted: list[RecordOut] = Field(..., description="contenus remis dans leur état d'avant")
    unpublished: list[RecordOut] = Field(..., description="contenus créés par ce compte, retirés")
    skipped: list[RecordOut] = Field(..., description="contenus modifiés depuis par d'autres : à revoir à la main")
    rejected: int = Field(..., description="propositions en attente refusées")
    blocked_until: datetime.datetime | None


class BlockOut(Answer):
    username: str
    blocked_until: datetime.datetime | None


class RoleOut(Answer):
    username: str
    role: str


class LogEntryOut(Answer):
    id: int
    action: str
    actor: str
    target_user: str | None
    revision: int | None
    record: RecordOut | None
    reason: str
    details: dict
    created_at: datetime.datetime


class LogPage(Answer):
    next_cursor: str | None
    results: list[LogEntryOut]


class NewTokenOut(Answer):
    token: str = Field(..., description="le jeton entier, montré cette fois seulement")
    prefix: str
    name: str


class TokenOut(Answer):
    prefix: str
    name: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None


def _target(username):
    return get_object_or_404(User.objects.select_related("profile"), username=username)


@router.post("/users/{username}/rollback", response={200: RollbackOut, **ACTION_ERRORS}, auth=WRITE,
          tags=["modération"], summary="Annuler toutes les modifications d'un compte depuis une date")
def rollback_user(request, username: str, payload: RollbackIn):
    target = _target(username)
    since = payload.since if timezone.is_aware(payload.since) else timezone.make_aware(payload.since)
    until = timezone.now() + datetime.timedelta(days=payload.block_days) if payload.block_days else None
    hit(request, "review")
    result = moderation.rollback_user(target, since, actor(request), payload.reason, block_until=until)
    return {"username": target.get_username(), "reverted": [ref_of(r) for r in result["reverted"]],
            "unpublished": [ref_of(r) for r in result["unpublished"]],
            "skipped": [ref_of(r) for r in result["skipped"]], "rejected": result["rejected"],
            "blocked_until": until}


@router.post("/users/{username}/block", response={200: BlockOut, **ACTION_ERRORS}, auth=WRITE, tags=["modération"],
          summary="Bloquer un compte (modérateurs)")
def block_user(request, username: str, payload: BlockIn):
    target = _target(username)
    until = timezone.now() + datetime.timedelta(days=payload.days)
    hit(request, "review")
    moderation.block(target, actor(request), until, payload.reason)
    return {"username": target.get_username(), "blocked_until": until}


@router.post("/users/{username}/unblock", response={200: BlockOut, **ACTION_ERRORS}, auth=WRITE, tags=["modération"],
          summary="Débloquer un compte (modérateurs)")
def unblock_user(request, username: str, payload: ReasonIn):
    target = _target(username)
    hit(request, "review")
    moderation.unblock(target, actor(request), payload.reason)
    return {"username": target.get_username(), "blocked_until": None}


@router.post("/users/{username}/role", response={200: RoleOut, **ACTION_ERRORS}, auth=WRITE, tags=["modération"],
          summary="Changer le rôle d'un compte")
def set_role(request, username: str, payload: RoleIn):
    """Moderators make trusted contributors; only administrators make moderators and administrators."""
    target = _target(username)
    if payload.role not in Role.values or payload.role == Role.READER:
        raise ValidationError({"role": _("rôle inconnu : contributor, trusted, moderator ou admin")})
    hit(request, "review")
    moderation.set_role(target, payload.role, actor(request), payload.reason)
    return {"username": target.get_username(), "role": payload.role}


class LogFilters(Paging):
    action: str | None = None
    user: str | None = Field(None, description="actions faites par ce compte ou le visant")


@router.get("/moderation/log", response=LogPage, tags=["modération"], summary="Journal de modération (public)")
def moderation_log(request, filters: Query[LogFilters]):
    """Who accepted, rejected, reverted, blocked, protected — when and why; newest first. Public,
    as in a wiki: moderation is accountable to everyone."""
    qs = ModerationAction.objects.select_related("actor", "target_user")
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.user:
        qs = qs.filter(Q(actor__username=filters.user) | Q(target_user__username=filters.user))
    items, next_cursor = keyset(qs, filters.cursor, filters.limit)
    found = refs((a.content_type_id, a.object_id) for a in items)
    return {"next_cursor": next_cursor, "results": [{
        "id": a.pk, "action": a.action, "actor": a.actor.get_username(),
        "target_user": a.target_user.get_username() if a.target_user_id else None,
        "revision": a.revision_id, "record": found.get((a.content_type_id, a.object_id)),
        "reason": a.reason, "details": a.details, "created_at": a.created_at} for a in items]}


# --- Tokens ----------------------------------------------------------------------------------------------


@router.post("/tokens", response={201: NewTokenOut, **ACTION_ERRORS}, auth=WRITE, tags=["comptes"],
          summary="Créer un jeton d'API (session connectée ; le jeton n'est montré qu'une fois)")
def create_token(request, payload: TokenIn):
    if getattr(request, "via_token", False):
        raise HttpError(403, _("un jeton ne crée pas d'autre jeton : connectez-vous sur le site"))
    hit(request, "edit")
    token = accounts.issue_token(actor(request), payload.name.strip() or "API")
    return Status(201, {"token": token, "prefix": token[:8], "name": payload.name.strip()[:100] or "API"})


@router.get("/tokens", response=list[TokenOut], auth=WRITE_EVEN_BLOCKED, tags=["comptes"], summary="Mes jetons d'API")
def list_tokens(request):
    return [{"prefix": t.prefix, "name": t.name, "created_at": t.created_at, "last_used_at": t.last_used_at}
            for t in actor(request).api_tokens.order_by("-created_at")]


@router.delete("/tokens/{prefix}", response={204: None, 401: Error, 403: Error, 404: Error},
            auth=WRITE_EVEN_BLOCKED, tags=["comptes"], summary="Révoquer un de mes jetons")
def delete_token(request, prefix: str):
    deleted, _details = actor(request).api_tokens.filter(prefix=prefix[:8]).delete()
    if not deleted:
        raise HttpError(404, _("aucun jeton de ce préfixe"))
    return Status(204, None)

