import unicodedata

import pytest

from tilios.places import queries
from tilios.places.models import Place
from tilios.territories.models import Commune
from tilios.text import _LIGATURES, fold, search_tokens

pytestmark = pytest.mark.django_db


def names(q, kinds=()):
    return set(queries.search(q, kinds).values_list("name", flat=True))


@pytest.fixture
def written_many_ways():
    return [Place.objects.create(name=n, town=t) for n, t in [
        ("Le Tiers-Lieu des Ormes", "Rodez"),
        ("Atelier du Cœur", "Albi"),
        ("Fab Lab des Ateliers", "Saint-Étienne"),
        ("Espace Œuvre", "L'Île-d'Yeu"),
    ]]


@pytest.mark.parametrize("query, expected", [
    ("tiers lieux", "Le Tiers-Lieu des Ormes"),
    ("TIERS-LIEU", "Le Tiers-Lieu des Ormes"),
    ("coeur", "Atelier du Cœur"),
    ("cœur", "Atelier du Cœur"),
    ("fablab", "Fab Lab des Ateliers"),
    ("atelier", "Fab Lab des Ateliers"),
    ("st etienne", "Fab Lab des Ateliers"),
    ("saint-étienne fab", "Fab Lab des Ateliers"),
    ("oeuvres", "Espace Œuvre"),
    ("ile d yeu", "Espace Œuvre"),
])
def test_search_ignores_case_accents_ligatures_hyphens_plurals_abbreviations(written_many_ways, query, expected):
    assert expected in names(query)


def test_every_word_must_match(written_many_ways):
    assert names("tiers lieux rodez") == {"Le Tiers-Lieu des Ormes"}
    assert names("tiers lieu zzzz") == set()


def test_search_in_the_national_base():
    found = names("tiers lieux")
    assert {"Tiers-Lieu de Gascogne", "Tiers Lieu Limoux", "Le-Tiers-Lieu"} <= found
    assert "Mains d'Œuvres" in names("mains d'oeuvre")
    in_saint_etienne = queries.search("st etienne").filter(commune__code="42218")
    assert in_saint_etienne.count() >= 4
    assert all("42" == p.departement_id for p in in_saint_etienne)


def test_kind_filter():
    fablabs = queries.search("lyon", ["fablab"])
    assert fablabs.count() > 0
    assert all(p.kinds.filter(code="fablab").exists() for p in fablabs)
    both = queries.search("", ["fablab", "coworking"]).count()
    assert both == 1118 + 345
    with pytest.raises(queries.QueryError, match="inconnu"):
        queries.search("", ["spa"])


def test_sql_looking_input_is_just_text():
    assert names("'; DROP TABLE places_place; --") == set()
    assert names("100% _ lieu") == set()
    assert Place.objects.count() == 1512


def test_tokens_fold_the_same_way():
    assert search_tokens("Tiers-Lieux") == search_tokens("tiers lieu")
    assert search_tokens("St-Étienne") == search_tokens("saint etienne")
    assert search_tokens("Bureaux") == ["bureau"] and search_tokens("locaux") == ["local"]


def test_folding_strips_every_combining_mark_as_testing_each_character_would():
    def by_character(text):
        text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
        return "".join(c for c in text if not unicodedata.combining(c)).lower()

    texts = list(Place.objects.values_list("name", flat=True)) + list(
        Commune.objects.values_list("name", flat=True)) + [
        "Cœur de Saint-Étienne", "ÆSIR ß", "Ǆemal", "a\u034fb", "Ṩ̃", "Ελληνικά", "Łódź", "ﬁ", "①", "Ａ"]
    assert len(texts) > 30000
    assert [fold(text) for text in texts] == [by_character(text) for text in texts]
    assert fold("Cœur de Saint-Étienne") == "coeur de saint-etienne"


SAINT_ETIENNE = "45.4397,4.3872"


def test_words_naming_a_kind_filter_and_a_town_locates(client):
    """« coworking » + « Autour de moi » at Saint-Étienne: the coworking spaces nearest first, not names."""
    answer = client.get("/api/places", {"q": "coworking", "near": SAINT_ETIENNE, "limit": 5}).json()
    assert answer["understood"] == {"kinds": ["coworking"], "text": "", "other_words": "", "town": None,
                                    "services": []}
    first = Place.objects.filter(public_id=answer["results"][0]["id"]).get()
    assert first.kinds.filter(code="coworking").exists() and answer["results"][0]["distance_km"] < 3
    assert [r["name"] for r in answer["results"][:2]] == ["Le Comptoir Numérique", "Le chaudron - Kosmoss.biz"]
    assert all("coworking" in r["kinds"] for r in answer["results"])

    in_town = client.get("/api/places", {"q": "espace de coworking près de Saint-Étienne", "limit": 50}).json()
    assert in_town["understood"]["town"]["code"] == "42218" and in_town["understood"]["kinds"] == ["coworking"]
    assert in_town["understood"]["text"] == "saint etienne"  # the town still filters, as the map's list does
    assert in_town["understood"]["other_words"] == ""  # nothing left unexplained
    distances = [r["distance_km"] for r in in_town["results"]]
    assert distances == sorted(distances) and in_town["count"] == len(distances) >= 2
    assert in_town["results"][0]["town"] == "Saint-Étienne"

    epn = client.get("/api/places", {"q": "EPN Lyon"}).json()
    assert epn["understood"]["kinds"] == ["epn"] and epn["understood"]["town"]["name"] == "Lyon"
    plain = client.get("/api/places", {"q": "le chaudron"}).json()
    assert plain["understood"] == {"kinds": [], "text": "le chaudron", "other_words": "le chaudron", "town": None,
                                   "services": []}
    assert plain["count"] >= 1
    town_only = client.get("/api/places", {"q": "st etienne", "limit": 200}).json()  # the home page's search
    assert town_only["count"] == len(town_only["results"]) >= 4 and town_only["understood"]["town"]["code"] == "42218"


