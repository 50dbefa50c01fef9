"""Edits, reviews and reverts: the one way in for every change to a revisable record (moderation acts are
in `moderation`, talk pages in `talk`; both write through `log_action` and `check_spam` here).

Every change goes through `create` or `edit`, checks permissions, validates, detects edit
conflicts against the base revision the editor saw, and either publishes at once (trusted roles)
or leaves a pending revision for review. The record row is locked (PostgreSQL) or the database
write lock taken up front (SQLite, IMMEDIATE transactions) before the base is compared, and the
unique revision number is the last guard: two racing writers can never both extend the chain.
"""
import copy
import logging
import re
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from tilios.accounts import permissions
from tilios.accounts.models import Role
from tilios.accounts.permissions import NotAllowed
from tilios.rows import insert_all, save_fields

from .models import ModerationAction, Revision
from .registry import spec_for

# Sent inside the publishing transaction, after the record took its new state.
logger = logging.getLogger(__name__)
revision_published = Signal()
record_unpublished = Signal()

URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.I)
SPAM_MAX_NEW_LINKS = 2
NEW_CONTRIBUTOR_EDITS = 10


class NoChange(Exception):
    """The edit would not change anything."""


class SpamSuspected(ValidationError):
    pass


@dataclass
class EditConflict(Exception):
    """Someone changed the record since the editor's base revision."""

    current: Revision
    fields: list  # fields changed since the base revision
    mine: list  # fields this edit changes

    @property
    def conflicting(self):
        return sorted(set(self.fields) & set(self.mine)) or sorted(self.fields)

    def __str__(self):
        return _("le contenu a changé depuis votre version (révision %(n)s) : %(fields)s") % {
            "n": self.current.number, "fields": ", ".join(self.conflicting)}


def diff(before, after):
    keys = list(before) + [k for k in after if k not in before]
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def history(record):
    ct = ContentType.objects.get_for_model(record)
    return Revision.objects.filter(content_type=ct, object_id=record.pk)


def _lock(record):
    model = type(record)
    # Not with its current revision in the same query: on PostgreSQL, a row waited for and re-read after a
    # concurrent edit would be joined to the revision visible before the wait, so to none at all.
    return model.objects.select_for_update().get(pk=record.pk)


def _publish(record, revision, spec, applied=False, known_at=None):
    current = record.current_revision
    revision.number = (current.number if current else 0) + 1
    revision.parent = current
    revision.status = Revision.Status.ACCEPTED
    revision.accepted_at = known_at or timezone.now()
    try:
        with transaction.atomic():
            revision.save()
    except IntegrityError as exc:  # another writer took this number: never fork the chain
        raise EditConflict(current, [], list(revision.diff)) from exc
    if not applied:
        spec.apply(record, revision.data)
    record.current_revision = revision
    record.is_published = True
    type(record).objects.filter(pk=record.pk).update(current_revision=revision, is_published=True)
    revision_published.send(sender=type(record), record=record, revision=revision)


def _added_links(spec, before, after):
    def links(data):
        found = set()
        for name in spec.text_fields:
            found.update(URL.findall(str(data.get(name) or "")))
        found.update(link["url"] for link in data.get("links") or [] if isinstance(link, dict))
        return found

    return links(after) - links(before)


def check_spam(user, spec, before, after):
    """New contributors may not add more than a couple of links in one edit."""
    if user is None or permissions.at_least(user, Role.TRUSTED):
        return
    accepted = Revision.objects.filter(author=user, status=Revision.Status.ACCEPTED).count()
    if accepted >= NEW_CONTRIBUTOR_EDITS:
        return
    added = _added_links(spec, before, after)
    if len(added) > SPAM_MAX_NEW_LINKS:
        raise SpamSuspected(_("trop de liens ajoutés en une fois pour un nouveau compte (%(n)d) : "
                              "proposez-les en plusieurs fois ou demandez à un modérateur") % {"n": len(added)})


def _who_may_write(user, system, spec=None, changes=()):
    if system:
        return
    reserved = sorted(name for name in (spec.system_fields if spec else ()) if changes.get(name))
    if reserved:
        raise ValidationError({name: _("ce champ ne change que par une fusion ou une séparation")
                               for name in reserved})
    if not permissions.can_contribute(user):
        raise NotAllowed(_("vous devez être connecté avec un compte non bloqué pour modifier"))


