"""A long import on SQLite commits in short steps, so the site keeps writing, and is still all or nothing.

Each test runs real `tilios` processes on a database file of its own: an import that fails half-way,
one killed with SIGKILL, one running while a client writes through the API of `tilios serve`, and two
imports at once. The writes-during-import case runs on PostgreSQL too (there the import is one
transaction, and writers never waited for it).
"""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from servers import TILIOS, call, free_port, postgres_database
from test_text_index import unindexed

CGET_CSV = Path(__file__).resolve().parents[1] / "tilios" / "data" / "cget-mission-coworking-2019" / \
    "cget_tierslieux_2019.csv"


def tilios_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k != "TILIOS_DATABASE_URL"}
    env.update(TILIOS_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="tilios.settings", TILIOS_DEBUG="0",
               PYTHONUNBUFFERED="1", **extra)
    return env


def tilios(env, *args, timeout=600):
    return subprocess.run([str(TILIOS), *args], env=env, capture_output=True, text=True, timeout=timeout)


def counts(path):
    """Rows per table (the journal aside), and the R*Tree and text index beside the places they index."""
    with sqlite3.connect(path) as db:
        tables = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'places_place_rtree%' AND name NOT LIKE 'places_place_fts%' "
            "AND name != 'tilios_undo'")]
        db.execute("INSERT INTO places_place_fts(places_place_fts, rank) VALUES ('integrity-check', 1)")
        found = {"text index mismatches": len(unindexed(db.cursor()))}  # words of the live places, none else
        found |= {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}
        found["rtree"] = db.execute("SELECT count(*) FROM places_place_rtree").fetchone()[0]
        found["rtree mismatches"] = db.execute(
            "SELECT count(*) FROM places_place p LEFT JOIN places_place_rtree r ON r.id = p.id "
            "WHERE p.latitude IS NOT NULL AND (r.id IS NULL OR r.min_lat NOT BETWEEN p.latitude - 1e-4 "
            "AND p.latitude + 1e-4)").fetchone()[0]
    return found


def printed(env, script):
    """The words a Python script prints, run in `env`; it must succeed."""
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def journal_rows(path):
    with sqlite3.connect(path) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'tilios_undo'").fetchone():
            return 0
        return db.execute("SELECT count(*) FROM tilios_undo").fetchone()[0]


@pytest.fixture
def small_base(tmp_path):
    """A migrated database holding a first source (200 places), so an import has rows to update too."""
    env = tilios_env(tmp_path)
    assert tilios(env, "migrate", "-v0").returncode == 0
    first = tmp_path / "first.csv"
    lines = CGET_CSV.read_text(encoding="utf-8").splitlines()
    first.write_text("\n".join(lines[:201]) + "\n", encoding="utf-8")
    result = tilios(env, "import", "cget", str(first), "--no-progress")
    assert result.returncode == 0, result.stderr
    return env, tmp_path / "var" / "tilios.sqlite3"


