"""The census page in a real headless Chromium at phone width, against `tilios serve` (the server
fixture is in tests/conftest.py, the watched page and `in_browser` in tests/browsing.py).
TILIOS_SKIP_BROWSER=1 skips."""
import os

import pytest
from browsing import in_browser
from servers import call

pytestmark = pytest.mark.skipif(os.environ.get("TILIOS_SKIP_BROWSER") == "1", reason="TILIOS_SKIP_BROWSER=1")


def test_choropleth_of_departements_at_phone_width(server):
    in_browser(server, check_choropleth)


def check_choropleth(w):
    w.goto("/recensement/?by=departement")
    w.page.wait_for_selector("#census-map[data-drawn]", timeout=30000)
    assert int(w.page.get_attribute("#census-map", "data-drawn")) >= 90
    paths = w.page.locator("#census-map .leaflet-overlay-pane svg path")
    assert paths.count() >= 90
    # Coloured by count: more than one fill, and the legend is drawn.
    fills = set(w.page.eval_on_selector_all("#census-map path", "ps => ps.map(p => p.getAttribute('fill'))"))
    assert len(fills) >= 3
    assert w.page.locator(".choropleth-legend").count() == 1
    # The rest of the page is there without scrolling sideways.
    assert w.page.locator("svg.bars rect").count() == 30
    assert w.page.locator("svg.series-chart polyline").count() == 2
    assert w.page.locator("table.census-table tbody tr").count() > 90
    assert w.page.evaluate("document.documentElement.scrollWidth") <= 390
    box = w.page.locator("#census-map").bounding_box()
    assert box["width"] <= 390 and box["height"] >= 300
    w.assert_clean()


def test_landing_and_copy_buttons(server):
    in_browser(server, check_landing)


def check_landing(w):
    # The server is shared with other browser tests that add places: the page must say what the API counts.
    status, counted = call("GET", w.base + "/api/census")
    assert status == 200 and counted["total"] > 0
    w.goto("/recensement/")
    assert w.page.get_attribute(".total-number", "data-total") == str(counted["total"])
    assert w.page.locator("#census-map").count() == 0
    assert w.page.locator(".reproduce button.copy").count() >= 2
    assert w.page.evaluate("document.documentElement.scrollWidth") <= 390
    w.assert_clean()
