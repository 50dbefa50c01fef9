"""Recycled announcements: earlier ones that say the same thing, found through an index.

Texts are cut into overlapping five-word shingles; 128 MinHash values summarise each text and are
stored as 32 bands of 4 (locality-sensitive hashing), so the announcements sharing a band with a
new one are fetched with one indexed query instead of comparing all pairs. Announcements that share
the same set of figures are fetched through the figures' keys. Candidates are then scored exactly.

A paraphrase shares few word runs, so beside the text test two others compare lemmas (simplemma's
French dictionary: « soutenus » and « soutient » are one word) and figures. Figures that many
announcements carry (« communes de moins de 3 500 habitants ») are boilerplate, not evidence, and
years and dates never count: they are set aside before figures are compared.
"""
import functools
import hashlib
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np
import simplemma

from tilios.text import fold

SHINGLE = 5
PERMUTATIONS = 128
BANDS = 32
ROWS = PERMUTATIONS // BANDS
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20180920)  # fixed: signatures must be comparable across runs
_A = _rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"[a-z0-9]+")
STOP = {"le", "la", "les", "de", "des", "du", "un", "une", "et", "a", "au", "aux", "en", "pour", "par", "sur",
        "dans", "l", "d", "qui", "que", "se", "ce", "est", "sont", "avec", "il", "elle", "ils", "y"}

TEXT_THRESHOLD = 0.55  # shingle Jaccard above which two texts are near-duplicates
# A reworded near-duplicate (a figure or a few words changed): shingles still overlap this much, nearly
# all lemmas of the shorter text are in the other, and at least one uncommon figure is shared.
EDITED_TEXT_THRESHOLD = 0.3
EDITED_LEMMA_OVERLAP = 0.8
FIGURE_SHARE = 0.5  # share of the smaller set of uncommon figures that must be common
LEMMA_THRESHOLD = 0.1  # lemma Jaccard needed beside shared figures (the same object, the same place)
# Tuned on bench/recycled.py's synthetic corpus (10⁴ and 10⁵); checked on tests/data/recycled_pairs.json.


def tokens(text):
    return _WORD.findall(fold(text))


def shingles(text):
    words = tokens(text)
    if len(words) < SHINGLE:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def _hash64(value):
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little") & _PRIME


def minhash(shingle_set):
    if not shingle_set:
        return np.full(PERMUTATIONS, _PRIME, dtype=np.uint64)
    x = np.array([_hash64(s) for s in shingle_set], dtype=np.uint64)
    # (a·x + b) mod p on 61-bit values: split to stay inside uint64.
    lo = (x & np.uint64(0xFFFFFFFF))[None, :]
    hi = (x >> np.uint64(32))[None, :]
    a = _A[:, None]
    values = ((a * lo) % _PRIME + ((a * hi) % _PRIME) * np.uint64(1 << 32) % _PRIME + _B[:, None]) % _PRIME
    return values.min(axis=1)


def band_hashes(signature):
    """One signed 63-bit hash per band (fits a BigIntegerField on both engines)."""
    out = []
    for band in range(BANDS):
        chunk = signature[band * ROWS:(band + 1) * ROWS].tobytes()
        value = int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little", signed=True)
        out.append((band, value))
    return out


def jaccard(a, b):
    return len(a & b) / len(a | b) if a and b else 0.0


_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
LEMMA_STOP = STOP | {"etre", "avoir", "faire", "pouvoir", "devoir", "son", "leur", "cette", "tout", "plus", "ne",
                     "pas", "on", "nous", "vous", "lui", "dont", "ou", "mais", "si", "comme"}


@functools.lru_cache(maxsize=65536)
def lemma(word):
    return fold(simplemma.lemmatize(word, lang="fr"))


def lemmas(text):
    """The folded French lemmas of a text's content words."""
    return {lemma(w.lower()) for w in _LETTERS.findall(text or "")} - LEMMA_STOP - {""}


