"""Helpers for the tests that drive a real headless Chromium: the phone's viewport, a page watched for
console errors, uncaught exceptions and CSP violations, and a check run in a browser of its own."""
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from servers import CHROMIUM, CHROMIUM_ARGS

PHONE = {"width": 390, "height": 844}

CSP_PROBE = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""


class Watched:
    """A page and what went wrong on it: console errors, uncaught exceptions, CSP violations."""

    def __init__(self, page, base):
        self.page, self.base = page, base
        self.tile_host = None
        self.page_errors, self.failed, self.console, self.responses = [], [], [], []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.page_errors.append(f"pageerror: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: self.responses.append(r))

    def _is_tile(self, url):
        return bool(self.tile_host) and urlsplit(url).netloc == self.tile_host

    def _failed(self, request):
        # ERR_ABORTED is the browser cancelling a load the page no longer needs (a favicon still in flight
        # when the test moves on); a server that fails answers with a status, reported on the console.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append((request.url, f"request failed: {request.url} {request.failure}"))

    def _console(self, msg):
        if msg.type == "error":
            url = (msg.location or {}).get("url", "")
            tile_failure = msg.text.startswith("Failed to load resource")
            self.console.append((url if tile_failure else "", f"console: {msg.text} ({url})"))

    @property
    def tile_errors(self):
        return [url for url, _ in self.console if self._is_tile(url)]

    @property
    def errors(self):
        """Everything that went wrong, except tiles that could not load (no network here)."""
        return self.page_errors + [text for url, text in self.failed + self.console if not self._is_tile(url)]

    def goto(self, path):
        self.page.goto(self.base + path)
        tile_url = self.page.locator("[data-tile-url]").first.get_attribute("data-tile-url") if \
            self.page.locator("[data-tile-url]").count() else None
        if tile_url:
            self.tile_host = urlsplit(tile_url.replace("{s}", "a")).netloc

    def assert_clean(self):
        csp = self.page.evaluate("window.__csp || []")
        assert csp == [], f"CSP violations: {csp}"
        assert self.errors == [], self.errors


def in_browser(base, check, **context_options):
    """Run `check(Watched page)` in a Chromium of its own, from a worker thread: Playwright's sync API allows
    one instance per thread, and tests/test_browser.py keeps its own open for the whole session."""
    def run():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport=PHONE, locale="fr-FR", device_scale_factor=1,
                                              **context_options)
                context.add_init_script(CSP_PROBE)
                check(Watched(context.new_page(), base))
            finally:
                browser.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(run).result()
