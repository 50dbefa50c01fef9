"""A database that is locked, full, read-only or not yet prepared is told in one sentence: JSON on the
API, a page on the web, a line on stderr from the CLI; 503 with Retry-After when waiting helps; nothing
half-written (issue #12, items 3 and 7). The conditions are real: SQLite's own limits provoke them."""
import json
import os
import sqlite3
import subprocess
import sys

import pytest
from django.db import connection
from django.test import Client
from people import make_user

from tilios.accounts.models import ApiToken, Role
from tilios.places.models import Place

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's pragmas provoke the failure")


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)  # as a real server: the error pages, not the exception


@pytest.fixture
def token():
    return "Bearer " + ApiToken.issue(make_user("panne", Role.MODERATOR))


def create(browser, token, name):
    data = {"name": name, "latitude": 45.4, "longitude": 4.39, "description": "Un lieu. " * 500}
    return browser.post("/api/places", json.dumps({"data": data, "summary": "test"}),
                        content_type="application/json", HTTP_AUTHORIZATION=token)


def pragma(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


@sqlite_only
def test_a_full_disk_is_a_503_that_says_so_and_writes_nothing(browser, token):
    before = Place.objects.count()
    free, size = pragma("PRAGMA freelist_count")[0], pragma("PRAGMA page_size")[0]
    with connection.cursor() as cursor:  # a full disk has no free pages left inside the file either
        cursor.execute("CREATE TABLE test_filler (x BLOB)")
        cursor.execute("INSERT INTO test_filler VALUES (zeroblob(%s))", [free * size])
    pages = pragma("PRAGMA page_count")[0]
    pragma(f"PRAGMA max_page_count = {pages}")  # the database may not grow by one page: SQLITE_FULL
    try:
        response = create(browser, token, "Lieu sur disque plein")
    finally:
        pragma("PRAGMA max_page_count = 1073741823")
    assert response.status_code == 503 and "disque" in response.json()["detail"]
    assert "Retry-After" not in response  # waiting will not free the disk
    assert Place.objects.count() == before


@sqlite_only
def test_a_read_only_database_still_reads_and_refuses_writes_plainly(browser, token):
    pragma("PRAGMA query_only = ON")
    try:
        assert browser.get("/api/kinds").status_code == 200
        assert browser.get("/", {"q": "coworking"}).status_code == 200
        api = create(browser, token, "Lieu en lecture seule")
    finally:
        pragma("PRAGMA query_only = OFF")
    assert api.status_code == 503 and "lecture seule" in api.json()["detail"]
    assert not Place.objects.filter(name="Lieu en lecture seule").exists()


def test_a_database_not_migrated_is_a_503_naming_the_command(browser):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE places_kind RENAME TO gone")
    api = browser.get("/api/kinds")
    assert api.status_code == 503 and "tilios migrate" in api.json()["detail"]
    assert api["Content-Type"].startswith("application/json")


def test_the_web_page_of_an_outage_reads_nothing_from_the_database(browser):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE places_kind RENAME TO gone")
    page = browser.get("/")
    assert page.status_code == 503
    body = page.content.decode()
    assert "tilios migrate" in body and "<h1>" in body and "Traceback" not in body


def test_a_bug_is_still_a_500_with_a_sentence(browser, monkeypatch):
    from tilios.api import places as api_module

    monkeypatch.setattr(api_module.queries, "search", lambda *a, **k: 1 / 0)
    response = browser.get("/api/places")
    assert response.status_code == 500 and "exploitant" in response.json()["detail"]


def test_a_form_too_big_is_a_page_saying_so(browser, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    page = browser.post("/compte/connexion/", {"username": "a" * 5000, "password": "b"})
    assert page.status_code == 400 and "trop volumineux" in page.content.decode()


# --- the CLI, on a file database of its own ---------------------------------------------------------

def tilios(var_dir, *args, **env):
    return subprocess.run([sys.executable, "-m", "tilios", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TILIOS_VAR_DIR": str(var_dir), **env,
                               "TILIOS_DATABASE_URL": ""})


@sqlite_only
def test_a_command_before_the_database_exists_says_to_migrate(tmp_path):
    result = tilios(tmp_path, "near", "45.43", "4.39")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "tilios migrate" in result.stderr
    assert "Traceback" not in result.stderr


@sqlite_only
def test_a_command_on_a_locked_database_says_it_is_busy(tmp_path):
    assert tilios(tmp_path, "migrate", "-v", "0").returncode == 0
    holder = sqlite3.connect(tmp_path / "tilios.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock (an import, say)
    try:
        result = tilios(tmp_path, "token", "quelquun", "--create", TILIOS_SQLITE_TIMEOUT="0.5")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1 and "occupée" in result.stderr and "Traceback" not in result.stderr
    assert tilios(tmp_path, "token", "quelquun", "--create").returncode == 0  # nothing half-written


def test_a_token_records_its_use_at_most_once_a_minute(client, token):
    import datetime

    stored = ApiToken.objects.get()
    assert stored.last_used_at is None
    headers = {"HTTP_AUTHORIZATION": token}
    client.get("/api/tokens", **headers)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    client.get("/api/tokens", **headers)
    assert ApiToken.objects.get().last_used_at == first  # a second use within the minute writes nothing
    ApiToken.objects.update(last_used_at=first - datetime.timedelta(minutes=2))
    client.get("/api/tokens", **headers)
    assert ApiToken.objects.get().last_used_at > first
