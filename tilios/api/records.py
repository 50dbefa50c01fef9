"""What the governance endpoints share: record types, keyset pages and plain-data views of
revisions, talk and the moderation log."""
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from tilios.pages import editing as page_editing
from tilios.pages.markdown import CATEGORY_PREFIXES, PLACE_PREFIX, WIKI_LINK, render
from tilios.places import editing as place_editing
from tilios.places.contact import public_value
from tilios.revisions import records
from tilios.revisions.models import Revision
from tilios.revisions.visibility import visible_to

MAX_LIMIT = 200


PLACE, PAGE = place_editing.RECORD, page_editing.RECORD


def find_record(rt, key, viewer=None, for_write=False):
    """A record by its public key, if `viewer` may see it (revisions.visibility). Unpublished records
    (pending creations, rolled back ones) are never editable through their URL."""
    qs = rt.model.objects.select_related("current_revision")
    record = get_object_or_404(qs, **{rt.key: key})
    if not record.is_published and (for_write or not visible_to(record, viewer)):
        raise HttpError(404, _("contenu introuvable ou non publié"))
    return record


def refs(pairs):
    """{(content_type_id, object_id): {"type", "id"}} for many records at once."""
    wanted = {}
    for ct_id, object_id in pairs:
        if ct_id is not None and object_id is not None:
            wanted.setdefault(ct_id, set()).add(object_id)
    found = {}
    for ct_id, ids in wanted.items():
        rt = records.of(ContentType.objects.get_for_id(ct_id).model_class())
        if rt is None:
            continue
        for pk, key in rt.model.objects.filter(pk__in=ids).values_list("pk", rt.key):
            found[(ct_id, pk)] = {"type": rt.name, "id": key}
    return found


def ref_of(record):
    rt = records.of(type(record))
    return {"type": rt.name, "id": getattr(record, rt.key)}


def revision_ref(revision):
    return {"id": revision.pk, "number": revision.number} if revision is not None else None


def revisions_qs():
    return Revision.objects.select_related("author", "source", "reviewed_by", "patrolled_by")


def revision_out(revision, record=None, with_data=False):
    out = {
        "id": revision.pk,
        "number": revision.number,
        "status": revision.status,
        "kind": revision.kind,
        "record": record,
        "parent": revision.parent_id,
        "author": revision.author_name,
        "summary": revision.summary,
        "created_at": revision.created_at,
        "accepted_at": revision.accepted_at,
        "reviewed_by": revision.reviewed_by.get_username() if revision.reviewed_by_id else None,
        "reviewed_at": revision.reviewed_at,
        "review_note": revision.review_note,
        "patrolled": revision.patrolled_at is not None,
        "diff": {field: {"before": public_value(field, pair[0]), "after": public_value(field, pair[1])}
                 for field, pair in revision.diff.items()},
    }
    if with_data:
        out["data"] = {field: public_value(field, value) for field, value in revision.data.items()}
    return out


def revisions_out(revisions, with_data=False):
    revisions = list(revisions)
    found = refs((r.content_type_id, r.object_id) for r in revisions)
    return [revision_out(r, found.get((r.content_type_id, r.object_id)), with_data) for r in revisions]


def write_result(record, revision):
    """The answer to an edit: 200 (or 201 for a creation) when live, 202 when it waits for review."""
    return {"record": ref_of(record), "revision": {"id": revision.pk, "number": revision.number,
                                                   "status": revision.status},
            "live": revision.status == Revision.Status.ACCEPTED, "replaces": getattr(revision, "replaces", [])}


def keyset(qs, cursor, limit, descending=True):
    """One page of `qs` ordered by id, and the cursor of the next one."""
    if not 1 <= limit <= MAX_LIMIT:
        raise HttpError(400, _("limit : entre 1 et %(max)d") % {"max": MAX_LIMIT})
    if cursor:
        if not cursor.isdigit() or len(cursor) > 18:
            raise HttpError(400, _("cursor : curseur invalide"))
        qs = qs.filter(id__lt=int(cursor)) if descending else qs.filter(id__gt=int(cursor))
    items = list(qs.order_by("-id" if descending else "id")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, (str(items[-1].pk) if more and items else None)


def html_of(text, existing_pages=None):
    """Sanitised HTML of Markdown `text` (nh3 strips scripts, event attributes, javascript: links)."""
    try:
        return render(text, existing_pages)
    except NoReverseMatch:  # no web route for knowledge pages in this build: keep the links' text
        def plain(match):
            target = match.group(1).strip()
            if target.lower().startswith(CATEGORY_PREFIXES + (PLACE_PREFIX,)):
                return match.group(0)
            return (match.group(2) or target).strip()

        return render(WIKI_LINK.sub(plain, text or ""), existing_pages)


def message_html(body):
    return html_of(body)


def message_out(message, moderator):
    hidden = message.hidden_by_id is not None
    out = {"id": message.pk, "parent": message.parent_id, "created_at": message.created_at, "hidden": hidden,
           "replies": []}
    if hidden and not moderator:
        out.update(author=None, body=None, html=None)
    else:
        out.update(author=message.author_name, body=message.body, html=message_html(message.body))
        if hidden:
            out["hidden_by"] = message.hidden_by.get_username()
    return out


def thread_out(thread, moderator):
    nodes, roots = {}, []
    for message in thread.messages.all():  # oldest first
        nodes[message.pk] = message_out(message, moderator)
    for node in nodes.values():
        parent = nodes.get(node["parent"])
        (parent["replies"] if parent is not None else roots).append(node)
    return {"id": thread.pk, "title": thread.title, "tag": thread.tag, "author": thread.author_name,
            "created_at": thread.created_at, "messages": roots}
