"""Helpers for tests that drive real `tilios` processes over HTTP: a free port, a JSON call that never
goes through a proxy, and a scratch PostgreSQL database (the test is skipped when no server answers)."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

TILIOS = Path(sys.executable).with_name("tilios")
REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("TILIOS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
LISTENING = re.compile(r"Tilios sert sur (http://[^/\s]+)/")
SERVER = {}  # the browser tests' server: its var dir, for tests that prepare accounts with the CLI
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def in_browser_server(*args, timeout=300):
    """Run `tilios ARGS…` against the browser tests' server (its var dir, SQLite): how a test prepares accounts,
    pages or places there. Fails the test with the command's error output; returns its standard output."""
    env = {k: v for k, v in os.environ.items() if k != "TILIOS_DATABASE_URL"}
    env["TILIOS_VAR_DIR"] = SERVER["var_dir"]
    done = subprocess.run([sys.executable, "-m", "tilios", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(method, url, token=None, body=None, timeout=600):
    """One JSON request. The default timeout only catches a hung server: these tests check what is
    answered, never how fast (a loaded CI machine has queued a request past a minute)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload)
        except ValueError:
            return error.code, payload.decode(errors="replace")[:2000]


def stop(process, grace=10):
    """Ask a server to stop, then make it."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def postgres_database():
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except Exception as exc:  # no server here: the PostgreSQL case cannot run
        pytest.skip(f"PostgreSQL injoignable sur 127.0.0.1:5432 : {exc}")
    name = f"tilios_scratch_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    return admin, name


def browser_server():
    """`tilios serve` on a fresh SQLite base with the demo data, for the browser tests (a session fixture in
    tests/conftest.py): yields its address, stops it and removes its files at the end."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    pytest.importorskip("playwright.sync_api")
    var_dir = tempfile.mkdtemp(prefix="tilios-browser-")
    SERVER["var_dir"] = var_dir
    env = {k: v for k, v in os.environ.items() if k != "TILIOS_DATABASE_URL"}
    env.update(TILIOS_VAR_DIR=var_dir, TILIOS_DEBUG="0", PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    log_path = Path(var_dir) / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "tilios", "serve", "--port", "0"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, encoding="utf-8", errors="replace")
    announced, said = [], threading.Event()

    def relay():
        """Copies the server's output to serve.log; `said` is set when it says it listens, or stops."""
        with open(log_path, "w", encoding="utf-8") as log:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                match = LISTENING.search(line)
                if match and not said.is_set():
                    announced.append(match.group(1))
                    said.set()
        said.set()

    relay_thread = threading.Thread(target=relay, daemon=True)
    relay_thread.start()
    try:
        if not said.wait(timeout=120):  # a bound for a failure, not a wait: the line normally comes first
            pytest.fail("tilios serve did not say it listens within 120 s: " + log_path.read_text()[-2000:])
        if not announced:
            pytest.fail("tilios serve stopped: " + log_path.read_text()[-2000:])
        yield announced[0]
    finally:
        stop(proc)
        relay_thread.join(timeout=10)
        shutil.rmtree(var_dir, ignore_errors=True)
