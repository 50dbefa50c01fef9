"""What attests a place, and what the registry knew of it after each attestation date.

Knowledge time is the date a source published a record of the place (its import's `--known-on`, else the
day it was imported) or the moment a person edited or patrolled it — not the order the files came in. The
state at each date is folded from the evidence attested up to then with the registry's own rules, made
order-free: a person's value wins; otherwise the source of highest priority, then the latest attested;
the kinds of all sources are joined. So a census is the same whatever order the sources were imported in.
"""
import datetime
from collections import namedtuple
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone

from tilios.accounts.models import ROLE_RANK, Role
from tilios.accounts.permissions import role_of
from tilios.revisions.models import Revision
from tilios.sources.models import ImportRun, SourceRecord

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
    each with its attestation moment, in order. Read as plain rows, in a few queries for them all: a census
    rebuilds the facts of every place an import touched."""
    found = {place_id: [] for place_id in place_ids}
    records = list(SourceRecord.objects.filter(place_id__in=place_ids).order_by().values_list(
        "place_id", "external_id", "fields", "source_id", "source__priority", "source__slug", "first_run_id",
        "last_run_id"))
    attested = {run.pk: run.attested_at for run in ImportRun.objects.filter(
        pk__in={run for *_rest, first, last in records for run in (first, last)} - {None}).only(
        "known_on", "started_at")}
    for place_id, external_id, fields, source_id, priority, slug, first_run, last_run in records:
        moments = [attested[run] for run in (first_run, last_run) if run is not None]
        if not moments:
            continue
        found[place_id].append(Evidence(min(moments), (0, priority, slug, external_id), fields or {},
                                        source_id=source_id))
    revisions = {place_id: [] for place_id in place_ids}
    accepted = Revision.objects.filter(content_type__app_label="places", content_type__model="place",
                                       object_id__in=place_ids, status=Revision.Status.ACCEPTED)
    for row in accepted.order_by("object_id", "number").values_list(*_Revision._fields):
        revisions[row[1]].append(_Revision(*row))
    authors = {r.author_id for chain in revisions.values() for r in chain if r.author_id is not None}
    trusted = {user.pk for user in get_user_model().objects.filter(pk__in=authors).select_related("profile")
               if ROLE_RANK[role_of(user)] >= ROLE_RANK[Role.TRUSTED]} if authors else set()
    diffs = dict(accepted.filter(pk__in=[r.pk for chain in revisions.values() for r in chain if _by_person(r)])
                 .values_list("id", "diff")) if authors else {}
    for place_id, chain in revisions.items():
        _revision_evidence(found[place_id], chain, trusted, diffs)
    # A place nothing else attests (records moved away, a system write) is attested by its first revision.
    firsts = {chain[0].pk: place_id for place_id, chain in revisions.items() if chain
              and not any(e.fields for e in found[place_id])}
    for pk, data in accepted.filter(pk__in=list(firsts)).values_list("id", "data"):
        first = revisions[firsts[pk]][0]
        found[firsts[pk]].append(Evidence(first.accepted_at, (1, first.number), data, revision_id=pk))
    return {place_id: sorted(items) for place_id, items in found.items()}


# What evidence reads of every revision; the diff of a person's edit and the data of a first revision are
# read apart, for those only (an import's revisions hold whole places).
_Revision = namedtuple("_Revision", ["pk", "object_id", "number", "kind", "author_id", "accepted_at",
                                     "patrolled_at"])


def _by_person(revision):
    return revision.author_id is not None and revision.kind != Revision.Kind.IMPORT


def _revision_evidence(found, revisions, trusted, diffs):
    for revision in revisions:
        if _by_person(revision):
            found.append(Evidence(revision.accepted_at, (1, revision.number),
                                  {name: change[1] for name, change in diffs[revision.pk].items()}, person=True,
                                  vouches=revision.author_id in trusted, revision_id=revision.pk))
        if revision.patrolled_at is not None:
            found.append(Evidence(revision.patrolled_at, (2, revision.number), {}, vouches=True))


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
