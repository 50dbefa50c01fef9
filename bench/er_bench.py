"""Benchmark for issue #4: entity resolution of place records, Tilios against splink 5 (DuckDB backend).

    .venv/bin/python -m pip install -r bench/requirements.txt      # splink, duckdb (benchmark only)
    .venv/bin/python bench/er_bench.py                             # 10⁵ records, both sides
    .venv/bin/python bench/er_bench.py --n 10000 --only splink     # quicker, one side

One process, one data set (bench/er_synthetic.py, seeded), both matchers timed on it in turn:

- splink 5 on DuckDB: names normalised in Python (tilios.text.search_tokens, stop words and legal forms
  dropped), blocking on commune / postcode with alike names, on 500 m grid cells (two shifted grids),
  on the same normalised name anywhere and on a shared website / e-mail / phone; comparisons: name
  (exact with term frequencies, Jaro-Winkler levels on the name and on its sorted words, word overlap),
  one combined location comparison (same address nearby, distance levels, else same commune or
  postcode), website, e-mail, phone exact. u by random sampling, m by EM on two blocks, λ from
  deterministic rules; predict, then splink's connected components at 0.5. Timed: registration,
  normalisation, training, prediction, clustering. The best-F1 threshold over a sweep (an oracle: it
  reads the truth) is reported as splink's upper bound.
- Tilios: `tilios.sources.matching.find_pairs` on `Entry` values, then `clusters` of the « auto »
  pairs (precision, recall, F1) and of « auto » + « review » (the recall that matters: every true
  duplicate should be merged or queued).

Metrics are pairwise over clusters: a predicted pair is two records in one predicted cluster; a true
pair, two records of one entity. Recall is also broken down by the noise the generator applied to the
records of each true pair, and false positives by hard-negative trap. Results: a Markdown table on
stdout and JSON in --out (bench/out/er.json by default). See bench/README.md.
"""
import argparse
import datetime as dt
import json
import logging
import os
import platform
import re
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import er_synthetic  # noqa: E402

from tilios.text import fold, search_tokens  # noqa: E402  (pure Python, no Django needed)

OUT = ROOT / "bench" / "out"
SPLINK_THRESHOLD = 0.5
NAME_TAGS = ("accents", "case", "punct", "abbrev", "word_order", "typo", "word_drop", "word_add")


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


# --- Memory: peak resident set size while a phase runs -----------------------------------------------------

class PeakRSS:
    """Samples /proc/self/statm every 20 ms; `peak_mb` is the largest RSS seen during the `with` block."""

    def __init__(self):
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.peak = self.start = 0
        self._stop = threading.Event()

    def rss(self):
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self.page

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.rss())

    def __enter__(self):
        self.start = self.peak = self.rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())

    @property
    def peak_mb(self):
        return round(self.peak / 2**20)

    @property
    def growth_mb(self):
        return round((self.peak - self.start) / 2**20)


# --- Truth and metrics ---------------------------------------------------------------------------------------

