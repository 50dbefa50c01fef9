"""Text folding shared by search and matching.

Names of places are written many ways (« Tiers-Lieux », « tiers lieu », « Cœur », « St-Étienne »).
`search_tokens` turns any of them into the same tokens, so the index and the query agree on
SQLite and PostgreSQL alike without relying on either engine's stemmer.
"""
import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "’": "'"})
_WORD = re.compile(r"[a-z0-9]+")

# Abbreviations of French place names and addresses, expanded on both sides of a search.
ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "bd": "boulevard",
    "bld": "boulevard",
    "av": "avenue",
    "ave": "avenue",
    "pl": "place",
    "fg": "faubourg",
    "rte": "route",
    "chem": "chemin",
    "tl": "tiers lieu",
    "epn": "espace public numerique",
}
# Words often written split or joined: « Fab Lab » / « FabLab », « co-working » / « coworking ».
_JOINED = {("fab", "lab"): "fablab", ("co", "working"): "coworking", ("living", "lab"): "livinglab",
           ("hacker", "space"): "hackerspace", ("maker", "space"): "makerspace"}


# The combining marks of the Latin alphabet's accents (all of the block but U+034F, which combines nothing):
# removed by one substitution, where testing each character cost an import several seconds.
_ACCENTS = re.compile("[\u0300-\u034e\u0350-\u036f]")


def fold(text):
    """Lower-case, strip accents and ligatures: « Cœur de Saint-Étienne » → « coeur de saint-etienne »."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_LIGATURES))
    bare = _ACCENTS.sub("", text)
    if bare.isascii():  # then nothing else in it combines
        return bare.lower()
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def singular(word):
    """A crude French singular, good enough for matching: lieux→lieu, locaux→local, ateliers→atelier."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith(("eaux", "eux")):
        return word[:-1]
    if word.endswith("aux"):
        return word[:-3] + "al"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def search_tokens(text):
    words = []
    for word in _WORD.findall(fold(text)):
        words.extend(ABBREVIATIONS.get(word, word).split())
    joined = []
    for word in words:
        if joined and (joined[-1], word) in _JOINED:
            joined[-1] = _JOINED[(joined[-1], word)]
        else:
            joined.append(word)
    return [singular(w) for w in joined]


# A query's words become one SQL condition each: bounded so no query builds an expression tree
# the engine refuses (SQLite stops near 1 000) or takes long to plan. No real search needs more.
MAX_QUERY_CHARS = 500
MAX_QUERY_WORDS = 32


class QueryTooLong(ValueError):
    """A search query beyond MAX_QUERY_CHARS characters or MAX_QUERY_WORDS words."""


def query_tokens(text):
    """`search_tokens` of a user's query, refused (QueryTooLong) when it is too long to be one."""
    text = text or ""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryTooLong(f"{MAX_QUERY_CHARS} caractères au plus")
    tokens = list(dict.fromkeys(search_tokens(text)))  # a repeated word narrows nothing
    if len(tokens) > MAX_QUERY_WORDS:
        raise QueryTooLong(f"{MAX_QUERY_WORDS} mots au plus")
    return tokens


def search_text(*texts):
    """The indexed form: tokens between spaces, so a query token matches the start of a word."""
    tokens = []
    for text in texts:
        tokens.extend(search_tokens(text))
    return " " + " ".join(tokens) + " " if tokens else ""


def sort_key(text):
    return " ".join(_WORD.findall(fold(text)))[:200]
