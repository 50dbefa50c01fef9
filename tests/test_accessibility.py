"""Accessibility (issue #14): axe-core, the WCAG rule engine, run in a real headless Chromium at phone width on the
pages a freelancer and a contributor use — home, a place, its edit form, a wiki page with a table and images, the
census and an estimate — reports no critical or serious violation. axe-core is vendored for the tests only
(tests/vendor, MPL-2.0) and injected with the page's CSP bypassed; the site never serves it.
TILIOS_SKIP_BROWSER=1 skips."""
import json
import os
import urllib.request

import pytest
from browsing import in_browser
from people import PASSWORD
from servers import REPO, in_browser_server

pytestmark = pytest.mark.skipif(os.environ.get("TILIOS_SKIP_BROWSER") == "1", reason="TILIOS_SKIP_BROWSER=1")
AXE = REPO / "tests" / "vendor" / "axe-core-4.10.2" / "axe.min.js"
SERIOUS = ("critical", "serious")

CREATE_WRITER_AND_PAGE = f"""
from django.contrib.auth import get_user_model
from tilios.accounts.models import Role
from tilios.pages.models import Page
from tilios.revisions import services
user = get_user_model().objects.create_user("redactrice-a11y", "r@example.org", "{PASSWORD}")
user.profile.role = Role.TRUSTED
user.profile.save()
body = '''## Ce que propose un tiers-lieu

| Service | Prix |
|---|---|
| Poste nomade | 15 € la journée |
| Bureau fermé | 250 € le mois |

![Plan de l'atelier](/static/vendor/leaflet/images/marker-icon.png)
<img src="/static/vendor/leaflet/images/marker-icon.png">

Voir [[Tiers-lieux]] et https://francetierslieux.fr/.
'''
services.create(Page, {{"title": "Accessibilité des tiers-lieux", "body": body}}, user, "page de test")
from tilios.places.models import Place
reachable, _ = services.create(Place, {{"name": "Comptoir joignable", "latitude": 45.44, "longitude": 4.39,
    "phone": "04 77 12 34 56", "email": "bonjour@joignable.example"}}, None, "test", system=True)
print(reachable.public_id)
"""


def violations(w, path):
    """The critical and serious violations axe-core finds on the page at `path`, once it has settled."""
    w.goto(path)
    w.page.wait_for_load_state("networkidle")
    w.page.evaluate(AXE.read_text(encoding="utf-8"))
    found = w.page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3)"
                            ".map(n => n.target.join(' '))}))")
    return [v for v in found if v["impact"] in SERIOUS]


def test_the_main_pages_have_no_critical_or_serious_accessibility_violation(server):
    reachable = in_browser_server("shell", "-c", CREATE_WRITER_AND_PAGE).strip().splitlines()[-1]
    with urllib.request.urlopen(server + "/api/places?q=coworking&limit=1", timeout=60) as response:
        place = json.load(response)["results"][0]["id"]
    in_browser(server, lambda w: check_pages(w, place, reachable), bypass_csp=True)


def check_pages(w, place, reachable):
    found = {}
    for path in ("/", f"/lieux/{place}/", f"/lieux/{reachable}/", f"/lieux/{reachable}/contacter/", "/formations/",
                 "/fichiers/", "/recensement/",
                 "/recensement/estimation/?sources=cget-mission-coworking-2019&sources=maplabbzh"):
        found[path] = violations(w, path)
    w.goto("/compte/connexion/")
    w.page.fill("input[name=username]", "redactrice-a11y")
    w.page.fill("input[name=password]", PASSWORD)
    w.page.locator("main form button[type=submit]").click()
    w.page.wait_for_load_state()
    for path in ("/wiki/accessibilite-des-tiers-lieux/", f"/lieux/{place}/modifier/",
                 "/wiki/accessibilite-des-tiers-lieux/modifier/"):
        found[path] = violations(w, path)
        assert "/compte/connexion/" not in w.page.url, path  # the page itself, not the login form
        if path.endswith("tiers-lieux/"):
            assert w.page.locator("main table").count() == 1  # the wiki page under test has its table
            # The sanitiser kept the described image and dropped the one with no text alternative.
            alts = w.page.evaluate("[...document.querySelectorAll('main img')].map(i => i.alt)")
            assert alts == ["Plan de l'atelier"]
    assert {path: v for path, v in found.items() if v} == {}
