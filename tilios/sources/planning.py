"""Which known place (or earlier row of the same file) each new record of an import joins.

The rows seen for the first time are compared (`matching`) with every published place of the registry and
with each other; sure matches are grouped, and the rest queued for people to review once every row has
its place."""
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field

from tilios.places.models import Place
from tilios.territories.services import locator

from . import matching
from .entries import Entry, PointSet
from .models import SourceRecord

logger = logging.getLogger(__name__)


def _website(links):
    return next((link["url"] for link in links or [] if link.get("kind") == "web"), "")


def commune_centres():
    """Commune centres of the reference, to recognise records geocoded to their town and nothing finer."""
    index = locator()
    if getattr(index, "centre_points", None) is None:
        _ids, lat, lon, _cosines = index.all_centres
        index.centre_points = PointSet(zip(map(math.degrees, lat), map(math.degrees, lon)))
    return index.centre_points


def entry_for_row(row, centres=None):
    f = row.fields
    lat, lon = f.get("latitude"), f.get("longitude")
    return Entry(("row", row.line), f.get("name", ""), lat, lon,
                          f.get("address", ""), f.get("postcode", ""), f.get("town", ""),
                          f.get("declared_commune_code", ""), _website(f.get("links")), _contact(f, "email"),
                          _contact(f, "phone"), approximate=bool(centres and centres.near(lat, lon)))


def _contact(fields, name):
    """A source's phone or e-mail, even one places.contact could not read: it may still match another's."""
    return fields.get(name) or next(iter(fields.get("unrecognised", {}).get(name, [])), "")


def registry_entries(centres):
    """Every published place as a matching entry (one group: places already in the registry are not
    compared with each other here)."""
    contact = defaultdict(dict)
    for place_id, phone, email in (SourceRecord.objects.exclude(place=None)
                                   .values_list("place_id", "fields__phone", "fields__email")):
        if phone:
            contact[place_id].setdefault("phone", phone)
        if email:
            contact[place_id].setdefault("email", email)
    entries = []
    for values in (Place.objects.live()
                   .values("id", "name", "latitude", "longitude", "address", "postcode", "town",
                           "declared_commune_code", "commune__code", "links", "phone", "email")
                   .iterator(chunk_size=2000)):
        extra = contact.get(values["id"], {})
        entries.append(Entry(
            ("place", values["id"]), values["name"], values["latitude"], values["longitude"], values["address"],
            values["postcode"], values["town"], values["commune__code"] or values["declared_commune_code"],
            _website(values["links"]), values["email"] or extra.get("email", ""),
            values["phone"] or extra.get("phone", ""), group="registry",
            approximate=centres.near(values["latitude"], values["longitude"])))
    return entries


@dataclass
class MatchPlan:
    targets: dict = field(default_factory=dict)  # row line -> ("place", id) | ("row", leading line)
    reasons: dict = field(default_factory=dict)  # row line -> the Pair that decided it
    reviews: list = field(default_factory=list)  # (key, key, Pair) to queue once every row has its place


def plan(rows, auto_merge=True):
    """Decide, for the rows seen for the first time, which known place (or earlier row) each one joins. `rows`
    is gone through once, whole: only what matching reads of each row is kept."""
    plan = MatchPlan()
    centres, row_entries = None, []
    for row in rows:
        if centres is None:  # built once, and only when some row is new
            centres = commune_centres()
        row_entries.append(entry_for_row(row, centres))
    if not row_entries:
        return plan
    entries = registry_entries(centres) + row_entries
    logger.info("matching %d new rows with %d known places", len(row_entries), len(entries) - len(row_entries))
    pairs = matching.find_pairs(entries, focus={e.key for e in row_entries})
    if not auto_merge:
        for pair in pairs:
            pair.decision = "review"
    sure = [p for p in pairs if p.decision == "auto"]
    by_key = defaultdict(list)
    for pair in sure:
        by_key[pair.a].append(pair)
        by_key[pair.b].append(pair)
    component = {}
    for group in matching.clusters(sure):
        known = [k for k in group if k[0] == "place"]
        lines = sorted(k[1] for k in group if k[0] == "row")
        if known:
            pair = max((p for k in known for p in by_key[k]), key=lambda p: p.score)
            place_key = pair.a if pair.a[0] == "place" else pair.b
            for line in lines:
                plan.targets[line] = place_key
                plan.reasons[line] = pair
            for other in known:
                if other != place_key:  # a row bridging two known places: people decide about those
                    plan.reviews.append((place_key, other, pair))
        else:
            for line in lines[1:]:
                plan.targets[line] = ("row", lines[0])
                plan.reasons[line] = max(by_key[("row", line)], key=lambda p: p.score)
        component.update({k: group for k in group})
    for pair in pairs:
        if pair.decision == "review" and not (pair.a in component and component[pair.a] is component.get(pair.b)):
            plan.reviews.append((pair.a, pair.b, pair))
    return plan
