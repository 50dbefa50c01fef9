"""Benchmark: Tilios served by one and by two gunicorn workers (and by the embedded waitress server), under load.

    .venv/bin/python bench/load.py [--seconds 5] [--servers waitress,1,2]

Needs `wrk` (Debian: apt-get install wrk). Loopback only, bounded in time: each (server, request, clients)
cell runs `--seconds`. On the demo data (a temp SQLite file, or TILIOS_DATABASE_URL if set; set
TILIOS_REDIS_URL too for the set-up the README recommends), each server answers, with c = 1, 8, 32 clients:
- `near`: GET /api/places?near=45.4397,4.3872&limit=10;
- `q`: GET /api/places?q=coworking&limit=10;
- `home`: GET / (the page, server-rendered with its first 20 places);
- `map`: GET /api/places/clusters for France at zoom 5 (what the home map loads first on a phone: the server's
  groups of the view).
Rate limits are off for the run (they count per client; here every request comes from one address).

Then a burst: 32 clients on the map data for a few seconds, and right after, how long GET /api/kinds takes.
RSS of each worker is read from /proc before and after. Printed and written to bench/out/load.md.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
REQUESTS = {
    "near": "/api/places?near=45.4397,4.3872&limit=10",
    "q": "/api/places?q=coworking&limit=10",
    "home": "/",
    "map": "/api/places/clusters?zoom=5&bbox=-10.65674,36.87571,15.05127,55.28206",
}
CLIENTS = (1, 8, 32)
REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "seconds": %.3f, "errors": %d, "non2xx": %d, '
    .. '"p50": %.2f, "p99": %.2f}\\n', summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000))
end
"""


def start(var_dir, server):
    """`tilios serve` on a free port; returns the process and its base URL once it listens."""
    command = [str(ROOT / ".venv" / "bin" / "tilios"), "serve", "--port", "0"]
    if server != "waitress":
        command += ["--workers", server]
    env = dict(os.environ, TILIOS_VAR_DIR=str(var_dir), TILIOS_NO_RATELIMIT="1")
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        found = re.search(r"(http://\S+:\d+)/", line)
        if found:
            return process, found[1]
    raise RuntimeError(f"the server did not start: {command}")


def workers(process, server):
    if server == "waitress":
        return [process.pid]
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def rss_mb(pids):
    sizes = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024)
    return sizes


def wrk(url, clients, seconds, script):
    threads = min(clients, 2)
    output = subprocess.run(["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s",
                             "-s", script, url], capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def timed_get(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--servers", default="waitress,1,2", help="waitress and/or numbers of gunicorn workers")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    servers = args.servers.split(",")
    var_dir = Path(tempfile.mkdtemp(prefix="tilios-load-"))
    script = var_dir / "report.lua"
    script.write_text(REPORT)
    rows, notes = [], []
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores", flush=True)
    for server in servers:
        process, base = start(var_dir, server)  # the first start loads the demo data into var_dir
        try:
            for path in REQUESTS.values():
                timed_get(base + path)
            pids = workers(process, server)
            before = rss_mb(pids)
            for name, path in REQUESTS.items():
                for clients in CLIENTS:
                    result = wrk(base + path, clients, args.seconds, script)
                    rows.append((server, name, clients, result))
                    print(f"{server:>8} {name:<5} c={clients:<2} {result['rps']:8.1f} req/s  p50 {result['p50']:7.1f} ms"
                          f"  p99 {result['p99']:7.1f} ms  errors {result['errors'] + result['non2xx']}", flush=True)
            burst = wrk(base + REQUESTS["map"], 32, max(3, args.seconds // 2), script)
            kinds_ms = timed_get(base + "/api/kinds")
            after = rss_mb(workers(process, server))
            notes.append((server, before, after, burst, kinds_ms))
            print(f"{server:>8} /api/kinds right after a burst of {burst['requests']} map requests: {kinds_ms:.1f} ms;"
                  f" RSS per worker {[round(x) for x in before]} -> {[round(x) for x in after]} MB", flush=True)
        finally:
            process.terminate()
            process.wait(timeout=60)
    write(rows, notes, servers, args.seconds)


def write(rows, notes, servers, seconds):
    OUT.mkdir(exist_ok=True)
    lines = [f"# Load, {seconds} s per cell, load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores", "",
             "| request | clients | " + " | ".join(f"{s}: req/s · p50 · p99 (ms)" for s in servers) + " |",
             "|---|---|" + "---|" * len(servers)]
    cells = {(server, name, clients): result for server, name, clients, result in rows}
    for name in REQUESTS:
        for clients in CLIENTS:
            values = []
            for server in servers:
                r = cells[(server, name, clients)]
                errors = r["errors"] + r["non2xx"]
                values.append(f"{r['rps']:.0f} · {r['p50']:.1f} · {r['p99']:.1f}" + (f" · {errors} errors" if errors else ""))
            lines.append(f"| {name} | {clients} | " + " | ".join(values) + " |")
    lines.append("")
    for server, before, after, burst, kinds_ms in notes:
        lines.append(f"- {server}: /api/kinds {kinds_ms:.1f} ms right after a burst of {burst['requests']} map requests"
                     f" ({burst['errors'] + burst['non2xx']} errors); RSS per process {', '.join(f'{x:.0f}' for x in before)}"
                     f" MB before, {', '.join(f'{x:.0f}' for x in after)} MB after")
    (OUT / "load.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