class Truth:
    def __init__(self, records):
        self.records = records
        self.index = {r["record_id"]: i for i, r in enumerate(records)}
        self.entity = [r["entity_id"] for r in records]
        self.pairs = sorted((self.index[a], self.index[b]) for a, b in er_synthetic.true_pairs(records))
        self.pair_classes = [self.classes(i, j) for i, j in self.pairs]

    def classes(self, i, j):
        """Noise classes of a true pair: the tags of both records, plus a few derived from the pair."""
        a, b = self.records[i], self.records[j]
        tags = set(a["noise"]) | set(b["noise"])
        if not tags & set(NAME_TAGS):
            tags.add("name_unchanged")
        shared = any(_norm_id(k, a[k]) and _norm_id(k, a[k]) == _norm_id(k, b[k])
                     for k in ("website", "email", "phone"))
        tags.add("shares_an_identifier" if shared else "no_shared_identifier")
        if a["latitude"] is not None and b["latitude"] is not None:
            d = er_synthetic.distance_m(a["latitude"], a["longitude"], b["latitude"], b["longitude"])
            tags.add("distance>1km" if d > 1000 else "distance≤150m" if d <= 150 else "distance150m-1km")
        name_noise = tags & set(NAME_TAGS)
        if len(name_noise) == 1:
            tags.add("only_name_noise:" + next(iter(name_noise)))
        if a["hard"] or b["hard"]:
            tags.add("in_a_trap:" + (a["hard"] or b["hard"]).split(":")[0])
        tags.add("name_type:" + a["name_type"])
        tags.add("all")
        return tags

    def cluster_labels(self, clusters):
        """Record index → cluster number (singletons get their own)."""
        label = list(range(len(self.records)))
        next_label = len(self.records)
        for cluster in clusters:
            members = [self.index[k] for k in cluster]
            for m in members:
                label[m] = next_label
            next_label += 1
        return label

    def score_clusters(self, clusters):
        label = self.cluster_labels(clusters)
        groups = defaultdict(list)
        for i, lab in enumerate(label):
            groups[lab].append(i)
        predicted = tp = 0
        fp_kinds = Counter()
        for members in groups.values():
            n = len(members)
            if n < 2:
                continue
            predicted += n * (n - 1) // 2
            per_entity = Counter(self.entity[m] for m in members)
            tp += sum(c * (c - 1) // 2 for c in per_entity.values())
            if n <= 300:
                for x in range(n):
                    for y in range(x + 1, n):
                        a, b = members[x], members[y]
                        if self.entity[a] != self.entity[b]:
                            fp_kinds[self.fp_kind(a, b)] += 1
            else:
                fp_kinds["in a cluster of > 300 records"] += n * (n - 1) // 2 - sum(
                    c * (c - 1) // 2 for c in per_entity.values())
        found = [label[i] == label[j] for i, j in self.pairs]
        return _prf(tp, predicted, len(self.pairs)) | {
            "clusters_of_2_or_more": sum(1 for m in groups.values() if len(m) > 1),
            "largest_cluster": max((len(m) for m in groups.values()), default=0),
            "false_positives_by_kind": dict(fp_kinds.most_common()),
        }, found

    def score_pairs(self, pairs):
        """Pair-level (no transitive closure): share of true pairs proposed as a pair."""
        proposed = set()
        for a, b in pairs:
            i, j = self.index[a], self.index[b]
            proposed.add((i, j) if i < j else (j, i))
        tp = sum(1 for p in self.pairs if p in proposed)
        found = [p in proposed for p in self.pairs]
        return _prf(tp, len(proposed), len(self.pairs)), found

    def fp_kind(self, a, b):
        ra, rb = self.records[a], self.records[b]
        if ra["hard"] and ra["hard"] == rb["hard"]:
            return "trap: " + ra["hard"].split(":")[0]
        if ra["latitude"] is not None and rb["latitude"] is not None:
            d = er_synthetic.distance_m(ra["latitude"], ra["longitude"], rb["latitude"], rb["longitude"])
            if d <= 300:
                return "other: ≤ 300 m apart"
        if fold(ra["name"]) == fold(rb["name"]):
            return "other: same name"
        if ra["commune_code"] and ra["commune_code"] == rb["commune_code"]:
            return "other: same commune"
        return "other"

    def recall_by_class(self, found):
        total, hit = Counter(), Counter()
        for classes, ok in zip(self.pair_classes, found):
            for c in classes:
                total[c] += 1
                hit[c] += ok
        return {c: {"pairs": total[c], "recall": round(hit[c] / total[c], 4)} for c in total}

    def missed_examples(self, found, k=12):
        out = []
        for (i, j), ok in zip(self.pairs, found):
            if not ok:
                a, b = self.records[i], self.records[j]
                out.append({key: [a[key], b[key]] for key in
                            ("name", "latitude", "longitude", "address", "postcode", "town", "commune_code",
                             "website", "email", "phone", "noise")})
                if len(out) >= k:
                    break
        return out


def _prf(tp, predicted, actual):
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"predicted_pairs": predicted, "true_positives": tp, "false_positives": predicted - tp,
            "false_negatives": actual - tp, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}


