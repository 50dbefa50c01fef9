"""The phone map in a real headless Chromium, against the real app started as `tilios serve`.

Set TILIOS_SKIP_BROWSER=1 to skip. Needs Chromium at /usr/bin/chromium (or TILIOS_CHROMIUM) and the
`playwright` Python package; `playwright install` is not needed. Map tiles cannot load here: the map
must still show the places over the bundled département outlines.

No test waits on time or polls a value until it changes: each waits for an explicit signal — the server's
« Tilios sert sur … » line, the home page's "tilios:rendered" event (a listing's list, markers and view all
settled) and #map[data-view] (the map at rest), the town suggestions' data-query, navigations.
"""
import os
import re
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from browsing import CSP_PROBE, PHONE, Watched
from servers import CHROMIUM, CHROMIUM_ARGS, call, in_browser_server

pytestmark = pytest.mark.skipif(os.environ.get("TILIOS_SKIP_BROWSER") == "1", reason="TILIOS_SKIP_BROWSER=1")

SAINT_ETIENNE = {"latitude": 45.44, "longitude": 4.39}
DISTANCE = re.compile(r"^(\d+(?:\u202f\d{3})*,\d) km$")


# Every "tilios:rendered" event's detail ({seq, kind, query, count, shown}), from the page's first script on.
RENDER_PROBE = """
window.__renders = [];
document.addEventListener("tilios:rendered", (e) => window.__renders.push(e.detail));
"""


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def make_page(browser, server):
    contexts = []

    def make(**options):
        context = browser.new_context(viewport=PHONE, locale="fr-FR", device_scale_factor=1, **options)
        context.add_init_script(CSP_PROBE)
        context.add_init_script(RENDER_PROBE)
        contexts.append(context)
        return Watched(context.new_page(), server)

    yield make
    for context in contexts:
        context.close()


def wait_for_places(page):
    """The home page's first render (every place loaded, the page's listing shown, the view at rest)."""
    page.wait_for_function("() => window.__renders.length > 0"
                           " || document.querySelector('#map').dataset.placesLoaded === 'error'")
    return page.get_attribute("#map", "data-places-loaded")


@contextmanager
def next_render(page):
    """Waits, after the block's action, for the next "tilios:rendered"; gives its detail."""
    before = page.evaluate("window.__renders.length")
    detail = {}
    yield detail
    page.wait_for_function("(before) => window.__renders.length > before", arg=before)
    detail.update(page.evaluate("window.__renders[window.__renders.length - 1]"))


@contextmanager
def next_rest(page):
    """Waits, after the block's action, for the map to come to rest (#map[data-view] goes up)."""
    before = int(page.get_attribute("#map", "data-view") or 0)
    yield
    page.wait_for_function("(before) => Number(document.querySelector('#map').dataset.view || 0) > before",
                           arg=before)


def visible_marker_total(page):
    """Places on screen: the counts written in the clusters plus the single markers."""
    return page.evaluate("""() => {
        let total = 0;
        for (const m of document.querySelectorAll('.leaflet-marker-pane .leaflet-marker-icon')) {
            total += m.classList.contains('marker-cluster') ? parseInt(m.textContent, 10) : 1;
        }
        return total;
    }""")


def distances(page):
    texts = page.locator("#results-list .result .distance").all_inner_texts()
    values = []
    for text in texts:
        match = DISTANCE.match(text.replace("\u00a0", " "))
        assert match, f"distance not formatted like « 2,2 km »: {text!r}"
        values.append(float(match.group(1).replace("\u202f", "").replace(",", ".")))
    return values


