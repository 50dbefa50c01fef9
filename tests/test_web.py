"""Server-rendered pages: home search without JavaScript, place page, sources, headers, languages, escaping."""
import html
import re

import pytest
from django.urls import reverse

from tilios.places.models import Kind, Place
from tilios.territories.models import Commune

pytestmark = pytest.mark.django_db

SAINT_ETIENNE = "45.44,4.39"


def result_names(response):
    body = response.content.decode()
    return [html.unescape(n) for n in re.findall(r'class="result-name" href="[^"]+">([^<]*)</a>', body)]


def result_items(response):
    body = response.content.decode()
    return re.findall(r'<li class="result".*?</li>', body, re.S)


@pytest.fixture
def fr(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


# --- home -----------------------------------------------------------------------------------------

def test_home_renders_map_search_and_first_page(fr):
    response = fr.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert 'name="viewport"' in body
    assert 'id="map"' in body and 'data-clusters-url="/api/places/clusters"' in body
    assert re.search(r'data-outlines-url="/static/web/departements\.[0-9a-f]{12}\.geojson"', body)
    assert 'data-tile-url="https://' in body
    assert '<label for="q">Nom ou ville</label>' in body
    assert '<label for="kind">Type</label>' in body
    assert "Autour de moi" in body and '<label for="ville">' in body
    for code in Kind.objects.values_list("code", flat=True):
        assert f'<option value="{code}"' in body
    assert "Tous les lieux (1512)" in body or "Tous les lieux (1 512)" in body
    assert len(result_items(response)) == 20
    assert "page suivante" in body
    # Footer: data licences and API docs on every page.
    assert 'href="/sources/"' in body and 'href="/api/docs"' in body


def test_home_has_no_inline_script_or_style(fr):
    for url in ["/", "/?q=fablab", f"/?near={SAINT_ETIENNE}", "/sources/",
                Place.objects.filter(latitude__isnull=False).first().get_absolute_url()]:
        body = fr.get(url).content.decode()
        assert " style=" not in body, url
        assert "<style" not in body, url
        for tag in re.findall(r"<script[^>]*>", body):
            assert 'src="/static/' in tag or 'type="application/json"' in tag, (url, tag)
        assert "onclick" not in body.lower() and "onload" not in body.lower()


def test_static_assets_are_local_and_served(fr):
    body = fr.get("/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', body)
    assert any("/leaflet." in a for a in assets) and any("/tilios." in a for a in assets)
    assert not re.search(r'(?:src|href)="https?://[^"]+\.(?:js|css)"', body)
    outlines = re.search(r'data-outlines-url="([^"]+)"', body)[1]
    for asset in assets + [outlines]:
        response = fr.get(asset)
        assert response.status_code == 200, asset
        b"".join(response.streaming_content) if response.streaming else response.content


def test_search_without_javascript_folds_st_etienne(fr):
    response = fr.get("/", {"q": "st etienne"})
    assert response.status_code == 200
    names = result_names(response)
    assert names
    items = result_items(response)
    assert sum("Saint-Étienne (42)" in item for item in items) >= 4
    assert all("Saint-Étienne" in item or "Saint-Etienne" in item for item in items)


def test_search_tiers_lieux_finds_tiers_lieu_names(fr):
    names = set()
    response = fr.get("/", {"q": "tiers lieux"})
    while True:
        names.update(result_names(response))
        match = re.search(r'<a href="(\?[^"]+)" rel="next">', response.content.decode())
        if not match:
            break
        response = fr.get("/" + html.unescape(match.group(1)))
    assert {"Tiers-Lieu de Gascogne", "Tiers Lieu Limoux", "Le-Tiers-Lieu"} <= names
    assert "lieux trouvés" in fr.get("/", {"q": "tiers lieux"}).content.decode()


def test_kind_filter_without_javascript(fr):
    response = fr.get("/", {"kind": "fablab"})
    body = response.content.decode()
    assert "345 lieux trouvés" in body
    assert '<option value="fablab" selected>' in body
    assert all("Fablab" in item for item in result_items(response))
    response = fr.get("/", {"q": "lyon", "kind": "fablab"})
    assert result_names(response) and all("Fablab" in i for i in result_items(response))
    assert fr.get("/", {"kind": "nope"}).status_code == 400


def found(response):
    return int(re.search(r"(\d[\d\u202f ]*) lieux? trouvés?", response.content.decode())[1].replace("\u202f", "")
               .replace(" ", ""))


@pytest.mark.parametrize("params", [
    {"kind": ["fablab", "coworking"]},
    {"q": "saint", "kind": ["coworking", "epn"]},
    {"kind": ["fablab"], "open_at": "2026-12-07T10:30"},
])
def test_home_reads_a_search_as_the_api_does(fr, params):
    """The page reads its address with the API's PlaceFilters: the same search finds the same places."""
    fablabs = Place.objects.filter(kinds__code="fablab").order_by("id")
    Place.objects.filter(id__in=fablabs.values("id")[:7]).update(opening_hours="Mo-Fr 09:00-18:00")
    api = fr.get("/api/places", params).json()
    page = fr.get("/", params)
    assert page.status_code == 200 and found(page) == api["count"] > 0


def test_home_names_the_parameter_it_cannot_read(fr):
    response = fr.get("/", {"open_now": "peut-être"})
    assert response.status_code == 400 and "open_now : valeur illisible" in response.content.decode()
    response = fr.get("/", {"open_now": "1", "open_at": "2026-12-07T10:30"})
    assert response.status_code == 400 and "open_now et open_at" in response.content.decode()


def test_keyset_pagination_has_no_repeat(fr):
    first = fr.get("/", {"kind": "fablab"})
    link = re.search(r'<a href="(\?[^"]+)" rel="next">page suivante</a>', first.content.decode())
    assert link
    second = fr.get("/" + html.unescape(link.group(1)))
    assert second.status_code == 200
    a, b = result_names(first), result_names(second)
    assert len(a) == len(b) == 20
    assert not set(a) & set(b) or a[-1] <= b[0]
    assert "kind=fablab" in link.group(1) and "cursor=" in link.group(1)


def test_near_lists_nearest_with_distances_and_next_page(fr):
    response = fr.get("/", {"near": SAINT_ETIENNE})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Les lieux les plus proches" in body
    distances = [float(d.replace(",", ".")) for d in re.findall(r'<span class="distance">([\d,]+) km</span>', body)]
    assert len(distances) == 10
    assert distances == sorted(distances)
    assert distances[0] < 3
    items = result_items(response)
    assert "Saint-Étienne (42)" in items[0]
    link = re.search(r'<a href="(\?[^"]+)" rel="next">page suivante</a>', body)
    assert link and "near=" in link.group(1)
    second = fr.get("/" + html.unescape(link.group(1))).content.decode()
    more = [float(d.replace(",", ".")) for d in re.findall(r'<span class="distance">([\d,]+) km</span>', second)]
    assert len(more) == 10 and more[0] >= distances[-1]


def test_near_a_town_without_javascript(fr):
    response = fr.get("/", {"ville": "Saint-Étienne"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Les lieux les plus proches de Saint-Étienne (42)" in body
    assert len(re.findall(r'<span class="distance">', body)) == 10
    assert "Saint-Étienne (42)" in result_items(response)[0]
    link = re.search(r'<a href="(\?[^"]+)" rel="next">', body)
    assert link and "commune=42218" in html.unescape(link.group(1))
    assert fr.get("/", {"ville": "Zzyzx"}).status_code == 400


def test_bad_near_is_a_readable_400(fr):
    response = fr.get("/", {"near": "abc"})
    assert response.status_code == 400
    assert "latitude,longitude" in response.content.decode()


# --- place page -----------------------------------------------------------------------------------

def test_place_page_shows_territories_and_source(fr):
    place = Place.objects.filter(commune__code="42218", epci__isnull=False).select_related(
        "commune", "departement", "region", "epci").first()
    response = fr.get(reverse("web:place", args=[place.public_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert html.escape(place.name) in body
    assert "Saint-Étienne" in body and "42218" in body
    assert "Loire (42)" in body
    assert "Auvergne-Rhône-Alpes" in body
    assert html.escape(place.epci.name) in body
    assert "Dans une métropole" in body and "oui" in body
    assert "100000 et plus habitants" in body
    assert "Base des tiers-lieux de la Mission Coworking" in body
    assert "Licence Ouverte 2.0" in body
    assert "CGET — base des tiers-lieux de la Mission Coworking, mise à jour du 13 juin 2019" in body
    assert 'id="place-map"' in body and 'data-lat="45.' in body


def test_place_page_shows_declared_commune_when_it_differs(fr):
    place = Place.objects.filter(commune_check=Place.CommuneCheck.DIFFERS, declared_commune__isnull=False).first()
    assert place is not None
    body = fr.get(place.get_absolute_url()).content.decode()
    assert "Commune déclarée" in body
    assert html.escape(place.declared_commune.name) in body
    assert "diffère de la commune calculée" in body


def test_place_page_links_are_safe(fr):
    place = Place.objects.create(name="Lieu aux liens", latitude=45.0, longitude=4.0, links=[
        {"kind": "web", "url": "https://example.org/a"},
        {"kind": "web", "url": "javascript:alert(1)"},
        {"kind": "twitter", "url": "http://example.org/b"},
        {"kind": "web", "url": "data:text/html,hi"},
    ])
    body = fr.get(place.get_absolute_url()).content.decode()
    assert '<a href="https://example.org/a" rel="nofollow noopener">' in body
    assert '<a href="http://example.org/b" rel="nofollow noopener">' in body
    assert "javascript:" not in body and "data:text" not in body


def test_place_with_dates_and_status(fr):
    import datetime
    place = Place.objects.create(name="Friche d’été", status=Place.Status.CLOSED, temporary=True,
                                 opened_on=datetime.date(2024, 6, 1), closed_on=datetime.date(2024, 9, 30),
                                 mobility=Place.Mobility.EPHEMERAL, alternate_names=["La Friche"])
    body = fr.get(place.get_absolute_url()).content.decode()
    assert "Fermé" in body and "temporaire" in body
    assert "1 juin 2024" in body and "30 septembre 2024" in body
    assert "Éphémère" in body and "La Friche" in body
    assert 'id="place-map"' not in body  # no coordinates, no map


def test_unknown_place_is_404(fr):
    response = fr.get("/lieux/zzzzzzzzzz/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


# --- sources --------------------------------------------------------------------------------------

def test_sources_page(fr):
    response = fr.get("/sources/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Base des tiers-lieux de la Mission Coworking" in body
    assert "Licence Ouverte 2.0" in body
    assert "https://github.com/anct-carto/mission_coworking" in body
    assert "13 juin 2019" in body
    assert "<dd>1512</dd>" in body or "<dd>1 512</dd>" in body
    assert "Code officiel géographique 2026" in body
    assert "geo.api.gouv.fr" in body
    assert "france-geojson" in body and "Admin Express" in body
    assert "OpenStreetMap" in body


# --- headers, languages, escaping -----------------------------------------------------------------

def test_security_headers(fr):
    for url in ["/", "/sources/", "/lieux/zzzzzzzzzz/"]:
        response = fr.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_english_by_accept_language(client):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").content.decode()
    assert '<html lang="en">' in body
    assert "Near me" in body and "Name or town" in body and "next page" in body
    assert "Autour de moi" not in body
    assert "Coworking space" in body  # kinds in English too
    body = client.get("/", {"near": SAINT_ETIENNE}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nearest places" in body and re.search(r'<span class="distance">\d+\.\d km</span>', body)


def test_english_by_cookie_and_language_switch(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/sources/"})
    assert response.status_code == 302 and response.headers["Location"] == "/sources/"
    body = client.get("/sources/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Sources and licences" in body and "Reference data" in body
    place = Place.objects.filter(commune__code="42218").first()
    body = client.get(place.get_absolute_url()).content.decode()
    assert "Data source" in body and "In a métropole" in body
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert "Sources et licences" in client.get("/sources/").content.decode()


def test_french_is_the_default(client):
    body = client.get("/").content.decode()
    assert '<html lang="fr">' in body and "Autour de moi" in body


def test_script_in_a_name_is_escaped(fr):
    commune = Commune.objects.get(code="42218", kind=Commune.Kind.CURRENT)
    evil = Place.objects.create(name="<script>alert(1)</script>", latitude=45.44, longitude=4.39,
                                commune=commune, town='"><img src=x onerror=alert(2)>')
    evil.kinds.add(Kind.objects.get(code="coworking"))
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for url, params in [("/", {"q": "script alert"}), ("/", {"near": SAINT_ETIENNE}),
                        (evil.get_absolute_url(), {})]:
        body = fr.get(url, params).content.decode()
        assert escaped in body, url
        assert "<script>alert(1)</script>" not in body, url
        assert "<img src=x" not in body, url
