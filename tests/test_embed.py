"""The embeddable map: only /embed/ may be framed, by any site; it lists a territory's places with attribution."""
import json
import re

import pytest

from tilios.places.models import Place

pytestmark = pytest.mark.django_db


def embedded_places(response):
    match = re.search(rb'<script id="embed-places" type="application/json">(.*?)</script>', response.content, re.S)
    return json.loads(match.group(1))


def test_only_the_embed_may_be_framed(client):
    embed = client.get("/embed/", {"departement": "42"})
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed.headers
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert "script-src 'self'" in embed["Content-Security-Policy"]  # framable, not open to injected scripts
    for path in ("/", "/donnees/", "/modifications/"):
        page = client.get(path)
        assert page["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_a_territory_and_a_kind_give_their_places_with_attribution(client):
    answer = client.get("/embed/", {"departement": "42", "kind": "coworking"})
    places = embedded_places(answer)
    expected = Place.objects.filter(is_published=True, merged_into=None, departement_id="42",
                                    kinds__code="coworking").distinct()
    assert sorted(p["id"] for p in places) == sorted(expected.values_list("public_id", flat=True))
    assert places and all(p["url"].startswith("http://testserver/lieux/") for p in places)
    html = answer.content.decode()
    assert "Loire" in html and "Mission Coworking" in html  # the territory named, the source credited
    assert f'href="{places[0]["url"]}" target="_blank" rel="noopener"' in html


def test_the_embed_sets_its_own_ancestors_and_refuses_unknown_codes(client, settings):
    settings.EMBED_FRAME_ANCESTORS = "https://reseau.example"
    assert "frame-ancestors https://reseau.example" in client.get("/embed/")["Content-Security-Policy"]
    wrong = client.get("/embed/", {"departement": "999"})
    assert wrong.status_code == 400 and "999" in wrong.content.decode() and embedded_places(wrong) == []


def test_the_open_data_page_writes_the_snippet(client):
    html = client.get("/donnees/", {"embed_departement": "42", "embed_kind": "fablab"}).content.decode()
    assert ('&lt;iframe src=&quot;http://testserver/embed/?departement=42&amp;kind=fablab&quot; '
            'title=&quot;Tiers-lieux — Tilios&quot;') in html
