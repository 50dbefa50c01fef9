"""Entity resolution: which records describe the same real place.

Pure Python over plain `Entry` values (`sources.entries`, which normalises them), so the importer, the review
tools and the benchmark share it.

1. Blocking (`blocking.candidate_pairs`) finds candidate pairs cheaply: entries a few hundred metres
   apart, entries in the same neighbourhood or commune whose names are alike, and entries sharing a
   website, an e-mail address or a phone number wherever they are.
2. Each candidate gets a score in the manner of Fellegi and Sunter: independent pieces of evidence add
   log₂ Bayes factors (name, location, address, identifiers), turned into a probability. Location is one
   comparison (distance, or commune when a coordinate is missing) since those fields say the same thing.
3. A pair is merged automatically only when the probability is very high *and* the names agree on what
   makes the place distinct; otherwise it goes to the review queue. A shared address alone is never
   enough: two structures in the same building keep their own records.

Every score comes with its reasons, in words, so a moderator sees why a pair was proposed.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext_noop
from rapidfuzz import fuzz

from .blocking import candidate_pairs
from .entries import distance_m, prepare, same_area

AUTO_PROBABILITY = 0.95
REVIEW_PROBABILITY = 0.1
RARE_NAME = 3  # a proper name carried by at most this many entries
MOVED_M = 30_000  # a place that moved across town, or was geocoded to the wrong commune
PRIOR_LOG2 = -4.0  # log₂ odds that a candidate of the blocks is a match before looking at it

# The reasons, in words. Kept in French (the registry's language) as formatted here; where they are shown,
# `shown_reason` finds the template back and gives it in the reader's language.
REASONS = {
    "same_names": gettext_noop("noms identiques"),
    "same_proper_kinds_differ": gettext_noop("même nom propre, types de structure différents (%s / %s)"),
    "same_proper": gettext_noop("même nom propre (« %s »)"),
    "proper_very_close": gettext_noop("noms propres très proches (%d %%)"),
    "one_extends_other": gettext_noop("un nom prolonge l'autre (« %s » / « %s »)"),
    "proper_close": gettext_noop("noms propres assez proches (%d %%)"),
    "proper_differ": gettext_noop("noms propres différents (%d %%)"),
    "names_differ": gettext_noop("noms différents (« %s » / « %s »)"),
    "names_very_close": gettext_noop("noms très proches (%d %%)"),
    "one_proper_same_kind": gettext_noop("un seul nom porte un nom propre, même type (%s)"),
    "one_proper_kinds_differ": gettext_noop("un seul nom porte un nom propre, types différents"),
    "same_generic": gettext_noop("même nom générique (« %s »)"),
    "generic_close": gettext_noop("noms génériques proches (« %s » / « %s »)"),
    "same_kind_named_otherwise": gettext_noop("même type, lieux nommés différemment (« %s » / « %s »)"),
    "kinds_differ": gettext_noop("types de lieux différents (« %s » / « %s »)"),
    "same_commune": gettext_noop("même commune"),
    "communes_differ": gettext_noop("communes différentes"),
    "same_address": gettext_noop("même adresse"),
    "same_street": gettext_noop("même rue"),
    "numbers_differ": gettext_noop("même rue, numéros différents"),
    "addresses_differ": gettext_noop("adresses différentes"),
    "distance": gettext_noop("à %s"),
    "same_host": gettext_noop("même site web"), "host_differ": gettext_noop("sites web différents"),
    "same_mail": gettext_noop("même courriel"), "mail_differ": gettext_noop("courriels différents"),
    "same_tel": gettext_noop("même téléphone"), "tel_differ": gettext_noop("téléphones différents"),
}

@dataclass
class Pair:
    a: object
    b: object
    score: float  # probability that a and b are the same place
    decision: str  # "auto" or "review"
    reasons: list
    distance_m: float | None = None


def _point_distance(a, b):
    """Distance that says something: none when either point is only a commune's centre."""
    return None if a.approximate or b.approximate else distance_m(a, b)


def _format_m(metres):
    return f"{metres / 1000:.1f} km".replace(".", ",") if metres >= 1000 else f"{metres:.0f} m"


def _distinct_similarity(a, b):
    """How alike the words that make each name distinct are, 0–100 (typos and word order forgiven), and
    whether one name only adds words to the other.

    One name holding the other plus more words (« Start-way » / « Start-way Bastille », « Bibliothèque
    Mansart » / « Mairie de quartier Mansart ») is only fairly close: the extra word is often a branch or
    another structure of the same building."""
    sa, sb = " ".join(a.distinct), " ".join(b.distinct)
    similarity = max(fuzz.token_sort_ratio(sa, sb), fuzz.ratio(sa.replace(" ", ""), sb.replace(" ", "")))
    if similarity < 75 and fuzz.token_set_ratio(sa, sb) == 100:
        return 75, True
    return similarity, False


