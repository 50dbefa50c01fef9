"""The map's groups made by the server (`/api/places/clusters`): every group counts exactly the places of its
grid cell, the groups of a view add up to the places in it, on both engines, with the search's filters."""
import math
from collections import defaultdict

import pytest

from tilios.api.place_schemas import GroupCollection, PlaceCollection
from tilios.places import clusters
from tilios.places.models import Place

pytestmark = pytest.mark.django_db

FRANCE = "-5.3,41.2,9.7,51.2"


def get(client, **params):
    response = client.get("/api/places/clusters", {"summary": "true", **params})
    assert response.status_code == 200, response.content
    return response.json()


def cells_in_python(zoom, bbox_edges):
    """The cells of the located places inside the answer's edges, computed apart from the database."""
    n = clusters.cells_per_side(zoom)
    west, south, east, north = bbox_edges
    found = defaultdict(list)
    for pk, lat, lon in Place.objects.live().filter(latitude__isnull=False).values_list("id", "latitude", "longitude"):
        if south - 1e-9 <= lat <= north + 1e-9 and west - 1e-9 <= lon <= east + 1e-9:
            cell = (math.floor((lon + 180) / 360 * n), math.floor(clusters._mercator_y(lat) * n))
            found[cell].append((pk, lat, lon))
    return found


@pytest.mark.parametrize("zoom,bbox", [(0, "-180,-85,180,85"), (2, "-180,-85,180,85"), (5, FRANCE), (8, FRANCE),
                                       (11, "4.2,45.3,4.6,45.6"), (15, "4.38,45.43,4.40,45.45")])
