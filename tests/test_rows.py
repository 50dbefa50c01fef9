"""An import's writes through SQL written out (`tilios.rows`) store what the ORM stores."""
import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tilios.places.models import Place
from tilios.revisions.models import Revision
from tilios.rows import insert_all, save_fields

pytestmark = pytest.mark.django_db

STAMPS = ("id", "public_id", "created_at", "updated_at")


def stored(model, objs):
    return [{name: value for name, value in row.items() if name not in STAMPS}
            for row in model.objects.filter(pk__in=[obj.pk for obj in objs]).order_by("pk").values()]


def places():
    return [Place(name="L'Atelier « 12 »", alternate_names=["Atelier douze"], latitude=46.81, longitude=1.69,
                  opened_on=datetime.date(2019, 3, 1), closed_on=datetime.date(2019, 9, 30), temporary=True,
                  capacity=12, unrecognised={"phone": ["05 pas un numéro"]}, departement_id="36",
                  declared_distance_km=0.272, is_published=True, links=[{"url": "https://a.example", "label": ""}]),
            Place(name="Sans rien d'autre")]


def test_insert_all_stores_what_bulk_create_stores_and_sets_the_keys():
    by_orm, by_rows = Place.objects.bulk_create(places()), insert_all(places())
    assert all(place.pk and not place._state.adding for place in by_rows)
    assert stored(Place, by_rows) == stored(Place, by_orm)
    again = Place.objects.get(pk=by_rows[0].pk)
    assert again.public_id and again.created_at and again.opened_on == datetime.date(2019, 3, 1)


def test_insert_all_stamps_creation_times_and_converts_json_that_is_a_plain_string():
    place = Place.objects.create(name="Le Bocal")
    at = timezone.now() - datetime.timedelta(days=3)
    revisions = insert_all([Revision(content_type=ContentType.objects.get_for_model(Place), object_id=place.pk,
                                     number=n, data=data, accepted_at=at) for n, data in ((1, "texte"), (2, {"a": [1]}))])
    read = list(Revision.objects.filter(pk__in=[r.pk for r in revisions]).order_by("number"))
    assert [r.data for r in read] == ["texte", {"a": [1]}] and [r.pk for r in read] == [r.pk for r in revisions]
    assert all(r.accepted_at == at and r.created_at > at for r in read)


def test_insert_all_writes_many_rows_in_statements_of_several():
    many = insert_all(Place(name=f"Lieu {i}", latitude=45 + i / 1000, longitude=5.0) for i in range(1234))
    assert len({place.pk for place in many}) == 1234
    assert list(Place.objects.filter(pk__in=[p.pk for p in many]).order_by("pk").values_list("name", flat=True)) == [
        f"Lieu {i}" for i in range(1234)]


def test_save_fields_writes_each_objects_own_values():
    first, second = insert_all(places())
    first.capacity, first.alternate_names, second.capacity, second.alternate_names = 3, [], None, ["Rien", "Néant"]
    save_fields([first, second], ["capacity", "alternate_names"])
    assert [(p.capacity, p.alternate_names) for p in Place.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")] \
        == [(3, []), (None, ["Rien", "Néant"])]
