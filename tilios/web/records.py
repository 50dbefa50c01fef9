"""Places and knowledge pages seen the same way by the history, compare, revert, protect and talk pages."""
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tilios.pages.models import Page
from tilios.places.models import Place
from tilios.revisions.visibility import visible_to


@dataclass(frozen=True)
class RecordType:
    kind: str  # "place" | "page", also the prefix of the URL names
    model: type
    key_field: str
    label: str

    def get(self, key, user=None):
        record = self.model.objects.filter(**{self.key_field: key}).first()
        if record is None or not visible_to(record, user):
            raise Http404
        return record

    def key(self, record):
        return getattr(record, self.key_field)

    def url(self, name, record, *extra):
        return reverse(f"web:{self.kind}_{name}" if name != "read" else f"web:{self.kind}",
                       args=[self.key(record), *extra])


PLACE = RecordType("place", Place, "public_id", _("lieu"))
PAGE = RecordType("page", Page, "slug", _("page"))
TYPES = {"place": PLACE, "page": PAGE}


def type_of(record):
    return PLACE if isinstance(record, Place) else PAGE


def title_of(record):
    return record.name if isinstance(record, Place) else record.title


def attach_records(items):
    """Give each revision / moderation action / thread a `.record_title` and `.record_url` (batched)."""
    wanted = {}
    for item in items:
        if item.content_type_id and item.object_id:
            wanted.setdefault(item.content_type_id, set()).add(item.object_id)
    found = {}
    for ct_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model in (Place, Page):
            for record in model.objects.filter(pk__in=ids):
                found[(ct_id, record.pk)] = record
    for item in items:
        record = found.get((item.content_type_id, item.object_id))
        item.record_obj = record
        item.record_title = title_of(record) if record else ""
        item.record_url = type_of(record).url("read", record) if record else ""
        item.record_history_url = type_of(record).url("history", record) if record else ""
    return items


def my_pending(record, user):
    """The viewer's own proposals on `record` still waiting for review, each with its `.rows` to show."""
    from tilios.revisions.services import pending_of

    from .diffs import revision_rows

    items = pending_of(record, user)
    for item in items:
        item.rows = revision_rows(item, record.current_revision)
    return items
