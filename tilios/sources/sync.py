"""Following another Tilios instance: its change feed, read from where the last run stopped, into a source.

A run reads `GET /api/changes?type=place&since=CURSOR` of the other instance, fetches each place that
changed (`GET /api/places/{id}`) and imports them as the records of one source of this registry, in one
run like a file's (`services.import_rows`): a place seen for the first time is matched against the
registry, a place seen before updates what its record says, and people's edits here still win (what the
other instance says instead is a conflict to review). The other instance's word never closes a place here:
a place it closed, merged into another or no longer shows marks its record missing — possibly closed,
for someone here to review — as a file that no longer holds a record does.

The cursor is kept with the run (`ImportRun.mapping`), so the next run asks for what came after it. A run
that fails writes nothing, the cursor included: the next one reads the same changes again.
"""
import functools
import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from . import services
from .importers import FileError
from .importers.csv_mapping import add_offer, build, links_from
from .models import ImportRun

KIND = "tilios"
READER = "tilios.sources.sync"
PAGE = 500  # the most the feed gives at once
TIMEOUT = 60
FETCHERS = 4  # places asked for at once: faster than one by one, light on the other instance
RETRIES, MAX_WAIT = 5, 60
# Worked out by the other instance when asked, not said by the place: kept out of the record so that an
# unchanged place is seen as unchanged.
VOLATILE = ("hours", "distance_km", "description_html", "photos", "directions")
OFFERS = ("services", "access", "audiences")


def follow(base_url, slug, since=None, scope=None, dry_run=False, progress=None, known_on=None):
    """Import into source `slug` the places of the instance at `base_url` that changed since `since` (by
    default, where the last run from that address stopped). `scope` narrows the feed like its query
    (`region`, `departement`, `commune`, `kind`). Returns the import summary; raises FileError when the
    other instance cannot be read (nothing is written then)."""
    base_url = base_url.rstrip("/")
    source = services.registered_source(slug)  # before reading anything from the other instance
    scope = {k: v for k, v in (scope or {}).items() if v}
    if since is None:
        since = last_cursor(slug, base_url, scope)
    keys, cursor = changed_places(base_url, since, scope)
    places, gone = fetch_places(base_url, keys)
    refusal = licence_refusal(places, source)
    if refusal:
        raise FileError(refusal)
    rows = [map_place(line, data) for line, data in enumerate(places, start=1)]
    payload = json.dumps(places, sort_keys=True, ensure_ascii=False).encode()
    applied = {"reader": READER, "feed": base_url, "scope": scope, "since": since, "cursor": cursor,
               "gone": sorted(gone)}
    summary = services.import_rows(KIND, rows, slug, f"{base_url}/api/changes?since={since}",
                                   hashlib.sha256(payload).hexdigest(), applied, progress=progress,
                                   dry_run=dry_run, known_on=known_on, gone=gone)
    ids = {row.line: row.external_id for row in rows}
    for error in summary.errors:  # the other instance's id says which place better than its rank here
        error["id"] = ids.get(error["line"], "")
    return summary


def licence_refusal(places, source):
    """Why `source` cannot take `places` (None when it can): data under a share-alike licence there must stay
    under it here, or the exports that carry the source's licence would misstate it."""
    share_alike = sorted({s.get("licence_code") or s.get("licence") for place in places
                          for s in place.get("sources") or [] if s.get("share_alike")})
    if not share_alike or (source.share_alike and source.licence_code in share_alike):
        return None
    return (f"des lieux suivis portent des données sous {', '.join(share_alike)} (partage à l'identique) : la "
            f"source {source.slug} doit être sous la même licence (tilios sources edit {source.slug} --licence "
            f"{share_alike[0].lower()})")


def last_cursor(slug, base_url, scope):
    """Where the last finished run of `slug` from this address, over the same scope, stopped (0: never)."""
    runs = (ImportRun.objects.filter(source__slug=slug, kind=KIND, status=ImportRun.Status.DONE)
            .order_by("-pk").values_list("mapping", flat=True))
    for mapping in runs.iterator():
        if mapping.get("feed") == base_url and mapping.get("scope", {}) == scope:
            return int(mapping.get("cursor", 0))
    return 0


