"""Plain-data views of a place, shared by the API, the exports and the CLI."""
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from tilios.revisions.models import Revision

from . import contact, hours, taxonomy
from .models import place_url
from .queries import Listed

PERSON_KINDS = (Revision.Kind.CREATE, Revision.Kind.EDIT, Revision.Kind.REVERT)


def place_summary(place, source_records=()):
    """A place in a listing: `place` is a `queries.Listed`; `source_records` the `source:record id` it was
    built from (see sources.crosswalk)."""
    data = {
        "id": place.public_id,
        "name": place.name,
        "kinds": place.kind_codes,
        "status": place.status,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "town": place.town,
        "commune_code": place.commune_code,
        "departement_code": place.departement_id,
        "opening_hours": place.opening_hours,
        "url": place.url,
        "source_records": list(source_records),
    }
    if place.distance_km is not None:
        data["distance_km"] = round(place.distance_km, 3)
    return data


def place_detail(place, source_records=()):
    data = place_summary(Listed.of(place), source_records)
    data.update({
        "alternate_names": place.alternate_names,
        "presence": place.presence,
        "mobility": place.mobility,
        "opened_on": place.opened_on,
        "closed_on": place.closed_on,
        "temporary": place.temporary,
        "address": place.address,
        "postcode": place.postcode,
        "declared_town": place.town,
        "declared_commune_code": place.declared_commune.code if place.declared_commune_id else (
            place.declared_commune_code or None),
        "commune_check": place.commune_check,
        "declared_distance_km": place.declared_distance_km,
        "departement": place.departement.name if place.departement_id else None,
        "region_code": place.region_id,
        "region": place.region.name if place.region_id else None,
        "epci": {"code": place.epci.code, "name": place.epci.name} if place.epci_id else None,
        "in_metropole": place.in_metropole,
        "population_class": place.population_class,
        "links": place.links,
        "capacity": place.capacity,
        "opening_hours_unparsed": place.opening_hours_unparsed,
        "hours": hours_now(place),
        "services": offer_terms("services", place.services),
        "access": offer_terms("access", place.access),
        "audiences": offer_terms("audiences", place.audiences),
        "prices": place.prices,
        "wheelchair": place.wheelchair or None,
        "unrecognised": place.unrecognised,
        "directions": directions(place),
        "contact": contact_of(place),
        "description": place.description,
        "sources": [source_summary(r.source) for r in place.records.all()],
        "verified": last_verified(place),
        "updated_at": place.updated_at,
    })
    return data


def contact_of(place):
    """The phone in E.164 and as read in France; whether the place has an e-mail address (never the address
    itself, which scrapers harvest: the place page shows it on request) and where to write to it."""
    shown = contact.shown_phone(place.phone)
    return {"phone": place.phone or None, "phone_display": shown["text"] if shown else None,
            "has_email": bool(place.email),
            "form_url": reverse("web:place_contact", args=[place.public_id]) if contact.recipients(place) else None}


def offer_terms(vocabulary, codes, language="fr"):
    """Codes of a vocabulary of places.taxonomy, in its order, with their labels."""
    terms = taxonomy.VOCABULARIES[vocabulary]
    known = [c for c in terms if c in codes] + sorted(c for c in codes if c not in terms)  # withdrawn terms last
    return [{"code": code, "label": taxonomy.label(vocabulary, code, language),
             "group": terms[code].group if code in terms else ""} for code in known]


def directions(place):
    """How to get there: a geo: URI (phones open their map application) and an OpenStreetMap route."""
    if place.latitude is None or place.longitude is None:
        return None
    point = f"{place.latitude:.6f},{place.longitude:.6f}"
    return {"geo": f"geo:{point}",
            "osm": f"https://www.openstreetmap.org/directions?to={point}#map=16/{place.latitude:.5f}/"
                   f"{place.longitude:.5f}"}


def last_verified(place):
    """« Vérifié le »: the last day a source or a person said the place is as described — the latest
    published file still listing it, an edit accepted from a person, or a patrol — with who said it. Not
    `updated_at`, the day the registry last wrote the row (an import of old data is not a verification)."""
    said = []
    for record in place.records.filter(missing_since_run=None).select_related("source", "first_run", "last_run"):
        if record.last_attested_at is not None:
            said.append((record.last_attested_at, "source", record.source.name))
    revisions = Revision.objects.filter(content_type=ContentType.objects.get_for_model(place), object_id=place.pk,
                                        status=Revision.Status.ACCEPTED).select_related("author", "patrolled_by")
    edit = (revisions.filter(kind__in=PERSON_KINDS, author__isnull=False, accepted_at__isnull=False)
            .order_by("-accepted_at").first())
    if edit is not None:
        said.append((edit.accepted_at, "person", edit.author.get_username()))
    patrol = revisions.filter(patrolled_at__isnull=False).order_by("-patrolled_at").first()
    if patrol is not None:
        said.append((patrol.patrolled_at, "person", patrol.patrolled_by.get_username()))
    if not said:
        return None
    at, kind, by = max(said, key=lambda s: s[0])
    return {"on": timezone.localdate(at), "by": by, "by_kind": kind}


def hours_now(place, at=None):
    """The place's state now in its own time zone, or None without (valid) hours."""
    if not place.opening_hours or not hours.is_valid(place.opening_hours):
        return None
    tz_name = hours.place_timezone(place)
    status = hours.status(place.opening_hours, tz_name, at or timezone.now())
    return {"timezone": tz_name, "state": status.state, "next_change": status.next_change, "text": status.text}


def unparsed_hours_item(place):
    """A place whose source hours could not be read: the text to rewrite in the OSM syntax."""
    return {"place": {"id": place.public_id, "name": place.name,
                      "url": place_url(place.public_id)},
            "opening_hours_unparsed": place.opening_hours_unparsed, "opening_hours": place.opening_hours,
            "sources": sorted({r.source.slug for r in place.records.all()})}


def unrecognised_item(place):
    """A place whose source gave values no term of the vocabularies means: those values, to re-read."""
    return {"place": {"id": place.public_id, "name": place.name,
                      "url": place_url(place.public_id)},
            "unrecognised": place.unrecognised, "sources": sorted({r.source.slug for r in place.records.all()})}


def doubtful_location(place):
    """A place whose position lies far from its declared commune: what a reviewer needs to decide."""
    declared = place.declared_commune
    return {"place": {"id": place.public_id, "name": place.name,
                      "url": place_url(place.public_id)},
            "latitude": place.latitude, "longitude": place.longitude,
            "address": place.address, "postcode": place.postcode, "declared_town": place.town,
            "declared_commune": {"code": declared.code, "name": declared.name} if declared else None,
            "distance_km": place.declared_distance_km}


def source_summary(source):
    return {"slug": source.slug, "name": source.name, "publisher": source.publisher,
            "licence": source.licence, "licence_code": source.licence_code, "licence_url": source.licence_url,
            "share_alike": source.share_alike, "attribution": source.attribution,
            "url": source.url, "data_date": source.data_date, "priority": source.priority}


def map_properties(place):
    """What a map's marker says of a `queries.Listed` place: its popup (name, town) and its colour (first kind)."""
    return {"id": place.public_id, "name": place.name, "kinds": place.kind_codes, "town": place.town}


def geojson_feature(place, source_records=()):
    return {
        "type": "Feature",
        "id": place.public_id,
        "geometry": {"type": "Point", "coordinates": [place.longitude, place.latitude]},
        "properties": {**map_properties(place), "source_records": list(source_records)},
    }
