"""A listing's places (`queries.listed`: plain rows in two queries) are the places their pages show."""
import pytest

from tilios import rows
from tilios.places import queries
from tilios.places.models import Kind, Place
from tilios.sources import crosswalk

pytestmark = pytest.mark.django_db


def _awkward_places():
    """Places of every shape a listing must read: outside any commune, of several kinds, of none."""
    first, second, third = Place.objects.order_by("id")[:3]
    Place.objects.filter(id=first.id).update(commune=None, town="Hors commune")
    second.kinds.set(Kind.objects.order_by("-position")[:3])
    third.kinds.clear()
    return first.id, second.id, third.id


def test_a_listing_reads_each_place_as_its_page_does():
    outside, several, none = _awkward_places()
    listed = {place.id: place for place in queries.listed(Place.objects.all())}
    loaded = {place.id: queries.Listed.of(place) for place in queries.with_details(Place.objects.all())}
    assert listed == loaded and len(listed) == Place.objects.count() > 1000
    assert listed[outside].town == "Hors commune" and listed[outside].commune_code is None
    positions = [Kind.objects.get(code=code).position for code in listed[several].kind_codes]
    assert len(positions) == 3 and positions == sorted(positions)
    assert listed[none].kind_codes == []


def test_a_listing_keeps_the_order_and_slice_of_its_queryset():
    qs = Place.objects.order_by("-sort_name", "id")[5:25]
    assert [place.id for place in queries.listed(qs)] == list(qs.values_list("id", flat=True))
    assert queries.listed(Place.objects.none()) == []


def test_long_lists_of_ids_are_read_in_chunks_with_nothing_lost(monkeypatch):
    _awkward_places()
    ids = list(Place.objects.order_by("id").values_list("id", flat=True))
    whole_records = crosswalk.records_by_place(ids)
    whole_listing = queries.listed(Place.objects.order_by("id"))
    assert sum(map(len, whole_records.values())) >= len(ids) - 1
    monkeypatch.setattr(rows, "CHUNK", 7)
    assert crosswalk.records_by_place(ids) == whole_records
    assert queries.listed(Place.objects.order_by("id")) == whole_listing
