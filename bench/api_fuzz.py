"""Long API fuzz run: schemathesis against a served Tilios, as three roles, every operation of
/api/openapi.json, valid and invalid requests. Counts 5xx answers and answers outside their
documented schema (both must be 0), and the status codes seen.

    .venv/bin/python bench/api_fuzz.py [--requests 10000] [--engine sqlite|postgres]

The server is `tilios serve` itself (waitress, the demo data loaded on first start) in a fresh
TILIOS_VAR_DIR; on PostgreSQL the throwaway database `tilios_bench_fuzz` is recreated. The roles
are anonymous, a contributor and a moderator, each with an API token from `tilios token`. Rate limits
are off (TILIOS_NO_RATELIMIT) so writes go deep instead of meeting 429 after a few hundred requests.
The report is printed and written to bench/out/api_fuzz-<engine>.md. Needs schemathesis (test extra).
"""
import argparse
import collections
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
TILIOS = str(ROOT / ".venv" / "bin" / "tilios")
PG_DB = "tilios_bench_fuzz"


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(engine):
    env = {**os.environ, "TILIOS_VAR_DIR": tempfile.mkdtemp(prefix="tilios-fuzz-"), "TILIOS_NO_RATELIMIT": "1"}
    env.pop("TILIOS_DATABASE_URL", None)
    if engine == "postgres":
        for sql in (f"DROP DATABASE IF EXISTS {PG_DB}", f"CREATE DATABASE {PG_DB}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
        env["TILIOS_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    return env


def serve(env):
    port = free_port()
    server = subprocess.Popen([TILIOS, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(Path(env["TILIOS_VAR_DIR"]) / "server.log", "w"))
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/api/kinds", timeout=5)
            return server, base
        except OSError:
            if server.poll() is not None:
                sys.exit("tilios serve stopped: see " + env["TILIOS_VAR_DIR"] + "/server.log")
            time.sleep(0.5)
    sys.exit("tilios serve did not answer in 5 minutes")


def token(env, username, role):
    out = subprocess.run([TILIOS, "token", username, "--create", "--role", role, "--name", "fuzz"], env=env,
                         check=True, capture_output=True, text=True).stdout
    return out.strip().split()[-1]


def fuzz(base, roles, per_operation, target):
    """Rounds over every operation and role until `target` requests are sent (Hypothesis stops early
    on operations with few distinct inputs, so one round sends fewer than it is allowed)."""
    stats = {"requests": 0, "statuses": collections.Counter(), "failures": [], "latencies": []}
    while stats["requests"] < target:
        fuzz_round(base, roles, per_operation, stats)
    return stats


def fuzz_round(base, roles, per_operation, stats):
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import FailureGroup
    from schemathesis.specs.openapi.checks import response_schema_conformance

    schema = schemathesis.openapi.from_url(base + "/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    checks = [not_a_server_error, response_schema_conformance]
    for role, headers in roles.items():
        log(f"{role}: {len(operations)} operations × {per_operation} examples")
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=per_operation, deadline=None, database=None, derandomize=False,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case):
                started = time.perf_counter()
                response = case.call(base_url=base, headers=headers, timeout=60)
                stats["latencies"].append(time.perf_counter() - started)
                stats["requests"] += 1
                stats["statuses"][response.status_code] += 1
                try:
                    case.validate_response(response, checks=checks)
                except FailureGroup as exc:
                    for failure in exc.exceptions:
                        stats["failures"].append((role, operation.label, response.status_code,
                                                  failure.title, case.as_curl_command(headers)))

            run()


def report(engine, stats, elapsed):
    server_errors = sum(n for code, n in stats["statuses"].items() if code >= 500)
    lat = sorted(stats["latencies"])
    kinds = collections.Counter(title for *_, title, _ in stats["failures"])
    lines = [f"# API fuzz — {engine}", "",
             f"- requests: {stats['requests']} in {elapsed:.0f} s",
             f"- 5xx answers: {server_errors}",
             f"- failures (5xx or schema violations): {len(stats['failures'])}",
             f"- latency median {lat[len(lat) // 2] * 1000:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms",
             "- statuses: " + ", ".join(f"{code} × {n}" for code, n in sorted(stats["statuses"].items()))]
    for title, n in kinds.most_common():
        lines.append(f"  - {title}: {n}")
    for role, label, status, title, curl in stats["failures"][:20]:
        lines += ["", f"## {role} {label} → {status}: {title}", "", f"    {curl}"]
    text = "\n".join(lines) + "\n"
    OUT.mkdir(exist_ok=True)
    (OUT / f"api_fuzz-{engine}.md").write_text(text, encoding="utf-8")
    print(text)
    return server_errors + len(stats["failures"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10000, help="requests to send in all (about)")
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    env = environment(args.engine)
    log("serving", args.engine, "in", env["TILIOS_VAR_DIR"])
    server, base = serve(env)
    try:
        roles = {"anonymous": {},
                 "contributor": {"Authorization": "Bearer " + token(env, "fuzz-contributrice", "contributor")},
                 "moderator": {"Authorization": "Bearer " + token(env, "fuzz-moderateur", "moderator")}}
        import json
        n_operations = len(json.load(urllib.request.urlopen(base + "/api/openapi.json"))["paths"])
        per_operation = max(1, math.ceil(args.requests / (len(roles) * n_operations)))
        started = time.perf_counter()
        stats = fuzz(base, roles, per_operation, args.requests)
        sys.exit(1 if report(args.engine, stats, time.perf_counter() - started) else 0)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
