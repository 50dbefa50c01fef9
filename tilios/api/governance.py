"""Wiki governance through the API: edits, history, review and talk (moderation and tokens: `moderation`).

Thin on purpose: each endpoint finds its objects, counts the rate limit, calls
`tilios.revisions` (`services`, `talk`, `moderation`) or `tilios.accounts.services`, and shapes the answer.
The services' exceptions become HTTP answers in `tilios.api.errors`.
"""
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tilios.accounts import permissions
from tilios.accounts.throttle import hit
from tilios.places.contact import public_value
from tilios.revisions import moderation, talk
from tilios.revisions import services as rev
from tilios.revisions.models import Message, Revision, Thread

from .answers import Answer
from .auth import WRITE, actor, viewer
from .errors import Conflict, Error, FieldErrors
from .record_schemas import (
    ComparisonOut,
    HistoryOut,
    MessageOut,
    ProtectOut,
    RecordRefOut,
    RevisionOut,
    RevisionPage,
    RevisionWithDataOut,
    TalkOut,
    ThreadOut,
)
from .records import (
    PLACE,
    find_record,
    keyset,
    message_out,
    ref_of,
    revision_out,
    revisions_out,
    revisions_qs,
    thread_out,
    write_result,
)

router = Router()

User = get_user_model()

# --- Schemas ---------------------------------------------------------------------------------


class RevisionStatusOut(Answer):
    id: int
    number: int | None
    status: str


class WriteOut(Answer):
    record: RecordRefOut
    revision: RevisionStatusOut
    live: bool
    replaces: list[int] = Field([], description="vos propositions encore en attente sur ce contenu, remplacées "
                                                "par celle-ci qui reprend leurs changements")


class CreateIn(Schema):
    data: dict[str, Any] = Field(..., description="les champs du nouveau contenu")
    summary: str = ""


class EditIn(Schema):
    base_revision: int | None = Field(None, description="l'id de la révision sur laquelle porte la modification "
                                                        "(`current_revision.id` lu avant de modifier)")
    summary: str = ""
    changes: dict[str, Any]


class RevertIn(Schema):
    to_revision: int
    base_revision: int | None = None
    summary: str = ""


class ProtectIn(Schema):
    protected: bool
    reason: str = ""


class NoteIn(Schema):
    note: str = ""


class ReasonIn(Schema):
    reason: str = ""


class ThreadIn(Schema):
    title: str
    tag: str = Field(..., description="analyse, risque, opportunite ou proposition")
    body: str


class MessageIn(Schema):
    body: str
    parent: int | None = None


class ManagerIn(Schema):
    username: str
    reason: str = ""


class Paging(Schema):
    cursor: str | None = None
    limit: int = 50


class ManagersOut(Answer):
    place: str
    username: str
    managers: list[str] = Field(..., description="tous les gestionnaires du lieu")


class HiddenOut(Answer):
    id: int
    hidden: bool


WRITE_ERRORS = {400: FieldErrors, 401: Error, 403: Error, 404: Error, 409: Conflict, 429: Error}
ACTION_ERRORS = {400: FieldErrors, 401: Error, 403: Error, 404: Error, 429: Error}


def _live(revision):
    return revision.status == Revision.Status.ACCEPTED


# --- Generic record operations (places and knowledge pages) --------------------------------------


def create_record(request, rt, data, summary):
    hit(request, "edit")
    record, revision = rev.create(rt.model, data, actor(request), summary)
    return Status(201 if _live(revision) else 202, write_result(record, revision))


def edit_record(request, rt, key, payload):
    record = find_record(rt, key, for_write=True)
    hit(request, "edit")
    revision = rev.edit(record, payload.changes, actor(request), payload.summary, payload.base_revision)
    return Status(200 if _live(revision) else 202, write_result(record, revision))


def record_history(request, rt, key, page):
    record = find_record(rt, key, viewer(request))
    items, next_cursor = keyset(revisions_qs().filter(pk__in=rev.history(record).values("pk")), page.cursor,
                                page.limit)
    ref = ref_of(record)
    return {"record": ref, "current_revision": _current(record), "next_cursor": next_cursor,
            "results": [revision_out(r, ref) for r in items]}


