"""The archive's first entries: twenty-five years of public announcements on public internet access,
télécentres, tiers-lieux and digital inclusion, with their promises and what came of them.

The entries are data (tilios/data/policy-archive/archive.toml, sources in its PROVENANCE.md), loaded with the
demo data; each one is created as a revision like any contribution, so it can be corrected, discussed and
reverted the same way.
"""
import tomllib
from functools import cache
from pathlib import Path

from tilios.revisions import services as revisions

from .models import Actor, Announcement, Outcome, Programme, Promise

ARCHIVE = Path(__file__).resolve().parent.parent / "data" / "policy-archive" / "archive.toml"
SUMMARY = "Amorce de l'archive (tilios/data/policy-archive)"


@cache
def archive():
    """The archive file, parsed: {"actors": […], "programmes": […], "announcements": […]}."""
    with ARCHIVE.open("rb") as file:
        return tomllib.load(file)


def _create(model, data):
    record, _revision = revisions.create(model, data, None, SUMMARY, system=True)
    return record


def seed():
    """Load the archive's entries; does nothing if the archive already has announcements."""
    if Announcement.objects.exists():
        return 0
    data = archive()
    actors = {a["name"]: _create(Actor, {"name": a["name"], "kind": a["kind"],
                                         "territory_code": a.get("territory_code", "")}).pk
              for a in data["actors"]}
    programmes = {}
    for p in data["programmes"]:
        programmes[p["slug"]] = _create(Programme, {
            "slug": p["slug"], "name": p["name"], "kind": p["kind"], "started_on": p.get("started_on"),
            "ended_on": p.get("ended_on"), "budget_eur": p.get("budget_eur"), "description": p["description"],
            "actors": [actors[name] for name in p["actors"]]}).pk
    for a in data["announcements"]:
        programme = programmes[a["programme"]] if a.get("programme") else None
        announcement = _create(Announcement, {
            "made_on": a["made_on"], "title": a["title"], "text": a["text"], "territory_code": a.get("territory", ""),
            "programme": programme, "source_url": a["source_url"], "source_title": a["source_title"],
            "archive_url": a.get("archive_url", ""),
            "actors": [actors[name] for name in a["actors"]]})
        for p in a.get("promises", []):
            promise = _create(Promise, {
                "announcement": announcement.pk, "programme": programme, "metric": p["metric"],
                "target_value": p["target"], "unit": p["unit"], "deadline": p.get("deadline"),
                "territory_code": p.get("territory", ""), "quote": a["text"]})
            for o in p.get("outcomes", []):
                _create(Outcome, {"promise": promise.pk, "value": o["value"], "measured_on": o["measured_on"],
                                  "source_url": o["source_url"], "archive_url": o.get("archive_url", ""),
                                  "method": o.get("method", ""),
                                  "note": o.get("note", ""), "distribution": o.get("distribution", [])})
    return Announcement.objects.count()
