"""Benchmark: the first load of the home page on a phone, on the wire, and on a slow 3G network.

    .venv/bin/python bench/first_load.py [--repo PATH] [--runs 3] [--places 100000]

Starts `tilios serve` from the checkout at --repo (default: this one; give an older checkout's path to
compare, e.g. a `git worktree` of an earlier commit) on the demo data, then opens `/` in headless Chromium
at 390×844 twice per run: once unthrottled and once on the slow-3G profile of the issue (400 kbit/s both
ways, 400 ms round trip, Chromium's network emulation). Measured: bytes on the wire per kind of file
(encodedDataLength, what the network carried: compressed when the server compressed), and the time until
the map's markers are drawn (the page's "tilios:rendered" event). Map tiles are blocked: they come from
another server. With --places N the base is N synthetic places instead (drawn by commune population, as
bench/nearest.py builds them), served with --no-demo. Printed and written to bench/out/first_load-*.md.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PHONE = {"width": 390, "height": 844}
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}


def synthetic_base(var_dir, n):
    """A migrated SQLite base holding n synthetic places (no kinds, no sources)."""
    from nearest import build_sqlite, synthetic_places, tilios_env

    template = var_dir / "template"
    subprocess.run([sys.executable, "-m", "tilios", "migrate", "-v", "0"], env=tilios_env(template), check=True,
                   cwd=ROOT)
    shutil.copy(template / "secret_key", var_dir / "secret_key")
    latitudes, longitudes = synthetic_places(n)
    build_sqlite(template / "tilios.sqlite3", var_dir / "tilios.sqlite3", latitudes, longitudes)


def serve(repo, var_dir, demo=True):
    env = {k: v for k, v in os.environ.items() if k != "TILIOS_DATABASE_URL"}
    env.update(TILIOS_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1", PYTHONPATH=str(repo))
    process = subprocess.Popen([sys.executable, "-m", "tilios", "serve", "--port", "0",
                                *([] if demo else ["--no-demo"])], cwd=repo, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        found = re.search(r"Tilios sert sur (http://\S+?)/", line)
        if found:
            return process, found[1]
    raise RuntimeError("tilios serve did not start")


def kind_of(url):
    path = urlsplit(url).path
    if path.startswith("/api/places"):
        return "places"  # the places themselves (groups or features), apart from outlines and town names
    if path.startswith("/api/") or path.endswith((".geojson", ".json")):
        return "data"
    for suffix, kind in ((".js", "js"), (".css", "css"), (".png", "images"), (".svg", "images")):
        if path.endswith(suffix):
            return kind
    return "html"


def load(browser, base, throttled):
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    context.add_init_script("window.__renders = []; document.addEventListener('tilios:rendered',"
                            " (e) => window.__renders.push(performance.now()));")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttled:
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    urls, sizes = {}, {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    started = time.perf_counter()
    page.goto(base + "/", timeout=300_000)
    page.wait_for_function("() => window.__renders.length > 0", timeout=300_000)
    markers_s = page.evaluate("window.__renders[0]") / 1000
    elapsed = time.perf_counter() - started
    page.wait_for_timeout(200)
    by_kind = {}
    for request_id, size in sizes.items():
        url = urls.get(request_id, "")
        if url.startswith(base):
            by_kind[kind_of(url)] = by_kind.get(kind_of(url), 0) + size
    context.close()
    return markers_s, elapsed, by_kind


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", default=str(ROOT))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--places", type=int, default=0, help="N synthetic places instead of the demo")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    var_dir = Path(tempfile.mkdtemp(prefix="tilios-first-load-"))
    if args.places:
        synthetic_base(var_dir, args.places)
    process, base = serve(Path(args.repo), var_dir, demo=not args.places)
    results = {False: [], True: []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("TILIOS_CHROMIUM", "/usr/bin/chromium"),
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            load(browser, base, False)  # warm the server
            for _ in range(args.runs):
                for throttled in (False, True):
                    results[throttled].append(load(browser, base, throttled))
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    commit = subprocess.run(["git", "-C", args.repo, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    _m, _e, by_kind = results[False][-1]
    total = sum(by_kind.values())
    base_name = f"{args.places} synthetic places" if args.places else "the demo"
    lines = [f"# First load of `/` at 390×844 on {base_name}, checkout {commit}, {args.runs} runs, "
             f"{time.strftime('%Y-%m-%d')}", "",
             f"- on the wire: {total / 1024:.0f} KB — " + ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in
                                                                  sorted(by_kind.items())),
             f"- markers drawn, unthrottled: median {statistics.median(r[0] for r in results[False]):.2f} s",
             f"- markers drawn, slow 3G (400 kbit/s, 400 ms): median "
             f"{statistics.median(r[0] for r in results[True]):.1f} s "
             f"(runs: {', '.join(f'{r[0]:.1f}' for r in results[True])})"]
    OUT.mkdir(exist_ok=True)
    (OUT / f"first_load-{commit}-{args.places or 'demo'}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