def test_map_shows_every_place_clustered_over_outlines(make_page):
    w = make_page()
    status, located = call("GET", w.base + "/api/places.geojson")
    n = len(located["features"])  # the demo's located places: the CGET base and the directories it overlaps
    assert status == 200 and n > 2500 and not located["truncated"]
    status, world = call("GET", w.base + "/api/places/clusters?zoom=2&summary=1")
    assert status == 200 and world["total"] == world["count"] == n  # the groups of the whole world hold them all
    w.goto("/")
    assert wait_for_places(w.page) == str(n)
    assert w.page.evaluate("window.__renders") == [{"seq": 1, "kind": "load", "query": "", "count": n,
                                                    "shown": n}]
    assert w.page.get_attribute("#map", "data-places-shown") == str(n)
    w.page.wait_for_selector("#map[data-outlines-loaded]")
    assert w.page.get_attribute("#map", "data-outlines-loaded") == "96"
    # The outlines are drawn (SVG paths) even though no tile could load, with the main towns named.
    paths = w.page.locator(".leaflet-pane svg path").count()
    assert paths > 90
    assert w.page.locator(".leaflet-tile-loaded").count() == 0
    w.page.wait_for_selector("#map[data-towns-loaded]")
    assert int(w.page.get_attribute("#map", "data-towns-loaded")) > 100
    shown = w.page.locator(".town-label span:visible").all_inner_texts()
    assert {"Paris", "Lyon", "Marseille"} <= set(shown) and "Bourg-en-Bresse" not in shown  # préfectures: zoom in
    lyon = w.page.locator(".town-label span", has_text="Lyon").first.bounding_box()
    map_box = w.page.locator("#map").bounding_box()
    assert map_box["x"] < lyon["x"] < map_box["x"] + map_box["width"]  # placed on the map, not piled at a corner
    # The groups drawn hold (almost) every place: only overseas ones are out of the view of France. The
    # server sent groups, not places: a few dozen markers.
    total = visible_marker_total(w.page)
    assert 0.95 * n <= total <= n
    assert total == int(w.page.get_attribute("#map", "data-places-in-view"))
    assert w.page.locator(".leaflet-marker-pane .leaflet-marker-icon").count() < 60
    # Phone layout: the map is on the first screen, and the page does not scroll sideways.
    box = w.page.locator("#map").bounding_box()
    assert box["y"] < 844 - 200 and box["width"] == 390
    assert w.page.evaluate("document.documentElement.scrollWidth") <= 390
    w.assert_clean()


def test_clicking_clusters_then_a_marker_opens_its_page(make_page):
    w = make_page()
    w.goto("/")
    wait_for_places(w.page)
    map_box = w.page.locator("#map").bounding_box()

    def inside(box, margin=40):
        return (box and box["x"] > map_box["x"] + margin and box["x"] + box["width"] < map_box["x"] + map_box["width"] - 10
                and box["y"] > map_box["y"] + 80 and box["y"] + box["height"] < map_box["y"] + map_box["height"] - 30)

    for _ in range(20):
        singles = [m for m in w.page.locator(".leaflet-marker-pane .leaflet-marker-icon:not(.marker-cluster)").all()
                   if inside(m.bounding_box())]
        if singles:
            break
        clusters = [c for c in w.page.locator(".leaflet-marker-pane .marker-cluster").all() if inside(c.bounding_box())]
        assert clusters, "no cluster left to click"
        # The smallest cluster splits into single markers soonest.
        clusters.sort(key=lambda c: int(c.locator("span").first.inner_text()))
        with next_rest(w.page):  # zoomed in and the clusters split (or spread out)
            clusters[0].click()
    else:
        pytest.fail("never reached a single marker")
    singles[0].click()
    link = w.page.locator(".leaflet-popup-content a")
    link.wait_for()
    # Seen whole before it is tapped (a popup cut by the top of the screen moves when its link takes the focus).
    w.page.locator(".leaflet-popup").scroll_into_view_if_needed()
    name = w.page.locator(".leaflet-popup-content strong").inner_text()
    link.click()
    w.page.wait_for_url(re.compile(r"/lieux/[0-9a-z]+/$"))
    assert w.page.locator("h1").inner_text() == name
    assert "Source des données" in w.page.content()
    w.page.wait_for_selector("#place-map[data-outlines-loaded] .leaflet-interactive")
    # Offline, the little map steps back to the département and names the towns around: not a grey box.
    w.page.wait_for_selector("#place-map[data-towns-loaded]")
    assert w.page.locator("#place-map .town-label span:visible").count() >= 1
    w.assert_clean()


