"""How the shared regional files' addresses resolve to communes (issue #15, item 4).

    .venv/bin/python bench/communes.py [--shared ../shared/data]

Reads each file of ../shared/data with its importer (no import: rows are only located), derives each
row's territory as an import would, and counts the commune checks: confirmed (the position agrees with the
declared commune), border (a few km apart: the position's commune stands), flagged (farther than 10 km:
to review), declared only (no position), derived only (no usable address), unknown; and how many declared
communes only the CEDEX and delegated-commune rules could read.
"""
import argparse
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")

FILES = [
    ("cget", "cget-mission-coworking-2019/cget_tierslieux_2019.csv", {}),
    ("mednum", "mednum-bfc-lieux-mediation-numerique/mednum_bfc_lieux.csv", {}),
    ("mednum", "mednum-hinaura-auvergne-rhone-alpes-2022/hinaura_lieux.csv", {}),
    ("mednum", "mednum-hub-du-sud-paca-2023/hub_du_sud_lieux_2023-05-16.csv", {}),
    ("geojson", "tierslieux-bretagne-maplabbzh/maplabbzh_2020-05-26.geojson", {}),
    ("fablabs-io", "fablabs-io-france-2017/fablabs_io_france_2017-04.csv", {}),
]
LABELS = {"agree": "confirmée", "differs": "frontière", "far": "signalée", "declared": "déclarée seule",
          "derived": "calculée seule", "unknown": "inconnue"}


def read_rule(index, postcode, town):
    """Which rule read a postal address: 'postcode' (as before), 'cedex', 'delegated' or None."""
    from tilios.territories.services import CEDEX, departement_of_postcode
    from tilios.text import search_text

    postcode = (postcode or "").strip()
    cid = index.commune_for_postcode(postcode, town)
    if cid is None:
        return None
    if postcode in index.by_postcode and cid in {c for c, _ in index.by_postcode[postcode]}:
        if any(text == search_text(CEDEX.sub(" ", town or "")) for c, text in index.by_postcode[postcode]):
            return "postcode"
    if postcode not in index.by_postcode:
        return "cedex"
    key = (departement_of_postcode(postcode), search_text(CEDEX.sub(" ", town or "")))
    return "delegated" if cid in index.by_former_name.get(key, ()) else "postcode"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder")
    shared = parser.parse_args().shared
    os.environ.setdefault("TILIOS_DATABASE_URL", f"sqlite:///{ROOT / 'bench' / 'out' / 'communes.sqlite3'}")
    import django

    django.setup()
    from importlib import import_module

    from django.core.management import call_command

    from tilios.places.models import Place
    from tilios.places.services import assign_territory
    from tilios.sources.services import READERS
    from tilios.territories.services import is_loaded, load_reference, locator

    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    call_command("migrate", verbosity=0)
    if not is_loaded():
        load_reference()
    index = locator()
    names = {f.name for f in Place._meta.concrete_fields}
    print(f"{'fichier':58} {'lignes':>6} " + " ".join(f"{v:>14}" for v in LABELS.values())
          + f" {'CEDEX':>6} {'déléguée':>8}")
    for kind, path, options in FILES:
        checks, rules, rows = Counter(), Counter(), 0
        for row in import_module(READERS[kind]).read(shared / path, **options):
            if row.error is not None:
                continue
            rows += 1
            fields = {k: v for k, v in row.fields.items() if k in names}
            place = assign_territory(Place(**fields))
            checks[place.commune_check] += 1
            if not place.declared_commune_code and (place.postcode or place.town):
                rules[read_rule(index, place.postcode, place.town)] += 1
        print(f"{path:58} {rows:6} " + " ".join(f"{checks[k]:5} ({100 * checks[k] / rows:4.1f} %)" for k in LABELS)
              + f" {rules['cedex']:6} {rules['delegated']:8}")


if __name__ == "__main__":
    main()
