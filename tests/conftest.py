"""The test database holds the real reference data: COG territories and the CGET national base (the
first of the demo's directories; tests/test_demo.py loads the others, as a first start does).

It is loaded once per session (about ten seconds); each test then runs in a transaction that is
rolled back, so tests may write freely.
"""
from pathlib import Path

import pytest
import servers

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from tilios.instance.demo import CGET, ensure_demo_data
    from tilios.territories.services import reset_locator

    with django_db_blocker.unblock():
        reset_locator()
        ensure_demo_data(files=[CGET])


@pytest.fixture(scope="session", autouse=True)
def static_files():
    """Pages name their static files by hash, from the manifest collecting writes (as `tilios serve` does)."""
    from tilios.web import storage

    storage.collect()


@pytest.fixture
def shared_data():
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED_DATA


@pytest.fixture
def second_directory(db):
    """A second directory of coworking spaces beside the CGET base, of the same (national, coworking)
    scope: 300 CGET places whose only kind is coworking, taken in name order across France, and 100
    coworking spaces only it lists, each in the département of one of those. Chapman: n1 = the CGET
    coworking spaces, n2 = 400, m = 300."""
    from tilios.places.models import Kind, Place
    from tilios.sources.models import Source, SourceRecord

    other = Source.objects.create(slug="annuaire-test", name="Annuaire <test>", licence="CC0", attribution="test")
    coworking = Kind.objects.get(code="coworking")
    only_coworking = (Place.objects.live().filter(kinds=coworking, departement__isnull=False)
                      .exclude(kinds__in=Kind.objects.exclude(pk=coworking.pk)).order_by("sort_name", "id"))
    shared = list(only_coworking[:300])
    for i, place in enumerate(shared):
        SourceRecord.objects.create(source=other, external_id=f"a{i}", place=place, raw={}, checksum="x")
    for i, twin in enumerate(shared[:100]):
        p = Place.objects.create(name=f"Lieu seulement annuaire {i}", latitude=twin.latitude,
                                 longitude=twin.longitude, departement_id=twin.departement_id,
                                 region_id=twin.region_id)
        p.kinds.add(coworking)
        SourceRecord.objects.create(source=other, external_id=f"b{i}", place=p, raw={}, checksum="x")
    return other


@pytest.fixture
def no_rate_limits(settings):
    """Rate limits off and their counters cleared: for modules that write many times in a row
    (`pytestmark = pytest.mark.usefixtures("no_rate_limits")`); the limits have tests of their own."""
    from django.core.cache import cache

    settings.RATELIMIT_ENABLE = False
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fresh_rate_limits():
    """Rate limits on, with counters cleared before and after: for modules that test the limits or write a
    few times in a row (`pytestmark = pytest.mark.usefixtures("fresh_rate_limits")`)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language: a request sent in English activates English for the thread,
    and the next test's messages (a command's, a service's) would come out in English."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def kinds_read_afresh():
    """The kinds a process keeps (tilios.places.kinds) are dropped when one is saved, not when a test's
    transaction is rolled back: a kind a test added must not outlive it."""
    from tilios.places import kinds

    yield
    kinds.forget()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many accounts; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def server():
    """The real app (`tilios serve`, SQLite, demo data) that the browser tests drive."""
    yield from servers.browser_server()


@pytest.fixture
def api(client):
    """`api(name, role)`: a Caller with a new account of that role and its token; `api()`: anonymous."""
    from api_client import Caller
    from people import make_user

    from tilios.accounts.models import Role

    def as_(name=None, role=Role.CONTRIBUTOR):
        return Caller(client, make_user(name, role) if name else None)

    return as_


@pytest.fixture(scope="session")
def analyzed_database(django_db_setup, django_db_blocker):
    """PostgreSQL plans the review queue's joins from table statistics; a server without autovacuum (as on the
    test machines) never gathers them after the demo import, and a two-place join then takes seconds."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")


@pytest.fixture
def review_sources():
    """The three test sources of tests/review_scenarios.py, with their priorities; rate limits cleared."""
    from django.core.cache import cache
    from review_scenarios import PRIORITIES

    from tilios.sources.models import Source

    cache.clear()
    for slug, priority in PRIORITIES.items():
        Source.objects.create(slug=slug, name=f"Annuaire {slug[-1].upper()}", licence="CC BY 4.0",
                              attribution=f"© annuaire {slug}", priority=priority)
    yield
    cache.clear()
