"""What the matcher knows of a record or a place, normalised once: its name's distinctive and generic words,
street, website host, e-mail, phone and commune keys (`prepare`), and the distance between two of them.
Pure Python, shared by the importer, the review tools and the benchmark; `matching` pairs and scores them."""
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from tilios.text import fold, search_tokens, singular

STOPWORDS = {"de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en", "sur", "sous", "pour",
             "the", "of", "un", "une", "chez"}
# Words that say what kind of place it is, not which one: « Fablab de Lannion » and « Coworking de Lannion »
# share the town, not the identity.
GENERIC = {
    "tiers", "lieu", "tierslieu", "coworking", "cowork", "fablab", "fab", "lab", "labo", "makerspace",
    "hackerspace", "livinglab", "espace", "public", "numerique", "epn", "cyber", "base", "cyberbase",
    "association", "asso", "scic", "sas", "sarl", "scop", "sa", "eurl", "collectif", "cooperative", "cafe",
    "maison", "atelier", "centre", "social", "socioculturel", "pole", "hub", "point", "relai", "relais",
    "info", "information", "france", "service", "mediatheque", "bibliotheque", "municipal", "municipale",
    "intercommunal", "intercommunale", "communautaire", "mairie", "ville", "commune", "communaute",
    "agglomeration", "pays", "tele", "telecentre", "bureau", "partage", "partagee", "pepiniere",
    "entreprise", "entreprises", "incubateur", "mjc", "ccas", "cias", "emploi", "mission", "locale",
    "numeriques", "digital", "innovation", "solidaire", "maker", "club", "salle", "accueil", "inclusion",
    "mediation", "conseiller", "permanence", "ludotheque", "jeunesse", "culture", "culturel", "rural",
    "multimedia", "quartier", "agence", "cpam", "caf", "msa", "msap", "mfs", "ehpad", "college", "lycee",
    "ecole", "universite", "campus", "antenne", "siege", "annexe", "site", "coop",
    "departement", "departemental", "departementale", "regional", "regionale", "region", "fabrique",
    "territoire",
}
GENERIC = {singular(word) for word in GENERIC}  # compared with tokens, which are singular
_GENERIC_LONG = sorted(word for word in GENERIC if len(word) >= 4)
_GENERIC_HOSTS = {"facebook.com", "fb.com", "twitter.com", "x.com", "instagram.com", "linkedin.com",
                  "youtube.com", "google.com", "sites.google.com", "wix.com", "wixsite.com", "free.fr",
                  "wordpress.com", "blogspot.com", "over-blog.com", "jimdo.com", "gmail.com", "orange.fr",
                  "wanadoo.fr", "hotmail.com", "hotmail.fr", "yahoo.fr", "yahoo.com", "laposte.net",
                  "outlook.com", "outlook.fr", "sfr.fr", "neuf.fr", "live.fr", "fablabs.io", "openstreetmap.org",
                  "mairie.fr", "cartographie.societenumerique.gouv.fr", "lesbonsclics.fr"}
_ADDRESS_WORDS = {"rue": "rue", "r": "rue", "avenue": "avenue", "boulevard": "boulevard", "place": "place",
                  "chemin": "chemin", "route": "route", "impasse": "impasse", "allee": "allee", "quai": "quai",
                  "cours": "cours", "square": "square", "faubourg": "faubourg", "zi": "zi", "za": "za",
                  "lieu": "lieu", "dit": "dit"}
_NUMBER = re.compile(r"^(\d+)\s*(bis|ter|quater|b|t|q)?\b")
_DIGITS = re.compile(r"\d")


@dataclass
class Entry:
    """What the matcher knows of one record or place."""

    key: object
    name: str
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    postcode: str = ""
    town: str = ""
    commune_code: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    kinds: tuple = ()
    group: object = None  # entries of one group are already the same place: never paired
    approximate: bool = False  # the point is only its commune's centre (geocoded to the town hall)

    # Derived once by `prepare`.
    tokens: tuple = field(default=(), repr=False)
    distinct: tuple = field(default=(), repr=False)
    generic: tuple = field(default=(), repr=False)
    street: tuple = field(default=("", ""), repr=False)
    host: str = field(default="", repr=False)
    mail: str = field(default="", repr=False)
    tel: str = field(default="", repr=False)
    areas: tuple = field(default=(), repr=False)  # ("insee", code), ("cp", postcode), ("town", folded name)


def _host(url):
    url = (url or "").strip().lower()
    if not url:
        return ""
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    if not host or "." not in host:
        return ""
    if host in _GENERIC_HOSTS or any(host.endswith("." + g) for g in _GENERIC_HOSTS):
        # A page on a shared host: the page is the identity (« facebook.com/pages/x », « fablabs.io/labs/y »).
        path = "/".join(parts.path.strip("/").lower().split("/")[:2])
        return f"{host}/{path}" if path else ""
    return host


def _phone(value):
    digits = "".join(_DIGITS.findall(value or ""))
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits[-9:] if len(digits) >= 9 else ""


