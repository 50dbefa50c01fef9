"""Open-data exports of the registry. Every row carries the licence and attribution of its sources,
and a GeoJSON export lists them all at its top, so a reuser cannot take the data without them."""
import json

from django.db.models import Prefetch

from tilios import csvsafe
from tilios.places.models import Kind
from tilios.places.presenters import source_summary
from tilios.sources import crosswalk
from tilios.sources import licences as licence_rules
from tilios.sources.models import Source, SourceRecord

CSV_COLUMNS = [
    "id", "name", "alternate_names", "kinds", "presence", "mobility", "status", "opened_on", "closed_on",
    "temporary", "latitude", "longitude", "address", "postcode", "declared_town", "declared_commune_code",
    "commune_code", "commune", "commune_check", "epci_code", "epci", "in_metropole", "departement_code",
    "departement", "region_code", "region", "links", "capacity", "opening_hours", "services", "access",
    "audiences", "prices", "wheelchair", "phone", "sources", "licences",
    "attributions", "source_records",
]


def with_export_details(queryset):
    """Places with what every export writes of them, fetched in a few queries, in a stable order."""
    return (queryset.select_related("commune", "declared_commune", "epci", "departement", "region")
            .prefetch_related(Prefetch("kinds", queryset=Kind.objects.order_by("position")),
                              Prefetch("records", queryset=SourceRecord.objects.select_related("source")))
            .order_by("id"))


def sources_of(place):
    """The sources a place was built from, each once (its records must be prefetched)."""
    seen = {}
    for record in place.records.all():
        seen.setdefault(record.source.slug, record.source)
    return list(seen.values())


def csv_row(place):
    """A place as a row of `CSV_COLUMNS`."""
    sources = sources_of(place)
    return {
        "id": place.public_id, "name": place.name, "alternate_names": " | ".join(place.alternate_names),
        "kinds": " ".join(k.code for k in place.kinds.all()), "presence": place.presence,
        "mobility": place.mobility, "status": place.status, "opened_on": place.opened_on or "",
        "closed_on": place.closed_on or "", "temporary": int(place.temporary),
        "latitude": "" if place.latitude is None else place.latitude,
        "longitude": "" if place.longitude is None else place.longitude,
        "address": place.address, "postcode": place.postcode, "declared_town": place.town,
        "declared_commune_code": place.declared_commune.code if place.declared_commune_id
        else place.declared_commune_code,
        "commune_code": place.commune.code if place.commune_id else "",
        "commune": place.commune.name if place.commune_id else "", "commune_check": place.commune_check,
        "epci_code": place.epci_id or "", "epci": place.epci.name if place.epci_id else "",
        "in_metropole": "" if place.in_metropole is None else int(place.in_metropole),
        "departement_code": place.departement_id or "",
        "departement": place.departement.name if place.departement_id else "",
        "region_code": place.region_id or "", "region": place.region.name if place.region_id else "",
        "links": " ".join(link["url"] for link in place.links), "capacity": place.capacity or "",
        "opening_hours": place.opening_hours, "services": " ".join(place.services),
        "access": " ".join(place.access), "audiences": " ".join(place.audiences), "prices": place.prices,
        "wheelchair": place.wheelchair, "phone": f"tel:{place.phone}" if place.phone else "",
        "sources": " | ".join(s.name for s in sources),
        "licences": " | ".join(s.licence for s in sources),
        "attributions": " | ".join(s.attribution for s in sources),
        "source_records": " | ".join(source_records(place)),
    }


def source_records(place):
    """The raw rows this place was built from, `source:record id` (prefetched: one query per chunk)."""
    return sorted(crosswalk.record_id(r.source.slug, r.external_id) for r in place.records.all())


def write_csv(queryset, out):
    writer = csvsafe.dict_writer(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for place in with_export_details(queryset).iterator(chunk_size=2000):
        writer.writerow(csv_row(place))
        count += 1
    return count


class ShareAlikeConflict(ValueError):
    """Two different share-alike licences in one export: no licence of the whole can honour both."""


def whole_licence(sources):
    """The licence the whole export must carry (a share-alike source's), or None: each part keeps its own."""
    try:
        return licence_rules.of_whole([licence_rules.describe(s) for s in sources])
    except ValueError as exc:
        raise ShareAlikeConflict(f"licences à partage à l'identique incompatibles : {exc}") from None


def write_geojson(queryset, out):
    """A FeatureCollection written feature by feature, so memory stays flat on large registries."""
    sources = Source.objects.filter(records__place__in=queryset).distinct()
    header = {
        "type": "FeatureCollection",
        "name": "tilios-lieux",
        "licences": [source_summary(s) for s in sources],
        "attribution": " ; ".join(s.attribution for s in sources),
        # with a share-alike source (ODbL) in it, the whole collection is under that licence
        "licence_of_whole": whole_licence(sources),
    }
    head = json.dumps(header, ensure_ascii=False, default=str)
    out.write(head[:-1] + ', "features": [\n')
    count = 0
    for place in with_export_details(queryset.filter(latitude__isnull=False)).iterator(chunk_size=2000):
        properties = csv_row(place)
        feature = {"type": "Feature", "id": place.public_id,
                   "geometry": {"type": "Point", "coordinates": [place.longitude, place.latitude]},
                   "properties": {**{k: v for k, v in properties.items() if k not in ("latitude", "longitude")},
                                  "source_records": source_records(place)}}
        out.write((",\n" if count else "") + json.dumps(feature, ensure_ascii=False, default=str))
        count += 1
    out.write("\n]}\n")
    return count


WRITERS = {"csv": write_csv, "geojson": write_geojson}
