"""Which source records each place was built from, named `source:record id` in every export.

A reuser holding a source's own file can then join it to the registry without guessing. One query
for any number of places: the API pages and the exports never ask place by place."""
from tilios.rows import by_ids

from .models import Source, SourceRecord


def record_id(slug, external_id):
    return f"{slug}:{external_id}"


def records_by_place(place_ids):
    """{place id: ["source:record id", …]} sorted, for the given place ids (places without records absent)."""
    found = {}
    for place_id, slug, external_id in by_ids(_RECORDS, place_ids):
        found.setdefault(place_id, []).append(record_id(slug, external_id))
    return found


_RECORDS = (f"SELECT rec.place_id, src.slug, rec.external_id FROM {SourceRecord._meta.db_table} rec "
            f"JOIN {Source._meta.db_table} src ON src.id = rec.source_id "
            "WHERE rec.place_id IN ({ids}) ORDER BY rec.place_id, src.slug, rec.external_id")
