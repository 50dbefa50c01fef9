"""Entity resolution on the real shared files against the hand-labelled pairs of tests/data/er_pairs.csv.

    .venv/bin/python bench/er_real.py [--errors]

Prints precision / recall / F1 of automatic merges, recall of automatic + review queue, the queue size,
and with --errors every missed or wrongly merged labelled pair with both names.
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")
DATA = ROOT.parent / "shared" / "data"
MAPLAB = DATA / "tierslieux-bretagne-maplabbzh"
MAPLAB_MAPPING = ROOT / "tilios" / "data" / "maplabbzh" / "maplabbzh.json"
LABELS = ROOT / "tests" / "data" / "er_pairs.csv"

FILES = [
    ("cget-mission-coworking-2019", "cget", DATA / "cget-mission-coworking-2019" / "cget_tierslieux_2019.csv", {}),
    ("fablabs-io", "fablabs-io", DATA / "fablabs-io-france-2017" / "fablabs_io_france_2017-04.csv", {}),
    ("maplabbzh", "csv", MAPLAB / "maplabbzh_2016-08-26.csv", {"mapping": MAPLAB_MAPPING}),
    ("maplabbzh", "csv", MAPLAB / "maplabbzh_2020-05-26.csv", {"mapping": MAPLAB_MAPPING}),
    ("mednum-bfc", "mednum", DATA / "mednum-bfc-lieux-mediation-numerique" / "mednum_bfc_lieux.csv", {}),
    ("mednum-hinaura", "mednum", DATA / "mednum-hinaura-auvergne-rhone-alpes-2022" / "hinaura_lieux.csv", {}),
    ("mednum-hub-du-sud", "mednum", DATA / "mednum-hub-du-sud-paca-2023" / "hub_du_sud_lieux_2023-05-16.csv", {}),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--errors", action="store_true", help="list missed and wrongly merged pairs")
    args = parser.parse_args()
    os.environ.setdefault("TILIOS_DATABASE_URL", f"sqlite:///{ROOT / 'bench' / 'out' / 'er_real.sqlite3'}")
    import django

    django.setup()
    from django.core.management import call_command

    from tilios.sources.evaluation import evaluate, read_entries, read_labels, summary
    from tilios.territories.services import is_loaded, load_reference

    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    call_command("migrate", verbosity=0)  # the commune reference tells records geocoded to their town
    if not is_loaded():
        load_reference()

    entries = read_entries(FILES)
    names = {e.key: e.name for e in entries}
    start = time.perf_counter()
    scores = evaluate(entries, read_labels(LABELS))
    elapsed = time.perf_counter() - start
    print(f"{len(entries)} enregistrements, appariement en {elapsed:.2f} s")
    print(summary(scores))
    if args.errors:
        for kind, a, b in scores.errors:
            print(f"{kind:12} {a[0]}:{a[1]} « {names.get(a)} »  ↔  {b[0]}:{b[1]} « {names.get(b)} »")


if __name__ == "__main__":
    main()
