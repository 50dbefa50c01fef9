"""Opening hours: the OSM syntax checked on every way in, evaluated in the place's own time zone with French
public holidays, shown in words, and the `open_now` / `open_at` filters of the API, the CLI and the map.

Clocks are fixed by passing the instant (`open_at`, or `at` to the hours functions); `open_now` is tested
with hours that hold whatever the clock says (`24/7`, `off`)."""
import datetime
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation
from people import make_user

from tilios.places import hours
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.revisions.models import Revision

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")
UTC = datetime.timezone.utc
SAINT_ETIENNE = (45.4397, 4.3872)


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def at(*args, tz=PARIS):
    return datetime.datetime(*args, tzinfo=tz)


def is_open(text, moment, tz="Europe/Paris"):
    return hours.open_among([(1, text, "", "")] if tz == "Europe/Paris" else [(1, text, "974", "")], moment) == {1}


# --- the hours logic -------------------------------------------------------------------------------------

def test_a_span_past_midnight_belongs_to_the_evening_it_starts():
    text = "Fr 22:00-02:00"
    assert not is_open(text, at(2026, 12, 4, 21, 59))  # Friday
    assert is_open(text, at(2026, 12, 4, 23, 0))
    assert is_open(text, at(2026, 12, 5, 1, 30))  # Saturday night, still Friday's opening
    assert not is_open(text, at(2026, 12, 5, 2, 0))
    assert not is_open(text, at(2026, 12, 5, 23, 0))  # not Saturday evening
    assert hours.status(text, "Europe/Paris", at(2026, 12, 4, 23, 0)).text == "Ouvert maintenant · ferme demain à 2 h"
    assert hours.status(text, "Europe/Paris", at(2026, 12, 3, 10, 0)).text == "Fermé · ouvre demain à 22 h"
    week = {d.name: d.text for d in hours.week(text, "Europe/Paris", at(2026, 12, 3, 10, 0))}
    assert week["vendredi"] == "22 h – 2 h" and week["samedi"] == "fermé"
    assert list(week)[0] == "lundi"  # Monday first, whatever today is


def test_public_holidays_off_and_marked_in_the_week():
    text = "Mo-Fr 09:00-12:00,14:00-18:00; PH off"
    assert not is_open(text, at(2026, 7, 14, 10, 0))  # Fête nationale, a Tuesday
    assert is_open(text, at(2026, 7, 15, 10, 0))
    assert not is_open(text, at(2026, 5, 14, 10, 0))  # Ascension
    assert not is_open(text, at(2026, 5, 25, 10, 0))  # lundi de Pentecôte
    assert hours.status(text, "Europe/Paris", at(2026, 7, 14, 10, 0)).text == "Fermé · ouvre demain à 9 h"
    assert hours.status(text, "Europe/Paris", at(2026, 7, 13, 16, 30)).text == "Ouvert maintenant · ferme à 18 h"
    week = {d.name: d for d in hours.week(text, "Europe/Paris", at(2026, 7, 13, 8, 0))}
    assert week["mardi"].holiday and week["mardi"].text == "fermé"
    assert not week["lundi"].holiday and week["lundi"].text == "9 h – 12 h, 14 h – 18 h"


def test_off_whole_and_as_an_exception():
    assert hours.status("off", "Europe/Paris", at(2026, 12, 3, 10, 0)).text == "Fermé"
    assert not is_open("off", at(2026, 12, 3, 10, 0))
    text = "Mo-Fr 09:00-18:00; Dec 24-26 off"
    assert is_open(text, at(2026, 12, 23, 10, 0))
    assert not is_open(text, at(2026, 12, 24, 10, 0))
    assert hours.status(text, "Europe/Paris", at(2026, 12, 24, 10, 0)).text == "Fermé · ouvre lundi à 9 h"
    assert hours.status("Jan 05 10:00-11:00", "Europe/Paris", at(2026, 12, 3, 10, 0)).text == \
        "Fermé · ouvre le 5 janvier à 10 h"


def test_comments_and_uncertain_hours_are_said():
    text = 'Mo-Fr 09:00-12:30 "sur rendez-vous"; Su unknown'
    assert hours.status(text, "Europe/Paris", at(2026, 12, 3, 10, 0)).text == \
        "Ouvert maintenant · ferme à 12 h 30 (sur rendez-vous)"
    status = hours.status(text, "Europe/Paris", at(2026, 12, 6, 10, 0))
    assert status.state == "unknown" and status.text == "Ouverture incertaine · ouvre demain à 9 h"
    assert not is_open(text, at(2026, 12, 6, 10, 0))  # uncertain is not open for the filters


