"""Recycled announcements: earlier ones that say the same thing, found through an index.

Texts are cut into overlapping five-word shingles; 128 MinHash values summarise each text and are
stored as 32 bands of 4 (locality-sensitive hashing), so the announcements sharing a band with a
new one are fetched with one indexed query instead of comparing all pairs. Announcements that share
the same set of figures are fetched through the figures' keys. Candidates are then scored exactly.
"""
import hashlib
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

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
FIGURE_SHARE = 0.67  # share of the smaller figure set that must be common
WORD_THRESHOLD = 0.25  # content-word overlap needed beside shared figures


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


def content_words(text):
    return {w for w in tokens(text) if w not in STOP and not w.isdigit()}


@dataclass
class Match:
    other: object  # the earlier Announcement
    text_similarity: float
    shared_figures: list
    word_overlap: float
    reasons: list = field(default_factory=list)
    shared_passages: list = field(default_factory=list)  # [(start, end) in the new text]
    other_passages: list = field(default_factory=list)  # [(start, end) in the earlier text]


def compare(text, figure_keys, other_text, other_keys):
    """Score two announcements; returns a Match (without `other`) or None if they are distinct."""
    text_sim = jaccard(shingles(text), shingles(other_text))
    shared = sorted(set(figure_keys) & set(other_keys))
    meaningful = [k for k in shared if not k.startswith(("year:", "deadline:"))]
    smaller = min(len(set(figure_keys)), len(set(other_keys))) or 1
    words = jaccard(content_words(text), content_words(other_text))
    reasons = []
    if text_sim >= TEXT_THRESHOLD:
        reasons.append("texte")
    if len(meaningful) >= 2 and len(shared) / smaller >= FIGURE_SHARE and words >= WORD_THRESHOLD:
        reasons.append("chiffres")
    if not reasons:
        return None
    mine, theirs = passages(text, other_text)
    return Match(None, text_sim, shared, words, reasons, mine, theirs)


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
