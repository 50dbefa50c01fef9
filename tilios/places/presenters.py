"""Plain-data views of a place, shared by the API, the exports and the CLI."""
from django.urls import reverse


def place_summary(place):
    data = {
        "id": place.public_id,
        "name": place.name,
        "kinds": [k.code for k in place.kinds.all()],
        "status": place.status,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "town": place.commune.name if place.commune_id else place.town,
        "commune_code": place.commune.code if place.commune_id else None,
        "departement_code": place.departement_id,
        "url": reverse("web:place", args=[place.public_id]),
    }
    if hasattr(place, "distance_km"):
        data["distance_km"] = round(place.distance_km, 3)
    return data


def place_detail(place):
    data = place_summary(place)
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
        "opening_hours": place.opening_hours,
        "description": place.description,
        "sources": [source_summary(r.source) for r in place.records.all()],
        "updated_at": place.updated_at,
    })
    return data


def doubtful_location(place):
    """A place whose position lies far from its declared commune: what a reviewer needs to decide."""
    declared = place.declared_commune
    return {"place": {"id": place.public_id, "name": place.name,
                      "url": reverse("web:place", args=[place.public_id])},
            "latitude": place.latitude, "longitude": place.longitude,
            "address": place.address, "postcode": place.postcode, "declared_town": place.town,
            "declared_commune": {"code": declared.code, "name": declared.name} if declared else None,
            "distance_km": place.declared_distance_km}


def source_summary(source):
    return {"slug": source.slug, "name": source.name, "publisher": source.publisher,
            "licence": source.licence, "licence_code": source.licence_code, "licence_url": source.licence_url,
            "share_alike": source.share_alike, "attribution": source.attribution,
            "url": source.url, "data_date": source.data_date, "priority": source.priority}


def geojson_feature(place):
    return {
        "type": "Feature",
        "id": place.public_id,
        "geometry": {"type": "Point", "coordinates": [place.longitude, place.latitude]},
        "properties": {"id": place.public_id, "name": place.name,
                       "kinds": [k.code for k in place.kinds.all()],
                       "town": place.commune.name if place.commune_id else place.town},
    }
