"""The change feed: every published revision, in an order a follower can resume from.

A revision gets its place in the feed (`Revision.sequence`) when the feed is read, not when it is
written. Numbering at write time would follow the order transactions *start*: a long import that began
first and commits last would slip in behind a cursor a follower has already passed, and be skipped for
ever. The reader instead numbers, under one lock, the published revisions it can see that have no number
yet: a revision committed later is numbered later, so resuming from a cursor never skips a revision and
never repeats one. Writers take no lock and pay nothing.
"""
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Max, Q

from .models import Revision

# Arbitrary key of the PostgreSQL advisory lock that makes numbering one reader at a time. SQLite needs
# none: Tilios opens its transactions IMMEDIATE, so the numbering transaction is the only writer.
NUMBERING_LOCK = 7_417_105
MAX_LIMIT = 500


@dataclass
class Change:
    sequence: int
    at: datetime
    type: str  # the record's model, e.g. "place", "page", "announcement"
    record_id: int
    key: str  # the identifier used in the record's URLs (a place's public id, a page's slug)
    title: str
    url: str
    revision: int
    kind: str
    author: str
    summary: str
    fields: list = field(default_factory=list)
    closed: bool = False  # this revision closed the place
    revision_id: int = 0
    patrolled: bool = False

    @property
    def kind_label(self):
        return Revision.Kind(self.kind).label

    def as_dict(self):
        return {"sequence": self.sequence, "at": self.at.isoformat(), "type": self.type, "id": self.key,
                "title": self.title, "url": self.url, "revision": self.revision, "kind": self.kind,
                "author": self.author, "summary": self.summary, "fields": self.fields, "closed": self.closed}


@dataclass
class Page:
    changes: list
    cursor: int  # pass it back as `since` to get what comes next; nothing at or before it will come again


def number_new():
    """Give a feed number to every published revision committed so far that has none. Returns the last."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NUMBERING_LOCK])
        last = Revision.objects.aggregate(last=Max("sequence"))["last"] or 0
        new = list(Revision.objects.filter(status=Revision.Status.ACCEPTED, sequence__isnull=True)
                   .order_by("accepted_at", "id").only("id"))
        for number, revision in enumerate(new, last + 1):
            revision.sequence = number
        Revision.objects.bulk_update(new, ["sequence"], batch_size=500)
    return last + len(new)


def of_record(record):
    """The scope of one record's changes."""
    return Q(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)


def of_type(name):
    """The scope of one type of record, by its model name ("place", "page", "promise"…)."""
    return Q(content_type__model=name)


def since(cursor=0, limit=100, scope=None):
    """The published revisions after `cursor`, oldest first; `scope` (a Q on revisions) narrows them."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    last = number_new()
    revisions = Revision.objects.filter(sequence__gt=cursor)
    if scope is not None:
        revisions = revisions.filter(scope)
    rows = list(revisions.select_related("content_type", "author", "source").order_by("sequence")[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    # A short page has read everything numbered: the next read starts after the last number given out
    # (also what brings back a cursor from beyond this feed's end, e.g. one kept across a restore).
    return Page(present(rows), rows[-1].sequence if more else last)


def recent(scope=None):
    """The published revisions, newest first, as a queryset (the « recent changes » page and the Atom feeds
    take a page of it, then `present` it)."""
    number_new()
    revisions = Revision.objects.filter(sequence__isnull=False)
    if scope is not None:
        revisions = revisions.filter(scope)
    return revisions.select_related("content_type", "author", "source").order_by("-sequence")


def present(rows):
    """Revisions as changes, with their records' titles and URLs (one query per type of record)."""
    records = {}
    for ct in {row.content_type for row in rows}:
        ids = [row.object_id for row in rows if row.content_type_id == ct.pk]
        records[ct.pk] = ct.model_class().objects.in_bulk(ids)
    changes = []
    for row in rows:
        record = records[row.content_type_id].get(row.object_id)
        changes.append(Change(
            sequence=row.sequence, at=row.accepted_at, type=row.content_type.model, record_id=row.object_id,
            key=str(getattr(record, "public_id", None) or getattr(record, "slug", None) or row.object_id),
            title=str(record) if record is not None else "", url=_url(record), revision=row.number,
            kind=row.kind, author=row.author_name, summary=row.summary, fields=sorted(row.diff),
            closed=row.diff.get("status", [None, None])[1] == "closed", revision_id=row.pk,
            patrolled=row.patrolled_at is not None))
    return changes


def _url(record):
    get_url = getattr(record, "get_absolute_url", None)
    return get_url() if get_url else ""