def test_see_on_map_then_a_shared_view_and_places_at_one_spot(make_page):
    """« Voir sur la carte » takes the map to the place, its popup open, and the address keeps the view; places
    sharing one position stay one group however deep one zooms, and touching it lists them."""
    w = make_page()
    w.goto("/")
    wait_for_places(w.page)
    w.page.fill("#q", "bricoleuse")
    with next_render(w.page):
        w.page.press("#q", "Enter")
    with next_rest(w.page):
        w.page.locator("#results-list .show-on-map").first.click()
    w.page.locator(".leaflet-popup-content strong", has_text="La Bricoleuse").wait_for()
    zoom, lat, lon = re.search(r"#carte=([\d.]+)/([-\d.]+)/([-\d.]+)$", w.page.url).groups()
    assert float(zoom) >= 18 and abs(float(lat) - 45.4) < 0.2 and abs(float(lon) - 4.4) < 0.2
    # A spot holding several places (the demo has such: two directories' records of one address).
    _, located = call("GET", w.base + "/api/places.geojson")
    by_spot = {}
    for feature in located["features"]:
        by_spot.setdefault(tuple(feature["geometry"]["coordinates"]), []).append(feature["properties"]["name"])
    (lon, lat), names = min(((spot, names) for spot, names in by_spot.items() if len(names) > 1),
                            key=lambda item: (len(item[1]), item[1]))
    w.goto(f"/#carte=19/{lat}/{lon}")  # a shared link to that spot
    wait_for_places(w.page)
    group = w.page.locator(".leaflet-marker-pane .marker-cluster", has_text=str(len(names)))
    assert group.count() == 1
    group.click()
    listed = w.page.locator(".leaflet-popup-content .popup-list a")
    listed.first.wait_for()
    assert sorted(listed.all_inner_texts()) == sorted(names)
    first = listed.first.inner_text()
    listed.first.click()
    w.page.wait_for_url(re.compile(r"/lieux/[0-9a-z]+/$"))
    assert w.page.locator("h1").inner_text() == first
    w.assert_clean()


def test_a_place_page_says_how_far_it_is_from_me(make_page):
    """Asked on the place page, computed in the browser: the same great-circle distance as « Autour de moi »."""
    w = make_page(geolocation=SAINT_ETIENNE, permissions=["geolocation"])
    status, found = call("GET", w.base + "/api/places?q=bricoleuse&near=45.44,4.39&limit=1")
    place = found["results"][0]
    w.goto(f"/lieux/{place['id']}/")
    w.page.click("#my-distance")
    w.page.wait_for_function("() => document.querySelector('#my-distance-text').textContent !== ''")
    text = w.page.inner_text("#my-distance-text").replace("\u00a0", " ")
    km = float(re.search(r"à (\d+,\d) km de vous", text)[1].replace(",", "."))
    assert status == 200 and abs(km - place["distance_km"]) <= 0.05
    w.assert_clean()


CREATE_REACHABLE_PLACE = """
from tilios.places.models import Place
from tilios.revisions import services
place, _ = services.create(Place, {"name": "Atelier joignable", "phone": "0262 12 34 56",
    "email": "Contact@Atelier-Joignable.example"}, None, "test", system=True)
print(place.public_id)
"""


def test_a_phone_reaches_a_place_without_its_address_in_the_page(make_page, server):
    """The phone is a tel: link; the e-mail address is fetched when asked (the page never holds it), and the
    contact form relays a message. This place has no position: the page's script runs without the map."""
    public_id = in_browser_server("shell", "-c", CREATE_REACHABLE_PLACE).strip().splitlines()[-1]
    w = make_page()
    w.goto(f"/lieux/{public_id}/")
    assert w.page.get_attribute("#contact-phone", "href") == "tel:+262-262-12-34-56"
    assert "atelier-joignable" not in w.page.content().lower()
    w.page.click("#reveal-email button")
    w.page.wait_for_selector("#contact-email-address")
    assert w.page.get_attribute("#contact-email-address", "href") == "mailto:Contact@atelier-joignable.example"
    assert w.page.url.endswith(f"/lieux/{public_id}/")  # shown in place, no page change
    w.page.click("#contact-form-link")
    w.page.fill("input[name=name]", "Camille")
    w.page.fill("input[name=email]", "camille@example.org")
    w.page.fill("textarea[name=message]", "Bonjour, êtes-vous ouverts le samedi matin ?")
    w.page.locator("main form button[type=submit]").click()
    w.page.wait_for_url(re.compile(rf"/lieux/{public_id}/$"))
    assert "Message envoyé" in w.page.inner_text("body")
    w.assert_clean()