def test_daylight_saving_days_in_paris():
    text = "Su 01:00-04:00"
    # 29 March 2026: clocks go from 02:00 to 03:00. Open from 01:00 CET to 04:00 CEST: two real hours.
    assert is_open(text, datetime.datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # 01:30 CET
    assert is_open(text, datetime.datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # 03:30 CEST
    assert not is_open(text, datetime.datetime(2026, 3, 29, 2, 0, tzinfo=UTC))  # 04:00 CEST
    status = hours.status(text, "Europe/Paris", datetime.datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    assert status.next_change == datetime.datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert status.text == "Ouvert maintenant · ferme à 4 h"
    # 25 October 2026: 03:00 CEST becomes 02:00 CET. Open from 01:00 CEST to 04:00 CET: four real hours.
    assert is_open(text, datetime.datetime(2026, 10, 24, 23, 30, tzinfo=UTC))  # 01:30 CEST
    assert is_open(text, datetime.datetime(2026, 10, 25, 2, 30, tzinfo=UTC))  # 03:30 CET
    assert not is_open(text, datetime.datetime(2026, 10, 25, 3, 0, tzinfo=UTC))  # 04:00 CET
    opening = [d for d in hours.week(text, "Europe/Paris", at(2026, 10, 19, 12, 0)) if d.name == "dimanche"][0]
    assert opening.date == datetime.date(2026, 10, 25) and opening.text == "1 h – 4 h"


def test_reunion_hours_are_read_in_reunion_time():
    text = "Mo-Fr 08:00-16:00"
    assert hours.timezone_name("974") == "Indian/Reunion"
    nine_in_reunion = datetime.datetime(2026, 12, 3, 5, 0, tzinfo=UTC)  # 06:00 in Paris
    five_pm_in_reunion = datetime.datetime(2026, 12, 3, 13, 0, tzinfo=UTC)  # 14:00 in Paris
    assert is_open(text, nine_in_reunion, tz="Indian/Reunion") and not is_open(text, nine_in_reunion)
    assert not is_open(text, five_pm_in_reunion, tz="Indian/Reunion") and is_open(text, five_pm_in_reunion)
    assert hours.status(text, "Indian/Reunion", five_pm_in_reunion).text == "Fermé · ouvre demain à 8 h"
    # A time without offset is wall-clock time at the place.
    assert is_open(text, datetime.datetime(2026, 12, 3, 9, 0), tz="Indian/Reunion")
    # National holidays apply overseas too (the parser's FR calendar; 20 December is not in it).
    assert not is_open("Mo-Su 08:00-16:00; PH off", at(2026, 11, 11, 9, 0, tz=REUNION), tz="Indian/Reunion")


def test_time_zone_of_each_overseas_departement_and_by_postcode():
    assert [hours.timezone_name(code) for code in ("971", "972", "973", "974", "976")] == [
        "America/Guadeloupe", "America/Martinique", "America/Cayenne", "Indian/Reunion", "Indian/Mayotte"]
    assert hours.timezone_name("42") == hours.timezone_name(None) == "Europe/Paris"
    assert hours.timezone_name(None, "97600") == "Indian/Mayotte"  # no commune found: the postcode says


def test_bad_syntax_is_refused_with_where_and_an_example():
    assert hours.check("  Mo-Fr  09:00-18:00 ") == "Mo-Fr 09:00-18:00"
    assert hours.check("") == ""
    with pytest.raises(hours.HoursError) as refused:
        hours.check("Mo-Fr 9h-18h")
    assert "caractère 7" in str(refused.value) and "9h-18h" in str(refused.value)
    assert "Mo-Fr 09:00-12:00,14:00-18:00" in str(refused.value)
    with pytest.raises(hours.HoursError):
        hours.check("lundi-vendredi 9-18")
    with pytest.raises(hours.HoursError):
        hours.check("Mo-Fr 09:00-18:00; " * 20)  # longer than the field


# --- stored, revisioned, shown -------------------------------------------------------------------------------

def new_place(name, opening_hours, lat, lon, **more):
    place, _ = rev.create(Place, {"name": name, "opening_hours": opening_hours, "latitude": lat, "longitude": lon,
                                  "kinds": ["coworking"], **more}, None, "test", system=True)
    return place


@pytest.mark.django_db
def test_edit_revision_api_round_trip_and_bad_syntax_refused(client):
    from tilios.accounts.models import ApiToken, Role

    place = Place.objects.get(name="SICTIAM")
    editor = make_user("horaires", Role.TRUSTED)
    token = ApiToken.issue(editor)
    headers = {"Authorization": f"Bearer {token}"}

    def patch(changes):
        return client.generic("PATCH", f"/api/places/{place.public_id}", json.dumps({
            "base_revision": Place.objects.get(pk=place.pk).current_revision_id, "summary": "horaires",
            "changes": changes}), content_type="application/json", headers=headers)

    refused = patch({"opening_hours": "lundi 9h-12h"})
    assert refused.status_code == 400
    said = json.dumps(refused.json(), ensure_ascii=False)
    assert "opening_hours" in said and "caractère 1" in said and "lundi 9h-12h" in said
    assert Place.objects.get(pk=place.pk).current_revision.number == 1  # nothing written

    accepted = patch({"opening_hours": "Mo-Fr 09:00-12:00,14:00-18:00; PH off"})
    assert accepted.status_code == 200, accepted.content
    revision = Revision.objects.get(pk=accepted.json()["revision"]["id"])
    assert revision.diff == {"opening_hours": ["", "Mo-Fr 09:00-12:00,14:00-18:00; PH off"]}
    body = client.get(f"/api/places/{place.public_id}").json()
    assert body["opening_hours"] == "Mo-Fr 09:00-12:00,14:00-18:00; PH off"
    assert body["hours"]["timezone"] == "Europe/Paris" and body["hours"]["state"] in ("open", "closed")
    assert body["hours"]["text"].startswith(("Ouvert maintenant", "Fermé"))

    with pytest.raises(ValidationError) as error:  # the CLI and the importers go through the same check
        rev.edit(place, {"opening_hours": "Mo-Fr 25:00-26:00"}, None, "", system=True)
    assert "opening_hours" in error.value.message_dict


@pytest.mark.django_db
def test_web_form_shows_the_field_error_and_the_place_page_the_week(client):
    from tilios.accounts.models import Role

    place = Place.objects.get(name="SICTIAM")
    client.force_login(make_user("formulaire", Role.TRUSTED))
    form = client.get(f"/lieux/{place.public_id}/modifier/")
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update({"opening_hours": "Mo-Fr 9-18", "base_revision": place.current_revision_id,
                 "kinds": [k.code for k in place.kinds.all()], "links": "", "alternate_names": ""})
    response = client.post(f"/lieux/{place.public_id}/modifier/", data)
    assert response.status_code == 400 and "syntaxe OpenStreetMap non reconnue" in response.content.decode()
    assert Place.objects.get(pk=place.pk).opening_hours == ""

    rev.edit(place, {"opening_hours": "24/7"}, None, "", system=True)
    page = client.get(f"/lieux/{place.public_id}/").content.decode()
    assert "Ouvert maintenant" in page and page.count("toute la journée") == 7 and "<code>24/7</code>" in page


# --- filters ----------------------------------------------------------------------------------------------------

@pytest.fixture
def saint_etienne():
    """Coworking spaces with hours around Saint-Étienne, nearest first; the CGET places there have none."""
    lat, lon = SAINT_ETIENNE
    return {
        "afternoon": new_place("Après-midi", "Mo-Fr 14:00-18:00", lat + 0.001, lon),  # nearest
        "office": new_place("Bureau", "Mo-Fr 09:00-18:00; PH off", lat + 0.01, lon),
        "night": new_place("Nocturne", "Fr 22:00-02:00", lat + 0.02, lon),
        "saturday": new_place("Samedi", "Sa 10:00-12:00", lat + 0.03, lon),
        "always": new_place("Toujours", "24/7", lat + 0.05, lon),
        "never": new_place("Jamais", "off", lat + 0.04, lon),
    }


def names(response):
    assert response.status_code == 200, response.content
    return [p["name"] for p in response.json()["results"]]


@pytest.mark.django_db
def test_api_open_at_gives_the_k_nearest_open_places(client, saint_etienne):
    near = "%s,%s" % SAINT_ETIENNE
    monday_10 = "2026-12-07T10:00:00+01:00"
    assert names(client.get("/api/places", {"near": near, "limit": 2, "open_at": monday_10})) == ["Bureau", "Toujours"]
    assert names(client.get("/api/places", {"near": near, "limit": 3, "open_at": "2026-12-07T15:00:00+01:00"})) == [
        "Après-midi", "Bureau", "Toujours"]
    assert names(client.get("/api/places", {"near": near, "limit": 5, "open_at": "2026-12-05T01:00:00+01:00"})) == [
        "Nocturne", "Toujours"]  # Friday night, after midnight
    christmas = names(client.get("/api/places", {"near": near, "limit": 5, "open_at": "2026-12-25T10:00:00+01:00"}))
    assert christmas == ["Toujours"]  # PH off
    # Pages of open places follow each other without repeating or skipping any.
    seen, cursor = [], None
    while True:
        params = {"near": near, "limit": 1, "open_at": "2026-12-07T15:00:00+01:00", **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/places", params).json()
        seen += [p["name"] for p in body["results"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["Après-midi", "Bureau", "Toujours"]


@pytest.mark.django_db
def test_api_open_filter_with_text_kind_count_and_geojson(client, saint_etienne):
    monday_15 = "2026-12-07T15:00:00+01:00"
    body = client.get("/api/places", {"open_at": monday_15, "kind": "coworking"}).json()
    assert body["count"] == 3 and [p["name"] for p in body["results"]] == ["Après-midi", "Bureau", "Toujours"]
    assert body["results"][0]["opening_hours"] == "Mo-Fr 14:00-18:00"
    assert names(client.get("/api/places", {"open_at": monday_15, "q": "bureau"})) == ["Bureau"]
    assert names(client.get("/api/places", {"open_at": monday_15, "kind": "fablab"})) == []
    geo = client.get("/api/places.geojson", {"open_at": monday_15}).json()
    assert sorted(f["properties"]["name"] for f in geo["features"]) == ["Après-midi", "Bureau", "Toujours"]
    groups = client.get("/api/places/clusters", {"open_at": monday_15, "zoom": 15,
                                                  "bbox": "4.35,45.40,4.45,45.52", "summary": 1}).json()  # what the map asks
    assert groups["count"] == groups["total"] == 3
    assert sorted(f["properties"].get("name", "") for f in groups["features"]) == ["Après-midi", "Bureau", "Toujours"]
    # open_now: whatever the clock says, « 24/7 » is open and « off » is not.
    now = names(client.get("/api/places", {"open_now": "true", "limit": 200}))
    assert "Toujours" in now and "Jamais" not in now
    assert client.get("/api/places", {"open_at": "lundi 10 h"}).json()["detail"].startswith("open_at")
    assert client.get("/api/places", {"open_at": monday_15, "open_now": "true"}).status_code == 400


@pytest.mark.django_db
def test_naive_open_at_is_local_time_at_each_place(client, saint_etienne):
    reunion = new_place("Case à Saint-Denis", "Mo-Fr 08:00-16:00", -20.8823, 55.4504)
    assert reunion.departement_id == "974"
    in_paris = names(client.get("/api/places", {"open_at": "2026-12-07T15:00:00+01:00", "limit": 200}))
    assert "Case à Saint-Denis" not in in_paris  # 18:00 in Réunion
    local = names(client.get("/api/places", {"open_at": "2026-12-07T15:00", "limit": 200}))
    assert "Case à Saint-Denis" in local and "Bureau" in local
    detail = client.get(f"/api/places/{reunion.public_id}").json()
    assert detail["hours"]["timezone"] == "Indian/Reunion"


@pytest.mark.django_db
def test_cli_near_open_at_and_open_now(saint_etienne):
    out = io.StringIO()
    call_command("near", *map(str, SAINT_ETIENNE), "-k", "2", "--open-at", "2026-12-07T10:00+01:00",
                 "--format", "json", stdout=out)
    assert [p["name"] for p in json.loads(out.getvalue())] == ["Bureau", "Toujours"]
    out = io.StringIO()
    call_command("near", *map(str, SAINT_ETIENNE), "-k", "1", "--open-now", stdout=out)
    assert "Toujours" in out.getvalue() or "Bureau" in out.getvalue() or "Après-midi" in out.getvalue() \
        or "Nocturne" in out.getvalue() or "Samedi" in out.getvalue()
    assert "Jamais" not in out.getvalue()
    from django.core.management import CommandError
    with pytest.raises(CommandError, match="open_at"):
        call_command("near", *map(str, SAINT_ETIENNE), "--open-at", "demain", stdout=io.StringIO())


@pytest.mark.django_db
def test_home_page_open_now_lists_only_open_places(client, saint_etienne):
    page = client.get("/", {"open_now": "1", "q": "toujours"}).content.decode()
    assert "Toujours" in page and 'name="open_now" type="checkbox" value="1" checked' in page
    assert "Jamais" not in client.get("/", {"open_now": "1", "q": "jamais"}).content.decode().split('id="results"')[1]
    near = client.get("/", {"open_now": "1", "near": "%s,%s" % SAINT_ETIENNE}).content.decode()
    assert "Toujours" in near and "Jamais" not in near.split('id="results"')[1]


# --- importers ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_mednum_files_keep_their_hours_and_refused_ones_go_to_review(shared_data, client):
    from tilios.sources import services

    out = io.StringIO()
    call_command("import", "mednum", str(shared_data / "mednum-hub-du-sud-paca-2023/hub_du_sud_lieux_2023-05-16.csv"),
                 "--source", "mednum-hub-du-sud", "--review-all", "--no-progress", stdout=out)
    assert "792 lignes : 792 créées" in out.getvalue() and "0 rejetées" in out.getvalue()
    assert "14 lieux ont des horaires non reconnus, gardés tels quels" in out.getvalue()
    places = Place.objects.filter(records__source__slug="mednum-hub-du-sud")
    assert places.exclude(opening_hours="").count() == 497
    refused = places.exclude(opening_hours_unparsed="")
    assert refused.count() == 14  # kept as the source wrote them, nothing dropped
    assert refused.filter(opening_hours_unparsed="Mo-Fr 09:00-19:00; Sa 17:00").exists()
    review = client.get("/api/review/hours", {"limit": 200}).json()
    assert review["count"] == 14
    assert {r["opening_hours_unparsed"] for r in review["results"]} == set(refused.values_list(
        "opening_hours_unparsed", flat=True))
    out = io.StringIO()
    call_command("review", "hours", stdout=out)
    assert "Horaires non reconnus, à réécrire en syntaxe OSM : 14" in out.getvalue()

    # Someone writes the hours in the syntax: the source text is cleared and the place leaves the list.
    place = refused.get(opening_hours_unparsed="Mo-Fr 09:00-19:00; Sa 17:00")
    page = client.get(f"/lieux/{place.public_id}/").content.decode()
    assert "Mo-Fr 09:00-19:00; Sa 17:00" in page and "non reconnus" in page
    rev.edit(place, {"opening_hours": "Mo-Fr 09:00-19:00; Sa 17:00-18:00"}, None, "", system=True)
    place.refresh_from_db()
    assert place.opening_hours_unparsed == "" and client.get("/api/review/hours").json()["count"] == 13

    again = services.run_import("mednum", shared_data / "mednum-hub-du-sud-paca-2023/hub_du_sud_lieux_2023-05-16.csv",
                                source="mednum-hub-du-sud", auto_merge=False)
    assert again.created == 0 and again.rejected == 0


@pytest.mark.django_db
def test_hinaura_hours_all_read(shared_data):
    from tilios.sources import services

    services.run_import("mednum", shared_data / "mednum-hinaura-auvergne-rhone-alpes-2022/hinaura_lieux.csv",
                        source="mednum-hinaura", auto_merge=False)
    places = Place.objects.filter(records__source__slug="mednum-hinaura")
    assert places.exclude(opening_hours="").count() == 617 and not places.exclude(opening_hours_unparsed="").exists()


@pytest.mark.django_db
def test_osm_opening_hours_tag_kept_or_sent_to_review(tmp_path):
    from tilios.sources import services

    overpass = tmp_path / "overpass.json"
    overpass.write_text(json.dumps({"elements": [
        {"type": "node", "id": 1, "lat": 45.44, "lon": 4.39,
         "tags": {"amenity": "coworking_space", "name": "Espace lisible", "opening_hours": "Mo-Fr 08:30-19:00; PH off"}},
        {"type": "node", "id": 2, "lat": 45.45, "lon": 4.38,
         "tags": {"amenity": "coworking_space", "name": "Espace illisible", "opening_hours": "du lundi au vendredi"}},
    ]}), encoding="utf-8")
    summary = services.run_import("osm", overpass, auto_merge=False)
    assert (summary.created, summary.rejected) == (2, 0)
    assert Place.objects.get(name="Espace lisible").opening_hours == "Mo-Fr 08:30-19:00; PH off"
    unread = Place.objects.get(name="Espace illisible")
    assert (unread.opening_hours, unread.opening_hours_unparsed) == ("", "du lundi au vendredi")
