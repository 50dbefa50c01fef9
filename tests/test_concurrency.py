"""N clients editing the same place at once, through the API of a real server (`tilios serve`).

Every answer must be 200 (the edit extended the chain) or 409 (someone else got there first):
never a 500, never a fork. Runs on the embedded SQLite file and on PostgreSQL (a fresh database
created and dropped here; skipped only when no PostgreSQL server answers).
"""
import datetime
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error

import pytest
from servers import TILIOS, call, free_port, postgres_database, stop

WORKERS = 8
EDITS_PER_WORKER = 10
START_TIMEOUT = 420  # first start migrates and imports the demo's directories
@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, tmp_path):
    """A `tilios serve` subprocess on a free port, with its own database; yields (base url, env)."""
    env = {k: v for k, v in os.environ.items() if k != "TILIOS_DATABASE_URL"}
    env.update(TILIOS_VAR_DIR=str(tmp_path / "var"), TILIOS_DEBUG="0", DJANGO_SETTINGS_MODULE="tilios.settings",
               PYTHONUNBUFFERED="1")
    env.pop("TILIOS_NO_RATELIMIT", None)
    admin = database = None
    if request.param == "postgresql":
        admin, database = postgres_database()
        env["TILIOS_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    port = free_port()
    log_path = tmp_path / "serve.log"
    log = open(log_path, "wb")
    process = subprocess.Popen([str(TILIOS), "serve", "--port", str(port), "--threads", str(WORKERS)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"tilios serve s'est arrêté :\n{log_path.read_text(errors='replace')[-4000:]}")
            try:
                status, _ = call("GET", f"{base}/api/kinds", timeout=5)
                if status == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"tilios serve n'a pas répondu en {START_TIMEOUT} s :\n"
                            f"{log_path.read_text(errors='replace')[-4000:]}")
            time.sleep(0.5)
        yield {"base": base, "env": env, "engine": request.param, "log": log_path}
    finally:
        stop(process, grace=20)
        log.close()
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.close()
        shutil.rmtree(tmp_path / "var", ignore_errors=True)


def issue_tokens(env, cwd, usernames):
    """Accounts and tokens through the CLI, against the server's database."""
    result = subprocess.run([str(TILIOS), "token", *usernames, "--role", "trusted", "--create", "--name", "conc"],
                            env=env, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    tokens = dict(line.split("\t") for line in result.stdout.strip().splitlines())
    assert set(tokens) == set(usernames)
    return tokens


def all_revisions(base, public_id):
    revisions, cursor = [], None
    while True:
        query = f"?limit=200{'&cursor=' + cursor if cursor else ''}"
        status, body = call("GET", f"{base}/api/places/{public_id}/history{query}")
        assert status == 200, body
        revisions.extend(body["results"])
        cursor = body["next_cursor"]
        if not cursor:
            return revisions


def run_together(clients):
    """Start one thread per client (each gets its index), all released at once; wait for all of them.
    Returns the errors they raised, as text."""
    barrier, lock, errors = threading.Barrier(len(clients)), threading.Lock(), []

    def run(index, client):
        try:
            barrier.wait(timeout=60)
            client(index)
        except Exception as exc:  # reported by the caller, with the others
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(n, c), daemon=True) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads), "des clients n'ont pas fini"
    return errors


