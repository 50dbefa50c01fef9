"""Which source records each place was built from, named `source:record id` in every export.

A reuser holding a source's own file can then join it to the registry without guessing. One query
for any number of places: the API pages and the exports never ask place by place."""
from .models import SourceRecord


def record_id(slug, external_id):
    return f"{slug}:{external_id}"


def records_by_place(place_ids):
    """{place id: ["source:record id", …]} sorted, for the given place ids (places without records absent)."""
    found = {}
    rows = (SourceRecord.objects.filter(place_id__in=list(place_ids))
            .values_list("place_id", "source__slug", "external_id").order_by("source__slug", "external_id"))
    for place_id, slug, external_id in rows:
        found.setdefault(place_id, []).append(record_id(slug, external_id))
    return found