def compare(a, b):
    """Score a pair of prepared entries: (probability, reasons, distance in metres, (name level, address
    level, shared identifier))."""
    weight = PRIOR_LOG2
    reasons = []

    # Names.
    name_a, name_b = " ".join(a.tokens), " ".join(b.tokens)
    joined_a, joined_b = name_a.replace(" ", ""), name_b.replace(" ", "")
    if name_a and (name_a == name_b or (len(joined_a) >= 5 and joined_a == joined_b)) and (a.distinct or b.distinct):
        # « Limouzi Lab » / « LimouziLab », « Gold Or Hack » / « Goldorhack »: the same words, spaced otherwise.
        weight += 9
        level = "same"
        reasons.append(REASONS["same_names"])
    elif a.distinct and b.distinct:
        similarity, subset = _distinct_similarity(a, b)
        if similarity >= 85 and a.generic and b.generic and not set(a.generic) & set(b.generic):
            # Same proper name, different kinds of structure: « Bibliothèque Mansart » / « Mairie de quartier
            # Mansart » are two services of one building.
            weight, level = weight + 1, "weak"
            reasons.append(REASONS["same_proper_kinds_differ"]
                           % (" ".join(a.generic), " ".join(b.generic)))
        elif similarity >= 95:
            weight, level = weight + 8, "strong"
            reasons.append(REASONS["same_proper"] % " ".join(a.distinct))
        elif similarity >= 85:
            weight, level = weight + 6, "strong"
            reasons.append(REASONS["proper_very_close"] % similarity)
        elif subset:
            weight, level = weight + 2, "subset"
            reasons.append(REASONS["one_extends_other"] % (" ".join(a.distinct), " ".join(b.distinct)))
        elif similarity >= 70:
            weight, level = weight + 2, "weak"
            reasons.append(REASONS["proper_close"] % similarity)
        elif similarity >= 50:
            weight, level = weight - 2, "differ"
            reasons.append(REASONS["proper_differ"] % similarity)
        else:
            weight, level = weight - 7, "differ"
            reasons.append(REASONS["names_differ"] % (" ".join(a.distinct), " ".join(b.distinct)))
    elif a.distinct or b.distinct:
        # One name is only generic (« Fablab de Lannion »), the other has a proper name: compatible at best,
        # unless the whole names are a typo apart (« FabNLab de Clamecy » / « FabLab de Clamecy »).
        overlap = set(a.generic) & set(b.generic)
        if fuzz.ratio(joined_a, joined_b) >= 90:
            weight, level = weight + 6, "strong"
            reasons.append(REASONS["names_very_close"] % fuzz.ratio(joined_a, joined_b))
        elif overlap:
            weight, level = weight + 1, "weak"
            reasons.append(REASONS["one_proper_same_kind"] % ", ".join(sorted(overlap)))
        else:
            weight, level = weight - 3, "differ"
            reasons.append(REASONS["one_proper_kinds_differ"])
    elif name_a == name_b:
        weight, level = weight + 5, "generic"
        reasons.append(REASONS["same_generic"] % name_a)
    elif fuzz.token_set_ratio(name_a, name_b) == 100 or (
            a.generic == b.generic and fuzz.ratio(name_a, name_b) >= 90):
        weight, level = weight + 1, "generic_close"
        reasons.append(REASONS["generic_close"] % (name_a, name_b))
    elif a.generic == b.generic:
        weight, level = weight - 3, "differ"
        reasons.append(REASONS["same_kind_named_otherwise"] % (name_a, name_b))
    else:
        weight, level = weight - 5, "differ"
        reasons.append(REASONS["kinds_differ"] % (name_a, name_b))

    # Location: one comparison, the distance when both are located, else the commune.
    d = _point_distance(a, b)
    if d is not None:
        if d <= 50:
            weight += 5
        elif d <= 250:
            weight += 4
        elif d <= 1000:
            weight += 2
        elif d <= 5000:
            weight -= 1
        elif d <= 20000:
            weight -= 5
        else:
            weight -= 10
        reasons.append(REASONS["distance"] % _format_m(d))
    elif (area := same_area(a, b)) is not None:
        if area:
            weight += 3
            reasons.append(REASONS["same_commune"])
        else:
            weight -= 3
            reasons.append(REASONS["communes_differ"])

    # Address: a shared street number and street is strong; another number or street says « another
    # branch » (chains share a name and a website across a city), unless the points coincide.
    (num_a, street_a), (num_b, street_b) = a.street, b.street
    address = ""
    if street_a and street_b:
        street_similarity = fuzz.token_set_ratio(street_a, street_b)
        if street_similarity >= 85 and (num_a == num_b or not num_a or not num_b):
            address = "same" if num_a == num_b else "street"
            weight += 3 if address == "same" else 1
            reasons.append(REASONS["same_address"] if address == "same" else REASONS["same_street"])
        elif d is None or d > 60:
            address = "differ"
            weight -= 2 if street_similarity >= 85 else 4
            reasons.append(REASONS["numbers_differ"] if street_similarity >= 85 else REASONS["addresses_differ"])

    # Identifiers: rarely shared by two places, but a parent structure may run several.
    # Different ones say little: a place has several addresses on the web, an old and a new number.
    shared = 0
    for attr in ("host", "mail", "tel"):
        va, vb = getattr(a, attr), getattr(b, attr)
        if va and vb:
            if va == vb:
                shared += 1
                weight += 4
                reasons.append(REASONS[f"same_{attr}"])
            elif "/" not in va and "/" not in vb:
                weight -= 1
                reasons.append(REASONS[f"{attr}_differ"])

    probability = 1 / (1 + 2 ** -weight)
    return probability, reasons, d, (level, address, shared)


