"""The sources Tilios ships described (publisher, licence, attribution): data in `tilios/data/sources.json`,
loaded into the database by a migration like any source an administrator registers later."""
import datetime
import json

from django.conf import settings

from .licences import LICENCES

CATALOGUE_FILE = settings.DATA_DIR / "sources.json"
DEFAULT_SOURCE_FOR_KIND = {"cget": "cget-mission-coworking-2019", "fablabs-io": "fablabs-io",
                           "osm": "openstreetmap"}


def entries():
    """The shipped sources as they are stored: the licence named by its code in `licences.LICENCES`."""
    with open(CATALOGUE_FILE, encoding="utf-8") as f:
        return json.load(f)


def load(source_model):
    """Register the shipped sources missing from the database; complete the licence of those registered before
    sources were data (a source an administrator changed since keeps its values). `source_model` may be a
    migration's historical model."""
    for entry in entries():
        licence = LICENCES[entry["licence"]]
        existing = source_model.objects.filter(slug=entry["slug"]).first()
        if existing is not None:
            if not existing.licence_code and existing.licence == licence.name:
                existing.licence_code, existing.share_alike = licence.code, licence.share_alike
                existing.save(update_fields=["licence_code", "share_alike"])
            continue
        data_date = entry.get("data_date")
        source_model.objects.create(
            slug=entry["slug"], name=entry["name"], publisher=entry["publisher"], url=entry["url"],
            licence_code=licence.code, licence=licence.name, licence_url=licence.url,
            share_alike=licence.share_alike, attribution=entry["attribution"],
            data_date=datetime.date.fromisoformat(data_date) if data_date else None,
            description=entry.get("description", ""), priority=entry.get("priority", 50))