def _norm_id(kind, value):
    value = (value or "").strip().lower()
    if not value:
        return ""
    if kind == "phone":
        digits = "".join(c for c in value if c.isdigit())
        if digits.startswith("33") and len(digits) == 11:
            digits = "0" + digits[2:]
        return digits if len(digits) == 10 else ""
    if kind == "website":
        value = value.split("://", 1)[-1].removeprefix("www.").split("#")[0].rstrip("/")
        host, _, path = value.partition("/")
        if host in ("facebook.com", "fb.com", "instagram.com", "linkedin.com", "twitter.com") and path:
            return host + "/" + path.split("/")[0]
        return host
    return value if "@" in value else ""


# --- splink ----------------------------------------------------------------------------------------------------

STOP = {"de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en", "sur", "sous"}
LEGAL = {"association", "asso", "assoc", "scic", "sas", "sarl", "scop", "sa", "eurl"}


def splink_rows(records):
    """The records as splink input columns (normalisation is part of splink's timed pipeline)."""
    columns = defaultdict(list)
    for r in records:
        words = [w for w in search_tokens(r["name"]) if w not in STOP and w not in LEGAL]
        name = " ".join(words) or None
        street = " ".join(w for w in search_tokens(r["address"]) if w not in STOP) or None
        lat, lon = r["latitude"], r["longitude"]
        columns["unique_id"].append(r["record_id"])
        columns["name_norm"].append(name)
        columns["name_sorted"].append(" ".join(sorted(set(words))) or None)
        columns["name_first"].append(words[0][:4] if words else None)
        columns["address_norm"].append(street)
        columns["postcode"].append(r["postcode"] or None)
        columns["commune_code"].append(r["commune_code"] or None)
        columns["latitude"].append(lat)
        columns["longitude"].append(lon)
        # 0.005° grid cells (~550 m × 380 m), and a second grid shifted by half a cell.
        columns["cell"].append(None if lat is None else f"{int((lat + 90) // 0.005)}:{int((lon + 180) // 0.005)}")
        columns["cell2"].append(None if lat is None else
                                f"{int((lat + 90.0025) // 0.005)}:{int((lon + 180.0025) // 0.005)}")
        for key in ("website", "email", "phone"):
            columns[key].append(_norm_id(key, r[key]) or None)
    return columns