def test_an_import_failing_half_way_puts_back_every_step_it_committed(small_base, tmp_path):
    env, db = small_base
    before = counts(db)
    script = (
        "import django, sys; django.setup()\n"
        "from tilios import journal\n"
        "from tilios.sources import services, writing\n"
        "journal.STEP_SECONDS = journal.GAP_SECONDS = 0  # commit after every row, with no pause\n"
        "real, seen = writing.create_fresh, []\n"
        "def crash(*a, **k):  # the fourth batch of new places: three are written, in committed steps\n"
        "    seen.append(1)\n"
        "    if len(seen) == 4: raise RuntimeError('disque plein')\n"
        "    return real(*a, **k)\n"
        "writing.create_fresh = crash\n"
        f"services.run_import('cget', {str(CGET_CSV)!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0 and "disque plein" in result.stderr
    assert counts(db) == before
    assert journal_rows(db) == 0


def test_a_failed_long_write_puts_back_inserted_ranges_and_rows_changed_around_them(small_base):
    """The rows a step inserts are put back as a range, the others row by row, whatever they went through."""
    env, db = small_base
    with sqlite3.connect(db) as setup:
        setup.execute("CREATE TABLE tiny (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
        setup.executemany("INSERT INTO tiny(v) VALUES (?)", [("a",), ("b",), ("c",)])
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "from tilios import journal\n"
        "journal.STEP_SECONDS = journal.GAP_SECONDS = 0  # every call commits a step\n"
        "sql = lambda statement: connection.cursor().execute(statement)\n"
        "try:\n"
        "    with journal.stepwise() as step:\n"
        "        sql(\"UPDATE tiny SET v = 'z' WHERE v = 'a'\")  # a row there before...\n"
        "        sql(\"INSERT INTO tiny(v) VALUES ('a'), ('d')\")  # ...whose value a new row takes\n"
        "        sql(\"DELETE FROM tiny WHERE v = 'b'\")\n"
        "        sql(\"INSERT INTO tiny(id, v) VALUES (2, 'e')\")  # a rowid below the last: logged by itself\n"
        "        step()\n"
        "        sql(\"UPDATE tiny SET v = 'f' WHERE v = 'd'\")  # rows of the step before\n"
        "        sql(\"DELETE FROM tiny WHERE v = 'a'\")\n"
        "        sql(\"INSERT INTO tiny(v) VALUES ('g')\")\n"
        "        sql(\"UPDATE tiny SET v = 'h' WHERE v = 'g'\")  # a row of this very step\n"
        "        step()\n"
        "        raise RuntimeError('disque plein')\n"
        "except RuntimeError:\n"
        "    print(*(f'{i}:{v}' for i, v in connection.cursor().execute('SELECT id, v FROM tiny ORDER BY id')))\n"
    )
    assert printed(env, script) == ["1:a", "2:b", "3:c"]
    assert journal_rows(db) == 0


def held_import(env, places, go):
    """The real import in a process that holds still between two steps (the write lock free) once `places`
    places are committed, until the file `go` exists. It has printed 'ready' when this returns: timing alone
    would race a fast machine, where the whole import can end between two looks at the database."""
    script = (
        "import django, os, time; django.setup()\n"
        "from django.db import connection\n"
        "from tilios import journal\n"
        "from tilios.sources import services\n"
        "journal.STEP_SECONDS = journal.GAP_SECONDS = 0  # commit after every unit of work, with no pause\n"
        "real_begin, held = journal._Steps.begin, []\n"
        "def begin(self):\n"
        "    with connection.cursor() as cursor:\n"
        "        committed = cursor.execute('SELECT count(*) FROM places_place').fetchone()[0]\n"
        f"    if not held and committed >= {places}:\n"
        "        held.append(committed)\n"
        "        print('ready', flush=True)\n"
        f"        while not os.path.exists({str(go)!r}): time.sleep(0.05)\n"
        "    real_begin(self)\n"
        "journal._Steps.begin = begin\n"
        f"services.run_import('cget', {str(CGET_CSV)!r})\n"
    )
    errors = tempfile.TemporaryFile("w+")  # a pipe left unread could fill and block the import
    process = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=errors,
                               text=True)
    process.errors = errors
    if "ready\n" not in iter(process.stdout.readline, ""):
        process.wait()
        errors.seek(0)
        pytest.fail(f"the import ended before it was held: {errors.read()}")
    return process


