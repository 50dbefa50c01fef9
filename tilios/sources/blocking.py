"""Blocking: the pairs of entries worth scoring, found without comparing every entry with every other.

Entries a few hundred metres apart; entries in the same neighbourhood or commune whose names are alike
(scored in bulk by rapidfuzz, dense city cells in slices so memory stays bounded); entries sharing a
website, an e-mail address or a phone number; the same distinctive name in one département. `matching`
then scores each pair.

Each kind of block is a function whose indexes are let go when it returns, and the pairs are kept as one
integer each: 10⁵ entries have some 3·10⁵ candidates, and every index at once would double matching's memory.
"""
import itertools
import math
from collections import defaultdict

import numpy as np
from rapidfuzz import fuzz, process

from .entries import distance_m

NEAR_M = 200  # co-located: always compared, whatever the names
AREA_M = 1500  # neighbourhood compared with names alike
BLOCK_ROWS = 256  # rows of a dense cell compared at once…
BLOCK_CELLS = 1 << 18  # …and fewer when it has many neighbours: each array of a slice stays under 2 MB
SMALL_AREA = 64  # entries of a commune compared with each other whatever their points
NAME_BLOCK_SCORE = 70  # rapidfuzz token_set_ratio to keep a pair of the neighbourhood or commune


def _cell(entry, size_deg):
    return (math.floor(entry.latitude / size_deg), math.floor(entry.longitude / size_deg))


def candidate_pairs(entries, focus=None):
    """Index pairs (i, j), i < j, worth scoring, in order. With `focus` (a set of keys) only pairs touching it."""
    found, n = set(), len(entries)
    wanted = (lambda i, j: True) if focus is None else (
        lambda i, j: entries[i].key in focus or entries[j].key in focus)

    def add(i, j):
        if i == j:
            return
        if i > j:
            i, j = j, i
        gi, gj = entries[i].group, entries[j].group
        if gi is not None and gi == gj:
            return
        if wanted(i, j):
            found.add(i * n + j)

    names = [" ".join(e.tokens) for e in entries]
    _neighbourhood(entries, names, focus, add)
    _commune(entries, names, focus, add)
    del names
    _shared_identifiers(entries, add)
    _same_names(entries, add)
    codes = np.fromiter(found, dtype=np.int64, count=len(found))
    found.clear()
    codes.sort()
    for start in range(0, len(codes), 4096):
        for code in codes[start:start + 4096].tolist():
            yield divmod(code, n)


def _neighbourhood(entries, names, focus, add):
    """Cells of AREA_M: every pair closer than NEAR_M, names alike up to AREA_M."""
    size = AREA_M / 111_000
    cells = defaultdict(list)
    for i, e in enumerate(entries):
        if e.latitude is not None and e.longitude is not None:
            cells[_cell(e, size)].append(i)
    lat = np.array([e.latitude if e.latitude is not None else 0.0 for e in entries])
    lon = np.array([e.longitude if e.longitude is not None else 0.0 for e in entries])
    for (cy, cx), members in cells.items():
        neighbours = [j for dy in (-1, 0, 1) for dx in (-1, 0, 1) for j in cells.get((cy + dy, cx + dx), ())]
        if focus is not None and not any(entries[j].key in focus for j in neighbours):
            continue
        if len(members) * len(neighbours) <= 64:  # a quiet neighbourhood: one by one is cheaper
            for i in members:
                for j in neighbours:
                    if j > i:
                        d = distance_m(entries[i], entries[j])
                        if d <= NEAR_M or (d <= AREA_M and fuzz.token_set_ratio(
                                names[i], names[j], score_cutoff=NAME_BLOCK_SCORE)):
                            add(i, j)
            continue
        n, choices = np.array(neighbours), [names[j] for j in neighbours]
        size = max(1, min(BLOCK_ROWS, BLOCK_CELLS // len(neighbours)))
        for start in range(0, len(members), size):  # dense city cells in slices: memory stays bounded
            rows = members[start:start + size]
            scores = process.cdist([names[i] for i in rows], choices, scorer=fuzz.token_set_ratio,
                                   score_cutoff=NAME_BLOCK_SCORE, dtype=np.uint8, workers=-1)
            m = np.array(rows)
            # Equirectangular distance: exact enough below a few kilometres, and vectorised.
            dy = (lat[m][:, None] - lat[n][None, :]) * 111_195
            dx = (lon[m][:, None] - lon[n][None, :]) * 111_195 * np.cos(np.radians(lat[m]))[:, None]
            d = np.hypot(dx, dy)
            keep = ((d <= NEAR_M) | ((d <= AREA_M) & (scores > 0))) & (n[None, :] > m[:, None])
            for row, col in zip(*np.nonzero(keep)):
                add(rows[row], neighbours[col])


def _commune(entries, names, focus, add):
    """Names alike in the same commune (a place moved across town, or geocoded badly); in a large commune only
    when one of the two is not precisely located (no point, or only the town's centre)."""
    areas = defaultdict(list)
    for i, e in enumerate(entries):
        for key in e.areas:
            areas[key].append(i)
    for members in areas.values():
        if len(members) < 2 or (focus is not None and not any(entries[i].key in focus for i in members)):
            continue
        loose = members if len(members) <= SMALL_AREA else [
            i for i in members if entries[i].approximate or entries[i].latitude is None or entries[i].longitude is None]
        if not loose:
            continue
        if len(loose) * len(members) < 256:  # most communes: cheaper one by one than through an array
            for i in loose:
                for j in members:
                    if i != j and fuzz.token_set_ratio(names[i], names[j], score_cutoff=NAME_BLOCK_SCORE):
                        add(i, j)
            continue
        scores = process.cdist([names[i] for i in loose], [names[j] for j in members],
                               scorer=fuzz.token_set_ratio, score_cutoff=NAME_BLOCK_SCORE, dtype=np.uint8,
                               workers=-1)
        for row, col in zip(*np.nonzero(scores)):
            if loose[row] != members[col]:
                add(loose[row], members[col])


def _shared_identifiers(entries, add):
    """A website, e-mail or phone in common, anywhere."""
    for attr in ("host", "mail", "tel"):
        _each_pair_of(_sharing([getattr(e, attr) for e in entries]), add)


def _same_names(entries, add):
    """The same distinctive name in the same département (a place moved across the commune line, or no area),
    or the same letters once spaces are dropped (« Quai-Lab » / « Quailab »). Both keys are one space: one
    entry's distinctive name may be another's letters."""
    n, keys = len(entries), []
    for spelling in (lambda e: " ".join(sorted(e.distinct)), lambda e: "".join(e.tokens)):
        keys += (f"{spelling(e)}|{(e.commune_code or e.postcode or '')[:2]}" if e.distinct else "" for e in entries)
    _each_pair_of(([k % n for k in group] for group in _sharing(keys)), add)


def _sharing(keys):
    """Groups of the indexes whose key (a string, "" for none) is the same; sorted rather than hashed, since
    most keys are carried by one entry only."""
    order = sorted((i for i, key in enumerate(keys) if key), key=keys.__getitem__)
    return (list(group) for _, group in itertools.groupby(order, key=keys.__getitem__))


def _each_pair_of(groups, add):
    for members in groups:
        if 1 < len(members) <= 50:  # a number shared by fifty places is a network's switchboard
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    add(members[x], members[y])