def changed_places(base_url, since, scope):
    """The ids of the places changed after `since`, each once and in the order of their last change, and
    the cursor after the last change read."""
    keys, cursor = {}, since
    while True:
        query = urllib.parse.urlencode({**scope, "type": "place", "since": cursor, "limit": PAGE}, doseq=True)
        page = _get_json(f"{base_url}/api/changes?{query}")
        try:
            changes, new_cursor = page["changes"], int(page["cursor"])
        except (KeyError, TypeError, ValueError):
            raise FileError(f"{base_url} ne répond pas comme un fil de modifications Tilios (/api/changes)") from None
        for change in changes:
            keys.pop(change["id"], None)
            keys[change["id"]] = True
        if not changes or new_cursor == cursor:
            return list(keys), new_cursor
        cursor = new_cursor


def fetch_places(base_url, keys):
    """Each place as the other instance shows it now, and the ids it no longer shows as an open place
    (closed, merged into another — whose place then comes instead — or gone)."""
    places, gone, seen = [], set(), set()
    urls = [f"{base_url}/api/places/{urllib.parse.quote(key)}" for key in keys]
    with ThreadPoolExecutor(FETCHERS) as pool:  # waits on the network, in order
        answers = pool.map(functools.partial(_get_json, missing_ok=True), urls)
        for key, data in zip(keys, answers):
            _take(key, data, places, gone, seen)
    return places, gone


def _take(key, data, places, gone, seen):
    """Sort the answer for `key`: a place to import (once, however many merged ids led to it), or gone."""
    if data is None:
        gone.add(key)
        return
    if data.get("id") != key:  # merged there: the place it joined answers
        gone.add(key)
    if data.get("status") == "closed":
        gone.add(data.get("id"))
    elif data.get("id") not in seen:
        seen.add(data.get("id"))
        places.append({k: v for k, v in data.items() if k not in VOLATILE})


def map_place(line, data):
    """A place of the other instance as a row of the source; errors name its fields as the API does."""
    contact = data.get("contact") or {}
    values = {"name": data.get("name"), "address": data.get("address"), "postcode": data.get("postcode"),
              "town": data.get("declared_town") or data.get("town"), "latitude": data.get("latitude"),
              "longitude": data.get("longitude"), "opening_hours": data.get("opening_hours") or "",
              "phone": contact.get("phone") or "", "email": ""}  # never published: asked for on the place's page
    if data.get("declared_commune_code"):
        values["commune_code"] = data["declared_commune_code"]
    links = links_from([(link.get("kind", "web"), link.get("url")) for link in data.get("links") or []
                        if isinstance(link, dict)])
    mapped = build(line, data.get("id"), data, {k: "" if v is None else v for k, v in values.items()},
                   data.get("kinds") or [], links, {"commune_code": "declared_commune_code", "town": "declared_town"})
    if mapped.error:
        return mapped
    for name in ("description", "presence", "mobility", "prices", "wheelchair"):
        if data.get(name):
            mapped.fields[name] = data[name]
    return add_offer(mapped, {name: ([term["code"] for term in data.get(name) or []], []) for name in OFFERS})


def _get_json(url, missing_ok=False, attempts=RETRIES):
    """The JSON at `url` (None when `missing_ok` and it is gone); a busy server (429, 503) is asked again
    after the wait it says, a few times."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "tilios-sync"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if missing_ok and exc.code in (404, 410):
            return None
        if exc.code in (429, 503) and attempts > 1:
            wait = exc.headers.get("Retry-After", "")
            time.sleep(min(int(wait) if wait.isdigit() else 5, MAX_WAIT))
            return _get_json(url, missing_ok, attempts - 1)
        raise FileError(f"{url} : réponse HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise FileError(f"{url} injoignable : {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise FileError(f"{url} injoignable : {exc}") from None
    except ValueError:
        raise FileError(f"{url} : la réponse n'est pas du JSON") from None

