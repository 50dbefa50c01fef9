"""« Ouvert maintenant » on the phone map, in a real headless Chromium at 390×844 against `tilios serve`
(fixtures of tests/test_browser.py). The clock is whatever it is: the places' hours (`24/7`, `off`) give
the same answer at any time. TILIOS_SKIP_BROWSER=1 skips."""
import os
import subprocess
import sys

import pytest

from test_browser import (REPO, SAINT_ETIENNE, SERVER, browser, make_page, next_render, server,  # noqa: F401
                          wait_for_places)

pytestmark = pytest.mark.skipif(os.environ.get("TILIOS_SKIP_BROWSER") == "1", reason="TILIOS_SKIP_BROWSER=1")

CREATE_PLACES = """
from tilios.places.models import Place
from tilios.revisions import services
for name, hours, dlat in [("Coworking toujours ouvert", "24/7", 0.02), ("Coworking jamais ouvert", "off", 0.001)]:
    services.create(Place, {"name": name, "opening_hours": hours, "latitude": 45.44 + dlat, "longitude": 4.39,
                            "kinds": ["coworking"]}, None, "test", system=True)
"""


@pytest.fixture
def places_with_hours(server):
    env = {k: v for k, v in os.environ.items() if k != "TILIOS_DATABASE_URL"}
    env["TILIOS_VAR_DIR"] = SERVER["var_dir"]
    made = subprocess.run([sys.executable, "-m", "tilios", "shell", "-c", CREATE_PLACES], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr


def test_open_now_filters_the_list_the_map_and_the_nearest(make_page, places_with_hours):
    w = make_page(geolocation=SAINT_ETIENNE, permissions=["geolocation"])
    w.goto("/")
    wait_for_places(w.page)
    with next_render(w.page) as render:
        w.page.check("#open_now")
    assert (render["kind"], render["query"]) == ("search", "open_now=1")
    assert render["count"] == 1 and render["shown"] == 1  # the list and the map agree
    assert w.page.locator("#results-list .result-name").all_inner_texts() == ["Coworking toujours ouvert"]
    assert "open_now=1" in w.page.url

    with next_render(w.page) as render:
        w.page.click("#locate")
    assert render["kind"] == "near" and "open_now=1" in render["query"]
    # The nearest place (« jamais ouvert », 100 m away) is closed: the nearest OPEN one comes first.
    assert w.page.locator("#results-list .result-name").all_inner_texts() == ["Coworking toujours ouvert"]
    assert w.page.get_attribute("#map", "data-highlighted") == "1"

    with next_render(w.page) as render:
        w.page.uncheck("#open_now")
    assert render["kind"] == "search" and render["count"] == 1514  # every place again
    w.assert_clean()
