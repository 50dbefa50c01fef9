"""What attests a place, and what the registry knew of it after each attestation date.

Knowledge time is the date a source published a record of the place (its import's `--known-on`, else the
day it was imported) or the moment a person edited or patrolled it — not the order the files came in. The
state at each date is folded from the evidence attested up to then with the registry's own rules, made
order-free: a person's value wins; otherwise the source of highest priority, then the latest attested;
the kinds of all sources are joined. So a census is the same whatever order the sources were imported in.
"""
import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone

from tilios.accounts.models import ROLE_RANK, Role
from tilios.accounts.permissions import role_of
from tilios.revisions.models import Revision
from tilios.sources.models import SourceRecord

JOINED = "kinds"
POSITION = ("latitude", "longitude")


@dataclass(order=True)
class Evidence:
    at: datetime.datetime
    rank: tuple  # among evidence of the same moment: records by (priority, slug, id), then persons
    fields: dict = field(compare=False)
    source_id: int | None = field(default=None, compare=False)
    person: bool = field(default=False, compare=False)
    vouches: bool = field(default=False, compare=False)  # a trusted person's edit or a patrol
    revision_id: int | None = field(default=None, compare=False)


@dataclass
class State:
    at: datetime.datetime
    data: dict
    n_sources: int
    verified: bool
    closed_seen_on: datetime.date | None
    revision_id: int | None


def evidence_of(place_ids):
    """For each of `place_ids` (a few hundred at a time), the records and person revisions that attest it,
    each with its attestation moment, in order: read in three queries for them all."""
    found = {place_id: [] for place_id in place_ids}
    records = SourceRecord.objects.filter(place_id__in=place_ids).select_related("source", "first_run", "last_run")
    for record in records.only("place_id", "external_id", "fields", "source__priority", "source__slug",
                               "first_run__known_on", "first_run__started_at",
                               "last_run__known_on", "last_run__started_at"):
        attested = record.first_attested_at
        if attested is None:
            continue
        found[record.place_id].append(Evidence(
            attested, (0, record.source.priority, record.source.slug, record.external_id), record.fields or {},
            source_id=record.source_id))
    revisions = {place_id: [] for place_id in place_ids}
    for revision in (Revision.objects.filter(content_type__app_label="places", content_type__model="place",
                                             object_id__in=place_ids, status=Revision.Status.ACCEPTED)
                     .order_by("object_id", "number").only("id", "object_id", "number", "kind", "author_id", "diff",
                                                           "data", "accepted_at", "patrolled_at")):
        revisions[revision.object_id].append(revision)
    authors = {r.author_id for chain in revisions.values() for r in chain if r.author_id is not None}
    trusted = {user.pk for user in get_user_model().objects.filter(pk__in=authors).select_related("profile")
               if ROLE_RANK[role_of(user)] >= ROLE_RANK[Role.TRUSTED]} if authors else set()
    for place_id, chain in revisions.items():
        _revision_evidence(found[place_id], chain, trusted)
    return {place_id: sorted(items) for place_id, items in found.items()}


def _revision_evidence(found, revisions, trusted):
    for revision in revisions:
        if revision.author_id is not None and revision.kind != Revision.Kind.IMPORT:
            found.append(Evidence(revision.accepted_at, (1, revision.number),
                                  {name: change[1] for name, change in revision.diff.items()}, person=True,
                                  vouches=revision.author_id in trusted, revision_id=revision.pk))
        if revision.patrolled_at is not None:
            found.append(Evidence(revision.patrolled_at, (2, revision.number), {}, vouches=True))
    if not any(e.fields for e in found) and revisions:
        # Nothing else attests it (records moved away, a system write): its first revision does.
        first = revisions[0]
        found.append(Evidence(first.accepted_at, (1, first.number), first.data, revision_id=first.pk))


def timeline(items):
    """One state per distinct attestation moment, folded from all evidence up to it."""
    data, held, sources, states = {}, {}, set(), []  # held: field -> rank of the evidence that set it
    verified, closed_seen_on, revision_id = False, None, None
    kinds = set()
    for i, item in enumerate(items):
        if item.person:
            for name, value in item.fields.items():
                data[name] = value
                held["position" if name in POSITION else name] = "person"
            if "kinds" in item.fields:
                kinds = set(item.fields["kinds"] or [])
            revision_id = item.revision_id or revision_id
        elif item.fields:
            if item.source_id is not None:
                sources.add(item.source_id)
            _take(data, held, item)
            if held.get(JOINED) != "person":
                kinds |= set(item.fields.get(JOINED) or [])
            revision_id = item.revision_id or revision_id
        verified = verified or item.vouches
        data[JOINED] = sorted(kinds)
        if i + 1 < len(items) and items[i + 1].at == item.at:
            continue  # evidence of the same moment makes one state
        if data.get("status") == "closed":
            closed_seen_on = closed_seen_on or timezone.localdate(item.at)
        else:
            closed_seen_on = None
        states.append(State(item.at, dict(data), len(sources), verified, closed_seen_on, revision_id))
    return states


def _take(data, held, item):
    """A record sets each field it fills unless a person or a record of higher priority set it."""
    priority = item.rank[1:2] + (item.at,) + item.rank[2:]
    values = dict(item.fields)
    if values.get("latitude") is not None and values.get("longitude") is not None:
        values["position"] = (values["latitude"], values["longitude"])
    for name in POSITION:
        values.pop(name, None)
    for name, value in values.items():
        if name == JOINED or value in (None, "", [], {}):
            continue
        holder = held.get(name)
        if holder == "person" or (holder is not None and holder > priority):
            continue
        held[name] = priority
        if name == "position":
            data["latitude"], data["longitude"] = value
        else:
            data[name] = value
