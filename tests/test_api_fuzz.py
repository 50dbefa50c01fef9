"""The API fuzzed from its own OpenAPI document (schemathesis): valid and invalid requests to every
operation, anonymously and with a moderator's token, must never be a 5xx nor answer outside the
response schema they document. Bounded and derandomised so the suite runs the same cases each time
(about a minute); `bench/api_fuzz.py` runs the long, random version against a served Tilios."""
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from people import make_user
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tilios.accounts.models import ApiToken, Role

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, response_schema_conformance]
# The map's answers are gzipped when the client accepts it; the WSGI client would not unpack them.
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture(autouse=True)
def one_connection():
    """Requests go through the WSGI handler, which closes the connection after each one; the test's
    transaction lives on that connection. Django's own test client unhooks the same signals."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def moderator_token(db):
    return ApiToken.issue(make_user("fuzz-moderateur", Role.MODERATOR))


# Loaded at collection: the OpenAPI document is built from the code, it reads no database.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
bounded = settings(max_examples=4, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


@schema.parametrize()
@bounded
def test_anonymous_requests(case):
    case.call_and_validate(checks=CHECKS, headers=PLAIN)


@schema.parametrize()
@bounded
def test_requests_with_a_token(case, moderator_token):
    case.call_and_validate(checks=CHECKS, headers={**PLAIN, "Authorization": f"Bearer {moderator_token}"})
