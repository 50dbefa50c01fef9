"""OpenStreetMap places from an Overpass API JSON answer (`[out:json]; … out center tags;`).

Each tagged element is a row, numbered by its position in `elements` (from 1); its identity is
`node/123`, `way/45`, `relation/6`. Nodes carry `lat`/`lon`, ways and relations a `center`.
Untagged elements (the nodes of a way, from `>; out skel;`) are skipped. Besides name, address, position
and links: `opening_hours`, `description`, `wheelchair`, `charge` (prices), `phone` and `email` (or their
`contact:` forms), and `internet_access` and `fee` read through places.taxonomy.OSM_TAGS.
"""
import json

from tilios.places import taxonomy

from . import FileError, MappedRow, RowError, read_text
from .csv_mapping import add_contact, add_offer, build, links_from

LINE_LABEL = "élément"
LINK_TAGS = [("web", "website"), ("web", "contact:website"), ("web", "url"), ("facebook", "contact:facebook"),
             ("twitter", "contact:twitter"), ("mastodon", "contact:mastodon"), ("instagram", "contact:instagram"),
             ("linkedin", "contact:linkedin")]


def kinds_for(tags):
    kinds = []
    if tags.get("amenity") == "coworking_space" or tags.get("office") == "coworking":
        kinds.append("coworking")
    if tags.get("leisure") == "hackerspace":
        kinds.append("fablab" if tags.get("hackerspace:type") == "fablab" else "hackerspace")
    if tags.get("craft") == "fablab" or tags.get("amenity") == "fablab":
        kinds.append("fablab")
    if tags.get("repair") == "assisted_self_service":
        kinds.append("repair-cafe")
    return list(dict.fromkeys(kinds))


def read(path):
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(f"JSON illisible ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("elements"), list):
        raise FileError("Overpass : un objet JSON avec une liste « elements » est attendu")
    for index, element in enumerate(data["elements"], start=1):
        if isinstance(element, dict) and not element.get("tags"):
            continue
        yield map_element(index, element)


def map_element(index, element):
    if not isinstance(element, dict) or element.get("type") not in ("node", "way", "relation") or "id" not in element:
        mapped = MappedRow(line=index, external_id="", raw={"element": element})
        mapped.error = RowError("type", "élément OSM illisible (type node/way/relation et id attendus)",
                                str(element)[:80])
        return mapped
    tags = element["tags"]
    external_id = f"{element['type']}/{element['id']}"
    where = element if "lat" in element else (element.get("center") or {})
    raw = {k: element[k] for k in ("type", "id", "lat", "lon", "center", "tags") if k in element}
    street = " ".join(p for p in (tags.get("addr:housenumber", ""), tags.get("addr:street") or tags.get("addr:place", ""))
                      if p)
    values = {"name": tags.get("name") or tags.get("official_name"), "address": street,
              "postcode": tags.get("addr:postcode", ""), "town": tags.get("addr:city", ""),
              "latitude": where.get("lat"), "longitude": where.get("lon"),
              "opening_hours": tags.get("opening_hours", "")}
    if tags.get("ref:INSEE"):
        values["commune_code"] = tags["ref:INSEE"]
    if element["type"] != "node" and not where:
        mapped = MappedRow(line=index, external_id=external_id, raw=raw)
        mapped.error = RowError("center", "pas de centre : interrogez Overpass avec « out center »")
        return mapped
    links = links_from((kind, tags.get(tag)) for kind, tag in LINK_TAGS)
    links.append({"kind": "other", "url": f"https://www.openstreetmap.org/{external_id}"})
    names = {"name": "name", "latitude": "lat", "longitude": "lon", "commune_code": "ref:INSEE",
             "address": "addr:street", "postcode": "addr:postcode", "town": "addr:city"}
    mapped = build(index, external_id, raw, values, kinds_for(tags), links, names)
    if tags.get("description") and not mapped.error:
        mapped.fields["description"] = tags["description"][:20000]
    add_contact(mapped, tags.get("contact:phone") or tags.get("phone"), tags.get("contact:email") or tags.get("email"))
    return add_offer(mapped, offer_for(tags), wheelchair=tags.get("wheelchair", "") if tags.get("wheelchair") in
                     taxonomy.WHEELCHAIR else "", prices=tags.get("charge", ""))


def offer_for(tags):
    """Services and access from the tags of taxonomy.OSM_TAGS; a value it does not know is kept for review."""
    read = {}
    for tag, meanings in taxonomy.OSM_TAGS.items():
        value = tags.get(tag)
        if not value or value == "no" and tag != "fee":
            continue
        if value in meanings:
            vocabulary, code = meanings[value]
            read.setdefault(vocabulary, ([], []))[0].append(code)
        else:
            vocabulary = next(iter(meanings.values()))[0]
            read.setdefault(vocabulary, ([], []))[1].append(f"{tag}={value}")
    return read
