import math
import re

import pytest

from tilios.places.models import Place
from tilios.territories.services import haversine_km

pytestmark = pytest.mark.django_db

SAINT_ETIENNE = "45.4397,4.3872"


def follow(client, params):
    """Every result of a paginated listing, page by page."""
    results, pages, cursor = [], 0, None
    while True:
        response = client.get("/api/places", {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.content
        body = response.json()
        results.extend(body["results"])
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return results, pages


def test_pagination_by_name_never_duplicates_nor_skips(client):
    results, pages = follow(client, {"limit": 200})
    ids = [r["id"] for r in results]
    assert pages == 8
    assert len(ids) == len(set(ids)) == 1512
    assert set(ids) == set(Place.objects.values_list("public_id", flat=True))


def test_pagination_survives_an_insertion_between_pages(client):
    first = client.get("/api/places", {"limit": 100}).json()
    Place.objects.create(name="AAA nouveau lieu", latitude=45.0, longitude=4.0)  # sorts before the cursor
    rest, _ = follow(client, {"limit": 100, "cursor": first["next_cursor"]})
    ids = [r["id"] for r in first["results"] + rest]
    assert len(ids) == len(set(ids)) == 1512


def test_near_is_sorted_by_distance_with_distances(client):
    body = client.get("/api/places", {"near": SAINT_ETIENNE, "limit": 10}).json()
    distances = [r["distance_km"] for r in body["results"]]
    assert len(distances) == 10 and distances == sorted(distances)
    lat, lon = map(float, SAINT_ETIENNE.split(","))
    for r in body["results"]:
        assert math.isclose(r["distance_km"], haversine_km(lat, lon, r["latitude"], r["longitude"]), abs_tol=1e-3)
    # nothing nearer was left out
    everything = sorted(haversine_km(lat, lon, a, b) for a, b in Place.objects.values_list("latitude", "longitude"))
    assert distances == pytest.approx(everything[:10], abs=1e-3)


def test_near_pages_chain_into_the_same_ordering(client):
    whole = client.get("/api/places", {"near": SAINT_ETIENNE, "limit": 60}).json()["results"]
    paged, pages = [], 0
    cursor = None
    while pages < 6:
        params = {"near": SAINT_ETIENNE, "limit": 10}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/places", params).json()
        paged.extend(body["results"])
        cursor = body["next_cursor"]
        pages += 1
    assert [r["id"] for r in paged] == [r["id"] for r in whole]


def test_near_with_radius_and_kind(client):
    results, _ = follow(client, {"near": SAINT_ETIENNE, "radius": 60, "kind": "fablab", "limit": 3})
    assert results and all(r["distance_km"] <= 60 and "fablab" in r["kinds"] for r in results)
    lat, lon = map(float, SAINT_ETIENNE.split(","))
    expected = sum(1 for p in Place.objects.filter(kinds__code="fablab")
                   if haversine_km(lat, lon, p.latitude, p.longitude) <= 60)
    assert len(results) == expected


def test_bbox_filter(client):
    results, _ = follow(client, {"bbox": "4.7,45.6,5.0,45.9", "limit": 50})
    assert results and all(45.6 <= r["latitude"] <= 45.9 and 4.7 <= r["longitude"] <= 5.0 for r in results)
    assert len(results) == Place.objects.filter(latitude__range=(45.6, 45.9), longitude__range=(4.7, 5.0)).count()


def test_geojson_for_a_bbox_carries_licences(client):
    body = client.get("/api/places.geojson", {"bbox": "2.2,48.8,2.5,48.95"}).json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) > 100
    lon, lat = body["features"][0]["geometry"]["coordinates"]
    assert 2.2 <= lon <= 2.5 and 48.8 <= lat <= 48.95
    assert body["licences"][0]["licence"] == "Licence Ouverte 2.0"


def test_one_place(client):
    place = Place.objects.get(name="SICTIAM")
    body = client.get(f"/api/places/{place.public_id}").json()
    assert body["name"] == "SICTIAM"
    assert body["commune_code"] == "06152" and body["declared_commune_code"] == "14327"
    # Declared in Calvados, placed in Alpes-Maritimes: a far position, with its distance.
    assert body["commune_check"] == "far" and body["declared_distance_km"] > 800
    assert body["region"] == "Provence-Alpes-Côte d'Azur"
    assert body["sources"][0]["attribution"].startswith("CGET")
    assert client.get("/api/places/nexistepas").status_code == 404


@pytest.mark.parametrize("params, message", [
    ({"near": "abc"}, "near"),
    ({"near": "95,4"}, "near"),
    ({"bbox": "1,2,3"}, "bbox"),
    ({"kind": "spa"}, "kind"),
    ({"limit": 0}, "limit"),
    ({"limit": 100000}, "limit"),
    ({"cursor": "garbage"}, "cursor"),
    ({"near": SAINT_ETIENNE, "radius": -1}, "radius"),
])
def test_bad_parameters_get_a_clear_400(client, params, message):
    response = client.get("/api/places", params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_name_cursor_is_refused_for_a_near_search(client):
    cursor = client.get("/api/places", {"limit": 5}).json()["next_cursor"]
    response = client.get("/api/places", {"near": SAINT_ETIENNE, "cursor": cursor})
    assert response.status_code == 400


def test_openapi_and_local_docs(client):
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/places", "/api/places/{public_id}", "/api/places.geojson"} <= set(spec["paths"])
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    bundle = re.search(r'"(/static/ninja/swagger-ui-bundle\.[0-9a-f]{12}\.js)"', html)
    assert bundle and "cdn" not in html.lower()
    assert client.get(bundle[1]).status_code == 200


def _described(response):
    """A success answer the OpenAPI document describes: a JSON schema with its fields, or a file's type."""
    for content_type, media in (response.get("content") or {}).items():
        shape = media.get("schema", {})
        if content_type != "application/json":
            return shape.get("type") == "string"
        listed = shape.get("items", shape)
        return "$ref" in listed or "properties" in listed
    return False


def test_every_answer_is_described_by_the_openapi_document(client):
    spec = client.get("/api/openapi.json").json()
    vague = [f"{method.upper()} {path} {code}"
             for path, operations in spec["paths"].items() for method, operation in operations.items()
             for code, response in operation["responses"].items()
             if code.startswith("2") and code != "204" and not _described(response)]
    assert vague == []
    # Answers forbid undeclared fields: what the code sends and what the document says cannot drift apart.
    assert spec["components"]["schemas"]["PlaceOut"]["additionalProperties"] is False


def test_communes_lookup_for_the_town_box(client):
    found = client.get("/api/communes", {"q": "st etienne"}).json()
    assert found[0]["code"] == "42218" and found[0]["name"] == "Saint-Étienne"
    assert client.get("/api/communes", {"q": ""}).json() == []


def test_kinds_and_sources(client):
    kinds = {k["code"]: k for k in client.get("/api/kinds").json()}
    assert "amenity=coworking_space" in kinds["coworking"]["osm_tags"]
    assert kinds["fablab"]["cget_typology"] == "Tiers lieux à dominante fablab"
    assert len(kinds) == 12
    sources = {s["slug"]: s for s in client.get("/api/sources").json()}  # the shipped catalogue, all 7
    assert sources["cget-mission-coworking-2019"]["licence"] == "Licence Ouverte 2.0"
    assert sources["openstreetmap"]["share_alike"] is True


def test_api_responses_carry_security_headers(client):
    response = client.get("/api/places", {"limit": 1})
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_map_data_is_compressed_for_phones(client):
    import gzip
    import json

    response = client.get("/api/places.geojson", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(response.content))["features"]) == 1512


@pytest.mark.parametrize("path, params", [
    ("/api/places", {"near": "45.4397,4.3872", "limit": 10}),
    ("/api/places", {"q": "coworking", "limit": 50}),
    ("/api/places", {"kind": "fablab", "limit": 50, "open_now": "true"}),
    ("/api/places.geojson", {}),
])
def test_listings_query_a_fixed_number_of_times_and_never_read_outlines(client, path, params):
    """A listing costs the same few queries whatever the page size; no territory outline travels with it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if "open_now" in params:  # the demo base has no hours: open a few fablabs day and night
        ids = list(Place.objects.filter(kinds__code="fablab").values_list("id", flat=True)[:5])
        Place.objects.filter(id__in=ids).update(opening_hours="24/7")
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(path, params)
    assert answer.status_code == 200
    assert len(answer.json().get("results", answer.json().get("features"))) > 1
    assert len(captured.captured_queries) <= 8
    assert not [q["sql"] for q in captured.captured_queries if "contour" in q["sql"]]


def test_a_place_page_never_reads_outlines(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    place = Place.objects.filter(is_published=True, declared_commune__isnull=False).first()
    for path in (f"/api/places/{place.public_id}", f"/lieux/{place.public_id}/"):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        assert not [q["sql"] for q in captured.captured_queries if "contour" in q["sql"]], path
