"""Keep PlaceFact in step with what attests each place: one fact per date its evidence changed."""
import copy
import datetime
import functools

from django.utils import timezone

from tilios.places.editing import FIELDS
from tilios.places.models import Kind, Place
from tilios.places.services import TERRITORY_INPUTS, assign_territory
from tilios.revisions.models import Revision
from tilios.rows import insert_all
from tilios.territories.models import population_class
from tilios.territories.services import locator

from .evidence import evidence_of, timeline
from .models import PlaceFact

_kind_bits = None


def kind_bits():
    """Kind code → bit, from the taxonomy's positions (stable: positions are never reused)."""
    global _kind_bits
    if _kind_bits is None:
        _kind_bits = {code: 1 << position for code, position in Kind.objects.values_list("code", "position")}
    return _kind_bits


def kinds_mask(codes):
    bits = kind_bits()
    mask = 0
    for code in codes:
        mask |= bits.get(code, 0)
    return mask


def _state(place_id, data, stored):
    """An unsaved Place holding the state a revision describes, with its territory: the one `stored` with the
    place (TERRITORY_INPUTS + STORED_TERRITORY) when the state has the place's address and position (the
    place's own was derived from them, `tilios relocate` derives it again when the reference changes), else
    derived from the state's."""
    state = copy.copy(_blank_place())
    state.pk = place_id
    for name in FIELDS:
        if name in ("kinds", "merged_into") or name not in data:  # a merged place has no facts at all
            continue
        value = data[name]
        if name in ("opened_on", "closed_on") and value:
            value = datetime.date.fromisoformat(value) if isinstance(value, str) else value
        setattr(state, name, value)
    if tuple(getattr(state, name) for name in TERRITORY_INPUTS) != stored[:len(TERRITORY_INPUTS)]:
        return assign_territory(state)
    commune_id, state.epci_id, state.departement_id, state.region_id, state.in_metropole = stored[len(TERRITORY_INPUTS):]
    state.commune = locator().commune(commune_id) if commune_id else None
    return state


@functools.cache
def _blank_place():
    """A place with every field at its default, copied for each state (a copy costs a tenth of a new
    instance, whose defaults are computed anew: the census states every place an import touched)."""
    return Place()


STORED_TERRITORY = ("commune_id", "epci_id", "departement_id", "region_id", "in_metropole")


def _values(place_id, data, attested_on, closed_seen_on, n_sources, verified, stored):
    """The columns of a fact. Without an opening date a place certainly existed from the day it was first
    attested (`valid_from_estimated`: before that it only possibly did); closed without a date, from the
    day its closure was first attested."""
    state = _state(place_id, data, stored)
    valid_from, from_estimated = state.opened_on, False
    if valid_from is None:
        valid_from, from_estimated = attested_on, True
    valid_to, to_estimated = state.closed_on, False
    if valid_to is None and state.status == Place.Status.CLOSED:
        valid_to, to_estimated = closed_seen_on, True
    commune = state.commune
    return dict(
        valid_from=valid_from, valid_from_estimated=from_estimated, valid_to=valid_to,
        valid_to_estimated=to_estimated, status=state.status, presence=state.presence,
        kinds_mask=kinds_mask(data.get("kinds") or []),
        markers=(" " + " ".join(sorted(state.markers)) + " ") if state.markers else "",
        n_sources=n_sources, verified=verified,
        region_code=state.region_id or "", departement_code=state.departement_id or "",
        epci_code=state.epci_id or "", commune_code=commune.code if commune else "",
        in_metropole=state.in_metropole, population_class=population_class(commune.population) if commune else "",
    )


CHUNK = 100  # places rebuilt together: read in a few queries, and short enough for an import's steps


def rebuild_facts(place_id):
    """Rewrite the facts of a place from its evidence; returns how many it has."""
    return rebuild_facts_of([place_id])


def rebuild_facts_of(place_ids):
    """Rewrite the facts of `place_ids` (at most CHUNK) from their evidence, in the order it was attested
    (see evidence.py), so they are the same whatever order the sources were imported in. A merged place keeps
    no facts: what attested it now attests the place it was merged into. Returns how many facts they have."""
    published = {row[0]: row[1:] for row in Place.objects.filter(pk__in=place_ids, is_published=True).order_by()
                 .values_list("pk", "merged_into_id", *TERRITORY_INPUTS, *STORED_TERRITORY)}
    # An unpublished place keeps the facts it had (closed when it was unpublished).
    PlaceFact.objects.filter(place_id__in=list(published)).delete()
    live = sorted(place_id for place_id, (merged_into, *_stored) in published.items() if merged_into is None)
    facts = []
    for place_id, items in evidence_of(live).items():
        states = timeline(items)
        for i, step in enumerate(states):
            known_to = states[i + 1].at if i + 1 < len(states) else None
            facts.append(PlaceFact(place_id=place_id, revision_id=step.revision_id, known_from=step.at,
                                   known_to=known_to,
                                   **_values(place_id, step.data, timezone.localdate(states[0].at),
                                             step.closed_seen_on, step.n_sources, step.verified,
                                             published[place_id][1:])))
    insert_all(facts)
    return len(facts)


def _chunks(ids):
    ids = sorted(ids)
    return (ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK))


def on_published(sender, record, revision, **kwargs):
    if revision.kind in (Revision.Kind.IMPORT, Revision.Kind.MERGE) and revision.source_id is not None:
        # Written by an import (its rows, its automatic merges): it rebuilds the facts of every place it
        # touched once, when its rows are in (on_attested).
        return
    rebuild_facts(record.pk)


def on_attested(sender, place_ids, step=None, **kwargs):
    for chunk in _chunks(place_ids):
        rebuild_facts_of(chunk)
        if step is not None:
            step()


def on_unpublished(sender, record, when, **kwargs):
    PlaceFact.objects.filter(place=record, known_to=None).update(known_to=when)


def rebuild():
    """Rebuild the facts of every place from its evidence (after a taxonomy or reference change)."""
    global _kind_bits
    _kind_bits = None
    ids = Place.objects.published().values_list("id", flat=True)
    return sum(rebuild_facts_of(chunk) for chunk in _chunks(ids))


def end_of_day(day):
    """Knowledge « on day K » means everything learnt up to the end of that day, in Paris."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))