def test_search_then_marker_popup_link(make_page):
    w = make_page()
    w.goto("/")
    wait_for_places(w.page)
    w.page.fill("#q", "bricoleuse")
    with next_render(w.page) as render:
        w.page.click("#search-form button[type=submit]")
    assert (render["kind"], render["query"], render["count"], render["shown"]) == ("search", "q=bricoleuse", 1, 1)
    assert w.page.get_attribute("#map", "data-places-shown") == "1"
    assert w.page.get_attribute("#results-list", "aria-busy") is None
    assert w.page.locator("#results-list .result-name").all_inner_texts() == ["La Bricoleuse"]
    w.page.locator(".leaflet-marker-pane .leaflet-marker-icon:not(.marker-cluster)").first.click()
    w.page.locator(".leaflet-popup-content a").click()
    w.page.wait_for_url(re.compile(r"/lieux/[0-9a-z]+/$"))
    assert w.page.locator("h1").inner_text() == "La Bricoleuse"
    assert "Saint-Étienne" in w.page.locator("main").inner_text()
    w.assert_clean()


def test_search_folds_and_filters_by_kind(make_page):
    w = make_page()
    w.goto("/")
    wait_for_places(w.page)
    w.page.fill("#q", "st etienne")
    with next_render(w.page) as render:
        w.page.press("#q", "Enter")
    assert (render["kind"], render["query"]) == ("search", "q=st+etienne")
    assert 4 <= render["shown"] < 1000
    metas = w.page.locator("#results-list .result-meta").all_inner_texts()
    assert sum("Saint-Étienne (42)" in m for m in metas) >= 4
    with next_render(w.page) as render:
        w.page.select_option("#kind", "fablab")
    assert (render["kind"], render["query"]) == ("search", "q=st+etienne&kind=fablab")
    assert 1 <= render["shown"] <= render["count"]
    metas = w.page.locator("#results-list .result-meta").all_inner_texts()
    assert len(metas) == min(render["count"], 20) and all("Fablab" in m for m in metas)
    w.assert_clean()


def test_the_page_says_how_it_read_the_words(make_page):
    """« coworking » names a kind: the list says so, the same line the server writes on a shared link."""
    w = make_page()
    w.goto("/")
    wait_for_places(w.page)
    assert not w.page.is_visible("#understood")
    w.page.fill("#q", "coworking")
    with next_render(w.page) as render:
        w.page.press("#q", "Enter")
    assert render["kind"] == "search" and render["count"] >= 2
    assert w.page.inner_text("#understood") == "Compris : type « Espace de coworking »"
    metas = w.page.locator("#results-list .result-meta").all_inner_texts()
    assert metas and all("Espace de coworking" in m for m in metas)
    w.goto("/?q=coworking")  # the shared link: the server reads it the same way
    assert w.page.inner_text("#understood") == "Compris : type « Espace de coworking »"
    w.page.fill("#q", "le chaudron")
    with next_render(w.page) as render:
        w.page.press("#q", "Enter")
    assert not w.page.is_visible("#understood")
    w.assert_clean()


