"""The test database holds the real reference data: COG territories and the CGET national base.

It is loaded once per session (about ten seconds); each test then runs in a transaction that is
rolled back, so tests may write freely.
"""
from pathlib import Path

import pytest

import servers

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from tilios.instance.demo import ensure_demo_data
    from tilios.territories.services import reset_locator

    with django_db_blocker.unblock():
        reset_locator()
        ensure_demo_data()


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
def fast_password_hashing(settings):
    """Tests create many accounts; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def server():
    """The real app (`tilios serve`, SQLite, demo data) that the browser tests drive."""
    yield from servers.browser_server()
