"""The fablabs.io lab directory as flattened to CSV (OpenDataSoft « fablabs-in-the-world » export).

The file carries no identifier column: the lab's fablabs.io page (`url`, …/labs/SLUG) is its identity,
the name when the page is missing. Every lab is a `fablab` (fab_lab, mini_fab_lab, supernode).
"""
from . import RowError, csv_rows
from .csv_mapping import build, links_from

REQUIRED = ["name", "kind_name", "address_1", "postal_code", "city", "latitude", "longitude", "url"]


def _external_id(row):
    url = (row.get("url") or "").strip().rstrip("/")
    if "/labs/" in url:
        return url.rsplit("/labs/", 1)[1]
    return (row.get("name") or "").strip()


def read(path):
    for line, row in csv_rows(path, REQUIRED):
        raw = {k: v for k, v in row.items() if k is not None}
        address = ", ".join(p for p in ((row.get("address_1") or "").strip(), (row.get("address_2") or "").strip())
                            if p)
        values = {"name": row.get("name"), "address": address, "postcode": row.get("postal_code"),
                  "town": row.get("city"), "latitude": row.get("latitude"), "longitude": row.get("longitude")}
        links = links_from([("web", row.get("links")), ("other", row.get("url"))])
        mapped = build(line, _external_id(row), raw, values, ["fablab"], links, {"id": "url"})
        if None in row and mapped.error is None:
            mapped.error = RowError("*", "plus de valeurs que de colonnes")
        yield mapped