def revert_record(request, rt, key, payload):
    record = find_record(rt, key, for_write=True)
    target = rev.history(record).filter(pk=payload.to_revision).first()
    if target is None:
        raise ValidationError({"to_revision": _("révision inconnue pour ce contenu")})
    hit(request, "edit")
    revision = rev.revert(record, target, actor(request), payload.summary, payload.base_revision)
    return Status(200 if _live(revision) else 202, write_result(record, revision))


def protect_record(request, rt, key, payload):
    record = find_record(rt, key, for_write=True)
    hit(request, "review")
    moderation.set_protection(record, actor(request), payload.protected, payload.reason)
    return {"record": ref_of(record), "protected": payload.protected}


def _threads(record):
    ct = ContentType.objects.get_for_model(record)
    messages = Message.objects.select_related("author", "hidden_by")
    return (Thread.objects.filter(content_type=ct, object_id=record.pk).select_related("author")
            .prefetch_related(Prefetch("messages", queryset=messages)).order_by("-created_at", "-id"))


def record_talk(request, rt, key):
    user = viewer(request)
    record = find_record(rt, key, user)
    moderator = permissions.can_moderate(user)
    return {"record": ref_of(record), "tags": Thread.Tag.values,
            "threads": [thread_out(t, moderator) for t in _threads(record)]}


def start_thread(request, rt, key, payload):
    user = actor(request)
    record = find_record(rt, key, user)
    hit(request, "message")
    thread = talk.start_thread(record, user, payload.title, payload.tag, payload.body)
    thread = _threads(record).get(pk=thread.pk)
    return Status(201, thread_out(thread, permissions.can_moderate(user)))


def _current(record):
    revision = record.current_revision
    return {"id": revision.pk, "number": revision.number} if revision is not None else None


# --- Places ----------------------------------------------------------------------------------------


@router.get("/places/{public_id}/history", response=HistoryOut, tags=["lieux"], summary="Historique d'un lieu")
def place_history(request, public_id: str, page: Query[Paging]):
    """Revisions, newest first (pending and rejected ones included), `next_cursor` for the next page."""
    return record_history(request, PLACE, public_id, page)


@router.post("/places/{public_id}/revert", response={200: WriteOut, 202: WriteOut, **WRITE_ERRORS}, auth=WRITE,
          tags=["lieux"], summary="Restaurer une révision d'un lieu")
def revert_place(request, public_id: str, payload: RevertIn):
    return revert_record(request, PLACE, public_id, payload)


@router.post("/places/{public_id}/protect", response={200: ProtectOut, **ACTION_ERRORS}, auth=WRITE, tags=["lieux"],
          summary="Protéger un lieu (modérateurs)")
def protect_place(request, public_id: str, payload: ProtectIn):
    return protect_record(request, PLACE, public_id, payload)


@router.get("/places/{public_id}/talk", response=TalkOut, exclude_unset=True,
            tags=["discussion"], summary="Page de discussion d'un lieu")
def place_talk(request, public_id: str):
    return record_talk(request, PLACE, public_id)


@router.post("/places/{public_id}/talk", response={201: ThreadOut, **ACTION_ERRORS}, exclude_unset=True,
             auth=WRITE, tags=["discussion"], summary="Ouvrir une discussion sur un lieu")
def start_place_thread(request, public_id: str, payload: ThreadIn):
    return start_thread(request, PLACE, public_id, payload)


@router.post("/places/{public_id}/managers", response={201: ManagersOut, **ACTION_ERRORS}, auth=WRITE,
          tags=["modération"], summary="Désigner un gestionnaire du lieu (modérateurs)")
def link_place_manager(request, public_id: str, payload: ManagerIn):
    place = find_record(PLACE, public_id, for_write=True)
    target = User.objects.filter(username=payload.username).first()
    if target is None:
        raise ValidationError({"username": _("compte inconnu")})
    hit(request, "review")
    moderation.link_manager(target, place, actor(request), payload.reason)
    return Status(201, {"place": place.public_id, "username": target.get_username(),
                        "managers": sorted(place.managers.values_list("user__username", flat=True))})


# --- Revisions and review ------------------------------------------------------------------------------


