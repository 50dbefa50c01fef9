"""A GeoJSON FeatureCollection of points (e.g. the #MapLabBZH map of Breton fablabs and tiers-lieux).

Coordinates come from the geometry; properties are found under their usual names (nom/name/title,
adresse, code postal, ville, type, site/url…). Rows are numbered by feature: « ligne N » in an error
means the N-th feature of the collection (counted from 1).
"""
import json

from . import FileError, MappedRow, RowError, read_text
from .csv_mapping import build, links_from

LINE_LABEL = "entité"
PROPERTIES = {
    "id": ["id", "identifiant", "@id", "uid"],
    "name": ["nom", "name", "title", "titre", "nom_structure", "Nom", "NAME"],
    "address": ["adresse", "address", "addr", "Adresse"],
    "postcode": ["code_postal", "cp", "code postal", "postcode", "postal_code", "CP"],
    "town": ["ville", "commune", "city", "town", "Ville"],
    "commune_code": ["code_insee", "insee", "INSEE", "insee_com"],
    "type": ["type", "structure", "kind", "categorie", "catégorie", "typologie"],
    "web": ["site", "url", "web", "website", "site_web", "site web"],
    "opening_hours": ["opening_hours", "horaires_osm"],
}
# Words a source uses for the kind of a place -> taxonomy codes (taxonomy codes themselves also work).
TYPE_KINDS = {
    "fablab": ["fablab"], "fablabmit": ["fablab"], "makerspace": ["fablab"], "fab lab": ["fablab"],
    "hackerspace": ["hackerspace"], "hakerspace": ["hackerspace"],
    "coworking": ["coworking"], "cantine": ["coworking"],
    "usages": ["epn"], "epn": ["epn"], "médiation numérique": ["epn"],
    "tierslieu": ["autre"], "tiers-lieu": ["autre"], "tiers lieu": ["autre"],
    "repair café": ["repair-cafe"], "living lab": ["living-lab"], "livinglab": ["living-lab"],
}
KNOWN_CODES = {"coworking", "fablab", "hackerspace", "living-lab", "epn", "telecentre", "friche-culturelle",
               "atelier-partage", "tiers-lieu-nourricier", "campus-connecte", "repair-cafe", "autre"}


def _pick(props, key):
    for name in PROPERTIES[key]:
        if name in props and props[name] not in (None, ""):
            return name, props[name]
    return PROPERTIES[key][0], None


def kinds_for(value):
    kinds = []
    for part in str(value or "").replace(",", ";").split(";"):
        word = part.strip().lower()
        kinds += [word] if word in KNOWN_CODES else TYPE_KINDS.get(word, [])
    return kinds


def load(path):
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(f"JSON illisible ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}") from exc
    return data


def read(path):
    data = load(path)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise FileError("GeoJSON : une FeatureCollection (avec une liste « features ») est attendue")
    for index, feature in enumerate(data["features"], start=1):
        yield map_feature(index, feature)


def map_feature(index, feature):
    if not isinstance(feature, dict):
        mapped = MappedRow(line=index, external_id="", raw={"feature": feature})
        mapped.error = RowError("feature", f"entité n° {index} : un objet Feature est attendu")
        return mapped
    props = feature.get("properties") or {}
    geometry = feature.get("geometry") or {}
    raw = {"properties": props, "geometry": geometry, "id": feature.get("id")}
    id_name, external_id = _pick(props, "id")
    if external_id is None:
        external_id = feature.get("id")
    values = {}
    names = {"id": id_name}
    for key in ("name", "address", "postcode", "town", "commune_code", "opening_hours"):
        names[key], values[key] = _pick(props, key)
    if values["commune_code"] is None:
        del values["commune_code"]
    if values["opening_hours"] is None:
        del values["opening_hours"]
    try:
        if geometry:
            if geometry.get("type") != "Point":
                raise RowError("geometry", f"un point est attendu, pas {geometry.get('type')}")
            coords = geometry.get("coordinates")
            if not isinstance(coords, list) or len(coords) < 2:
                raise RowError("geometry", "coordonnées illisibles", str(coords)[:80])
            values["longitude"], values["latitude"] = coords[0], coords[1]
    except RowError as exc:
        mapped = MappedRow(line=index, external_id=str(external_id or ""), raw=raw, error=exc)
        return mapped
    names.update(latitude="geometry.coordinates[1]", longitude="geometry.coordinates[0]")
    _, kind_value = _pick(props, "type")
    _, web = _pick(props, "web")
    mapped = build(index, external_id, raw, values, kinds_for(kind_value), links_from([("web", web)]), names)
    if mapped.error is not None:
        mapped.error.reason = f"{mapped.error.reason} (entité n° {index})"
    return mapped