_STREET_START = re.compile(r"\b(\d+)\s*(?:bis|ter|quater|[btq])?\b[\s,]*(?=(?:rue|r|avenue|av|ave|boulevard|bd|bld|"
                           r"place|pl|chemin|chem|route|rte|impasse|allee|allees|quai|cours|square|faubourg|fg|"
                           r"esplanade|passage|voie|promenade|rond|parvis|traverse|montee|sentier|cite|residence)\b)")


@lru_cache(maxsize=200_000)
def _street(address):
    """(number, street words) of an address: « Campus X - 118 route de Narbonne, bât. U4 » → ("118", "route
    narbonne"). The number and street may come after a building's name; what follows a comma is dropped."""
    text = " ".join(re.findall(r"[a-z0-9]+|,", fold(address)))
    match = _STREET_START.search(text)
    number = ""
    if match:
        number = match.group(1)  # « 4 ter » and « 4 » are one building more often than not
        text = text[match.end():]
    else:
        leading = _NUMBER.match(text)
        if leading:
            number, text = leading.group(1), text[leading.end():]
    text = text.split(",")[0] if text.split(",")[0].strip() else text.replace(",", " ")
    words = [_ADDRESS_WORDS.get(w, w) for w in search_tokens(text) if w not in STOPWORDS]
    return number, " ".join(words)


_ABBREVIATIONS = {"fdt": ("fabrique", "territoire"), "mfs": ("maison", "france", "service"),
                  "bib": ("bibliotheque",), "medi": ("mediatheque",)}
_NUMBER_WORDS = {"deux": "2", "troi": "3", "trois": "3", "quatre": "4", "cinq": "5", "six": "6", "sept": "7",
                 "huit": "8", "neuf": "9", "dix": "10", "cent": "100", "mille": "1000"}


@lru_cache(maxsize=200_000)
def _tokens(text):
    return tuple(search_tokens(text))


@lru_cache(maxsize=100_000)
def _is_generic(token):
    """A word that says what kind of place it is, typos forgiven (« servicrs », « cowroking »)."""
    if token in GENERIC:
        return True
    if len(token) < 4:
        return False
    return process.extractOne(token, _GENERIC_LONG, scorer=Levenshtein.distance, score_cutoff=1) is not None


def _near_word(token, words):
    return token in words or (len(token) >= 5 and any(
        len(w) >= 5 and Levenshtein.distance(token, w, score_cutoff=1) <= 1 for w in words))


def prepare(entry):
    tokens = []
    for token in _tokens(entry.name):
        if token in STOPWORDS:
            continue
        tokens.extend(_ABBREVIATIONS.get(token, (_NUMBER_WORDS.get(token, token),)))
    town_words = set(_tokens(entry.town))
    entry.tokens = tuple(tokens)
    generic = {t for t in tokens if _is_generic(t)}
    entry.distinct = tuple(t for t in tokens if t not in generic and not _near_word(t, town_words))
    entry.generic = tuple(sorted(generic))
    entry.street = _street(entry.address)
    entry.host = _host(entry.website)
    mail = (entry.email or "").strip().lower()
    entry.mail = mail if "@" in mail else ""
    entry.tel = _phone(entry.phone)
    areas = []
    if entry.commune_code:
        areas.append(("insee", entry.commune_code.strip()))
    if (entry.postcode or "").strip():
        areas.append(("cp", entry.postcode.strip()))
    if town_words and not areas:
        areas.append(("town", " ".join(_tokens(entry.town))))
    entry.areas = tuple(areas)
    return entry


def same_area(a, b):
    """Whether two entries are in the same commune, by the most precise key both have (None: unknown)."""
    for kind in ("insee", "cp", "town"):
        va = next((v for k, v in a.areas if k == kind), None)
        vb = next((v for k, v in b.areas if k == kind), None)
        if va and vb:
            return va == vb
    return None


class PointSet:
    """Points (commune centres) on a grid, to tell whether a record was only geocoded to its town."""

    CELL = 0.001  # degrees, about 100 m

    def __init__(self, points):
        self.cells = defaultdict(list)
        for lat, lon in points:
            self.cells[(math.floor(lat / self.CELL), math.floor(lon / self.CELL))].append((lat, lon))

    def near(self, lat, lon, metres=30):
        if lat is None or lon is None:
            return False
        cy, cx = math.floor(lat / self.CELL), math.floor(lon / self.CELL)
        probe = Entry(None, "", lat, lon)
        return any(distance_m(probe, Entry(None, "", y, x)) <= metres
                   for dy in (-1, 0, 1) for dx in (-1, 0, 1) for y, x in self.cells.get((cy + dy, cx + dx), ()))


def distance_m(a, b):
    if a.latitude is None or b.latitude is None or a.longitude is None or b.longitude is None:
        return None
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    dphi, dl = phi2 - phi1, math.radians(b.longitude - a.longitude)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(h)))