def splink_settings():
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    jw = ("greatest(jaro_winkler_similarity(name_norm_l, name_norm_r), "
          "jaro_winkler_similarity(name_sorted_l, name_sorted_r))")
    overlap = ("len(list_intersect(str_split(name_norm_l, ' '), str_split(name_norm_r, ' '))) * 1.0 / "
               "greatest(1, least(len(str_split(name_norm_l, ' ')), len(str_split(name_norm_r, ' '))))")
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_norm"),
            cll.ExactMatchLevel("name_norm", term_frequency_adjustments=True),
            cll.CustomLevel(f"{jw} >= 0.96", "Jaro-Winkler ≥ 0.96 (name or sorted words)"),
            cll.CustomLevel(f"{jw} >= 0.90", "Jaro-Winkler ≥ 0.90"),
            cll.CustomLevel(f"{overlap} >= 0.99", "all words of the shorter name in the other"),
            cll.CustomLevel(f"{jw} >= 0.80", "Jaro-Winkler ≥ 0.80"),
            cll.ElseLevel(),
        ],
    )
    km = ("(2 * 6371.0088 * asin(sqrt(pow(sin(radians(latitude_r - latitude_l) / 2), 2) + "
          "cos(radians(latitude_l)) * cos(radians(latitude_r)) * "
          "pow(sin(radians(longitude_r - longitude_l) / 2), 2))))")
    located = "latitude_l is not null and latitude_r is not null"
    same_area = ("(commune_code_l = commune_code_r or postcode_l = postcode_r)")
    location = cl.CustomComparison(
        output_column_name="location",
        comparison_levels=[
            cll.CustomLevel(
                f"not ({located}) and (commune_code_l is null or commune_code_r is null) "
                "and (postcode_l is null or postcode_r is null) "
                "and (address_norm_l is null or address_norm_r is null)", "nothing to compare").configure(
                is_null_level=True),
            cll.CustomLevel(f"address_norm_l = address_norm_r and (({located} and {km} <= 0.3) or "
                            f"(not ({located}) and {same_area}))", "same address, ≤ 300 m or same commune"),
            cll.CustomLevel(f"{located} and {km} <= 0.05", "≤ 50 m"),
            cll.CustomLevel(f"{located} and {km} <= 0.2", "≤ 200 m"),
            cll.CustomLevel(f"{located} and {km} <= 1", "≤ 1 km"),
            cll.CustomLevel(f"({located} and {km} <= 5) or {same_area}", "≤ 5 km or same commune / postcode"),
            cll.ElseLevel(),
        ],
    )
    name_alike = ("(jaro_winkler_similarity(l.name_norm, r.name_norm) >= 0.75 or "
                  "jaro_winkler_similarity(l.name_sorted, r.name_sorted) >= 0.75 or l.name_first = r.name_first)")
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[name, location, cl.ExactMatch("website"), cl.ExactMatch("email"), cl.ExactMatch("phone")],
        blocking_rules_to_generate_predictions=[
            f"l.commune_code = r.commune_code and {name_alike}",
            f"l.postcode = r.postcode and {name_alike}",
            block_on("cell"),
            block_on("cell2"),
            block_on("name_norm"),
            block_on("website"),
            block_on("email"),
            block_on("phone"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def run_splink(records, truth, seed, u_pairs, em_blocks=("phone", "postcode"), em_max_pairs=2e6):
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI, Linker, block_on

    timings = {}
    t0 = time.perf_counter()
    table = pa.table(splink_rows(records))
    timings["normalise"] = time.perf_counter() - t0

    t = time.perf_counter()
    con = duckdb.connect()
    db_api = DuckDBAPI(con)
    sdf = db_api.register(table, dataset_display_name="records")
    linker = Linker(sdf, splink_settings(), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        ["l.name_norm = r.name_norm and l.commune_code = r.commune_code",
         "l.phone = r.phone and l.name_first = r.name_first",
         "l.website = r.website and l.name_first = r.name_first"], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    # m by EM, on blocks that leave each comparison free in at least one session: on a shared phone
    # (trains name and location), on the postcode (trains name and the identifiers).
    for column in em_blocks:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(column), max_pairs=em_max_pairs)
    timings["train"] = time.perf_counter() - t

    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    timings["predict"] = time.perf_counter() - t

    t = time.perf_counter()
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=SPLINK_THRESHOLD)
    rows = con.sql(f"select cluster_id, unique_id from {clustered.physical_name}").fetchall()
    groups = defaultdict(set)
    for cluster_id, uid in rows:
        groups[cluster_id].add(uid)
    clusters = [g for g in groups.values() if len(g) > 1]
    timings["cluster"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

    scored = con.sql(f"select unique_id_l, unique_id_r, match_probability from {predictions.physical_name}").fetchall()
    params = {
        "probability_two_random_records_match": linker._settings_obj._probability_two_random_records_match,
        "scored_pairs_over_0.01": len(scored),
        "blocked_pairs": _blocked_count(linker),
    }
    con.close()
    return clusters, scored, timings, params


def _blocked_count(linker):
    """Comparisons generated by the prediction blocking rules (exact count, after the timed part)."""
    try:
        records = linker.blocking_analysis.count_comparisons_from_blocking_rules(record_sample_proportion=1.0)
        last = records[-1]
        return last["cumulative_comparison_count"] if isinstance(last, dict) else last.cumulative_comparison_count
    except Exception as exc:  # informative only
        return f"not counted: {exc}"


def threshold_sweep(scored, truth):
    """Cluster F1 at every threshold: union-find over pairs by decreasing probability (the oracle)."""
    index = truth.index
    parent = list(range(len(truth.records)))
    size = [1] * len(parent)
    members = [Counter({truth.entity[i]: 1}) for i in range(len(parent))]
    actual = len(truth.pairs)

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    predicted = tp = 0
    best = {"f1": 0.0}
    curve = []
    marks = {0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01}
    scored = sorted(scored, key=lambda s: -s[2])
    k = 0
    while k < len(scored):
        p = scored[k][2]
        while k < len(scored) and scored[k][2] == p:  # ties merge together
            a, b = find(index[scored[k][0]]), find(index[scored[k][1]])
            if a != b:
                if size[a] < size[b]:
                    a, b = b, a
                predicted += size[a] * size[b]
                tp += sum(c * members[a].get(e, 0) for e, c in members[b].items())
                parent[b] = a
                size[a] += size[b]
                members[a].update(members[b])
                members[b] = None
            k += 1
        m = _prf(tp, predicted, actual)
        if m["f1"] > best["f1"]:
            best = m | {"threshold": round(p, 6)}
        next_p = scored[k][2] if k < len(scored) else -1
        for mark in list(marks):
            if next_p < mark <= p:
                curve.append(m | {"threshold": mark})
                marks.discard(mark)
    curve.sort(key=lambda m: -m["threshold"])
    return best, curve


def clusters_at(scored, threshold, truth):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, p in scored:
        if p >= threshold:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[rb] = ra
    groups = defaultdict(set)
    for x in list(parent):
        groups[find(x)].add(x)
    return [g for g in groups.values() if len(g) > 1]


# --- Tilios -------------------------------------------------------------------------------------------------

def commune_centres():
    """The commune centres of the bundled reference: what the importer's locator knows too."""
    import csv

    from er_synthetic import CENTRES

    from tilios.sources.entries import PointSet

    with open(CENTRES, newline="", encoding="utf-8") as f:
        return PointSet((float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f) if r["lat"])


def run_tilios(records):
    from tilios.sources.entries import Entry
    from tilios.sources.matching import clusters, find_pairs

    timings = {}
    t0 = time.perf_counter()
    centres = commune_centres()
    entries = [Entry(r["record_id"], r["name"], latitude=r["latitude"], longitude=r["longitude"],
                     address=r["address"], postcode=r["postcode"], town=r["town"], commune_code=r["commune_code"],
                     website=r["website"], email=r["email"], phone=r["phone"],
                     approximate=centres.near(r["latitude"], r["longitude"])) for r in records]
    pairs = find_pairs(entries)
    timings["find_pairs"] = time.perf_counter() - t0
    t = time.perf_counter()
    auto = clusters(pairs, decisions=("auto",))
    timings["cluster"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    both = clusters(pairs, decisions=("auto", "review"))
    return pairs, auto, both, timings


def _reason_key(reason):
    """A reason without its figures and quoted names, to count reasons across pairs."""
    return re.sub(r"\d+([,.]\d+)?", "N", re.sub(r"«[^»]*»", "«…»", reason))


def tilios_diagnostics(pairs, truth):
    """Where the true pairs went (auto, review, nowhere) and why, from the pairs' own reasons."""
    decided = {}
    for p in pairs:
        i, j = truth.index[p.a], truth.index[p.b]
        decided[(i, j) if i < j else (j, i)] = p
    outcome_by_class = defaultdict(Counter)
    review_reasons, fp_reasons, review_scores = Counter(), Counter(), Counter()
    not_proposed, review_examples = [], []
    for (i, j), classes in zip(truth.pairs, truth.pair_classes):
        p = decided.get((i, j))
        outcome = p.decision if p else "not proposed"
        for c in classes:
            outcome_by_class[c][outcome] += 1
        if p and p.decision == "review":
            review_scores[f"{min(p.score, 0.9999) // 0.1 / 10:.1f}"] += 1
            for r in p.reasons:
                review_reasons[_reason_key(r)] += 1
            if len(review_examples) < 15:
                review_examples.append(_pair_example(truth, i, j, p))
        elif not p and len(not_proposed) < 15:
            not_proposed.append(_pair_example(truth, i, j, None))
    false_auto = []
    for p in pairs:
        if p.decision == "auto" and truth.entity[truth.index[p.a]] != truth.entity[truth.index[p.b]]:
            for r in p.reasons:
                fp_reasons[_reason_key(r)] += 1
            if len(false_auto) < 15:
                false_auto.append(_pair_example(truth, truth.index[p.a], truth.index[p.b], p))
    return {
        "true_pairs_outcome_by_class": {c: dict(o) for c, o in outcome_by_class.items()},
        "true_pairs_in_review_by_score": dict(sorted(review_scores.items())),
        "reasons_of_true_pairs_left_in_review": dict(review_reasons.most_common(25)),
        "reasons_of_false_auto_pairs": dict(fp_reasons.most_common(25)),
        "examples_true_pairs_left_in_review": review_examples,
        "examples_true_pairs_not_proposed": not_proposed,
        "examples_false_auto_pairs": false_auto,
    }


def _pair_example(truth, i, j, pair):
    a, b = truth.records[i], truth.records[j]
    out = {key: [a[key], b[key]] for key in ("name", "address", "postcode", "town", "commune_code", "website",
                                             "email", "phone", "noise", "hard")}
    if a["latitude"] is not None and b["latitude"] is not None:
        out["distance_m"] = round(er_synthetic.distance_m(a["latitude"], a["longitude"], b["latitude"],
                                                          b["longitude"]))
    if pair:
        out["tilios"] = {"score": pair.score, "decision": pair.decision, "reasons": pair.reasons}
    return out


# --- Report -------------------------------------------------------------------------------------------------

def table(results):
    lines = ["| system | records | seconds (median, min–max) | peak RSS MB (growth) | load | pairs predicted | precision | recall | F1 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in results:
        lines.append("| {system} | {records:,} | {shown} | {rss} | {load_before} | {predicted_pairs:,} | "
                     "{precision:.3f} | {recall:.3f} | {f1:.3f} |".format(shown=row.get("seconds_shown", row["seconds"]),
                                                                        **row))
    return "\n".join(lines)


def class_table(by_system, truth_classes):
    systems = list(by_system)
    order = ["all", "name_type:generic", "name_type:proper", "name_type:chain", "name_unchanged", *NAME_TAGS, "geo_jitter", "geo_far", "geo_centre", "geo_missing",
             "distance≤150m", "distance150m-1km", "distance>1km", "addr_missing", "addr_rewrite",
             "postcode_missing", "code_missing", "town_variant", "town_missing", "web_format", "phone_format",
             "shares_an_identifier", "no_shared_identifier", "in_a_trap:colocated", "in_a_trap:chain",
             "in_a_trap:same_commune"]
    lines = ["| noise in the pair | true pairs | " + " | ".join(systems) + " |",
             "|---|---:|" + "---:|" * len(systems)]
    for c in order:
        if c not in truth_classes:
            continue
        cells = [f"{by_system[s][c]['recall']:.3f}" if c in by_system[s] else "—" for s in systems]
        lines.append(f"| {c} | {truth_classes[c]:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def matcher_version():
    """Last commit that touched tilios/sources/matching.py, and whether the working copy differs from it."""
    import subprocess
    try:
        commit = subprocess.run(["git", "log", "-1", "--format=%h %cs", "--", "tilios/sources/matching.py"],
                                cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tilios/sources/matching.py"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--only", choices=("splink", "tilios"))
    parser.add_argument("--out", default=str(OUT / "er.json"))
    parser.add_argument("--u-pairs", type=float, default=1e7, help="splink: pairs sampled to estimate u")
    parser.add_argument("--repeat", type=int, default=1,
                        help="timed rounds of each side, alternating; seconds shown as median (min–max)")
    parser.add_argument("--em-max-pairs", type=float, default=2e6, help="splink: cap on pairs per EM session")
    args = parser.parse_args(argv)

    t = time.perf_counter()
    records = er_synthetic.generate(args.n, args.seed)
    gen_s = time.perf_counter() - t
    truth = Truth(records)
    summary = er_synthetic.summary(records)
    log(f"{len(records):,} records, {summary['entities']:,} entities, {len(truth.pairs):,} true pairs "
        f"(generated in {gen_s:.1f} s)")
    truth_classes = Counter(c for classes in truth.pair_classes for c in classes)

    results, recalls, details = [], {}, {}
    load_before = [None]  # 1-minute load average when a side starts (the machine may be shared)

    def row(system, metrics, seconds, rss):
        results.append({"system": system, "records": len(records), "seconds": round(seconds, 1),
                        "rss": f"{rss.peak_mb} (+{rss.growth_mb})" if rss else "—", "load_before": load_before[0],
                        **metrics})

    run_splink_side = args.only in (None, "splink")
    run_tilios_side = args.only in (None, "tilios")
    if run_tilios_side:
        try:
            import tilios.sources.matching  # noqa: F401  (is it there yet?)
        except ImportError as exc:
            log(f"Tilios matcher not importable yet ({exc}): splink only")
            run_tilios_side = False

    if run_splink_side:
        log("splink: training, predicting, clustering…")
        load_before[0] = round(os.getloadavg()[0], 1)
        with PeakRSS() as rss:
            clusters, scored, timings, params = run_splink(records, truth, args.seed, args.u_pairs,
                                                            em_max_pairs=args.em_max_pairs)
        log(f"splink: {timings['total']:.1f} s " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
        m, found = truth.score_clusters(clusters)
        row(f"splink 5 (DuckDB) @ {SPLINK_THRESHOLD}", m, timings["total"], rss)
        recalls[f"splink@{SPLINK_THRESHOLD}"] = truth.recall_by_class(found)
        best, curve = threshold_sweep(scored, truth)
        oracle_clusters = clusters_at(scored, best["threshold"], truth)
        m_oracle, found_oracle = truth.score_clusters(oracle_clusters)
        row(f"splink 5 oracle threshold {best['threshold']:.3g} (reads the truth)", m_oracle, timings["total"], None)
        recalls["splink oracle"] = truth.recall_by_class(found_oracle)
        # Check: our union-find at 0.5 agrees with splink's own clustering.
        m_check, _ = truth.score_clusters(clusters_at(scored, SPLINK_THRESHOLD, truth))
        params["recall_of_pairs_scored_over_0.01"] = truth.score_pairs([(a, b) for a, b, _ in scored])[0]["recall"]
        details["splink"] = {"timings_s": {k: round(v, 2) for k, v in timings.items()}, "params": params,
                             "peak_rss_mb": rss.peak_mb, "rss_growth_mb": rss.growth_mb,
                             "at_0.5": m, "oracle": m_oracle, "union_find_at_0.5_agrees": m_check["f1"] == m["f1"],
                             "threshold_curve": curve, "missed_examples": truth.missed_examples(found)}
        del scored, clusters

    if run_tilios_side:
        log("Tilios: find_pairs, clusters…")
        load_before[0] = round(os.getloadavg()[0], 1)
        with PeakRSS() as rss:
            pairs, auto, both, timings = run_tilios(records)
        log(f"Tilios: {timings['total']:.1f} s " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
        m_auto, found_auto = truth.score_clusters(auto)
        m_both, found_both = truth.score_clusters(both)
        review = [p for p in pairs if p.decision == "review"]
        auto_pairs = [p for p in pairs if p.decision == "auto"]
        m_pairs, found_pairs = truth.score_pairs([(p.a, p.b) for p in pairs])
        row("Tilios auto", m_auto, timings["total"], rss)
        row("Tilios auto + review (clusters)", m_both, timings["total"], None)
        scored = [(p.a, p.b, p.score) for p in pairs]
        best_t, curve_t = threshold_sweep(scored, truth)
        m_t_oracle, found_t_oracle = truth.score_clusters(clusters_at(scored, best_t["threshold"], truth))
        row(f"Tilios score alone, oracle threshold {best_t['threshold']:.3g} (reads the truth)", m_t_oracle,
            timings["total"], None)
        recalls["Tilios score oracle"] = truth.recall_by_class(found_t_oracle)
        recalls["Tilios auto"] = truth.recall_by_class(found_auto)
        recalls["Tilios auto+review"] = truth.recall_by_class(found_both)
        review_true = sum(1 for p in review if truth.entity[truth.index[p.a]] == truth.entity[truth.index[p.b]])
        details["tilios"] = {
            "timings_s": {k: round(v, 2) for k, v in timings.items()},
            "peak_rss_mb": rss.peak_mb, "rss_growth_mb": rss.growth_mb,
            "auto": m_auto, "auto_plus_review_clusters": m_both,
            "auto_plus_review_pairs (no closure)": m_pairs,
            "auto_pairs": len(auto_pairs), "review_queue": len(review), "review_queue_true": review_true,
            "missed_examples_auto_plus_review": truth.missed_examples(found_pairs),
            "missed_examples_auto": truth.missed_examples(found_auto),
            "score_oracle": m_t_oracle, "score_threshold_curve": curve_t,
        }
        recalls["Tilios pairs proposed"] = truth.recall_by_class(found_pairs)
        details["tilios"]["diagnostics"] = tilios_diagnostics(pairs, truth)

    # More timed rounds, the two sides alternating, on a machine that may be shared: report the median.
    times = {"splink": [], "tilios": []}
    if run_splink_side:
        times["splink"].append(details["splink"]["timings_s"]["total"])
    if run_tilios_side:
        times["tilios"].append(details["tilios"]["timings_s"]["total"])
    for round_ in range(2, args.repeat + 1):
        if run_splink_side:
            times["splink"].append(run_splink(records, truth, args.seed, args.u_pairs,
                                              em_max_pairs=args.em_max_pairs)[2]["total"])
        if run_tilios_side:
            times["tilios"].append(run_tilios(records)[3]["total"])
        log(f"round {round_}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items() if v))
    if args.repeat > 1:
        for row_ in results:
            side = times["splink" if row_["system"].startswith("splink") else "tilios"]
            row_["seconds_all"] = [round(t, 1) for t in side]
            row_["seconds"] = round(statistics.median(side), 1)
            row_["seconds_shown"] = f"{statistics.median(side):.1f} ({min(side):.1f}–{max(side):.1f})"

    print()
    print(f"Entity resolution, {len(records):,} synthetic records ({summary['entities']:,} entities, "
          f"{len(truth.pairs):,} true pairs), seed {args.seed}, {dt.date.today()}, "
          f"tilios/sources/matching.py at {matcher_version()}")
    print()
    print(table(results))
    if "tilios" in details:
        d = details["tilios"]
        print()
        print(f"Tilios: {d['auto_pairs']:,} auto pairs, review queue {d['review_queue']:,} pairs "
              f"({d['review_queue_true']:,} true); recall of true pairs proposed (auto + review, no closure) "
              f"{d['auto_plus_review_pairs (no closure)']['recall']:.3f}")
    for name, key in (("splink", "at_0.5"), ("tilios", "auto")):
        if name in details:
            fps = details[name][key]["false_positives_by_kind"]
            print(f"False positives {name} ({key}): " + ", ".join(f"{k} {v:,}" for k, v in fps.items()))
    print()
    print("Recall by noise class (a true pair is in a class when either record got that noise):")
    print()
    print(class_table(recalls, truth_classes))

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "date": dt.datetime.now().isoformat(timespec="seconds"), "n": args.n, "seed": args.seed,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "tilios_matcher": matcher_version(), "data": summary, "generation_s": round(gen_s, 2), "results": results, "details": details,
        "recall_by_class": recalls,
    }, ensure_ascii=False, indent=1, default=str))
    log(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