def test_each_group_is_exactly_its_cell(client, zoom, bbox):
    body = get(client, zoom=zoom, bbox=bbox)
    expected = cells_in_python(zoom, body["bbox"])
    assert body["count"] == sum(f["properties"]["count"] for f in body["features"]) == sum(map(len, expected.values()))
    assert len(body["features"]) == len(expected)
    n = clusters.cells_per_side(zoom)
    for feature in body["features"]:  # each group is the cell of its places: same places, same mean position
        west, south, east, north = feature["properties"].get("extent") or feature["geometry"]["coordinates"] * 2
        members = expected[(math.floor((west + 180) / 360 * n), math.floor(clusters._mercator_y(north) * n))]
        assert feature["properties"]["count"] == len(members)
        assert feature["geometry"]["coordinates"] == pytest.approx(
            [sum(m[2] for m in members) / len(members), sum(m[1] for m in members) / len(members)], abs=1e-9)
        assert [west, south, east, north] == [min(m[2] for m in members), min(m[1] for m in members),
                                              max(m[2] for m in members), max(m[1] for m in members)]
    for feature in body["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        if feature["properties"]["cluster"]:
            west, south, east, north = feature["properties"]["extent"]
            assert feature["properties"]["count"] > 1 and west <= lon <= east and south <= lat <= north
        else:
            place = Place.objects.get(public_id=feature["id"])
            assert (place.latitude, place.longitude) == (lat, lon)
            assert feature["properties"]["name"] == place.name
            assert feature["properties"]["kinds"] == [k.code for k in place.kinds.order_by("position")]


def test_whole_world_holds_every_located_place_at_every_zoom_it_allows(client):
    located = Place.objects.live().filter(latitude__isnull=False).count()
    groups = []
    for zoom in range(0, 5):
        body = get(client, zoom=zoom)
        assert body["count"] == body["total"] == located, zoom
        groups.append(len(body["features"]))
    assert groups == sorted(groups) and groups[0] < groups[-1]  # finer cells: more groups, the same places
    # Deeper, the world is too many cells to ask at once: the answer says to zoom in, and sends nothing.
    response = client.get("/api/places/clusters", {"zoom": 9})
    assert response.status_code == 400 and "trop grande" in response.json()["detail"]


def test_a_view_of_france_is_a_few_dozen_groups(client):
    body = get(client, zoom=5, bbox=FRANCE)
    assert len(body["features"]) < 60 and body["count"] > 1400
    assert [s["licence"] for s in body["licences"]] == ["Licence Ouverte 2.0"]  # the CGET's
    panned = client.get("/api/places/clusters", {"zoom": 5, "bbox": FRANCE})  # a pan: the groups only
    assert len(panned.content) < 10_000 and "total" not in panned.json() and "licences" not in panned.json()


def test_groups_follow_the_search_filters(client):
    for params in ({"kind": "fablab"}, {"q": "numerique"}, {"q": "atelier", "kind": "fablab"}):
        located = [p for p in _all(client, params) if p["latitude"] is not None]
        body = get(client, zoom=3, **params)
        assert located and body["count"] == body["total"] == len(located), params
        west, south, east, north = body["extent"]
        assert all(west <= p["longitude"] <= east and south <= p["latitude"] <= north for p in located)
        assert {west, east} <= {p["longitude"] for p in located} and {south, north} <= {p["latitude"] for p in located}
    nothing = get(client, zoom=3, q="zzzz introuvable")
    assert nothing["count"] == nothing["total"] == 0 and nothing["extent"] is None and nothing["features"] == []


def _all(client, params):
    results, cursor = [], None
    while True:
        body = client.get("/api/places", {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}).json()
        results += body["results"]
        cursor = body["next_cursor"]
        if not cursor:
            return results


def test_places_at_one_spot_stay_one_group_and_the_list_gives_them(client):
    for name in ("Atelier A", "Atelier B", "Atelier C"):
        Place.objects.create(name=name, latitude=-12.5, longitude=-170.25)  # nothing else near
    body = get(client, zoom=19, bbox="-170.251,-12.501,-170.249,-12.499")
    [group] = body["features"]
    assert group["properties"]["count"] == 3 and group["properties"]["extent"] == [-170.25, -12.5, -170.25, -12.5]
    # What the map's popup asks for such a group: the places inside its extent.
    listed = client.get("/api/places", {"bbox": ",".join(map(str, group["properties"]["extent"]))}).json()
    assert sorted(p["name"] for p in listed["results"]) == ["Atelier A", "Atelier B", "Atelier C"]


def test_a_view_across_the_antimeridian(client):
    Place.objects.create(name="Est", latitude=-17.5, longitude=179.9)
    Place.objects.create(name="Ouest", latitude=-17.5, longitude=-179.9)
    body = get(client, zoom=6, bbox="179,-18,-179,-17")
    assert sorted(f["properties"]["name"] for f in body["features"]) == ["Est", "Ouest"]


@pytest.mark.parametrize("params,field", [({"zoom": 25}, "zoom"), ({"zoom": -1}, "zoom"),
                                          ({"zoom": 3, "bbox": "1,2,3"}, "bbox"),
                                          ({"zoom": 3, "bbox": "0,60,10,50"}, "bbox"),
                                          ({"zoom": 3, "kind": "nope"}, "kind")])
def test_bad_views_are_refused_with_the_field_named(client, params, field):
    response = client.get("/api/places/clusters", params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(field)


def test_missing_zoom_is_refused(client):
    response = client.get("/api/places/clusters", {"bbox": FRANCE})
    assert response.status_code in (400, 422) and "zoom" in response.content.decode()


def test_a_cached_view_follows_every_change_of_a_place(client):
    """The groups of a view are cached per version of the registry: an edit shows at once."""
    view = {"zoom": 15, "bbox": "-170.26,-12.51,-170.24,-12.49"}
    assert get(client, **view)["count"] == 0
    place = Place.objects.create(name="Atelier du large", latitude=-12.5, longitude=-170.25)
    assert get(client, **view)["count"] == 1
    place.latitude = 10.0
    place.save()  # moved out of the view
    assert get(client, **view)["count"] == 0
    place.latitude = -12.5
    place.is_published = False  # hidden: no longer counted
    place.save()
    assert get(client, **view)["count"] == 0


def test_the_map_answers_match_the_shapes_the_openapi_document_gives(client):
    """Sent without validation (for speed), so checked here: groups and lone places, with the summary."""
    answer = client.get("/api/places/clusters", {"zoom": 9, "bbox": "4.0,45.0,5.0,46.0", "summary": "true"}).json()
    shown = GroupCollection.model_validate(answer)
    assert {f.properties.cluster for f in shown.features} == {True, False} and shown.licences
    everything = client.get("/api/places.geojson", HTTP_ACCEPT_ENCODING="identity").json()
    assert len(PlaceCollection.model_validate(everything).features) == Place.objects.live().count()