def test_around_me_lists_nearest_with_distances(make_page):
    w = make_page(geolocation=SAINT_ETIENNE, permissions=["geolocation"])
    w.goto("/")
    wait_for_places(w.page)
    with next_render(w.page) as render:
        w.page.click("#locate")
    assert render["kind"] == "near" and render["query"].startswith("near=45.44000%2C4.39000")
    values = distances(w.page)
    assert len(values) == 10
    assert values == sorted(values) and values[0] < 3
    assert "Les lieux les plus proches" in w.page.inner_text("#results-title")
    assert w.page.get_attribute("#map", "data-highlighted") == "10"
    assert w.page.locator(".near-dot").count() == 10 and w.page.locator(".origin-dot").count() == 1
    # Said in the live region, and the list's heading takes the focus: on a phone the answer is below the map.
    assert "listés sous la carte" in w.page.inner_text("#status")
    assert w.page.evaluate("document.activeElement.id") == "results-title"
    # The address holds the search: Back from a place page shows the same nearest places again.
    assert "near=45.44000%2C4.39000" in w.page.url and "limit" not in w.page.url
    names = w.page.locator("#results-list .result-name").all_inner_texts()
    w.page.locator("#results-list .result-name").first.click()
    w.page.wait_for_url(re.compile(r"/lieux/"))
    w.page.go_back()
    wait_for_places(w.page)
    assert w.page.locator("#results-list .result-name").all_inner_texts() == names
    assert distances(w.page) == values
    assert w.page.get_attribute("#map", "data-highlighted") == "10"
    w.assert_clean()


def test_markers_wear_their_kind_and_the_legend_says_which(make_page):
    w = make_page()
    w.goto("/?kind=fablab")
    wait_for_places(w.page)
    w.page.locator("#legend summary").click()
    legend = w.page.locator("#legend li")
    kinds = w.page.locator("#kind option:not([value=''])").count()
    assert legend.count() == kinds + 4
    fablab_class = w.page.evaluate("""() => {
        const options = [...document.querySelectorAll('#kind option')].filter(o => o.value);
        return 'k' + options.findIndex(o => o.value === 'fablab');
    }""")
    assert "Fablab" in w.page.locator(f"#legend .kind-dot.{fablab_class}").locator("..").inner_text()
    singles = w.page.locator(".leaflet-marker-pane .kind-marker")
    clusters = w.page.locator(".leaflet-marker-pane .marker-cluster")
    assert singles.count() + clusters.count() > 0
    for i in range(singles.count()):
        assert fablab_class in singles.nth(i).get_attribute("class").split()
    for i in range(clusters.count()):  # a group says what it is to assistive technology, its number first
        assert re.fullmatch(r"\d+ lieux : zoomer", clusters.nth(i).inner_text().replace("\n", " ").strip())
    # Keyboard users can pass the map: the skip link takes them to the list.
    w.page.focus("a.skip[href='#results-title']")
    w.page.keyboard.press("Enter")
    assert w.page.evaluate("document.activeElement.id") == "results-title"
    w.assert_clean()


def test_town_gives_nearest_places(make_page):
    w = make_page()
    w.goto("/")
    wait_for_places(w.page)
    w.page.locator("#ville").press_sequentially("Saint-Étienne", delay=20)
    # The suggestions say which text they answer: those for « Saint-Étienne », not for a prefix typed before.
    w.page.wait_for_selector("#town-suggestions[data-query='Saint-Étienne']:not([hidden])")
    first = w.page.locator("#town-suggestions button").first
    assert first.inner_text() == "Saint-Étienne (42)"
    with next_render(w.page) as render:
        first.click()
    assert render["kind"] == "near"
    assert "Saint-Étienne" in w.page.inner_text("#results-title")
    values = distances(w.page)
    assert len(values) == 10 and values == sorted(values) and values[0] < 3
    assert "Saint-Étienne (42)" in w.page.locator("#results-list .result-meta").first.inner_text()
    w.assert_clean()
    # The same listing rendered by the server (no JavaScript needed), then marked on the map.
    w.goto("/?ville=Saint-%C3%89tienne")
    wait_for_places(w.page)  # the first render marks the listed places
    assert w.page.get_attribute("#map", "data-highlighted") == "10"
    assert distances(w.page) == values
    with w.page.expect_navigation():
        w.page.click("a[rel=next]")
    wait_for_places(w.page)
    assert w.page.get_attribute("#map", "data-highlighted") == "10"
    assert distances(w.page)[0] >= values[-1]
    w.assert_clean()


