"""The national base of the 2018 Mission Coworking (CGET), CSV as published in 2019."""

from . import MappedRow, RowError, csv_rows, parse_float, url_or_blank

REQUIRED_COLUMNS = ["ID", "NOM_TL", "ADRESSE", "CP", "COMINIT", "INSEECOM", "WEB", "TWITTER", "FACEBOOK",
                    "TYPO", "LAT", "LONG"]
TYPOLOGY = {
    "tiers lieux à dominante coworking": ["coworking"],
    "tiers lieux à dominante fablab": ["fablab"],
    "": [],
}
# Metropolitan France and the overseas départements, generously: a point outside is a typo
# or swapped coordinates.
FRANCE_BOXES = [(41.0, 51.5, -5.8, 10.0), (15.8, 16.6, -61.9, -60.9), (14.3, 15.0, -61.3, -60.7),
                (1.9, 6.0, -54.7, -51.5), (-21.5, -20.8, 55.1, 55.9), (-13.1, -12.5, 44.9, 45.4),
                (46.7, 47.2, -56.5, -56.1), (-23, -7, -155, -134), (-23, -19, 163, 169)]


def in_france(lat, lon):
    return any(s <= lat <= n and w <= lon <= e for s, n, w, e in FRANCE_BOXES)


def read(path):
    for line, row in csv_rows(path, REQUIRED_COLUMNS):
        yield map_row(line, row)


def map_row(line, row):
    raw = {k: v for k, v in row.items() if k is not None}
    mapped = MappedRow(line=line, external_id=(row.get("ID") or "").strip(), raw=raw)
    try:
        if None in row:
            raise RowError("*", "plus de valeurs que de colonnes")
        if not mapped.external_id:
            raise RowError("ID", "identifiant manquant")
        name = (row.get("NOM_TL") or "").strip()
        if not name:
            raise RowError("NOM_TL", "nom manquant")
        lat = parse_float(row, "LAT", "LAT", -90, 90)
        lon = parse_float(row, "LONG", "LONG", -180, 180)
        if not in_france(lat, lon):
            if in_france(lon, lat):
                raise RowError("LAT", "latitude et longitude semblent inversées", f"{lat}, {lon}")
            raise RowError("LAT", "coordonnées hors de France", f"{lat}, {lon}")
        typology = (row.get("TYPO") or "").strip().lower()
        if typology not in TYPOLOGY:
            raise RowError("TYPO", "typologie inconnue", row.get("TYPO"))
        postcode = (row.get("CP") or "").strip()
        insee = (row.get("INSEECOM") or "").strip()
        links = [{"kind": kind, "url": url_or_blank(row.get(col))}
                 for kind, col in (("web", "WEB"), ("twitter", "TWITTER"), ("facebook", "FACEBOOK"))]
        mapped.fields = {
            "name": name[:200],
            "address": (row.get("ADRESSE") or "").strip()[:300],
            "postcode": "" if postcode == "0" else postcode[:10],
            "town": (row.get("COMINIT") or "").strip()[:200],
            "declared_commune_code": "" if insee == "0" else insee[:5],
            "latitude": lat,
            "longitude": lon,
            "links": [link for link in links if link["url"]],
        }
        mapped.kinds = TYPOLOGY[typology]
    except RowError as exc:
        mapped.error = exc
    return mapped
