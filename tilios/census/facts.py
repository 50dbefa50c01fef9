"""Keep PlaceFact in step with the revisions of places (one fact per published revision)."""
import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from tilios.accounts.models import ROLE_RANK, Role
from tilios.accounts.permissions import role_of
from tilios.places.models import Kind, Place
from tilios.revisions.models import Revision
from tilios.territories.models import population_class

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


def _evidence(place_id):
    """Distinct sources that reported the place, the earliest date they describe, and whether a
    trusted person has vouched for it (edited or patrolled it). One query over the place's revisions."""
    rows = (Revision.objects.filter(content_type__model="place", content_type__app_label="places",
                                    object_id=place_id, status=Revision.Status.ACCEPTED)
            .values_list("source_id", "source__data_date", "patrolled_at", "author_id"))
    sources, dates, verified, authors = set(), [], False, set()
    for source_id, data_date, patrolled_at, author_id in rows:
        if source_id is not None:
            sources.add(source_id)
        if data_date is not None:
            dates.append(data_date)
        verified = verified or patrolled_at is not None
        if author_id is not None:
            authors.add(author_id)
    if not verified and authors:
        for author in get_user_model().objects.filter(pk__in=authors).select_related("profile"):
            if ROLE_RANK[role_of(author)] >= ROLE_RANK[Role.TRUSTED]:
                verified = True
                break
    return sources, min(dates, default=None), verified


def _state(place_id, data):
    """An unsaved Place holding the state a revision describes, with its territory derived."""
    from tilios.places.editing import FIELDS
    from tilios.places.services import assign_territory

    state = Place(pk=place_id)
    for name in FIELDS:
        if name == "kinds" or name not in data:
            continue
        value = data[name]
        if name in ("opened_on", "closed_on") and value:
            value = datetime.date.fromisoformat(value)
        setattr(state, name, value)
    return assign_territory(state)


def _values(place_id, data, known_at, state=None):
    state = state or _state(place_id, data)
    sources, earliest, verified = _evidence(place_id)
    known_date = timezone.localdate(known_at)
    valid_from, from_estimated = state.opened_on, False
    if valid_from is None:
        valid_from, from_estimated = min(filter(None, [earliest, known_date])), True
    valid_to, to_estimated = state.closed_on, False
    if valid_to is None and state.status == Place.Status.CLOSED:
        valid_to, to_estimated = known_date, True
    commune = state.commune
    return dict(
        valid_from=valid_from, valid_from_estimated=from_estimated, valid_to=valid_to,
        valid_to_estimated=to_estimated, status=state.status, presence=state.presence,
        kinds_mask=kinds_mask(data.get("kinds") or []),
        markers=(" " + " ".join(sorted(state.markers)) + " ") if state.markers else "",
        n_sources=len(sources), verified=verified,
        region_code=state.region_id or "", departement_code=state.departement_id or "",
        epci_code=state.epci_id or "", commune_code=commune.code if commune else "",
        in_metropole=state.in_metropole, population_class=population_class(commune.population) if commune else "",
    )


def record_fact(place_id, revision, known_at, state=None):
    """Close the place's open fact at `known_at` and open one with the state `revision` describes
    (none when the revision merges the place into another)."""
    previous = PlaceFact.objects.filter(place_id=place_id, known_to=None).order_by("-known_from").first()
    if previous is not None:
        known_at = max(known_at, previous.known_from)  # knowledge time never goes backwards
        PlaceFact.objects.filter(pk=previous.pk).update(known_to=known_at)
    if revision.data.get("merged_into"):
        return None  # from now on the place is counted once, under the record it was merged into
    return PlaceFact.objects.create(place_id=place_id, revision=revision, known_from=known_at,
                                    **_values(place_id, revision.data, known_at, state))


def on_published(sender, record, revision, **kwargs):
    # The record has just taken the revision's state, territory derived: no need to derive it again.
    record_fact(record.pk, revision, revision.accepted_at, state=record)


def on_unpublished(sender, record, when, **kwargs):
    PlaceFact.objects.filter(place=record, known_to=None).update(known_to=when)


def rebuild():
    """Replay every accepted revision of every place into facts (after a taxonomy or reference change)."""
    global _kind_bits
    _kind_bits = None
    PlaceFact.objects.all().delete()
    published = set(Place.objects.filter(is_published=True).values_list("id", flat=True))
    revisions = (Revision.objects.filter(content_type__app_label="places", content_type__model="place",
                                         status=Revision.Status.ACCEPTED, object_id__in=published)
                 .order_by("object_id", "number"))
    count = 0
    for revision in revisions.iterator(chunk_size=1000):
        record_fact(revision.object_id, revision, revision.accepted_at)
        count += 1
    return count


def end_of_day(day):
    """Knowledge « on day K » means everything learnt up to the end of that day, in Paris."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))