def test_pages_without_console_errors_and_weight(make_page):
    w = make_page()
    w.goto("/")
    wait_for_places(w.page)
    w.page.wait_for_selector("#map[data-outlines-loaded]")  # the page's data (places, outlines) answered
    sizes = {"html": 0, "js": 0, "css": 0, "data": 0, "images": 0}
    for response in w.responses:
        url = response.url
        if w._is_tile(url) or not url.startswith(w.base):
            continue
        path = urlsplit(url).path
        size = len(response.body())
        if path.endswith(".js"):
            sizes["js"] += size
        elif path.endswith(".css"):
            sizes["css"] += size
        elif path.startswith("/api/") or path.endswith((".json", ".geojson")):
            sizes["data"] += size
        elif path.endswith((".png", ".svg", ".ico")):
            sizes["images"] += size
        else:
            sizes["html"] += size
    total = sum(sizes.values())
    print("\nHome page weight without tiles: " + ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in sizes.items())
          + f" — total {total / 1024:.0f} KB; failed tile loads: {len(w.tile_errors)}")
    assert total < 1500 * 1024
    w.assert_clean()
    place = w.page.locator("#results-list .result-name").first.get_attribute("href")
    w.goto("/sources/")  # no script: loaded is done
    w.goto(place)
    w.page.wait_for_selector("#place-map[data-outlines-loaded] .leaflet-interactive")
    w.goto("/?q=fablab&kind=fablab")
    wait_for_places(w.page)
    # The server's listing and the map's first render show the same subset.
    [render] = w.page.evaluate("window.__renders")
    assert (render["kind"], render["query"]) == ("load", "q=fablab&kind=fablab")
    assert render["shown"] < 1000
    w.assert_clean()


def test_english_switch(make_page):
    w = make_page()
    w.goto("/sources/")
    w.page.click(".lang button")
    w.page.wait_for_selector("html[lang=en]")
    assert "Sources and licences" in w.page.inner_text("h1")
    w.goto("/")
    assert w.page.locator("#locate").inner_text() == "Near me"
    w.assert_clean()


# « Ouvert maintenant » on the phone map. The clock is whatever it is: these two places' hours (`24/7`, `off`)
# give the same answer at any time; the demo's directories have hours of their own, so the other figures are
# the API's at the same moment. Here, beside the session's one browser (Playwright's sync API allows one).
CREATE_PLACES = """
from tilios.places.models import Place
from tilios.revisions import services
for name, hours, dlat in [("Coworking toujours ouvert", "24/7", 0.0002), ("Coworking jamais ouvert", "off", 0.0001)]:
    services.create(Place, {"name": name, "opening_hours": hours, "latitude": 45.44 + dlat, "longitude": 4.39,
                            "kinds": ["coworking"]}, None, "test", system=True)
"""


@pytest.fixture
def places_with_hours(server):
    in_browser_server("shell", "-c", CREATE_PLACES)


def test_open_now_filters_the_list_the_map_and_the_nearest(make_page, places_with_hours):
    w = make_page(geolocation=SAINT_ETIENNE, permissions=["geolocation"])
    w.goto("/")
    wait_for_places(w.page)
    with next_render(w.page) as render:
        w.page.check("#open_now")
    assert (render["kind"], render["query"]) == ("search", "open_now=1")
    _, open_now = call("GET", w.base + "/api/places?open_now=1&limit=1")
    _, everything = call("GET", w.base + "/api/places?limit=1")
    assert 1 <= render["count"] == open_now["count"] < everything["count"]  # the list and the API agree
    assert render["shown"] <= render["count"]
    names = w.page.locator("#results-list .result-name").all_inner_texts()
    assert "Coworking jamais ouvert" not in names
    assert "open_now=1" in w.page.url

    with next_render(w.page) as render:
        w.page.click("#locate")
    assert render["kind"] == "near" and "open_now=1" in render["query"]
    # The nearest place (« jamais ouvert », 10 m away) is closed: the nearest OPEN one, 20 m away, comes first.
    names = w.page.locator("#results-list .result-name").all_inner_texts()
    assert names[0] == "Coworking toujours ouvert" and "Coworking jamais ouvert" not in names
    assert w.page.get_attribute("#map", "data-highlighted") == str(len(names))  # the nearest open, numbered

    with next_render(w.page) as render:
        w.page.uncheck("#open_now")
    assert render["kind"] == "search" and render["count"] == everything["count"]  # every place again
    w.assert_clean()