def create(model, changes, user, summary="", source=None, kind=Revision.Kind.CREATE, system=False, known_at=None):
    """Create a record. Returns (record, revision); the record stays unpublished while pending.

    `known_at` (imports of dated sources only) backdates the knowledge time of the revision."""
    spec = spec_for(model)
    _who_may_write(user, system, spec, changes)
    data = spec.validate({**spec.defaults, **changes})
    if not system:
        check_spam(user, spec, {}, data)
    live = system or permissions.can_publish(user, None)
    with transaction.atomic():
        record = model(is_published=live)
        spec.apply(record, data)
        revision = Revision(content_type=ContentType.objects.get_for_model(model), object_id=record.pk,
                            kind=kind, author=user if user and user.is_authenticated else None, source=source,
                            summary=summary[:500], data=spec.snapshot(record), diff=diff({}, data),
                            status=Revision.Status.PENDING)
        if live:
            _publish(record, revision, spec, applied=True, known_at=known_at if system else None)
        else:
            revision.save()
    return record, revision


def create_many(model, items, source, kind=Revision.Kind.IMPORT, known_at=None):
    """Create and publish records as the system (an import's new places), written a batch at a time: what
    `create(model, changes, None, summary, source=source, kind=kind, system=True)` does for each of `items`,
    [(changes, summary)], in a few statements. Returns, in order, each record or the ValidationError that
    refused it. Needs the spec's `apply_many`."""
    spec = spec_for(model)
    # Each record is a copy of one blank instance with its computed defaults (a public id, a list) computed
    # anew: building each computed every field's default, most of them constants.
    blank = model(is_published=True)
    computed = [field for field in model._meta.concrete_fields if field.has_default() and callable(field.default)]
    outcomes, records, datas, summaries = [], [], [], []
    for changes, summary in items:
        try:
            datas.append(spec.validate({**spec.defaults, **changes}))
        except ValidationError as exc:
            outcomes.append(exc)
            continue
        records.append(copy.copy(blank))
        for field in computed:
            setattr(records[-1], field.attname, field.get_default())
        summaries.append(summary)
        outcomes.append(records[-1])
    if not records:
        return outcomes
    content_type_id = ContentType.objects.get_for_model(model).pk
    accepted_at = known_at or timezone.now()
    with transaction.atomic():
        spec.apply_many(records, datas)
        revisions = insert_all([
            Revision(content_type_id=content_type_id, object_id=record.pk, kind=kind, source=source, number=1,
                     summary=summary[:500], data=data, diff=diff({}, data), status=Revision.Status.ACCEPTED,
                     accepted_at=accepted_at)
            for record, data, summary in zip(records, datas, summaries)])
        for record, revision in zip(records, revisions):
            record.current_revision = revision
        save_fields(records, ["current_revision"])
        for record, revision in zip(records, revisions):
            revision_published.send(sender=model, record=record, revision=revision)
    return outcomes


def lock_many(model, pks):
    """{pk: record} for `pks`, locked until the end of the caller's transaction, each with its current revision
    (read after the lock, as `_lock` does): what `edit_many` edits."""
    records = model.objects.select_for_update().in_bulk(pks)
    currents = Revision.objects.in_bulk([record.current_revision_id for record in records.values()])
    for record in records.values():
        record.current_revision = currents.get(record.current_revision_id)
    return records


