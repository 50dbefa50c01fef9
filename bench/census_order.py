"""Census counts at a grid of (valid on D, known on K) after importing real sources in a given order.

    PYTHONPATH=. TILIOS_VAR_DIR=$(mktemp -d) python bench/census_order.py cget maplab2016 maplab2020 fablabs

Starts from an empty database (territories only), imports the named files of ../shared/data with their
publication date as --known-on, and prints one JSON line: {order, counts: {definition: {"D K": n}}}."""
import datetime
import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MAPLAB = Path(__file__).resolve().parents[1] / "tilios" / "data" / "maplabbzh" / "maplabbzh.json"
# name -> (format, file, source, publication date)
IMPORTS = {
    "cget": ("cget", "cget-mission-coworking-2019/cget_tierslieux_2019.csv", "cget-mission-coworking-2019",
             datetime.date(2019, 6, 13)),
    "maplab2016": ("csv", "tierslieux-bretagne-maplabbzh/maplabbzh_2016-08-26.csv", "maplabbzh",
                   datetime.date(2016, 8, 26)),
    "maplab2020": ("csv", "tierslieux-bretagne-maplabbzh/maplabbzh_2020-05-26.csv", "maplabbzh",
                   datetime.date(2020, 5, 26)),
    "fablabs": ("fablabs-io", "fablabs-io-france-2017/fablabs_io_france_2017-04.csv", "fablabs-io",
                datetime.date(2017, 4, 26)),
    "bfc": ("mednum", "mednum-bfc-lieux-mediation-numerique/mednum_bfc_lieux.csv", "mednum-bfc",
            datetime.date(2022, 5, 17)),
    "hinaura": ("mednum", "mednum-hinaura-auvergne-rhone-alpes-2022/hinaura_lieux.csv", "mednum-hinaura",
                datetime.date(2022, 9, 30)),
    "hubdusud": ("mednum", "mednum-hub-du-sud-paca-2023/hub_du_sud_lieux_2023-05-16.csv", "mednum-hub-du-sud",
                 datetime.date(2023, 5, 16)),
}
GRID = [(datetime.date(*d), datetime.date(*k)) for d, k in [
    ((2016, 9, 1), (2016, 9, 1)), ((2016, 9, 1), (2025, 1, 1)), ((2017, 12, 31), (2017, 12, 31)),
    ((2018, 12, 31), (2018, 12, 31)), ((2018, 12, 31), (2025, 1, 1)), ((2020, 12, 31), (2020, 12, 31)),
    ((2025, 1, 1), (2025, 1, 1))]]


def run_import(name):
    from tilios.sources.services import run_import as import_file

    kind, path, source, known_on = IMPORTS[name]
    return import_file(kind, DATA / path, source=source, known_on=known_on,
                       mapping=MAPLAB if kind == "csv" else None)


def grid_counts():
    from tilios.census import services
    from tilios.census.models import CensusDefinition

    out = {}
    for definition in CensusDefinition.objects.order_by("slug", "-version").distinct():
        key = definition.ref
        cells = {}
        for d, k in GRID:
            result = services.count(definition, d, k)
            cells[f"{d} {k}"] = [result.total, getattr(result, "possible", None)]
        out[key] = cells
    return out


if __name__ == "__main__":
    from tilios.territories.services import is_loaded, load_reference

    call_command("migrate", verbosity=0)
    if not is_loaded():
        load_reference()
    for name in sys.argv[1:]:
        run_import(name)
    print(json.dumps({"order": sys.argv[1:], "counts": grid_counts()}))