FRAMING_SITE = """<!doctype html><html lang="fr"><head><title>Réseau</title></head><body>
<iframe id="ok" src="{base}/embed/?departement=42&kind=coworking" title="Tiers-lieux" width="390" height="520"></iframe>
<iframe id="refused" src="{base}/donnees/" title="Données" width="390" height="300"></iframe>
</body></html>"""


@contextmanager
def another_site(page_html):
    """A second web server on this machine: another origin (another port) that frames Tilios's pages."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Site(BaseHTTPRequestHandler):
        def do_GET(self):
            body = page_html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}/"
    finally:
        site.shutdown()
        site.server_close()


def test_another_site_frames_the_embed_and_nothing_else(make_page, server):
    w = make_page()
    with another_site(FRAMING_SITE.format(base=server)) as site:
        w.page.goto(site)
        embed = w.page.frame_locator("#ok")
        embed.locator("#embed-map[data-markers]").wait_for(state="attached")
        names = embed.locator("#embed-list li a").all_inner_texts()
        assert len(names) > 0 and int(embed.locator("#embed-map").get_attribute("data-markers")) == len(names)
        assert "Mission Coworking" in embed.locator("footer.attribution").inner_text()
        # Keyboard users skip the map: the skip link leads to the list.
        embed.locator(".skip").focus()
        embed.locator(".skip").press("Enter")
        assert embed.locator("#embed-list").evaluate("(node) => document.activeElement === node")
        # Every other page refuses to be framed (CSP frame-ancestors 'none'): Chromium shows its error instead.
        refused = w.page.frame_locator("#refused")
        refused.locator("body").wait_for(state="attached")
        assert refused.locator(".site-header").count() == 0
        assert embed.locator("header h1").inner_text() == "Tiers-lieux — Loire"


def test_reporting_a_closed_place_without_an_account(make_page):
    w = make_page()
    w.goto("/?q=sictiam")
    wait_for_places(w.page)
    w.page.locator("#results-list .result-name").first.click()
    w.page.wait_for_selector("#place-map")
    with w.page.expect_navigation():
        w.page.get_by_role("link", name=re.compile("Signalez-le")).click()
    assert "/signaler/" in w.page.url
    assert w.page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]  # the form fits a phone
    w.page.get_by_label("Ce lieu a fermé").check()
    w.page.get_by_label("Ce que vous savez").fill("Le local est vide depuis l’été, un panneau « à louer ».")
    with w.page.expect_navigation():
        w.page.get_by_role("button", name="Envoyer le signalement").click()
    assert "/signaler/" not in w.page.url
    assert "transmis aux relecteurs" in w.page.locator(".messages").inner_text()
    w.assert_clean()


LONG_NAME = "Tiers-lieu-au-nom-tres-long-sans-aucune-espace-pour-couper-la-ligne-ni-rien-du-tout"
CREATE_LONG_PLACE = f"""
from tilios.places.models import Place
from tilios.revisions import services
place, _ = services.create(Place, {{"name": "{LONG_NAME}", "latitude": 45.44, "longitude": 4.39, "kinds": ["coworking"],
    "address": "12 rue-de-la-république-prolongée-jusqu-au-bout-du-monde-et-au-dela",
    "description": "https://exemple.fr/un/chemin/tres/long/qui/ne/se/coupe/pas/du/tout/parce/que/c/est/une/adresse"}},
    None, "test", system=True)
print(place.public_id)
"""


def test_long_unbroken_words_wrap_instead_of_widening_the_phone_page(make_page, server):
    public_id = in_browser_server("shell", "-c", CREATE_LONG_PLACE).strip().splitlines()[-1]
    w = make_page()
    for path in (f"/lieux/{public_id}/", f"/lieux/{public_id}/historique/", f"/lieux/{public_id}/signaler/"):
        w.goto(path)
        assert w.page.evaluate("document.documentElement.scrollWidth") <= 390, path  # was 930 for the name
    assert LONG_NAME in w.page.content()
