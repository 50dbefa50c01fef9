"""Regenerate the light département outlines the map always draws (tiles may fail to load).

Input: tilios/data/contours-france-geojson-2018/departements-version-simplifiee.geojson
(gregoiredavid/france-geojson, IGN Admin Express COG 2018, Licence Ouverte).
Output: tilios/web/static/web/departements.geojson, simplified with shapely and rounded.
"""
import json

from django.conf import settings
from django.core.management.base import BaseCommand
from shapely.geometry import mapping, shape

SOURCE = settings.DATA_DIR / "contours-france-geojson-2018" / "departements-version-simplifiee.geojson"
TARGET = settings.BASE_DIR / "web" / "static" / "web" / "departements.geojson"
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


class Command(BaseCommand):
    help = "Régénère le fond des départements de la carte (web/static/web/departements.geojson)"

    def add_arguments(self, parser):
        parser.add_argument("--tolerance", type=float, default=0.01, help="tolérance de simplification (degrés)")
        parser.add_argument("--digits", type=int, default=3, help="décimales conservées")

    def handle(self, tolerance, digits, **options):
        count, size = build(tolerance, digits)
        self.stdout.write(f"{count} départements, {size / 1024:.0f} Ko → {TARGET}")
