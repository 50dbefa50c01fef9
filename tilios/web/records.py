"""Places and knowledge pages seen the same way by the history, compare, revert, protect and talk pages."""
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.urls import reverse

from tilios.media import editing as file_editing
from tilios.pages import editing as page_editing
from tilios.pages import trainings
from tilios.places import editing as place_editing
from tilios.revisions import records
from tilios.revisions.services import pending_of
from tilios.revisions.visibility import visible_to

from .diffs import revision_rows

PLACE, PAGE, FILE, TRAINING = place_editing.RECORD, page_editing.RECORD, file_editing.RECORD, trainings.RECORD
TYPES = {rt.name: rt for rt in (PLACE, PAGE, FILE, TRAINING)}


def find(rtype, key, user=None):
    """The record of this type with this key, if `user` may see it; else 404."""
    record = rtype.model.objects.filter(**{rtype.key: key}).first()
    if record is None or not visible_to(record, user):
        raise Http404
    return record


def link(rtype, name, record, *extra):
    """The URL of one of a record's pages: "read", "edit", "history", "talk"…"""
    return reverse(f"web:{rtype.name}_{name}" if name != "read" else f"web:{rtype.name}",
                   args=[rtype.key_of(record), *extra])


def type_of(record):
    return records.of(record)


def title_of(record):
    return records.of(record).title_of(record)


def attach_records(items):
    """Give each revision / moderation action / thread a `.record_title` and `.record_url` (batched)."""
    wanted = {}
    for item in items:
        if item.content_type_id and item.object_id:
            wanted.setdefault(item.content_type_id, set()).add(item.object_id)
    found = {}
    for ct_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if records.of(model) in TYPES.values():
            for record in model.objects.filter(pk__in=ids):
                found[(ct_id, record.pk)] = record
    for item in items:
        record = found.get((item.content_type_id, item.object_id))
        item.record_obj = record
        item.record_title = title_of(record) if record else ""
        item.record_url = link(type_of(record), "read", record) if record else ""
        item.record_history_url = link(type_of(record), "history", record) if record else ""
    return items


def my_pending(record, user):
    """The viewer's own proposals on `record` still waiting for review, each with its `.rows` to show."""

    items = pending_of(record, user)
    for item in items:
        item.rows = revision_rows(item, record.current_revision)
    return items