def edit_many(model, items, source, kind, known_at=None):
    """System edits of several records, each once (an import's joins): what `edit(record, changes, None,
    summary, kind=kind, source=source, system=True, known_at=known_at)` does for each of `items`, [(record,
    changes, summary)], each record read by `lock_many` in the caller's transaction, in a few statements.
    Returns, in order, each new revision, or None where nothing would change. Needs the spec's `apply_many`."""
    spec = spec_for(model)
    with transaction.atomic():
        accepted_at = known_at or timezone.now()
        outcomes, published = [], []
        for record, changes, summary in items:
            current = record.current_revision
            if current is None:
                raise NotAllowed(_("ce contenu attend encore sa relecture"))
            data, changed = _changed(spec, current, changes)
            revision = None
            if changed:
                revision = Revision(content_type_id=current.content_type_id, object_id=record.pk, kind=kind,
                                    source=source, parent=current, number=current.number + 1, summary=summary[:500],
                                    data=data, diff=changed, status=Revision.Status.ACCEPTED, accepted_at=accepted_at)
                published.append((record, revision))
            outcomes.append(revision)
        # The records are locked; were one not, the unique number would still refuse a fork (IntegrityError).
        insert_all([revision for _record, revision in published])
        spec.apply_many([record for record, _revision in published], [revision.data for _record, revision in published])
        for record, revision in published:
            record.current_revision, record.is_published = revision, True
        save_fields([record for record, _revision in published], ["current_revision", "is_published"])
        for record, revision in published:
            revision_published.send(sender=model, record=record, revision=revision)
    return outcomes


def edit(record, changes, user, summary="", base_revision=None, kind=Revision.Kind.EDIT, source=None,
         system=False, known_at=None):
    """Change some fields of a record, against the revision the editor saw (`base_revision`, an id).

    Raises EditConflict when the record moved since that revision, NoChange when nothing would
    change, ValidationError (by field) for bad values, NotAllowed without the right.
    """
    spec = spec_for(record)
    _who_may_write(user, system)
    with transaction.atomic():
        record = _lock(record)
        current = record.current_revision
        if current is None:
            raise NotAllowed(_("ce contenu attend encore sa relecture"))
        if base_revision is not None and int(base_revision) != current.pk:
            base = history(record).filter(pk=base_revision).first()
            if base is None:
                raise ValidationError({"base_revision": _("révision de base inconnue pour ce contenu")})
            raise EditConflict(current, list(diff(base.data, current.data)), list(diff(current.data,
                                                                                      {**current.data, **changes})))
        if base_revision is None and not system:
            raise ValidationError({"base_revision": _("indiquez la révision sur laquelle porte la modification")})
        live = system or permissions.can_publish(user, record)
        earlier = [] if live else list(_own_pending(record, user))
        carried = {}  # an author's new proposal stacks on their earlier pending ones: it keeps their changes
        for old in earlier:
            carried.update({name: old.data[name] for name in old.diff if name in old.data})
        data, changed = _changed(spec, current, {**carried, **changes})
        if not changed:
            raise NoChange(_("aucune modification"))
        _who_may_write(user, system, spec, {name: True for name in changed})
        if not system:
            check_spam(user, spec, current.data, data)
        revision = Revision(content_type_id=current.content_type_id, object_id=record.pk, kind=kind, parent=current,
                            author=user if user and user.is_authenticated else None, source=source,
                            summary=summary[:500], data=data, diff=changed, status=Revision.Status.PENDING)
        if live:
            _publish(record, revision, spec, known_at=known_at if system else None)
        else:
            revision.save()
            _replace(earlier, revision, user)
        revision.replaces = [old.pk for old in earlier]
    return revision


def _changed(spec, current, changes):
    """The record's data once `changes` apply to its `current` revision, validated, and what they change
    (a field fixed at creation never does)."""
    data = spec.validate({**current.data, **changes})
    changed = diff(current.data, data)
    fixed = sorted(name for name in spec.fixed_fields if name in changed)
    if fixed:
        raise ValidationError({name: _("fixé à la création, ne change pas") for name in fixed})
    return data, changed


def _own_pending(record, user, lock=True):
    if user is None or not user.is_authenticated:
        return Revision.objects.none()
    mine = history(record).filter(status=Revision.Status.PENDING, author=user).order_by("id")
    return mine.select_for_update() if lock else mine


def _replace(earlier, revision, user):
    """The author's earlier pending proposals leave the queue: the new one carries their changes."""
    for old in earlier:
        old.status = Revision.Status.REJECTED
        old.reviewed_by, old.reviewed_at = user, timezone.now()
        old.review_note = _("remplacée par la proposition suivante de son auteur, qui reprend ses changements")
        old.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])


def pending_of(record, user):
    """What `user` proposed on `record` and still waits for review (their own view of the page)."""
    return list(_own_pending(record, user, lock=False).select_related("parent")) if record.pk else []


