"""Reading a search the way a person means it: « coworking saint etienne » is a kind and a town, not two
words to find in names.

Words that name a kind of place filter by that kind, words that name an equipment (« wifi », « salle de
réunion ») by that service; a town's name, still matched like the other words,
also orders the results from that town's centre, nearest first; the rest is matched against names as before. The reading is returned with the results, so the person
(or program) sees how the words were understood and can say otherwise (`kind=`, `near=`)."""
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.translation import get_language

from tilios.territories.models import Commune
from tilios.territories.services import town_texts
from tilios.text import QueryTooLong, query_tokens, search_text, search_tokens

from . import taxonomy
from .kinds import all_kinds
from .queries import QueryError

# Folded, singular tokens (tilios.text.search_tokens: « EPN » is already « espace public numerique »).
KIND_WORDS = {
    ("coworking",): "coworking", ("cowork",): "coworking",
    ("fablab",): "fablab", ("makerspace",): "fablab",
    ("hackerspace",): "hackerspace",
    ("livinglab",): "living-lab",
    ("espace", "public", "numerique"): "epn",
    ("telecentre",): "telecentre",
    ("atelier", "partage"): "atelier-partage", ("atelier",): "atelier-partage",
    ("friche", "culturelle"): "friche-culturelle", ("friche",): "friche-culturelle",
    ("repair", "cafe"): "repair-cafe",
    ("campus", "connecte"): "campus-connecte",
}
# Equipment a freelancer asks for by name: the place must offer it (taxonomy.SERVICES). Only words that
# name no place or town in the shared directories: « café », « internet », « crèche » do (« Hubsy Café »,
# « Point Internet Fauverney », the commune of La Crèche), so they stay words to find in names.
SERVICE_WORDS = {
    ("wifi",): "internet", ("fibre",): "internet",
    ("salle", "reunion"): "salle-reunion", ("salle", "de", "reunion"): "salle-reunion",
    ("cabine", "telephonique"): "cabine-telephonique", ("phonebooth",): "cabine-telephonique",
    ("imprimante",): "impression",
    ("imprimante", "3d"): "fabrication-numerique", ("impression", "3d"): "fabrication-numerique",
    ("decoupe", "laser"): "fabrication-numerique",
    ("garde", "enfant"): "garde-enfants", ("garde", "d", "enfant"): "garde-enfants",
    ("domiciliation",): "domiciliation",
}
LONGEST_TOWN = 6  # « Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson » is an exception we can live without
# Words that only link the others (« près de », « autour de », « à »): dropped once something was understood.
LINKS = {"pre", "de", "du", "des", "a", "au", "aux", "autour", "proche", "vers", "dans", "en", "sur", "la", "le",
         "les", "l", "d"}


@dataclass
class Reading:
    kinds: list = field(default_factory=list)  # kind codes the words named
    town: Commune | None = None  # the commune the words named
    text: str = ""  # the words to match against names and towns (a town's name stays: it also filters)
    services: list = field(default_factory=list)  # service codes the words named

    @property
    def other_words(self):
        """The words matched against names besides the town's own name: what the reading left unexplained."""
        town_words = set(search_tokens(self.town.name)) if self.town else set()
        return " ".join(word for word in self.text.split() if word not in town_words)

    def as_dict(self):
        town = self.town
        language = get_language()
        return {"kinds": self.kinds, "text": self.text, "other_words": self.other_words,
                "services": [{"code": code, "label": taxonomy.label("services", code, language)}
                             for code in self.services],
                "town": {"code": town.code, "name": town.name, "latitude": town.latitude,
                         "longitude": town.longitude} if town else None}


def phrases():
    """{words: ("kind" | "service", code)}: the words above (folded as queries are), and each kind's own name
    in French and English (« espace de coworking »). Read-only: the same dict serves every query."""
    return _phrases(tuple(kind[1:] for kind in all_kinds()))


@lru_cache(maxsize=4)  # keyed by the kinds' names as they are now: folding them all was a third of a `q`
def _phrases(kind_labels):
    found = {}
    for table, what in ((KIND_WORDS, "kind"), (SERVICE_WORDS, "service")):
        for words, code in table.items():
            found.setdefault(tuple(search_tokens(" ".join(words))) or words, (what, code))
    for code, *labels in kind_labels:
        for label in labels:
            words = tuple(search_tokens(label))
            if words:
                found.setdefault(words, ("kind", code))
    return found


def read(q, locate=True):
    """How `q` reads: its kinds, its town (only with `locate`), and the rest. A query too long to read is a
    QueryError on `q`, as queries.search says it."""
    try:
        tokens = query_tokens(q)
    except QueryTooLong as exc:
        raise QueryError(f"q : {exc}") from None
    if not tokens:
        return Reading()
    known = phrases()
    longest = max(len(words) for words in known)
    named = {"kind": [], "service": []}
    rest = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            meaning = known.get(tuple(tokens[i:i + size]))
            if meaning:
                what, code = meaning
                if code not in named[what]:
                    named[what].append(code)
                i += size
                break
        else:
            rest.append(tokens[i])
            i += 1
    town = _town(rest) if locate else None
    if named["kind"] or named["service"] or town:
        rest = [token for token in rest if token not in LINKS]
    return Reading(named["kind"], town, " ".join(rest), services=named["service"])


def _town(tokens):
    """The commune named by the longest run of `tokens` that is exactly a current commune's name (the most
    populous of its namesakes), or None. One query for every candidate run."""
    runs = {}
    for size in range(min(LONGEST_TOWN, len(tokens)), 0, -1):
        for start in range(len(tokens) - size + 1):
            if size == 1 and tokens[start] in LINKS:
                continue
            runs.setdefault(search_text(" ".join(tokens[start:start + size])), size)
    towns = town_texts()
    runs = {run: size for run, size in runs.items() if run in towns}
    if not runs:  # no words name a town: no query to build and run (0.6 ms of a `q` on PostgreSQL)
        return None
    found = {}
    for town in Commune.objects.raw(_TOWNS.format(runs=", ".join(["%s"] * len(runs))), [Commune.Kind.CURRENT, *runs]):
        found[town.search_text] = town  # the most populous namesake comes last and wins
    return found[max(found, key=runs.get)] if found else None


# Written out: compiling it was a tenth of a search near a town.
_TOWNS = (f"SELECT * FROM {Commune._meta.db_table} WHERE kind = %s AND latitude IS NOT NULL AND search_text IN ({{runs}}) "
          "ORDER BY population")
