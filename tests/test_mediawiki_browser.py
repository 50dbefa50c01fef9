"""A Movilab-like wiki imported with `tilios import mediawiki`, then read in a real headless Chromium at phone
width against `tilios serve` (fixtures of tests/test_browser.py): the page, its table, its links, its
history and its talk page. TILIOS_SKIP_BROWSER=1 skips."""
import os

import pytest
from browsing import in_browser
from servers import REPO, in_browser_server

pytestmark = pytest.mark.skipif(os.environ.get("TILIOS_SKIP_BROWSER") == "1", reason="TILIOS_SKIP_BROWSER=1")
DUMP = REPO / "tests" / "data" / "mediawiki" / "movilab-2018.xml"


def test_imported_wiki_reads_well_on_a_phone(server):
    assert "2 pages créées" in in_browser_server("import", "mediawiki", str(DUMP))
    in_browser(server, check_imported_pages)


def check_imported_pages(w):
    page = w.page
    w.goto("/wiki/formation-animateur-de-tiers-lieux/")
    assert page.locator("h1").inner_text() == "Formation Animateur de tiers-lieux"
    body = page.locator(".wiki-body")
    assert body.locator("h2", has_text="Programme").count() == 1
    assert body.locator("table td", has_text="3 200 €").count() == 1
    assert body.locator("blockquote strong", has_text="{{Fiche formation}}").is_visible()  # kept visibly
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at phone width ({width} px)"
    assert page.locator(".categories a", has_text="Formation").count() == 1
    with page.expect_navigation():
        body.locator("a", has_text="en tiers-lieu").click()  # a link to a redirect
    assert page.url.endswith("/wiki/tiers-lieux/") and page.locator("h1").inner_text() == "Tiers-lieux"
    w.goto("/wiki/formation-animateur-de-tiers-lieux/historique/")
    history = page.locator("ol.history > li")
    assert history.count() == 3
    assert "82.64.1.2" in history.nth(0).inner_text() and "Yoann" in history.nth(2).inner_text()
    w.goto("/wiki/formation-animateur-de-tiers-lieux/discussion/")
    assert page.get_by_text("Prix de la formation").first.is_visible()
    answer = page.locator(".talk-message", has_text="Oui, même tarif.").last
    assert answer.is_visible() and "Laurent Marseault" in answer.inner_text()
    w.assert_clean()