def test_a_kind_added_or_renamed_is_read_at_once():
    """The words naming kinds are folded once and kept, but never outlive the kinds they were read from."""
    from tilios.places import understanding
    from tilios.places.models import Kind

    assert understanding.read("ressourcerie solidaire").kinds == []
    kind = Kind.objects.create(code="ressourcerie", label="Ressourcerie solidaire", label_en="Reuse centre",
                               position=99)
    assert understanding.read("ressourcerie solidaire").kinds == ["ressourcerie"]
    kind.label = "Recyclerie"
    kind.save()
    assert understanding.read("ressourcerie solidaire").kinds == []
    assert understanding.read("recyclerie").kinds == understanding.read("reuse centre").kinds == ["ressourcerie"]


def test_the_home_page_reads_the_words_as_the_api_does(client):
    """The first page a search opens and the list the map then fetches are the same, and both say how the
    words were read."""
    from html import unescape

    words = "coworking saint-etienne"
    page = client.get("/", {"q": words})
    html = unescape(page.content.decode())
    assert page.status_code == 200 and "Compris : type « Espace de coworking » · autour de Saint-Étienne" in html
    assert "Les lieux les plus proches de Saint-Étienne (42)" in html
    api = client.get("/api/places", {"q": words, "limit": 10}).json()
    listed = [p.public_id for p, _kinds in page.context["results"]][:len(api["results"])]
    assert listed == [r["id"] for r in api["results"]] and len(listed) >= 2
    plain = client.get("/", {"q": "le chaudron"}).content.decode()
    assert 'id="understood" class="understood muted" hidden' in plain  # nothing more than words: nothing said


def test_several_kinds_mean_any_of_them_and_an_unknown_one_is_named():
    either = set(queries.search("", ["fablab", "coworking"]).values_list("id", flat=True))
    tagged = set(Place.objects.live().filter(kinds__code__in=["fablab", "coworking"]).values_list("id", flat=True))
    assert either == tagged and either > set(queries.search("", ["fablab"]).values_list("id", flat=True)) > set()
    with pytest.raises(queries.QueryError, match="kind : type inconnu « licorne »"):
        queries.search("", ["fablab", "licorne"])


def test_a_kind_changed_by_another_process_is_read_once_the_kept_kinds_are_old(monkeypatch):
    """Each process keeps the kinds it read; a change made elsewhere (no signal reaches this process) is read
    once they are KEEP_SECONDS old, and in the meantime the search stays consistent with what it kept."""
    from tilios.places import kinds, understanding
    from tilios.places.models import Kind

    assert understanding.read("outillotheque").kinds == []
    Kind.objects.filter(code="fablab").update(label="Outillothèque")  # another process's change: no signal
    assert understanding.read("outillotheque").kinds == []
    later = kinds.monotonic() + kinds.KEEP_SECONDS + 1
    monkeypatch.setattr(kinds, "monotonic", lambda: later)
    assert understanding.read("outillotheque").kinds == ["fablab"]
    assert names("outillotheque") == set() and queries.search("", ["fablab"]).count() > 0
    Kind.objects.filter(code="fablab").delete()  # this process's change: read at once
    with pytest.raises(queries.QueryError):
        queries.search("", ["fablab"])


def test_a_search_reads_kinds_and_towns_kept_in_memory():
    """Kinds and the communes' names are read once: words naming no town ask the database nothing before
    the search itself, and a town's name one statement, for that town."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tilios.places import understanding
    from tilios.territories.services import reset_locator, town_texts

    reset_locator()
    assert " saint etienne " in town_texts() and " tiers lieu " not in town_texts()
    understanding.read("coworking")  # the kinds, read once
    with CaptureQueriesContext(connection) as captured:
        assert understanding.read("tiers lieu solidaire").town is None
        assert understanding.read("espace de coworking").kinds == ["coworking"]
    assert captured.captured_queries == []
    with CaptureQueriesContext(connection) as captured:
        assert understanding.read("coworking saint etienne").town.code == "42218"
    assert len(captured.captured_queries) == 1