def test_concurrent_edits_of_one_place_never_fork(server, tmp_path):
    base = server["base"]
    users = [f"editeur{i}" for i in range(WORKERS)]
    tokens = issue_tokens(server["env"], tmp_path, users)
    status, found = call("GET", f"{base}/api/places?q=SICTIAM")
    assert status == 200 and found["results"], found
    public_id = found["results"][0]["id"]
    url = f"{base}/api/places/{public_id}"
    before = all_revisions(base, public_id)

    results = []  # list.append is atomic: the threads share it without a lock

    def worker(index):
        token = tokens[users[index]]
        for i in range(EDITS_PER_WORKER):
            status, place = call("GET", url, token)
            assert status == 200, place
            value = 1000 + index * 100 + i  # unique: an edit is never a no-op
            answer = call("PATCH", url, token, {"base_revision": place["current_revision"]["id"],
                                                "summary": f"{users[index]} #{i}",
                                                "changes": {"capacity": value,
                                                            "description": f"{users[index]} #{i}"}})
            results.append((index, i, value, *answer))

    errors = run_together([worker] * WORKERS)
    assert not errors, errors
    assert len(results) == WORKERS * EDITS_PER_WORKER

    statuses = [r[3] for r in results]
    # On a loaded machine a writer may wait longer than SQLite's busy timeout: it is then told to retry
    # (503, the lock named), which writes nothing; anything else than 200, 409 or that is a defect.
    busy = [r for r in results if r[3] == 503 and "occupée" in r[4].get("detail", "")]
    unexpected = [r for r in results if r[3] not in (200, 409) and r not in busy]
    assert not unexpected, (unexpected[:3], server["log"].read_text(errors="replace")[-3000:])
    ok = [r for r in results if r[3] == 200]
    conflicts = [r for r in results if r[3] == 409]
    for *_, body in conflicts:
        assert {"detail", "current_revision", "conflicting_fields", "changed_since"} <= set(body)
    for *_, body in ok:
        assert body["live"] and body["revision"]["status"] == "accepted"

    after = all_revisions(base, public_id)
    accepted = sorted((r for r in after if r["status"] == "accepted"), key=lambda r: r["number"])
    assert len(after) - len(before) == len(ok)  # every 200 is one new revision, nothing else
    assert len(accepted) == len([r for r in before if r["status"] == "accepted"]) + len(ok)
    assert [r["number"] for r in accepted] == list(range(1, len(accepted) + 1))
    for previous, revision in zip(accepted, accepted[1:]):
        assert revision["parent"] == previous["id"], "fork in the history"
    assert {body["revision"]["id"] for *_, body in ok} == {r["id"] for r in accepted[len(accepted) - len(ok):]}

    status, place = call("GET", url)
    last = accepted[-1]
    assert place["current_revision"] == {"id": last["id"], "number": last["number"]}
    status, full = call("GET", f"{base}/api/revisions/{last['id']}")
    assert status == 200
    assert place["capacity"] == full["data"]["capacity"] and place["description"] == full["data"]["description"]
    assert place["name"] == full["data"]["name"]
    winner = next(r for r in ok if r[4]["revision"]["id"] == last["id"])
    assert place["capacity"] == winner[2]
    print(f"\n[{server['engine']}] {len(statuses)} PATCH : {len(ok)} × 200, {len(conflicts)} × 409, "
          f"révisions {accepted[0]['number']}…{last['number']}")


def test_concurrent_activity_corrections_and_national_evaluations(server, tmp_path):
    """Moderators correct the same report at once while others read the national evaluation (which builds
    and then reads the month's snapshot): every write is 200 or 409, the version counts the 200s, and the
    snapshot kept in step gives what a snapshot rebuilt from the reports gives."""
    base = server["base"]
    users = [f"moderateur{i}" for i in range(WORKERS)]
    result = subprocess.run([str(TILIOS), "token", *users, "--role", "moderator", "--create", "--name", "conc"],
                            env=server["env"], cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    tokens = dict(line.split("\t") for line in result.stdout.strip().splitlines())
    status, found = call("GET", f"{base}/api/places?q=SICTIAM")
    public_id = found["results"][0]["id"]
    activity = f"{base}/api/places/{public_id}/activity"
    today = datetime.date.today()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    ids = []
    for _ in range(6):  # the last six months, each one report
        status, body = call("POST", activity, tokens[users[0]], {"period_start": month.isoformat(),
                                                                 "regular_users": 2})
        assert status == 201, body
        ids.append(body["id"])
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    target = f"{activity}/{ids[0]}"
    on = today.isoformat()

    results, reads = [], []

    def writer(index):
        token = tokens[users[index]]
        for i in range(EDITS_PER_WORKER):
            status, listed = call("GET", activity, token)
            version = next(r["version"] for r in listed["reports"] if r["id"] == ids[0])
            results.append(call("PATCH", target, token, {"version": version, "regular_users": 10 + index * 20 + i}))

    def reader(index):
        for _ in range(EDITS_PER_WORKER // 2):
            reads.append(call("GET", f"{base}/api/evaluation?on={on}", timeout=300))

    errors = run_together([writer] * (WORKERS - 2) + [reader] * 2)
    assert not errors, errors
    log = server["log"].read_text(errors="replace")[-3000:]
    assert {status for status, _ in results} <= {200, 409}, log
    assert {status for status, _ in reads} == {200}, log
    ok = sum(status == 200 for status, _ in results)
    assert ok >= 1
    status, listed = call("GET", activity)
    stored = next(r for r in listed["reports"] if r["id"] == ids[0])
    assert stored["version"] == 1 + ok
    assert stored["regular_users"] in {body["regular_users"] for status, body in results if status == 200}

    status, kept = call("GET", f"{base}/api/evaluation?on={on}")
    rebuilt = subprocess.run([str(TILIOS), "evaluate", "--on", on, "--format", "json", "--rebuild-snapshots"],
                             env=server["env"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    fresh = json.loads(rebuilt.stdout)
    for key in ("places", "known", "bands", "unknown", "empty_most_of_the_time", "groups"):
        assert kept[key] == fresh[key], key
    assert kept["known"] >= 1
