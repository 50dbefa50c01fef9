"""Helpers for tests that drive real `tilios` processes over HTTP: a free port, a JSON call that never
goes through a proxy, and a scratch PostgreSQL database (the test is skipped when no server answers)."""
import json
import socket
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

TILIOS = Path(sys.executable).with_name("tilios")
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


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


def postgres_database():
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except Exception as exc:  # no server here: the PostgreSQL case cannot run
        pytest.skip(f"PostgreSQL injoignable sur 127.0.0.1:5432 : {exc}")
    name = f"tilios_scratch_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    return admin, name
