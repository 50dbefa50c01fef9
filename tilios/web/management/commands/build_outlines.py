"""Regenerate the light base the map draws when tiles fail to load: département outlines and town labels.

Input: tilios/data/contours-france-geojson-2018/departements-version-simplifiee.geojson
(gregoiredavid/france-geojson, IGN Admin Express COG 2018, Licence Ouverte); the COG 2026 départements and
régions (their chefs-lieux) and the communes' centres and populations (geo.api.gouv.fr), Licence Ouverte.
Output: tilios/web/static/web/departements.geojson, simplified with shapely and rounded, and
tilios/web/static/web/towns.json: the préfectures and the cities of 100 000 inhabitants or more.
"""
import csv
import json

from django.conf import settings
from django.core.management.base import BaseCommand
from shapely.geometry import mapping, shape

SOURCE = settings.DATA_DIR / "contours-france-geojson-2018" / "departements-version-simplifiee.geojson"
TARGET = settings.BASE_DIR / "web" / "static" / "web" / "departements.geojson"
TOWNS = settings.BASE_DIR / "web" / "static" / "web" / "towns.json"
COG = settings.DATA_DIR / "cog-decoupage-administratif-2026"
CENTRES = settings.DATA_DIR / "communes-centres-geoapi-2025" / "communes_centres.csv"
CITY_POPULATION = 100_000
PROVENANCE = ("Contours des départements : IGN Admin Express COG 2018 via gregoiredavid/france-geojson, "
              "Licence Ouverte (Etalab) ; simplifiés pour Tilios")


def _round(coords, digits):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], digits), round(coords[1], digits)]
    return [_round(c, digits) for c in coords]


def build(tolerance=0.01, digits=3, source=SOURCE, target=TARGET):
    data = json.loads(source.read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        geom = shape(feature["geometry"]).simplify(tolerance, preserve_topology=True)
        geo = mapping(geom)
        features.append({"type": "Feature",
                         "properties": {"code": feature["properties"]["code"],
                                        "nom": feature["properties"]["nom"]},
                         "geometry": {"type": geo["type"], "coordinates": _round(geo["coordinates"], digits)}})
    features.sort(key=lambda f: f["properties"]["code"])
    out = {"type": "FeatureCollection", "attribution": PROVENANCE, "features": features}
    target.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return len(features), target.stat().st_size


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def build_towns(target=TOWNS):
    """Town labels: rank 1 for régions' chefs-lieux and cities of 100 000 or more, rank 2 for other préfectures
    (shown once zoomed in). Metropolitan France and overseas alike; positions rounded to 3 decimals."""
    centres = {row["code"]: row for row in _rows(CENTRES)}
    regional = {row["chefLieu"] for row in _rows(COG / "regions.csv")}
    prefectures = {row["chefLieu"] for row in _rows(COG / "departements.csv")}
    big = {code for code, row in centres.items() if int(row["population"] or 0) >= CITY_POPULATION}
    towns = []
    for code in sorted(regional | prefectures | big):
        row = centres.get(code)
        if row is None:
            continue
        rank = 1 if code in regional or code in big else 2
        towns.append({"name": row["nom"], "lat": round(float(row["lat"]), 3), "lon": round(float(row["lon"]), 3),
                      "rank": rank})
    target.write_text(json.dumps(towns, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return len(towns), target.stat().st_size


class Command(BaseCommand):
    help = ("Régénère le fond de carte hors ligne : contours des départements (web/static/web/departements.geojson) "
            "et noms des villes (web/static/web/towns.json)")

    def add_arguments(self, parser):
        parser.add_argument("--tolerance", type=float, default=0.01, help="tolérance de simplification (degrés)")
        parser.add_argument("--digits", type=int, default=3, help="décimales conservées")

    def handle(self, tolerance, digits, **options):
        count, size = build(tolerance, digits)
        self.stdout.write(f"{count} départements, {size / 1024:.0f} Ko → {TARGET}")
        count, size = build_towns()
        self.stdout.write(f"{count} villes, {size / 1024:.0f} Ko → {TOWNS}")