@router.get("/revisions/pending", response=RevisionPage,
            tags=["relecture"], summary="Modifications en attente de relecture")
def pending_revisions(request, page: Query[Paging]):
    """Oldest first, with their diff against the revision they were based on."""
    items, next_cursor = keyset(rev.pending_queue().select_related("source"), page.cursor, page.limit,
                                descending=False)
    return {"next_cursor": next_cursor, "results": revisions_out(items)}


@router.get("/revisions/compare", response=ComparisonOut, by_alias=True, tags=["relecture"], summary="Comparer deux révisions d'un même contenu")
def compare_revisions(request, from_revision: int = Query(..., alias="from"), to_revision: int = Query(..., alias="to")):
    old = get_object_or_404(revisions_qs(), pk=from_revision)
    new = get_object_or_404(revisions_qs(), pk=to_revision)
    if (old.content_type_id, old.object_id) != (new.content_type_id, new.object_id):
        raise ValidationError({"to": _("les deux révisions doivent porter sur le même contenu")})
    (a, b) = revisions_out([old, new])
    return {"record": a["record"], "from": a, "to": b,
            "diff": {f: {"before": public_value(f, p[0]), "after": public_value(f, p[1])}
                     for f, p in rev.diff(old.data, new.data).items()}}


@router.get("/revisions/{int:revision_id}", response=RevisionWithDataOut,
            tags=["relecture"], summary="Une révision, avec l'état complet")
def get_revision(request, revision_id: int):
    return revisions_out([get_object_or_404(revisions_qs(), pk=revision_id)], with_data=True)[0]


def _review(request, revision_id, operation, *args):
    revision = get_object_or_404(Revision, pk=revision_id)
    hit(request, "review")
    done = operation(revision, actor(request), *args)
    return revisions_out([get_object_or_404(revisions_qs(), pk=done.pk)])[0]


@router.post("/revisions/{int:revision_id}/accept", response={200: RevisionOut, **WRITE_ERRORS}, auth=WRITE,
          tags=["relecture"], summary="Accepter une modification en attente")
def accept_revision(request, revision_id: int, payload: NoteIn):
    """409 when the record changed meanwhile on the same fields (otherwise the change is rebased)."""
    return _review(request, revision_id, rev.accept, payload.note)


@router.post("/revisions/{int:revision_id}/reject", response={200: RevisionOut, **ACTION_ERRORS}, auth=WRITE,
          tags=["relecture"], summary="Refuser une modification en attente")
def reject_revision(request, revision_id: int, payload: NoteIn):
    return _review(request, revision_id, rev.reject, payload.note)


@router.post("/revisions/{int:revision_id}/patrol", response={200: RevisionOut, **ACTION_ERRORS}, auth=WRITE,
          tags=["relecture"], summary="Marquer une modification publiée comme relue")
def patrol_revision(request, revision_id: int):
    return _review(request, revision_id, rev.patrol)


# --- Talk --------------------------------------------------------------------------------------------


@router.post("/talk/{int:thread_id}/messages", response={201: MessageOut, **ACTION_ERRORS}, exclude_unset=True,
             auth=WRITE, tags=["discussion"], summary="Répondre dans une discussion")
def reply(request, thread_id: int, payload: MessageIn):
    thread = get_object_or_404(Thread, pk=thread_id)
    user = actor(request)
    parent = None
    if payload.parent is not None:
        parent = Message.objects.filter(pk=payload.parent).first()
        if parent is None:
            raise ValidationError({"parent": _("message inconnu")})
    hit(request, "message")
    message = talk.reply(thread, user, payload.body, parent)
    message = Message.objects.select_related("author", "hidden_by").get(pk=message.pk)
    return Status(201, message_out(message, permissions.can_moderate(user)))


@router.post("/messages/{int:message_id}/hide", response={200: HiddenOut, **ACTION_ERRORS}, auth=WRITE,
          tags=["discussion"], summary="Masquer un message (modérateurs)")
def hide_message(request, message_id: int, payload: ReasonIn):
    message = get_object_or_404(Message.objects.select_related("thread"), pk=message_id)
    hit(request, "review")
    talk.hide_message(message, actor(request), payload.reason)
    return {"id": message.pk, "hidden": True}