def revert(record, to_revision, user, summary="", base_revision=None):
    """« Annuler » : a new revision that restores an earlier accepted one."""
    if to_revision.status != Revision.Status.ACCEPTED or to_revision.object_id != record.pk:
        raise ValidationError({"revision": _("seule une révision publiée de ce contenu peut être restaurée")})
    summary = summary or _("Retour à la révision %(n)d") % {"n": to_revision.number}
    revision = edit(record, to_revision.data, user, summary, base_revision, kind=Revision.Kind.REVERT)
    if revision.status == Revision.Status.ACCEPTED and permissions.can_review(user):
        log_action(user, ModerationAction.Action.REVERT, revision=revision, record=record, reason=summary)
    return revision


def accept(revision, user, note=""):
    if not permissions.can_review(user):
        raise NotAllowed(_("seuls les contributeurs de confiance et les modérateurs relisent"))
    spec = spec_for(revision.content_type.model_class())
    with transaction.atomic():
        record = _lock(revision.record)
        revision = Revision.objects.select_for_update().get(pk=revision.pk)
        if revision.status != Revision.Status.PENDING:
            raise ValidationError({"revision": _("cette révision n'est plus en attente")})
        if record.protected and not permissions.can_moderate(user):
            raise NotAllowed(_("seul un modérateur relit un contenu protégé"))
        current = record.current_revision
        if current is not None and revision.parent_id != current.pk:
            # Rebase onto what was published meanwhile, unless both touched the same fields.
            moved = diff(revision.parent.data, current.data) if revision.parent else current.data
            overlap = sorted(set(moved) & set(revision.diff))
            if overlap:
                raise EditConflict(current, overlap, list(revision.diff))
            data = spec.validate({**current.data, **{k: revision.data[k] for k in revision.diff}})
            revision.data, revision.diff = data, diff(current.data, data)
        revision.reviewed_by, revision.reviewed_at, revision.review_note = user, timezone.now(), note[:500]
        _publish(record, revision, spec)
        log_action(user, ModerationAction.Action.ACCEPT, revision=revision, record=record, reason=note)
    return revision


def reject(revision, user, note=""):
    if not permissions.can_review(user):
        raise NotAllowed(_("seuls les contributeurs de confiance et les modérateurs relisent"))
    with transaction.atomic():
        revision = Revision.objects.select_for_update().get(pk=revision.pk)
        if revision.status != Revision.Status.PENDING:
            raise ValidationError({"revision": _("cette révision n'est plus en attente")})
        revision.status = Revision.Status.REJECTED
        revision.reviewed_by, revision.reviewed_at, revision.review_note = user, timezone.now(), note[:500]
        revision.save()
        log_action(user, ModerationAction.Action.REJECT, revision=revision, record=revision.record, reason=note)
    return revision


def patrol(revision, user):
    if not permissions.can_review(user):
        raise NotAllowed(_("seuls les contributeurs de confiance et les modérateurs relisent"))
    if revision.status != Revision.Status.ACCEPTED or revision.patrolled_at:
        return revision
    revision.patrolled_by, revision.patrolled_at = user, timezone.now()
    revision.save(update_fields=["patrolled_by", "patrolled_at"])
    log_action(user, ModerationAction.Action.PATROL, revision=revision, record=revision.record)
    return revision


def pending_queue():
    """Pending changes, oldest first."""
    return (Revision.objects.filter(status=Revision.Status.PENDING)
            .select_related("author", "content_type", "parent").order_by("created_at", "id"))


def log_action(actor, action, revision=None, record=None, target_user=None, reason="", details=None):
    logger.info("moderation: %s by %s on %s%s%s", action, actor.get_username(),
                f"{type(record).__name__} {record.pk}" if record is not None else "-",
                f" (revision {revision.pk})" if revision is not None else "",
                f", account {target_user.get_username()}" if target_user is not None else "")
    ct = ContentType.objects.get_for_model(record) if record is not None else None
    ModerationAction.objects.create(actor=actor, action=action, revision=revision, content_type=ct,
                                    object_id=record.pk if record is not None else None,
                                    target_user=target_user, reason=(reason or "")[:500], details=details or {})