def _decision(probability, levels, d, a, b, rare=True, rare_proper=True):
    level, address, shared = levels
    if probability < REVIEW_PROBABILITY:
        # The same rare proper name in the same area is worth a look even when everything else differs:
        # places move, and directories geocode badly.
        if not (rare_proper and level in ("same", "strong") and (d is None or d <= MOVED_M)):
            return None
    close = (d is not None and d <= 250) or address == "same"
    # « FabLab du Morvan » / « Mission numérique du Morvan »: one building, two kinds of structure.
    kinds_clash = bool(a.generic and b.generic and not set(a.generic) & set(b.generic))
    same_commune = same_area(a, b) is True
    sure_names = (
        level in ("same", "strong")
        or (level == "generic" and ((d is not None and d <= 250) or (same_commune and (d is None or d <= 1000))))
        or (not kinds_clash and (
            (level == "subset" and address == "same" and shared)
            or (level in ("subset", "weak", "generic_close") and close and shared >= 2)
            or (level in ("subset", "weak", "generic_close") and address == "same" and d is not None and d <= 250
                and shared >= 1)
            or (level == "generic_close" and address == "same" and d is not None and d <= 250))))
    located = ((d is not None and d <= 2000)
               or (d is None and same_commune and (rare or address == "same" or shared))
               or (address == "same" and (d is None or d <= MOVED_M)))  # one of the two badly geocoded
    branch = address == "differ" and (d is None or d > 150)  # chains: same name, another street
    if probability >= AUTO_PROBABILITY and sure_names and located and not branch:
        return "auto"
    return "review"


def find_pairs(entries, focus=None):
    """Candidate pairs worth merging or reviewing, best first. `entries` are prepared in place."""
    entries = list(entries)
    for entry in entries:
        prepare(entry)
    # How many entries carry each name, and each proper name: a chain's brand or a common name proves little.
    frequency = Counter(" ".join(sorted(e.tokens)) for e in entries)
    proper = Counter(" ".join(sorted(e.distinct)) for e in entries if e.distinct)
    pairs = []
    for i, j in candidate_pairs(entries, focus):
        a, b = entries[i], entries[j]
        probability, reasons, d, level = compare(a, b)
        rare = max(frequency[" ".join(sorted(a.tokens))], frequency[" ".join(sorted(b.tokens))]) <= RARE_NAME
        rare_proper = max(proper[" ".join(sorted(a.distinct))], proper[" ".join(sorted(b.distinct))]) <= RARE_NAME
        decision = _decision(probability, level, d, a, b, rare, rare_proper)
        if decision:
            pairs.append(Pair(a.key, b.key, round(probability, 6), decision, reasons, d))
    pairs.sort(key=lambda p: -p.score)
    return pairs


def clusters(pairs, decisions=("auto",)):
    """Connected components of the pairs whose decision is among `decisions` (union-find)."""
    parent = {}

    def root(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        if pair.decision in decisions:
            ra, rb = root(pair.a), root(pair.b)
            if ra != rb:
                parent[rb] = ra
    groups = defaultdict(set)
    for x in parent:
        groups[root(x)].add(x)
    return [g for g in groups.values() if len(g) > 1]
