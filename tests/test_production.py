"""`tilios serve --workers N`: Tilios under gunicorn, several processes sharing one database (and Redis).

Real processes: the command prepares the base, forks its workers, and they answer pages, the API and the
compressed static files; a worker that dies is replaced; the master stops them all."""
import http.client
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from servers import OPENER, TILIOS, call, free_port, postgres_database


def _children(pid):
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _get(url, **headers):
    with OPENER.open(urllib.request.Request(url, headers=headers), timeout=120) as response:
        return response.status, dict(response.headers), response.read()


def _redis_url():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/15"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_workers_serve_the_site_share_the_base_and_are_replaced(tmp_path, engine):
    env = {k: v for k, v in os.environ.items() if k != "TILIOS_DATABASE_URL"}
    env.update(TILIOS_VAR_DIR=str(tmp_path / "var"), TILIOS_DEBUG="0", PYTHONUNBUFFERED="1",
               TILIOS_NO_RATELIMIT="1")
    admin = name = None
    if engine == "postgresql":
        admin, name = postgres_database()
        env.update(TILIOS_DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}", TILIOS_REDIS_URL=_redis_url())
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "w")
    server = subprocess.Popen([str(TILIOS), "serve", "--no-demo", "--workers", "2", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert f"Tilios sert sur {base}/" in server.stdout.readline()
        workers = []
        for _ in range(600):  # the workers boot right after the master says it listens
            workers = _children(server.pid)
            if len(workers) == 2:
                break
            time.sleep(0.1)
        assert len(workers) == 2, workers

        # A write through one worker is read through any: they share the database.
        token = subprocess.run([str(TILIOS), "token", "ecrivain", "--role", "trusted", "--create", "--name", "p"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        status, created = call("POST", base + "/api/places", token, {
            "summary": "création", "data": {"name": "Atelier des Deux Processus", "latitude": 45.2,
                                            "longitude": 5.7}})
        assert status == 201, created
        for _ in range(12):
            status, found = call("GET", base + "/api/places?q=deux+processus")
            assert status == 200 and [p["name"] for p in found["results"]] == ["Atelier des Deux Processus"]

        # Each answer closes its connection, even to a client that would keep it (urllib would not: it asks for
        # the close itself), so that the client's next request goes to whichever worker is free.
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        client.request("GET", "/api/kinds")
        answer = client.getresponse()
        assert answer.status == 200 and answer.getheader("Connection") == "close" and answer.will_close
        client.close()

        status, _, page = _get(base + "/")
        script = re.search(r'src="(/static/web/tilios\.[0-9a-f]{12}\.js)"', page.decode())
        assert status == 200 and script
        status, headers, _ = _get(base + script[1], **{"Accept-Encoding": "br, gzip"})
        assert status == 200 and headers["Content-Encoding"] == "br" and "immutable" in headers["Cache-Control"]

        # A worker killed outright is replaced, and the site goes on answering.
        os.kill(workers[0], signal.SIGKILL)
        for _ in range(600):
            replaced = _children(server.pid)
            if len(replaced) == 2 and workers[0] not in replaced:
                break
            time.sleep(0.1)
        assert len(replaced) == 2 and workers[0] not in replaced, replaced
        assert call("GET", base + "/api/kinds")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
    assert server.returncode == 0, (tmp_path / "gunicorn.log").read_text()[-2000:]
    assert not any(Path(f"/proc/{pid}").exists() for pid in replaced), "workers outlived their master"


@pytest.mark.parametrize("args", [["--workers", "-1"], ["--workers", "2", "--threads", "0"], ["--timeout", "0"]])
def test_impossible_settings_are_refused_before_anything_starts(args):
    with pytest.raises(CommandError, match="--workers : 0 ou plus"):
        call_command("serve", "--no-demo", *args)
