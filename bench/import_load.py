"""A large import while people use the site: does Tilios keep answering, and how?

    .venv/bin/python bench/import_load.py [--n 50000] [--engine sqlite|postgres] [--clients-only-after 0]

`tilios serve` (waitress, demo data) runs in a fresh TILIOS_VAR_DIR; `tilios import csv` of n synthetic
rows (bench/er_synthetic.py, as bench/import_big.py writes them) runs beside it, as an operator would.
While it runs, four API clients work, each in its own thread: an anonymous reader (nearest places and
a place's page), a reader with a token (token reads once wrote on every request), and two writers
with moderators' tokens creating places. Every answer is logged with its latency; the report gives,
per client, the statuses and latency quantiles during the import, and checks that every write answered
201 is in the registry afterwards. Rate limits are off (TILIOS_NO_RATELIMIT). Written to
bench/out/import_load-<engine>.md.
"""
import argparse
import collections
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from api_fuzz import OUT, TILIOS, environment, log, serve, token  # noqa: E402
from import_big import MAPPING, write_rows  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")


def call(base, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    return status, time.perf_counter() - started, payload


class Client(threading.Thread):
    def __init__(self, name, base, work, stop):
        super().__init__(daemon=True)
        self.name, self.base, self.work, self.stop = name, base, work, stop
        self.log = []  # (started at, status, latency)
        self.created = []

    def run(self):
        i = 0
        while not self.stop.is_set():
            at = time.perf_counter()
            status, latency, payload = self.work(self, i)
            self.log.append((at, status, latency))
            i += 1
            time.sleep(0.2)


def anonymous_reader(client, i):
    if i % 2:
        return call(client.base, "GET", "/api/places?near=45.76,4.83&limit=20")
    return call(client.base, "GET", "/api/places?q=coworking&limit=50")


def token_reader(headers):
    def work(client, i):
        return call(client.base, "GET", "/api/places?q=fablab&limit=20", headers=headers)
    return work


def writer(headers, tag):
    def work(client, i):
        name = f"Lieu de charge {tag}-{i}"
        body = {"data": {"name": name, "latitude": 45.0 + i / 1e4, "longitude": 4.0, "town": "Lyon"},
                "summary": "bench/import_load.py"}
        status, latency, payload = call(client.base, "POST", "/api/places", body, headers)
        if status == 201:
            client.created.append(json.loads(payload)["record"]["id"])
        return status, latency, payload
    return work


def quantiles(values):
    if not values:
        return "—"
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(len(values) * q))] * 1000  # noqa: E731
    return f"median {statistics.median(values) * 1000:.0f} ms, p95 {pick(0.95):.0f} ms, max {values[-1] * 1000:.0f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    env = environment(args.engine)
    var = Path(env["TILIOS_VAR_DIR"])
    log("serving", args.engine, "in", var)
    server, base = serve(env)
    try:
        headers = {name: {"Authorization": "Bearer " + token(env, f"charge-{name}", role)}
                   for name, role in (("lecteur", "contributor"), ("a", "moderator"), ("b", "moderator"))}
        rows, mapping = var / "rows.csv", var / "mapping.json"
        write_rows(args.n, args.seed, rows)
        mapping.write_text(json.dumps(MAPPING), encoding="utf-8")
        subprocess.run([PYTHON, "-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
                        "'tilios.settings'); django.setup(); from tilios.sources.models import Source; "
                        "Source.objects.get_or_create(slug='synthetique', defaults=dict(name='Synthétique', "
                        "licence='—', attribution='bench'))"], env=env, check=True)
        stop = threading.Event()
        clients = [Client("anonyme", base, anonymous_reader, stop),
                   Client("jeton (lecture)", base, token_reader(headers["lecteur"]), stop),
                   Client("écriture A", base, writer(headers["a"], "a"), stop),
                   Client("écriture B", base, writer(headers["b"], "b"), stop)]
        log(f"import of {args.n} rows with 4 clients")
        started = time.perf_counter()
        for client in clients:
            client.start()
        imported = subprocess.run([TILIOS, "import", "csv", str(rows), "--source", "synthetique", "--mapping",
                                   str(mapping), "--no-progress"], env=env, capture_output=True, text=True)
        import_s = time.perf_counter() - started
        stop.set()
        for client in clients:
            client.join()
        lines = [f"# Import under load — {args.engine}", "",
                 f"- import of {args.n} rows: {import_s:.0f} s, exit {imported.returncode}: "
                 f"{(imported.stdout.strip().splitlines() or [''])[-1][:200]} {imported.stderr.strip()[-300:]}",
                 "", "| client | requests | statuses | latency |", "|---|---:|---|---|"]
        server_errors = 0
        for client in clients:
            statuses = collections.Counter(status for _, status, _ in client.log)
            server_errors += sum(n for code, n in statuses.items() if code >= 500)
            lines.append(f"| {client.name} | {len(client.log)} | "
                         + ", ".join(f"{code} × {n}" for code, n in sorted(statuses.items()))
                         + f" | {quantiles([lat for _, _, lat in client.log])} |")
        created = [c for client in clients for c in client.created]
        missing = [c for c in created if call(base, "GET", f"/api/places/{c}")[0] not in (200, 301)]
        lines += ["", f"- 5xx answers: {server_errors}",
                  f"- writes answered 201: {len(created)}, missing afterwards: {len(missing)}"]
        text = "\n".join(lines) + "\n"
        OUT.mkdir(exist_ok=True)
        (OUT / f"import_load-{args.engine}.md").write_text(text, encoding="utf-8")
        print(text)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
