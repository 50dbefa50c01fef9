"""The hand-labelled entity-resolution pairs (tests/data/er_pairs.csv, see er_pairs.md) are well formed and
point at records the project's readers really find in ../shared/data, under the same names and distances."""
import csv
import importlib
import math
from collections import Counter
from pathlib import Path

DATA = Path(__file__).parent / "data"
PAIRS = DATA / "er_pairs.csv"
COLUMNS = ["source_a", "id_a", "source_b", "id_b", "label", "why", "name_a", "name_b", "distance_m"]
LABELS = {"same", "distinct", "unsure"}
MAPLAB_MAPPING = Path(__file__).resolve().parents[1] / "tilios" / "data" / "maplabbzh" / "maplabbzh.json"
# source slug -> (reader module, files under ../shared/data, read with the MapLab mapping?)
FILES = {
    "cget-mission-coworking-2019": ("cget", ["cget-mission-coworking-2019/cget_tierslieux_2019.csv"], False),
    "fablabs-io": ("fablabs_io", ["fablabs-io-france-2017/fablabs_io_france_2017-04.csv"], False),
    "maplabbzh": ("csv_mapping", ["tierslieux-bretagne-maplabbzh/maplabbzh_2016-08-26.csv",
                                  "tierslieux-bretagne-maplabbzh/maplabbzh_2020-05-26.csv"], True),
    "mednum-bfc": ("mednum", ["mednum-bfc-lieux-mediation-numerique/mednum_bfc_lieux.csv"], False),
    "mednum-hinaura": ("mednum", ["mednum-hinaura-auvergne-rhone-alpes-2022/hinaura_lieux.csv"], False),
    "mednum-hub-du-sud": ("mednum", ["mednum-hub-du-sud-paca-2023/hub_du_sud_lieux_2023-05-16.csv"], False),
}


def pairs():
    with open(PAIRS, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_pairs_are_well_formed():
    from tilios.sources.catalogue import entries

    shipped = {e["slug"] for e in entries()}

    rows = pairs()
    assert len(rows) >= 400
    labels = Counter(r["label"] for r in rows)
    assert set(labels) <= LABELS and labels["same"] >= 150 and labels["distinct"] >= 150
    assert labels["unsure"] <= 0.05 * len(rows)
    seen = set()
    for r in rows:
        assert r["source_a"] in FILES and r["source_b"] in FILES and set(FILES) <= shipped, r
        assert r["id_a"].strip() == r["id_a"] != "" and r["id_b"].strip() == r["id_b"] != "", r
        a, b = (r["source_a"], r["id_a"]), (r["source_b"], r["id_b"])
        assert a != b, r
        key = frozenset((a, b))
        assert key not in seen, f"pair listed twice: {r}"
        seen.add(key)
        assert r["why"].strip() and r["name_a"].strip() and r["name_b"].strip(), r
        assert r["distance_m"] == "" or (r["distance_m"].isdigit()), r
    combos = Counter(frozenset((r["source_a"], r["source_b"])) for r in rows)
    for needed in [("cget-mission-coworking-2019", "maplabbzh"), ("cget-mission-coworking-2019", "fablabs-io"),
                   ("fablabs-io", "maplabbzh"), ("maplabbzh", "maplabbzh"), ("mednum-hub-du-sud", "mednum-hub-du-sud"),
                   ("cget-mission-coworking-2019", "mednum-bfc"), ("mednum-bfc", "mednum-bfc")]:
        assert combos[frozenset(needed)] >= 20, needed


def haversine_m(p, q):
    lat1, lon1, lat2, lon2 = map(math.radians, (*p, *q))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(min(1.0, h)))


def read_all(shared_data):
    """(source, id) -> list of (name, point) versions, as the importers' readers see them."""
    found = {}
    for slug, (module, paths, with_mapping) in FILES.items():
        reader = importlib.import_module(f"tilios.sources.importers.{module}").read
        for path in paths:
            rows = reader(shared_data / path, mapping=MAPLAB_MAPPING) if with_mapping else reader(shared_data / path)
            for row in rows:
                if row.error is None:
                    f = row.fields
                    point = None if f.get("latitude") is None else (f["latitude"], f["longitude"])
                    found.setdefault((slug, row.external_id), []).append((f["name"], point))
    return found


def test_every_pair_points_at_records_the_readers_find(shared_data):
    found = read_all(shared_data)
    problems = []
    for r in pairs():
        versions = []
        for side in "ab":
            key = (r[f"source_{side}"], r[f"id_{side}"])
            if key not in found:
                problems.append(f"{key} not read from ../shared/data")
                continue
            if r[f"name_{side}"] not in {name for name, _ in found[key]}:
                problems.append(f"{key}: name {r[f'name_{side}']!r} not among {found[key]}")
            versions.append([p for _, p in found[key] if p])
        if len(versions) == 2:
            distances = [haversine_m(p, q) for p in versions[0] for q in versions[1]]
            expected = str(round(min(distances))) if distances else ""
            if r["distance_m"] != expected and not (expected and abs(int(r["distance_m"] or -9) - int(expected)) <= 1):
                problems.append(f"{r['source_a']}:{r['id_a']} ~ {r['source_b']}:{r['id_b']}: distance "
                                f"{r['distance_m']} != {expected}")
    assert not problems, problems[:10]
