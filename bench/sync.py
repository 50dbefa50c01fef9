"""`tilios sync` against its peer, the file route (`tilios export --format mednum` on the other instance, then
`tilios import mednum` here), on the same data in the same run.

    .venv/bin/python bench/sync.py            # the other instance holds the demo (2 968 places)
    .venv/bin/python bench/sync.py --edits 50

The other instance is `tilios serve` on its own SQLite base with the demo data (loopback only). Two empty
instances follow it, one per route, each with the territory reference and one source. Then: a first full
sync; a second one with nothing changed; `--edits` places renamed there through its API, and a third sync.
Each command runs in its own process, timed from the outside (wall clock, Django start-up included), with
its peak RSS from /usr/bin/time."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def tilios(var_dir, *args):
    """(seconds, peak RSS in MB, stdout) of one `tilios` command on the instance kept in `var_dir`."""
    env = {**os.environ, "TILIOS_VAR_DIR": str(var_dir), "no_proxy": "127.0.0.1"}
    env.pop("TILIOS_DATABASE_URL", None)
    started = time.monotonic()
    done = subprocess.run(["/usr/bin/time", "-f", "RSS %M", sys.executable, "-m", "tilios", *args], env=env,
                          cwd=ROOT, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode:
        sys.exit(f"tilios {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    rss = int(re.search(r"RSS (\d+)", done.stderr).group(1)) / 1024
    return elapsed, rss, done.stdout.strip()


def empty_instance(var_dir):
    for args in (("migrate", "-v0"), ("load_territories",),
                 ("sources", "add", "voisin", "--name", "Voisin", "--licence", "odbl-1.0")):
        tilios(var_dir, *args)


def call(method, url, token=None, body=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None, method=method,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with OPENER.open(request, timeout=120) as response:
        return json.loads(response.read())


def rename(base, token, count):
    ids = [p["id"] for p in call("GET", f"{base}/api/places?limit={count}&kind=fablab")["results"]][:count]
    for public_id in ids:
        place = call("GET", f"{base}/api/places/{public_id}")
        call("PATCH", f"{base}/api/places/{public_id}", token, {
            "base_revision": place["current_revision"]["id"], "summary": "bench",
            "changes": {"name": place["name"] + " (bench)"}})
    return len(ids)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=10, help="places renamed there before the last sync")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tilios-bench-sync-"))
    other, by_feed, by_file = work / "other", work / "feed", work / "file"
    env = {**os.environ, "TILIOS_VAR_DIR": str(other), "TILIOS_NO_RATELIMIT": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("TILIOS_DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "tilios", "serve", "--port", "0"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in server.stdout:  # the demo loads first, then the server says where it listens
            if found := re.search(r"Tilios sert sur (http://[^/\s]+)/", line):
                base = found.group(1)
                break
        else:
            sys.exit("the other instance did not start")
        for var_dir in (by_feed, by_file):
            empty_instance(var_dir)
        rows = []
        for label in ("first sync", "nothing changed"):
            seconds, rss, said = tilios(by_feed, "sync", base, "--source", "voisin", "--no-progress")
            rows.append((label, said.splitlines()[0], seconds, rss))
        _, _, token = tilios(other, "token", "bench", "--create", "--role", "moderator")
        edited = rename(base, token, options.edits)
        seconds, rss, said = tilios(by_feed, "sync", base, "--source", "voisin", "--no-progress")
        rows.append((f"{edited} places renamed there", said.splitlines()[0], seconds, rss))
        export_s, export_rss, _ = tilios(other, "export", "--format", "mednum", str(work / "other.csv"))
        import_s, import_rss, said = tilios(by_file, "import", "mednum", str(work / "other.csv"), "--source",
                                            "voisin", "--no-progress")
        rows.append(("peer: export there + import here", said.splitlines()[0], export_s + import_s,
                     max(export_rss, import_rss)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("| run | what it said | time | peak RSS |\n|---|---|---|---|")
    for label, said, seconds, rss in rows:
        print(f"| {label} | {said} | {seconds:.1f} s | {rss:.0f} MB |")
    print(f"(export {export_s:.1f} s, import {import_s:.1f} s; files in {work})")


if __name__ == "__main__":
    main()