def evidence(keys, common=frozenset()):
    """The figure keys that may tell two announcements apart: no year, no boilerplate figure."""
    return {k for k in keys if not k.startswith("year:")} - set(common)


@dataclass
class Match:
    other: object  # the earlier Announcement
    text_similarity: float
    shared_figures: list
    word_overlap: float
    reasons: list = field(default_factory=list)
    shared_passages: list = field(default_factory=list)  # [(start, end) in the new text]
    other_passages: list = field(default_factory=list)  # [(start, end) in the earlier text]


def compare(text, figure_keys, other_text, other_keys, common=frozenset()):
    """Score two announcements; returns a Match (without `other`) or None if they are distinct.

    `common` holds figure keys carried by too many announcements to be evidence."""
    text_sim = jaccard(shingles(text), shingles(other_text))
    mine, theirs = evidence(figure_keys, common), evidence(other_keys, common)
    shared = sorted(mine & theirs)
    telling = [k for k in shared if not k.startswith("deadline:")]
    words_a, words_b = lemmas(text), lemmas(other_text)
    words = jaccard(words_a, words_b)
    contained = len(words_a & words_b) / (min(len(words_a), len(words_b)) or 1)
    # Two different deadlines for the same figures make two programmes, not one said twice.
    deadlines = [{k for k in keys if k.startswith("deadline:")} for keys in (figure_keys, other_keys)]
    same_horizon = not (deadlines[0] and deadlines[1]) or bool(deadlines[0] & deadlines[1])
    reasons = []
    if text_sim >= TEXT_THRESHOLD or (text_sim >= EDITED_TEXT_THRESHOLD and contained >= EDITED_LEMMA_OVERLAP
                                      and telling and same_horizon):
        reasons.append("texte")
    if len(telling) >= 2 and len(shared) / (min(len(mine), len(theirs)) or 1) >= FIGURE_SHARE \
            and words >= LEMMA_THRESHOLD and same_horizon:
        reasons.append("chiffres")
    if not reasons:
        return None
    spans_mine, spans_theirs = passages(text, other_text)
    return Match(None, text_sim, shared, words, reasons, spans_mine, spans_theirs)


def restatement(text, other_text, restated_keys, reasons):
    """A Match for a text that quotes again a target the other one announced (`reasons`: « promesse » when
    it was a promise still pending, « chiffre » otherwise), when both speak of the same thing (their lemmas
    overlap as much as shared figures require); None otherwise."""
    words = jaccard(lemmas(text), lemmas(other_text))
    if words < LEMMA_THRESHOLD:
        return None
    spans_mine, spans_theirs = passages(text, other_text)
    return Match(None, jaccard(shingles(text), shingles(other_text)), sorted(restated_keys), words, sorted(reasons),
                 spans_mine, spans_theirs)


def _folded_with_origin(text):
    """`fold(text)` and, for each of its characters, the index of the character of `text` it came from
    (folding may change lengths: « œ » → « oe », « … » → « ... »), so spans point into the real text."""
    pieces, origin = [], []
    for index, char in enumerate(text or ""):
        piece = fold(char)
        pieces.append(piece)
        origin.extend([index] * len(piece))
    return "".join(pieces), origin


def passages(text, other, min_words=4):
    """Character spans (in the texts as given) of the word runs both texts share, for highlighting."""
    def spans(t):
        folded, origin = _folded_with_origin(t)
        return [(m.group(), origin[m.start()], origin[m.end() - 1] + 1) for m in _WORD.finditer(folded)]

    a, b = spans(text), spans(other)
    matcher = SequenceMatcher(None, [w for w, _s, _e in a], [w for w, _s, _e in b], autojunk=False)
    mine, theirs = [], []
    for block in matcher.get_matching_blocks():
        if block.size >= min_words:
            mine.append((a[block.a][1], a[block.a + block.size - 1][2]))
            theirs.append((b[block.b][1], b[block.b + block.size - 1][2]))
    return mine, theirs