def test_an_import_killed_mid_way_is_undone_by_the_next_command(small_base, tmp_path):
    env, db = small_base
    before = counts(db)
    process = held_import(env, before["places_place"] + 300, go=tmp_path / "never")
    try:
        assert counts(db)["places_place"] >= before["places_place"] + 300  # committed steps, visible to others
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert journal_rows(db) > 0
    result = tilios(env, "near", "45.76", "4.84", "-k", "1", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert counts(db) == before
    assert journal_rows(db) == 0


def test_a_second_import_at_the_same_time_is_refused_clearly(small_base, tmp_path):
    env, db = small_base
    go = tmp_path / "go"
    process = held_import(env, counts(db)["places_place"] + 1, go)
    try:
        assert journal_rows(db) > 0
        second = tilios(env, "import", "cget", str(CGET_CSV), "--no-progress")
        assert second.returncode != 0
        assert "un autre import est en cours" in second.stderr
    finally:
        go.touch()
        status = process.wait(timeout=600)
    process.errors.seek(0)
    assert status == 0, process.errors.read()
    assert journal_rows(db) == 0


def test_a_writer_that_finds_the_write_lock_taken_says_so_then_waits_its_turn(small_base):
    env, db = small_base
    waits = Path(str(db) + ".waits")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as a long write's step holds the lock
    writer = subprocess.Popen([str(TILIOS), "token", "pendant", "--role", "trusted", "--create", "--name", "p"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not waits.exists() or waits.stat().st_size == 0:
            assert writer.poll() is None, writer.stderr.read()
            assert time.monotonic() < deadline, "the writer never said it was waiting"
            time.sleep(0.05)
        assert writer.poll() is None  # it waits for the lock, it did not fail
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert out.strip()  # the token of the account it created


def test_a_long_write_leaves_the_lock_free_as_soon_as_a_writer_says_it_waits_and_else_after_a_step(small_base):
    env, _db = small_base
    script = (
        "import django, time; django.setup()\n"
        "from tilios import journal\n"
        "journal.STEP_SECONDS = 3600  # only a writer that says it waits ends a step\n"
        "gaps, sleep = [], time.sleep\n"
        "time.sleep = lambda seconds: (gaps.append(seconds), sleep(seconds))\n"
        "with journal.stepwise() as step:\n"
        "    step(); step()\n"
        "    seen = [len(gaps), step.number]\n"
        "    with open(journal._waits_path(), 'ab') as waits:  # what a waiting writer writes\n"
        "        waits.write(b'.')\n"
        "    step()\n"
        "    seen += [len(gaps), step.number]\n"
        "    step(); step()\n"
        "    seen += [len(gaps), step.number]\n"
        "    journal.STEP_SECONDS = 0  # a step that lasted: anyone may be waiting\n"
        "    step()\n"
        "    seen += [len(gaps), step.number]\n"
        "print(*seen)\n"
    )
    # [gaps, commits] after two units alone, after a writer said it waits, two units later, once a step lasted
    assert printed(env, script) == ["0", "0", "1", "1", "1", "1", "2", "2"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_site_keeps_writing_while_an_import_runs(tmp_path, engine):
    admin = name = None
    extra = {}
    if engine == "postgresql":
        admin, name = postgres_database()
        extra["TILIOS_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    # As many writes as the import lets through; each waits for the write lock 10 s at most, then is a 503
    # (one transaction of the whole import, as before, holds that lock for longer).
    env = tilios_env(tmp_path, TILIOS_NO_RATELIMIT="1", TILIOS_SQLITE_TIMEOUT="10")
    env.update(extra)
    server = None
    try:
        port = free_port()
        server = subprocess.Popen([str(TILIOS), "serve", "--no-demo", "--port", str(port)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert "Tilios sert sur" in server.stdout.readline()
        token = tilios(env, "token", "writer", "--role", "trusted", "--create", "--name", "j").stdout.strip()
        importer = subprocess.Popen([str(TILIOS), "import", "cget", str(CGET_CSV), "--no-progress"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        statuses = []
        while importer.poll() is None:
            status, _ = call("POST", f"http://127.0.0.1:{port}/api/places", token, {
                "summary": "pendant l'import", "data": {"name": f"Atelier {len(statuses)}", "latitude": 45.1,
                                                        "longitude": 5.7}}, timeout=120)
            statuses.append(status)
        assert importer.returncode == 0, importer.stderr.read()
        assert len(statuses) >= 5, "the import ended before the client could write"
        assert set(statuses) == {201}, statuses
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()



def test_a_long_write_reads_unmapped_through_a_small_cache_checkpoints_seldom_and_restores_all_even_when_it_fails(
        small_base):
    env, _db = small_base
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "from tilios import journal\n"
        "def mapped():\n"
        "    with connection.cursor() as cursor:\n"
        "        return '/'.join(str(cursor.execute(f'PRAGMA {name}').fetchone()[0])\n"
        "                        for name in ('mmap_size', 'cache_size', 'wal_autocheckpoint'))\n"
        "seen = [mapped()]\n"
        "with journal.stepwise():\n"
        "    seen.append(mapped())\n"
        "seen.append(mapped())\n"
        "try:\n"
        "    with journal.stepwise():\n"
        "        seen.append(mapped())\n"
        "        raise RuntimeError\n"
        "except RuntimeError:\n"
        "    seen.append(mapped())\n"
        "print(*seen)\n"
    )
    site, long_write = "268435456/-65536/1000", "0/-16384/20000"
    assert printed(env, script) == [site, long_write, site, long_write, site]
