"""Measure the matcher against pairs labelled by people: precision of automatic merges, recall of the
review queue. Used by the tests on the shared real files and by `bench/er_real.py`."""
import csv
from collections import Counter
from dataclasses import dataclass, field
from importlib import import_module

from . import matching
from .planning import commune_centres, entry_for_row
from .services import READERS


def read_entries(files):
    """Matching entries keyed (source slug, external id) from [(slug, kind, path, options)] files.

    A record present in several files of one source (snapshots) is kept once, as the latest file says."""
    entries = {}
    centres = commune_centres()
    for slug, kind, path, options in files:
        for row in import_module(READERS[kind]).read(path, **options):
            if row.error is not None:
                continue
            entry = entry_for_row(row, centres)
            entry.key = (slug, row.external_id)
            entries[entry.key] = entry
    return list(entries.values())


def read_labels(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [((r["source_a"], r["id_a"]), (r["source_b"], r["id_b"]), r["label"]) for r in csv.DictReader(f)]


@dataclass
class Scores:
    labelled_same: int = 0
    labelled_distinct: int = 0
    auto_true: int = 0  # labelled same, merged automatically
    auto_false: int = 0  # labelled distinct, merged automatically: the errors that matter most
    review_same: int = 0  # labelled same, queued for review
    review_distinct: int = 0
    missed: int = 0  # labelled same, neither merged nor queued
    queue_size: int = 0  # every pair queued for review, labelled or not
    auto_size: int = 0
    errors: list = field(default_factory=list)  # (kind, a, b) for reading

    @property
    def precision(self):
        merged = self.auto_true + self.auto_false
        return self.auto_true / merged if merged else 1.0

    @property
    def recall_auto(self):
        return self.auto_true / self.labelled_same if self.labelled_same else 1.0

    @property
    def f1_auto(self):
        p, r = self.precision, self.recall_auto
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def recall_found(self):
        """Share of true duplicates merged or put in front of a person."""
        found = self.auto_true + self.review_same
        return found / self.labelled_same if self.labelled_same else 1.0


def evaluate(entries, labels):
    """Run the matcher over all `entries` (as one import would) and score it on the labelled pairs.

    A pair counts as merged when the automatic pairs put both records in one cluster (what an import
    does), as queued when a review pair joins them directly."""
    pairs = matching.find_pairs(entries)
    cluster_of = {}
    for number, group in enumerate(matching.clusters(pairs)):
        for key in group:
            cluster_of[key] = number
    reviewed = {frozenset((p.a, p.b)) for p in pairs if p.decision == "review"}
    scores = Scores(queue_size=len(reviewed), auto_size=sum(p.decision == "auto" for p in pairs))
    for a, b, label in labels:
        if label not in ("same", "distinct"):
            continue
        merged = a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
        queued = frozenset((a, b)) in reviewed
        if label == "same":
            scores.labelled_same += 1
            if merged:
                scores.auto_true += 1
            elif queued:
                scores.review_same += 1
            else:
                scores.missed += 1
                scores.errors.append(("missed", a, b))
        else:
            scores.labelled_distinct += 1
            if merged:
                scores.auto_false += 1
                scores.errors.append(("false merge", a, b))
            elif queued:
                scores.review_distinct += 1
    return scores


def summary(scores):
    counts = Counter(kind for kind, _a, _b in scores.errors)
    return (f"paires étiquetées : {scores.labelled_same} mêmes lieux, {scores.labelled_distinct} distincts\n"
            f"fusions automatiques : précision {scores.precision:.3f}, rappel {scores.recall_auto:.3f}, "
            f"F1 {scores.f1_auto:.3f} ({scores.auto_true} justes, {scores.auto_false} fausses)\n"
            f"doublons vrais trouvés (fusion + relecture) : {scores.recall_found:.3f} "
            f"({scores.review_same} en relecture, {counts['missed']} manqués)\n"
            f"file de relecture : {scores.queue_size} paires (dont {scores.review_distinct} distinctes étiquetées) ; "
            f"{scores.auto_size} paires fusionnées d'office")
