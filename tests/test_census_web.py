"""The census pages (/recensement/) with the Django test client, on the real demo data."""
import datetime
import html
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tilios.accounts.models import Role
from tilios.census.models import CensusDefinition, Snapshot
from tilios.places.models import Place
from tilios.revisions import services as rev

pytestmark = pytest.mark.django_db
CGET_SOURCE = "cget-mission-coworking-2019"


@pytest.fixture
def trusted():
    user = get_user_model().objects.create_user("fiable", "f@example.org", "x")
    user.profile.role = Role.TRUSTED
    user.profile.save()
    return user


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.content[:800])
    return response.content.decode()


def data_total(text):
    return int(re.search(r'class="total-number" data-total="(\d+)"', text).group(1))


def reproduce_lines(text):
    clis = [html.unescape(m) for m in re.findall(r'<code class="cli" data-copy>([^<]+)</code>', text)]
    apis = [html.unescape(m) for m in re.findall(r'<a class="api-url" href="([^"]+)"', text)]
    return clis, apis


def test_landing_shows_cget_today_by_region_with_the_definition_and_the_two_clocks(client):
    text = page(client, "/recensement/")
    today = timezone.localdate().isoformat()
    assert data_total(text) == 1512
    assert "Mission Coworking 2018 (CGET)" in text and "cget-2018@2" in text
    assert "à dominante coworking ou fablab" in text  # the definition's text, rendered from Markdown
    assert "v1 (2026-11)" in text  # its changelog
    assert "Île-de-France" in text and 'class="bars"' in text  # by région: table and bar chart
    assert f"--valid-on {today} --known-on {today} --by region" in text
    sentence = re.search(r'class="contrast-sentence" data-then="(\d+)" data-now="(\d+)"', text)
    assert sentence.groups() == ("0", "0")  # nothing dated before the mission's base, as yet
    assert "on sait aujourd’hui qu’il en existait" in text
    assert 'class="series-chart"' in text and "line-today" in text and "line-then" in text
    assert 'id="census-map"' not in text  # the choropleth is for départements
    assert "Content-Security-Policy" in client.get("/recensement/").headers


def test_the_contrast_sentence_uses_real_numbers(client, trusted):
    lyon_labs = Place.objects.filter(commune__code="69123", kinds__code="fablab")[:3]
    for place in lyon_labs:  # documented today: these labs opened in 2014
        rev.edit(place, {"opened_on": "2014-09-01"}, trusted, "date d'ouverture", place.current_revision_id)
    text = page(client, "/recensement/")
    assert re.search(r'data-then="0" data-now="3"', text)
    assert re.search(r"on connaissait <strong>0</strong> lieux ; on sait aujourd’hui qu’il en existait "
                     r"<strong>3</strong>", text)
    clis, apis = reproduce_lines(text)
    then = next(a for a in apis if "valid_on=2018-12-31&known_on=2019-12-31" in a)
    assert client.get(then).json()["total"] == 0
    now = next(a for a in apis if "valid_on=2018-12-31" in a and "known_on=2019-12-31" not in a)
    assert client.get(now).json()["total"] == 3


def test_table_bars_and_links_reproduce_the_page_figures(client):
    text = page(client, "/recensement/?definition=cget-2018&valid_on=2020-01-01&known_on=2020-01-01&by=region")
    counts = [int(c) for c in re.findall(r'<td class="num" data-count="(\d+)">', text)]
    assert sum(counts) == data_total(text) == 1512 and len(counts) == 17
    bars = re.findall(r'<rect x="0" y="[\d.]+" width="([\d.]+)"', text)
    assert len(bars) == 17 and float(bars[0]) == max(float(b) for b in bars)
    assert ">344<" in text  # Île-de-France's bar is labelled with its count
    clis, apis = reproduce_lines(text)
    assert clis[-1] == ("tilios census --definition cget-2018@2 --valid-on 2020-01-01 --known-on 2020-01-01 "
                        "--by region")
    assert client.get(apis[-1]).json()["total"] == 1512
    # Each row's API link gives that row's figure.
    row_api = html.unescape(re.search(r'<a href="(/api/census\?[^"]*within=region:84[^"]*)"', text).group(1))
    row = client.get(row_api).json()
    assert row["total"] == int(re.search(r'>84</td>\s*<td class="num" data-count="(\d+)"', text).group(1))
    csv_link = html.unescape(re.search(r'href="(/api/census\.csv\?[^"]+)" download', text).group(1))
    assert sum(int(line.rsplit(",", 2)[1]) for line in client.get(csv_link).content.decode().splitlines()[1:]) == 1512
    series_csv = html.unescape(re.search(r'href="(/api/census/series\.csv\?[^"]+)" download', text).group(1))
    assert client.get(series_csv).status_code == 200


