"""« Vérifié le » (issue #14 item 3): the last day a source or a person confirmed a place, distinct from the
day the registry wrote its row. Imports use the files shipped with the demo (tilios/data/maplabbzh)."""
import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from people import make_user

from tilios.accounts.models import Role
from tilios.places.models import Place
from tilios.places.presenters import last_verified
from tilios.revisions import services as rev
from tilios.revisions.models import Revision
from tilios.sources.services import run_import

pytestmark = pytest.mark.django_db

MAPLAB = settings.DATA_DIR / "maplabbzh"
CGET_NAME = "Base des tiers-lieux de la Mission Coworking"


def cget_place():
    return Place.objects.live().filter(records__source__slug="cget-mission-coworking-2019").order_by("id").first()


def test_an_imported_place_is_verified_on_the_day_its_source_published_it_not_the_day_it_was_read(client):
    place = cget_place()
    assert last_verified(place) == {"on": datetime.date(2019, 6, 13), "by": CGET_NAME, "by_kind": "source"}
    assert place.updated_at.date() > datetime.date(2019, 6, 13)  # the row was written when the demo loaded
    body = client.get(f"/api/places/{place.public_id}").json()
    assert body["verified"] == {"on": "2019-06-13", "by": CGET_NAME, "by_kind": "source"}
    text = client.get(f"/lieux/{place.public_id}/").content.decode()
    assert '<time datetime="2019-06-13">13 juin 2019</time>' in text and f"par la source « {CGET_NAME} »" in text


def test_a_person_s_accepted_edit_or_patrol_verifies_a_pending_one_does_not(client):
    place = cget_place()
    newcomer = make_user("verif-new", Role.CONTRIBUTOR)
    rev.edit(place, {"capacity": 12}, newcomer, "postes", place.current_revision_id)
    pending = Revision.objects.filter(object_id=place.pk, author=newcomer).get()
    assert pending.status == Revision.Status.PENDING
    assert last_verified(place)["on"] == datetime.date(2019, 6, 13)  # a proposal confirms nothing yet
    trusted = make_user("verif-trusted", Role.TRUSTED)
    place.refresh_from_db()
    rev.edit(place, {"capacity": 14}, trusted, "vu sur place", place.current_revision_id)
    assert last_verified(Place.objects.get(pk=place.pk)) == {"on": timezone.localdate(), "by": "verif-trusted",
                                                             "by_kind": "person"}
    assert "par verif-trusted" in client.get(f"/lieux/{place.public_id}/").content.decode()
    moderator = make_user("verif-moderator", Role.MODERATOR)
    rev.patrol(Revision.objects.filter(object_id=place.pk, author=trusted).get(), moderator)
    assert last_verified(Place.objects.get(pk=place.pk))["by"] == "verif-moderator"


def test_a_later_file_still_listing_a_place_verifies_it_again_a_file_that_drops_it_does_not():
    run_import("csv", MAPLAB / "maplabbzh_2016-08-26.csv", source="maplabbzh", known_on=datetime.date(2016, 8, 26),
               mapping=MAPLAB / "maplabbzh.json")
    run_import("csv", MAPLAB / "maplabbzh_2020-05-26.csv", source="maplabbzh", known_on=datetime.date(2020, 5, 26),
               mapping=MAPLAB / "maplabbzh.json")
    only_maplab = Place.objects.live().filter(records__source__slug="maplabbzh").exclude(
        records__source__slug="cget-mission-coworking-2019")
    still = only_maplab.filter(records__missing_since_run__isnull=True,
                               records__first_run__known_on=datetime.date(2016, 8, 26)).first()
    dropped = only_maplab.filter(records__missing_since_run__isnull=False).first()
    assert last_verified(still)["on"] == datetime.date(2020, 5, 26)
    assert dropped is not None and last_verified(dropped) is None
    text_place = Place.objects.live().filter(records__source__slug="maplabbzh",
                                             records__first_run__known_on=datetime.date(2020, 5, 26)).exclude(
        records__source__slug="cget-mission-coworking-2019").first()
    assert last_verified(text_place)["on"] == datetime.date(2020, 5, 26)