def test_choropleth_data_for_departements(client):
    text = page(client, "/recensement/?by=departement")
    assert 'id="census-map"' in text
    assert re.search(r"departements\.[0-9a-f]{12}\.geojson", text) and re.search(r"vendor/leaflet/leaflet\.[0-9a-f]{12}\.js", text)
    counts = json.loads(html.unescape(re.search(r'<script id="census-counts" type="application/json">(.*?)</script>',
                                                text, re.S).group(1)))
    assert sum(counts.values()) == 1512 and counts["42"] == 7 and len(counts) > 90
    assert "<script>" not in text.replace('<script id="census-counts"', "")  # only the JSON block, no inline JS
    assert "style=" not in text


def test_within_a_territory_and_by_commune(client):
    text = page(client, "/recensement/?within=departement:42&by=commune")
    assert data_total(text) == 7 and "Loire (42)" in text and "Saint-Étienne" in text
    assert "--within departement=42" in text


def test_bad_parameters_give_a_400_page_with_the_form(client):
    for query, words in [("known_on=2999-01-01", "futur"), ("valid_on=nope", "valid_on"),
                         ("definition=nope", "inconnue"), ("by=canton", "ventilation")]:
        text = page(client, f"/recensement/?{query}", 400)
        assert words in text and 'class="census-form"' in text


def test_xss_definition_name_and_parameters_are_escaped(client):
    CensusDefinition.objects.create(slug="piege", version=1, name="<script>alert(1)</script>",
                                    text="<script>alert(2)</script> **gras** <img src=x onerror=alert(3)>",
                                    changelog="<b>v1</b>", criteria={"kinds_any": []})
    text = page(client, "/recensement/?definition=piege@1")
    assert "<script>alert" not in text and "onerror" not in text and "<b>v1</b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<strong>gras</strong>" in text
    text = page(client, "/recensement/?within=departement:%3Cscript%3Ealert(4)%3C/script%3E", 400)
    assert "<script>alert(4)" not in text
    text = page(client, "/recensement/expliquer/?definition=piege")
    assert "<script>alert" not in text


def test_explain_page_lists_exclusions_with_reasons(client):
    text = page(client, "/recensement/expliquer/?definition=coworking&within=departement:42")
    assert "Chantier Libre" in text and "type hors définition" in text and "sans type" in text
    api = next(a for a in reproduce_lines(text)[1] if "/api/census/explain" in a)
    assert client.get(api).json()["included_count"] == data_total(text)
    assert "--explain" in reproduce_lines(text)[0][0]
    page(client, "/recensement/expliquer/?known_on=2999-01-01", 400)


def test_freeze_from_the_page_and_the_snapshot_page_verifies(client, trusted):
    params = {"definition": "cget-2018@1", "valid_on": "2020-01-01", "known_on": "2020-01-01", "by": "region",
              "title": "Pour le rapport"}
    response = client.post("/recensement/figer/", params)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    assert not Snapshot.objects.exists()
    assert "Figer ce compte" not in page(client, "/recensement/")
    client.force_login(get_user_model().objects.create_user("contrib", "c@example.org", "x"))
    assert "Figer ce compte" in page(client, "/recensement/")
    response = client.post("/recensement/figer/", params)
    snapshot = Snapshot.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/recensement/instantanes/{snapshot.pk}/"
    assert snapshot.total == 1512 and snapshot.by == "region" and snapshot.title == "Pour le rapport"
    text = page(client, response["Location"])
    assert "même nombre, même empreinte" in text and snapshot.content_hash in text
    assert f"tilios census --verify {snapshot.pk}" in text
    assert "Pour le rapport" in page(client, "/recensement/")  # listed on the census page
    Snapshot.objects.filter(pk=snapshot.pk).update(content_hash="0" * 64)
    assert "le résultat diffère" in page(client, response["Location"])
    assert client.get("/recensement/figer/").status_code == 405
    assert client.post("/recensement/figer/", {**params, "known_on": "2999-01-01"}).status_code == 400


def test_freeze_needs_the_csrf_token():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_user("csrf", "x@example.org", "x"))
    assert client.post("/recensement/figer/", {"valid_on": "2020-01-01"}).status_code == 403
    assert not Snapshot.objects.exists()


def test_estimate_page_says_one_source_is_not_enough(client):
    assert "au moins deux sources" in page(client, "/recensement/estimation/")


def test_estimate_page_prints_scope_warnings_and_assumptions_beside_the_figure(client, second_directory):
    text = page(client, f"/recensement/estimation/?sources={CGET_SOURCE}&sources=annuaire-test")
    assert "Annuaire &lt;test&gt;" in text
    n1 = Place.objects.live().filter(records__source__slug=CGET_SOURCE, kinds__code="coworking").distinct().count()
    chapman = re.search(r'<article class="estimate" data-method="chapman">(.*?)</article>', text, re.S).group(1)
    expected = round((n1 + 1) * 401 / 301 - 1)
    assert f"<strong>{expected}</strong>" in chapman and "intervalle à 95" in chapman
    assert "Hypothèses et réserves" in chapman and "indépendantes" in chapman
    assert 'data-method="chao"' in text
    assert '<li data-code="scopes_differ">' in text and "Périmètre commun" in text
    api = next(a for a in reproduce_lines(text)[1] if "/api/census/estimate" in a)
    assert round(client.get(api).json()["estimates"][0]["estimate"]) == expected
    by_region = page(client, f"/recensement/estimation/?sources={CGET_SOURCE}&sources=annuaire-test&by=region")
    assert '<tr data-method="chapman">' in by_region and "Auvergne-Rhône-Alpes" in by_region
    assert "deux sources" in page(client, f"/recensement/estimation/?sources={CGET_SOURCE}", 400)
    assert "territoire" in page(client, f"/recensement/estimation/?sources={CGET_SOURCE}&sources=annuaire-test"
                                        "&within=nowhere", 400)


def test_nav_links_to_the_census(client):
    assert 'href="/recensement/"' in page(client, "/sources/")


def test_dates_default_to_today_and_are_explicit_in_the_form(client):
    text = page(client, "/recensement/?by=kind")
    today = timezone.localdate()
    assert f'name="known_on" type="date" value="{today.isoformat()}"' in text
    assert "la somme dépasse le total" in text
    assert datetime.date.fromisoformat(re.search(r'name="valid_on" type="date" value="([\d-]+)"', text).group(1)) == today


def test_an_administrator_publishes_a_definition_and_its_next_version_from_the_site(client):
    from people import make_user

    url = "/recensement/definitions/publier/"
    client.force_login(make_user("defs-contrib", Role.TRUSTED))
    assert client.get(url).status_code == 403
    admin = make_user("defs-admin", Role.ADMIN)
    client.force_login(admin)
    census = page(client, "/recensement/?definition=coworking")
    assert f'href="{url}?from=coworking"' in census
    # The next version starts from the latest one; it must say what changed.
    form = page(client, f"{url}?from=coworking")
    assert "Nouvelle version de coworking@2" in form and "&quot;kinds_any&quot;" in form
    latest = CensusDefinition.objects.get(slug="coworking", version=2)
    fields = {"slug": "coworking", "name": latest.name, "text": latest.text + "\n\nLes fablabs aussi.",
              "criteria": json.dumps({"kinds_any": ["coworking", "fablab"]})}
    refused = client.post(url, fields)
    assert refused.status_code == 400 and "une nouvelle version dit ce qui change" in refused.content.decode()
    unreadable = client.post(url, {**fields, "criteria": "{kinds_any: coworking", "changelog": "x"})
    assert unreadable.status_code == 400 and "JSON illisible" in unreadable.content.decode()
    unknown = client.post(url, {**fields, "criteria": '{"kinds_any": ["licorne"]}', "changelog": "x"})
    assert unknown.status_code == 400 and "type inconnu : licorne" in unknown.content.decode()
    assert not CensusDefinition.objects.filter(slug="coworking", version=3).exists()
    done = client.post(url, {**fields, "changelog": "compte aussi les fablabs"})
    assert done.status_code == 302 and done["Location"].endswith("?definition=coworking%403")
    v3 = CensusDefinition.objects.get(slug="coworking", version=3)
    assert v3.criteria == {"kinds_any": ["coworking", "fablab"]} and "compte aussi les fablabs" in v3.changelog
    assert CensusDefinition.objects.get(pk=latest.pk).criteria == latest.criteria  # v2 unchanged
    assert data_total(page(client, "/recensement/?definition=coworking@3&valid_on=2020-01-01")) > data_total(
        page(client, "/recensement/?definition=coworking@2&valid_on=2020-01-01"))
    # A new definition: version 1, no changelog needed; the page escapes what it is given.
    new = client.post(url, {"slug": "ateliers", "name": "Ateliers <b>partagés</b>", "text": "Les ateliers.",
                            "criteria": '{"kinds_any": ["fablab", "hackerspace"]}'})
    assert new.status_code == 302 and CensusDefinition.objects.get(slug="ateliers").version == 1
    assert "Ateliers &lt;b&gt;partagés&lt;/b&gt;" in page(client, "/recensement/?definition=ateliers")
