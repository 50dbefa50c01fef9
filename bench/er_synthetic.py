"""Synthetic French tiers-lieux records with known truth, for the entity-resolution benchmark (#4).

    .venv/bin/python bench/er_synthetic.py --n 1000 --seed 4 --out /tmp/er.jsonl   # look at a sample

`generate(n, seed)` returns `n` records (dicts) describing places the way several sources would:
the same real place (`entity_id`) appears once in most cases and 2–4 times in about 30 % of cases,
each copy with the noise a different source brings. Every record lists the noises applied to it
(`noise`), so the benchmark can tell which kind of noise a matcher misses. Hard negatives — distinct
places that look alike — carry a `hard` label shared by the places of one trap (co-located places,
a chain's sites, two places of one small commune).

Base entities: a commune drawn from the bundled commune centres (tilios/data/communes-centres-geoapi-2025,
70 % by population, 30 % uniformly, metropolitan and overseas départements), a position around its centre
(σ 0.3 km in a village to 4 km in Paris), a postcode of that commune (tilios/data/cog-decoupage-
administratif-2026), a street address, a name from templates by kind of place (« Tiers-Lieu de C »,
« La Fabrique de C », « Coworking C », « Fablab C », « Espace Public Numérique de C », « Cyber-base C »,
« France Services C », « Médiathèque Jules Verne », association-like names « L'Atelier des Possibles »…; names carrying the
commune mostly for public services in small communes, as in the real directories of shared/data; two
places of one commune never get the same name), and sometimes a website, an e-mail address and a phone
number (unique to the place, except a chain's shared website and a town hall's shared switchboard).

Deterministic: the same (n, seed) gives the same records, byte for byte (only `random.Random(seed)`).
"""
import argparse
import csv
import json
import math
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CENTRES = ROOT / "tilios" / "data" / "communes-centres-geoapi-2025" / "communes_centres.csv"
COG = ROOT / "tilios" / "data" / "cog-decoupage-administratif-2026" / "communes.csv"

FIELDS = ("record_id", "entity_id", "name", "latitude", "longitude", "address", "postcode", "town",
          "commune_code", "website", "email", "phone")

# Share of entities that get copies, and how many (1, 2 or 3 more records of the same place).
DUPLICATED = 0.30
COPIES = ((1, 0.6), (2, 0.3), (3, 0.1))

# Noise of a copy (a record from another source): independent draws, probabilities per copy.
NAME_NOISE = {  # applied in this order when drawn
    "word_drop": 0.15,   # a word dropped: article, the commune, a qualifier
    "word_add": 0.15,    # « Association », « SCIC », « - Tiers-Lieu », the commune added
    "abbrev": 0.30,      # Tiers-Lieu ↔ TL, Fab Lab ↔ FabLab, Saint ↔ St, EPN, Asso, Cyberbase…
    "word_order": 0.10,  # « Coworking Brest » → « Brest Coworking », « La Fabrique de C » → « C - La Fabrique »
    "typo": 0.20,        # 1–2 edits (keyboard neighbour, deletion, doubling, transposition)
    "punct": 0.25,       # hyphens, apostrophes, dots dropped
    "accents": 0.30,     # accents dropped
    "case": 0.25,        # UPPER, lower or Title case
}
# Coordinates of a copy: jittered 5–150 m (most), the commune centre (geocoded to the town), 150–600 m off,
# or missing.
GEO_COPY = (("geo_jitter", 0.72), ("geo_centre", 0.17), ("geo_far", 0.06), ("geo_missing", 0.05))
GEO_FIRST = (("", 0.88), ("geo_jitter", 0.03), ("geo_centre", 0.06), ("geo_missing", 0.03))

KINDS = (("tiers-lieu", 0.20), ("coworking", 0.15), ("fablab", 0.10), ("fabrique", 0.05), ("epn", 0.10),
         ("cyberbase", 0.03), ("france-services", 0.10), ("mediatheque", 0.08), ("atelier", 0.07),
         ("association", 0.12))

PERSONS = ("Victor Hugo", "Jean Jaurès", "Jules Verne", "Louis Pasteur", "Jean Moulin", "Simone Veil",
           "Marie Curie", "Albert Camus", "George Sand", "Émile Zola", "Jacques Prévert", "François Mitterrand",
           "Charles de Gaulle", "Jean de La Fontaine", "Colette", "Aimé Césaire", "Louise Michel",
           "Antoine de Saint-Exupéry", "Marcel Pagnol", "Paul Éluard", "Voltaire", "Molière", "Anatole France",
           "Jean Monnet", "Romain Rolland", "Arthur Rimbaud", "Olympe de Gouges", "Joséphine Baker",
           "Boris Vian", "Françoise Sagan", "Saint-Exupéry", "Elsa Triolet", "Louis Aragon", "Nelson Mandela",
           "Gaston Bachelard", "Marguerite Yourcenar", "Marguerite Duras", "Jules Ferry", "Alexandre Dumas",
           "Guy de Maupassant", "Gustave Flaubert", "Honoré de Balzac", "Stendhal", "Paul Verlaine",
           "Charles Baudelaire", "Pablo Neruda", "Federico García Lorca", "Frida Kahlo", "Léopold Sédar Senghor",
           "Andrée Chedid", "Nathalie Sarraute", "Annie Ernaux", "Camille Claudel", "Rosa Parks", "Gisèle Halimi",
           "Germaine Tillion", "Lucie Aubrac", "Pierre Mendès France", "Jean Giono", "René Char", "Max Jacob",
           "Tristan Corbière", "Per-Jakez Hélias", "Frédéric Mistral", "Jean Rostand", "Hergé", "Goscinny",
           "Jacques Brel", "Georges Brassens", "Édith Piaf", "Barbara", "Jean Ferrat", "Henri Matisse",
           "Claude Monet", "Paul Cézanne", "Auguste Renoir", "Jean Vilar", "Louis Guilloux", "Xavier Grall",
           "Albert Schweitzer", "Jean Macé", "Condorcet", "Diderot", "Montesquieu", "Rabelais", "Ronsard",
           "Du Bellay", "La Boétie", "Michel Serres", "Edmond Rostand", "Pierre Loti", "Jules Michelet")
STREET_TYPES = (("rue", 0.55), ("avenue", 0.12), ("place", 0.08), ("boulevard", 0.06), ("chemin", 0.06),
                ("route", 0.05), ("allée", 0.03), ("impasse", 0.03), ("quai", 0.02))
STREETS = ("Victor Hugo", "Jean Jaurès", "de la République", "du Général de Gaulle", "Pasteur", "de la Gare",
           "des Écoles", "Gambetta", "Jean Moulin", "de l'Église", "du Moulin", "Saint-Martin", "de la Mairie",
           "du Château", "de la Liberté", "Nationale", "du Stade", "des Lilas", "de Verdun", "Carnot",
           "Foch", "du 8 Mai 1945", "de Paris", "Émile Zola", "Voltaire", "des Tilleuls", "du Port",
           "de la Paix", "Sadi Carnot", "Anatole France", "du Maréchal Leclerc", "Louis Pasteur",
           "des Acacias", "de Lattre de Tassigny", "Saint-Jacques", "du Commerce", "de la Fontaine",
           "du Marché", "de Bretagne", "des Jardins", "Aristide Briand", "Jules Ferry", "de la Libération",
           "Georges Clemenceau", "des Peupliers", "du Four", "de l'Industrie", "des Artisans", "Saint-Pierre",
           "de la Poste", "des Forges", "du Canal", "de Sainte-Anne", "Pierre Curie", "de la Croix")
QUARTERS = ("Centre", "Nord", "Sud", "Est", "Ouest", "Gare", "Saint-Michel", "Bellevue", "Les Chartrons",
            "Croix-Rousse", "Belleville", "Centre-Ville", "Les Halles", "Le Port", "Saint-Jean", "Le Mirail",
            "La Source", "Beaulieu", "Les Capucins", "Le Vieux Port", "Rive Droite", "Rive Gauche")
NOUNS = (("La", "Ruche", "f"), ("Le", "Hangar", "m"), ("La", "Grange", "f"), ("L'", "Atelier", "m"),
         ("Le", "Bocal", "m"), ("La", "Cordée", "f"), ("Le", "Moulin", "m"), ("La", "Forge", "f"),
         ("La", "Coop", "f"), ("Le", "Comptoir", "m"), ("La", "Serre", "f"), ("Le", "Quai", "m"),
         ("La", "Filature", "f"), ("La", "Manufacture", "f"), ("L'", "Usine", "f"), ("La", "Gare", "f"),
         ("Le", "Relais", "m"), ("La", "Passerelle", "f"), ("Le", "Lieu", "m"), ("La", "Station", "f"),
         ("Le", "Labo", "m"), ("La", "Loco", "f"), ("Le", "Nid", "m"), ("La", "Fourmilière", "f"),
         ("Le", "Phare", "m"), ("La", "Maison", "f"), ("Le", "Local", "m"), ("La", "Cabane", "f"),
         ("Le", "Cellier", "m"), ("La", "Tannerie", "f"), ("L'", "Escale", "f"), ("Le", "Carrefour", "m"),
         ("La", "Bulle", "f"), ("Le", "Square", "m"), ("La", "Verrière", "f"), ("L'", "Établi", "m"),
         ("Le", "Chai", "m"), ("La", "Halle", "f"), ("Le", "Garage", "m"), ("La", "Menuiserie", "f"),
         ("L'", "Imprimerie", "f"), ("Le", "Bureau", "m"), ("La", "Fabrik", "f"), ("Le", "Château", "m"),
         ("La", "Bergerie", "f"), ("Le", "Presbytère", "m"), ("L'", "Ancienne École", "f"),
         ("La", "Papeterie", "f"), ("Le", "Grenier", "m"), ("La", "Scierie", "f"), ("Les", "Ateliers", "p"),
         ("Les", "Communs", "p"), ("Le", "Préau", "m"), ("La", "Boussole", "f"), ("Le", "Kiosque", "m"),
         ("La", "Ferme", "f"), ("Le", "Lavoir", "m"), ("La", "Laiterie", "f"), ("Le", "Silo", "m"),
         ("La", "Briqueterie", "f"), ("Le", "Hameau", "m"), ("La", "Distillerie", "f"), ("Le", "Fournil", "m"),
         ("La", "Fonderie", "f"), ("Le", "Moulinage", "m"), ("La", "Cartonnerie", "f"), ("Le", "Dock", "m"),
         ("La", "Corderie", "f"), ("Le", "Tiroir", "m"), ("La", "Bobine", "f"), ("Le", "Tremplin", "m"),
         ("La", "Charpente", "f"), ("Le", "Sémaphore", "m"), ("La", "Friche", "f"), ("Le", "Cairn", "m"),
         ("La", "Clairière", "f"), ("Le", "Chantier", "m"), ("La", "Galerie", "f"), ("Le", "Refuge", "m"),
         ("La", "Minoterie", "f"), ("Le", "Pressoir", "m"), ("La", "Pépinière", "f"), ("Le", "Belvédère", "m"),
         ("L'", "Orangerie", "f"), ("L'", "Entrepôt", "m"), ("L'", "Alambic", "m"), ("L'", "Archipel", "m"),
         ("L'", "Auberge", "f"), ("L'", "Observatoire", "m"), ("La", "Caserne", "f"), ("Le", "Manège", "m"),
         ("La", "Grainothèque", "f"), ("Le", "Bastion", "m"), ("La", "Capsule", "f"), ("Le", "Tipi", "m"),
         ("La", "Turbine", "f"), ("Le", "Wagon", "m"), ("La", "Péniche", "f"), ("Le", "Parvis", "m"))
COMPLEMENTS = (("", 5), (" des Possibles", 1), (" Numérique", 1), (" Partagé", 1), (" des Savoirs", 1),
               (" Solidaire", 1), (" des Communs", 1), (" du Canal", 1), (" de la Gare", 1),
               (" des Créateurs", 1), (" Créatif", 1), (" Collaboratif", 1), (" Citoyen", 1),
               (" des Initiatives", 1), (" du Port", 1), (" du Village", 1), (" des Makers", 1),
               (" de {C}", 2), (" {N}", 1), (" Vert", 1), (" Bleu", 1), (" d'en Face", 1), (" du Coin", 1),
               (" des Arts", 1), (" du Lac", 1), (" des Mots", 1), (" des Sciences", 1), (" des Champs", 1),
               (" du Lien", 1), (" des Liens", 1), (" de Quartier", 1), (" des Voisins", 1), (" du Bourg", 1),
               (" des Familles", 1), (" Nomade", 1), (" Rural", 1), (" Ouvert", 1), (" du Faire", 1))
SYLLABLES = ("ka", "li", "mo", "no", "ma", "de", "o", "wo", "ki", "ne", "so", "li", "way", "bo", "re", "a",
             "lab", "ty", "zen", "nova", "co", "vi", "ta", "lu", "mi", "ra", "sy", "ner", "gie", "ly", "ze")
BRAND_SUFFIX = ("", "", "lab", "'in", "o", "ia", "hub", " Factory", " Spot", " & Co", " Village", " Space")
CHAINS = ("La Cordée", "Cowork'in", "Nomade Lab", "La Fabrique à Projets", "Mon Bureau Partagé",
          "Les Ateliers du Numérique", "Bureaux & Co", "La Petite Fabrique", "Workin'Place", "Le Spot",
          "Espace Kalimo", "Repair Café", "Kwartier", "Le Village by CA", "Cap Cowork", "Mutinerie Village",
          "Les Usines", "Digital Campus", "Emmaüs Connect", "Simplon", "La Ruche", "Ecolab", "WeDo Cowork",
          "Les Tisserands", "Le Bivouac")
COLOCATED_KINDS = (("france-services", "epn"), ("france-services", "fablab"), ("mediatheque", "epn"),
                   ("mediatheque", "fablab"), ("cyberbase", "mediatheque"), ("coworking", "fablab"),
                   ("france-services", "cyberbase"), ("coworking", "association"), ("tiers-lieu", "fablab"))
PUBLIC_KINDS = ("france-services", "epn", "cyberbase", "mediatheque", "fabrique")
SMALL_TOWN_KINDS = ("tiers-lieu", "fablab", "epn", "coworking", "france-services", "mediatheque", "cyberbase",
                    "fabrique")
TLDS = ((".fr", 6), (".org", 2), (".com", 1), (".net", 1), (".eu", 0.3))
PHONE_PREFIX_BY_REGION = {"11": "01", "24": "02", "28": "02", "52": "02", "53": "02", "27": "03", "32": "03",
                          "44": "03", "84": "04", "93": "04", "94": "04", "75": "05", "76": "05"}
PHONE_PREFIX_DROM = {"971": "0590", "972": "0596", "973": "0594", "974": "0262", "976": "0269"}
KEYBOARD = ("azertyuiop", "qsdfghjklm", "wxcvbn")


@dataclass
class Commune:
    code: str
    name: str
    dept: str
    region: str
    lat: float
    lon: float
    population: int
    postcodes: list
    delegated: list = field(default_factory=list)  # names of communes déléguées / associées


@dataclass
class Entity:
    entity_id: str
    kind: str
    name: str
    commune: Commune
    lat: float
    lon: float
    address: str
    postcode: str
    website: str = ""
    email: str = ""
    phone: str = ""
    hard: str = ""  # label shared by the places of one hard-negative trap
    name_type: str = "proper"  # "generic" (kind of place + commune, « Fablab de C ») or "proper" or "chain"


def load_communes():
    postcodes, regions, zones, delegated = {}, {}, {}, defaultdict(list)
    with open(COG, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["type"] == "commune-actuelle":
                postcodes[row["code"]] = row["codes_postaux"].split()
                regions[row["code"]] = row["region"]
                zones[row["code"]] = row["zone"]
            elif row["type"] in ("commune-deleguee", "commune-associee") and row["chef_lieu"]:
                if row["nom"]:
                    delegated[row["chef_lieu"]].append(row["nom"])
    communes = []
    with open(CENTRES, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code = row["code"]
            if zones.get(code) not in ("metro", "drom") or not row["lat"] or not postcodes.get(code):
                continue
            communes.append(Commune(code, row["nom"], row["dept"], regions[code], float(row["lat"]),
                                    float(row["lon"]), int(row["population"] or 0), postcodes[code],
                                    [n for n in delegated.get(code, ()) if n != row["nom"]]))
    communes.sort(key=lambda c: c.code)
    return communes


# --- Small text helpers ---------------------------------------------------------------------------------

def strip_accents(text):
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("’", "'")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def slug(text, sep="-"):
    words = re.findall(r"[a-z0-9]+", strip_accents(text).lower())
    words = [w for w in words if w not in ("la", "le", "les", "l", "de", "du", "des", "d", "et")] or words
    return sep.join(words)


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, w in pairs:
        x -= w
        if x < 0:
            return value
    return pairs[-1][0]


def offset(lat, lon, metres, bearing):
    dlat = metres * math.cos(bearing) / 111_195
    dlon = metres * math.sin(bearing) / (111_195 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def distance_m(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(h)))


# --- Name noise -------------------------------------------------------------------------------------------

ABBREVIATIONS = (
    (r"Tiers-Lieux?|Tiers Lieux?", ("TL", "Tiers Lieu", "Tiers-lieux", "tiers-lieu", "Tiers lieu")),
    (r"Fab ?Lab|Fablab|FabLab", ("Fab Lab", "FabLab", "Fablab", "Fab-Lab", "FAB LAB")),
    (r"\bSainte-", ("Ste-", "Ste ")),
    (r"\bSaint-", ("St-", "St ", "St.")),
    (r"Espace Public Numérique", ("EPN", "Espace Numérique", "Espace public numérique")),
    (r"\bAssociation\b", ("Asso", "Assoc.")),
    (r"Maison France Services", ("France Services", "MFS")),
    (r"(?<!Maison )France Services", ("France Service", "Maison France Services", "Espace France Services")),
    (r"Cyber-base", ("Cyberbase", "Cyber base", "Cyber-Base")),
    (r"Coworking", ("Co-working", "Cowork", "Espace coworking")),
    (r"Médiathèque municipale", ("Médiathèque",)),
    (r"Médiathèque(?! municipale)", ("Bibliothèque-Médiathèque", "Médiathèque municipale", "Médiathèque-Ludothèque")),
    (r"\bLa Fabrique\b", ("Fabrique", "La Fab'")),
    (r"Fabrique de Territoire", ("Fabrique de territoire", "FdT")),
    (r"Repair Café", ("Repair Cafe", "Repair'Café")),
    (r" et ", (" & ",)),
    (r" & ", (" et ",)),
)


def noise_abbrev(name, rng):
    rules = [(pattern, repl) for pattern, repl in ABBREVIATIONS if re.search(pattern, name)]
    if not rules:
        return None
    pattern, replacements = rng.choice(rules)
    match = re.search(pattern, name)
    options = [r for r in replacements if r != match.group(0)] or list(replacements)
    return name[:match.start()] + rng.choice(options) + name[match.end():]


_DANGLING_HEAD = re.compile(r"^(?:(?:de|du|des|d'|-|,)\s*)+", re.I)
_DANGLING_TAIL = re.compile(r"(?:\s+(?:de|du|des|d'|la|le|les|l'|-|,)|\s*[-,])+$", re.I)


def tidy(name):
    """No dangling « de » / article / dash left at either end by a dropped or moved word."""
    return _DANGLING_TAIL.sub("", _DANGLING_HEAD.sub("", name.strip())).strip()


KIND_HEADS = ("Espace Public Numérique", "Maison France Services", "Espace France Services", "France Services",
              "France Service", "Espace de coworking", "Espace coworking", "Tiers-Lieu", "Tiers Lieu", "TL",
              "Coworking", "Co-working", "Cowork", "Fab Lab", "FabLab", "Fablab", "Fab-Lab", "EPN", "Cyber-base",
              "Cyberbase", "Cyber base", "Médiathèque municipale", "Médiathèque", "Repair Café", "Ressourcerie",
              "Atelier partagé", "Atelier vélo", "Café associatif", "Association", "Asso", "Collectif", "SCIC")
KIND_TAILS = ("Tiers-Lieu", "Coworking", "Fablab", "Lab")


def noise_word_order(name, rng):
    if " - " in name:
        head, _, tail = name.partition(" - ")
        return f"{tail} {head}"
    matches = list(re.finditer(r" (de|d')(?: |(?=[A-ZÉ]))", name))
    if matches and rng.random() < 0.7:  # « La Fabrique de C » → « C - La Fabrique »
        m = matches[-1]
        head, tail = name[:m.start()], name[m.end():]
        return f"{tail} - {head}" if rng.random() < 0.5 else f"{tail}, {head}"
    low = name.lower()
    for head in KIND_HEADS:  # « Coworking Noyon » → « Noyon Coworking »
        if low.startswith(head.lower() + " "):
            rest = tidy(name[len(head) + 1:])
            if len(rest) < 4 or rest.lower() in ("services", "service", "public numérique"):
                return None
            sep = " - " if rng.random() < 0.3 else " "
            return rest + sep + name[:len(head)]
    for tail in KIND_TAILS:  # « Kagielyo Coworking » → « Coworking Kagielyo »
        if low.endswith(" " + tail.lower()) and len(name) > len(tail) + 2:
            return name[-len(tail):] + " " + name[:-len(tail) - 1]
    return None


def _neighbour_key(c):
    """Letters next to `c` on an AZERTY keyboard row (None for accented letters and the like)."""
    low = c.lower()
    for row in KEYBOARD:
        i = row.find(low)
        if i >= 0:
            return [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
    return None


def noise_typo(name, rng):
    chars = list(name)
    letters = [i for i, c in enumerate(chars) if c.isalpha()]
    if len(letters) < 4:
        return None
    for _ in range(1 if rng.random() < 0.65 else 2):
        letters = [i for i, c in enumerate(chars) if c.isalpha()]
        i = rng.choice(letters[1:]) if rng.random() < 0.85 else letters[0]
        op = rng.random()
        if op < 0.35:
            options = _neighbour_key(chars[i])
            if options:
                new = rng.choice(options)
                chars[i] = new.upper() if chars[i].isupper() else new
            else:
                del chars[i]
        elif op < 0.6:
            del chars[i]
        elif op < 0.8:
            chars.insert(i, chars[i])
        elif i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


KIND_PREFIXES = ("Tiers-Lieu ", "Coworking ", "Fab Lab ", "Fablab ", "FabLab ", "Association ", "Collectif ",
                 "Espace de coworking ", "Cyber-base ", "Atelier partagé ", "Café associatif ")
KIND_SUFFIXES = (" - Tiers-Lieu", " Coworking", " Fablab")


def noise_word_drop(name, entity, rng):
    """Drop what sources drop: the article, the commune, the kind of place, a trailing complement."""
    c = entity.commune.name
    options = []
    m = re.match(r"^(La |Le |Les |L')", name)
    if m:
        options.append(name[m.end():])
    for tail in (f" de {c}", f" d'{c}", f" {c}", f" - {c}"):
        if name.endswith(tail) and len(name) > len(tail) + 3:
            options.append(name[:-len(tail)])
    for prefix in KIND_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix) + 3:
            options.append(name[len(prefix):])
    for suffix in KIND_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 3:
            options.append(name[:-len(suffix)])
    m = re.search(r" (des|du|de la|de l'|d'|de) ?[\w'-]+$", name)
    if m and m.start() > 3 and not name.endswith(c):
        options.append(name[:m.start()])
    m = re.search(r" (Numérique|Solidaire|Partagée?s?|Créati(f|ve)|Collaborati(f|ve)|Citoyenne?|Vert|Verte|Bleue?)$",
                  name)
    if m:
        options.append(name[:m.start()])
    return tidy(rng.choice(options)) if options else None


def noise_word_add(name, entity, rng):
    c = entity.commune.name
    choice = weighted(rng, (("Association ", 3), ("Asso ", 1), ("SCIC ", 2), ("SCIC SAS ", 1), ("Espace ", 1),
                            (" - Association", 1), (" (association)", 1), (" SCIC", 1), (" - {C}", 3),
                            (" {C}", 2), (" - Tiers-Lieu", 2)))
    choice = choice.replace("{C}", c)
    if re.sub(r"[^a-z]", "", strip_accents(choice).lower()) in re.sub(r"[^a-z]", "", strip_accents(name).lower()):
        return None
    return choice + name if choice.endswith(" ") else name + choice


def noise_punct(name, rng):
    out = re.sub(r"[-'’.,:()&]", lambda m: "" if rng.random() < 0.3 else " ", name)
    out = re.sub(r"\s+", " ", out).strip()
    return out if out != name else None


def noise_case(name, rng):
    r = rng.random()
    out = name.upper() if r < 0.45 else name.lower() if r < 0.8 else name.title()
    return out if out != name else None


def noisy_name(entity, rng, probabilities):
    name, tags = entity.name, []
    for tag, p in probabilities.items():
        if rng.random() >= p:
            continue
        if tag == "word_drop":
            out = noise_word_drop(name, entity, rng)
        elif tag == "word_add":
            out = noise_word_add(name, entity, rng)
        elif tag == "abbrev":
            out = noise_abbrev(name, rng)
        elif tag == "word_order":
            out = noise_word_order(name, rng)
        elif tag == "typo":
            out = noise_typo(name, rng)
        elif tag == "punct":
            out = noise_punct(name, rng)
        elif tag == "accents":
            out = strip_accents(name)
        else:
            out = noise_case(name, rng)
        if out and out.strip() and out != name:
            name = re.sub(r"\s+", " ", out).strip()
            tags.append(tag)
    return name, tags


# --- Other fields -----------------------------------------------------------------------------------------

ADDRESS_ABBREV = (("rue", "r."), ("avenue", "av."), ("boulevard", "bd"), ("place", "pl."), ("chemin", "ch."),
                  ("route", "rte"), ("allée", "all."), ("impasse", "imp."), ("Saint-", "St-"),
                  ("Général", "Gal"), ("Maréchal", "Mal"))


def rewrite_address(address, rng):
    out = address
    ops = rng.sample(("abbrev", "case", "accents", "comma", "number", "extra", "bis"), k=rng.choice((1, 1, 2)))
    for op in ops:
        if op == "abbrev":
            for long, short in ADDRESS_ABBREV:
                if re.search(rf"\b{long}\b", out, re.I):
                    out = re.sub(rf"\b{long}\b", short, out, count=1, flags=re.I)
                    break
        elif op == "case":
            out = out.upper()
        elif op == "accents":
            out = strip_accents(out)
        elif op == "comma":
            out = re.sub(r"^(\d+)\s", r"\1, ", out)
        elif op == "number":
            out = re.sub(r"^\d+( bis)?,? ", "", out)
        elif op == "extra":
            out = rng.choice(("Bâtiment B, ", "1er étage, ", "", "Mairie, ", "Zone artisanale, ")) + out
            if rng.random() < 0.5:
                out += rng.choice((" - BP 12", ", 2e étage", " (entrée par la cour)", ""))
        elif op == "bis":
            out = re.sub(r"^(\d+) ", r"\1 bis ", out)
    return out if out != address else address.lower()


def website_variant(url, rng):
    host_path = url.split("://", 1)[1]
    r = rng.random()
    if r < 0.3:
        return host_path.removeprefix("www.")
    if r < 0.55:
        return "http://" + host_path + ("/" if not host_path.endswith("/") else "")
    if r < 0.8:
        return "https://" + host_path.rstrip("/") + "/accueil"
    return url.upper() if rng.random() < 0.3 else "https://" + host_path + "/#contact"


def phone_variant(phone, rng):
    digits = phone.replace(" ", "")
    r = rng.random()
    if r < 0.35:
        return "+33 " + digits[1] + " " + " ".join(digits[i:i + 2] for i in range(2, 10, 2))
    if r < 0.7:
        return ".".join(digits[i:i + 2] for i in range(0, 10, 2))
    if r < 0.9:
        return digits
    return "+33" + digits[1:]


def town_variant(commune, rng):
    name = commune.name
    options = [name.upper(), strip_accents(name), strip_accents(name).upper()]
    if "Saint-" in name:
        options.append(name.replace("Saint-", "St-"))
    if commune.delegated:
        options.append(rng.choice(commune.delegated))  # the old commune of a commune nouvelle
    if commune.population > 100_000:
        options.append(name + " Cedex")
    out = rng.choice(options)
    return out if out != name else name.lower()


# --- The generator ----------------------------------------------------------------------------------------

class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.communes = load_communes()
        total_pop = sum(c.population for c in self.communes)
        n = len(self.communes)
        weights = [0.7 * c.population / total_pop + 0.3 / n for c in self.communes]
        self.cum = []
        acc = 0.0
        for w in weights:
            acc += w
            self.cum.append(acc)
        self.small = [c for c in self.communes if 200 <= c.population < 5000]
        self.big = [c for c in self.communes if c.population >= 50_000]
        self.grid = defaultdict(list)
        for c in self.communes:
            self.grid[(int(c.lat * 10), int(c.lon * 10))].append(c)
        self.next_entity = 0
        self.names, self.sites, self.mails = set(), set(), set()

    # -- drawing
    def commune(self):
        x = self.rng.random() * self.cum[-1]
        lo, hi = 0, len(self.cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return self.communes[lo]

    def neighbour(self, commune, min_km=2, max_km=20):
        cy, cx = int(commune.lat * 10), int(commune.lon * 10)
        near = [c for dy in (-2, -1, 0, 1, 2) for dx in (-3, -2, -1, 0, 1, 2, 3) for c in self.grid[(cy + dy, cx + dx)]
                if c.code != commune.code
                and min_km * 1000 <= distance_m(c.lat, c.lon, commune.lat, commune.lon) <= max_km * 1000]
        return self.rng.choice(near) if near else self.commune()

    def position(self, commune):
        sigma = min(4000.0, 300 + math.sqrt(commune.population) * 4)
        r = abs(self.rng.gauss(0, sigma))
        return offset(commune.lat, commune.lon, r, self.rng.uniform(0, 2 * math.pi))

    def street(self, kind=None):
        rng = self.rng
        if kind in ("france-services", "mediatheque", "cyberbase", "epn") and rng.random() < 0.25:
            return rng.choice(("1 place de la Mairie", "2 place de l'Hôtel de Ville", "Mairie, place de la Mairie",
                               "3 rue de la Mairie", "place du Marché", "1 place de la République"))
        street_type = weighted(rng, STREET_TYPES)
        name = STREETS[min(int(rng.paretovariate(0.8)) - 1, len(STREETS) - 1)] if rng.random() < 0.7 \
            else rng.choice(STREETS)
        if rng.random() < 0.08:
            return f"{street_type} {name}"
        number = min(int(rng.paretovariate(0.9)), 180)
        return f"{number}{' bis' if rng.random() < 0.03 else ''} {street_type} {name}"

    def distinctive(self, commune):
        rng = self.rng
        if rng.random() < 0.25:  # an invented brand-like word
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
            return word.capitalize() + rng.choice(BRAND_SUFFIX)
        article, noun, gender = rng.choice(NOUNS)
        comp = weighted(rng, COMPLEMENTS)
        comp = comp.replace("{C}", commune.name).replace("{N}", str(rng.randrange(1, 200)))
        if comp in (" Partagé", " Créatif", " Collaboratif", " Citoyen", " Vert", " Bleu", " Rural", " Ouvert"):
            if gender == "f":
                comp = comp + "e" if not comp.endswith("e") else comp
                comp = comp.replace("Créatife", "Créative").replace("Collaboratife", "Collaborative")
            elif gender == "p":
                comp = (comp + "s").replace("Rurals", "Ruraux")
        sep = "" if article == "L'" else " "
        return f"{article}{sep}{noun}{comp}"

    def template_name(self, kind, commune, with_commune=None):
        rng = self.rng
        C = commune.name
        if with_commune is None:
            # Calibrated on the real directories in shared/data: the commune is in 10 % of the CGET coworking
            # names, 21 % of the fablabs and Breton tiers-lieux, 33–50 % of the mediation numérique places.
            public = kind in PUBLIC_KINDS
            small = commune.population < 20_000
            with_commune = rng.random() < ((0.75 if small else 0.3) if public else (0.3 if small else 0.05))
        if with_commune and commune.population >= 20_000 and rng.random() < 0.7:
            C = f"{C} {rng.choice(QUARTERS)}"
        D = self.distinctive(commune)
        P = rng.choice(PERSONS)
        T = {
            "tiers-lieu": (("Tiers-Lieu de {C}", "Tiers-Lieu {C}", "Le Tiers-Lieu de {C}"),
                           ("{D}", "Tiers-Lieu {D}", "{D} - Tiers-Lieu", "{D}")),
            "coworking": (("Coworking {C}", "Espace de coworking de {C}", "Coworking de {C}"),
                          ("{D} Coworking", "{D}", "Coworking {D}", "Espace de coworking {D}")),
            "fablab": (("Fablab {C}", "FabLab de {C}", "Fab Lab {C}"), ("Fab Lab {D}", "{D} Fablab", "{D}")),
            "fabrique": (("La Fabrique de {C}", "Fabrique de Territoire de {C}", "La Fabrique Numérique de {C}"),
                         ("La Fabrique {D}", "{D}")),
            "epn": (("Espace Public Numérique de {C}", "EPN de {C}", "Espace Public Numérique {C}"),
                    ("Espace Public Numérique {D}", "EPN {D}")),
            "cyberbase": (("Cyber-base {C}", "Cyber-base de {C}"), ("Cyber-base {D}",)),
            "france-services": (("France Services {C}", "Maison France Services de {C}", "France Services de {C}"),
                                ("France Services {C}", "France Services {D}")),
            "mediatheque": (("Médiathèque de {C}", "Médiathèque municipale de {C}", "Médiathèque {P}"),
                            ("Médiathèque {P}", "Médiathèque {D}", "Médiathèque {P}")),
            "atelier": (("Repair Café de {C}", "La Recyclerie de {C}", "Ressourcerie de {C}"),
                        ("Atelier partagé {D}", "Ressourcerie {D}", "Atelier vélo {D}", "{D}")),
            "association": (("Les Ateliers de {C}", "La Maison des Communs de {C}", "Café associatif de {C}"),
                            ("{D}", "{D}", "Association {D}", "Café associatif {D}", "Collectif {D}")),
        }[kind]
        if kind == "france-services" and commune.population >= 20_000:
            C = f"{commune.name} {rng.choice(QUARTERS)}"
        template = rng.choice(T[0] if with_commune else T[1])
        name = template.replace("{C}", C).replace("{D}", D).replace("{P}", P)
        name = name.replace(" de Le ", " du ").replace(" de Les ", " des ")
        generic = "{C}" in template and "{D}" not in template
        return re.sub(r" de ([AEIOUÉÈÊÎY])", r" d'\1", name), generic

    def unique(self, used, make, commune):
        """A value not given to another place yet: `make(suffix)` with suffix "", then the commune, then a number."""
        for suffix in ("", slug(commune.name)[:20], *(str(i) for i in range(2, 100))):
            value = make(suffix)
            if value not in used:
                used.add(value)
                return value
        return value

    def contacts(self, entity, shared_site=None):
        rng = self.rng
        s = slug(entity.name, sep=rng.choice(("-", "")))[:30].strip("-") or "lieu"
        sep = "-" if "-" in s else ""
        if shared_site:
            entity.website = shared_site
        elif rng.random() < 0.55:
            r = rng.random()
            tld = weighted(rng, TLDS)
            if r < 0.08:
                make = lambda x: f"https://www.facebook.com/{s.replace('-', '')}{x.replace('-', '')}"  # noqa: E731
            elif r < 0.14:
                make = lambda x: f"https://{s}{sep if x else ''}{x}.wordpress.com"  # noqa: E731
            else:
                make = lambda x: f"https://www.{s}{sep if x else ''}{x}{tld}"  # noqa: E731
            entity.website = self.unique(self.sites, make, entity.commune)
        if rng.random() < 0.45:
            if entity.kind in ("france-services", "mediatheque", "epn", "cyberbase") and rng.random() < 0.5:
                town = slug(entity.commune.name)
                make = lambda x: f"{entity.kind.split('-')[0]}{x and '.' + x}@mairie-{town}.fr"  # noqa: E731
            elif rng.random() < 0.3 or not entity.website or shared_site:
                mailer = rng.choice(("gmail.com", "orange.fr", "laposte.net"))
                make = lambda x: f"{s.replace('-', '.')}{x and '.' + x.replace('-', '.')}@{mailer}"  # noqa: E731
            else:
                host = entity.website.split("://", 1)[1].removeprefix("www.").split("/")[0]
                local = rng.choice(("contact", "bonjour", "hello", "accueil"))
                make = lambda x: f"{local}{x and '.' + x}@{host}"  # noqa: E731
            entity.email = self.unique(self.mails, make, entity.commune)
        if rng.random() < 0.6:
            if rng.random() < 0.25:
                prefix = rng.choice(("06", "07"))
            else:
                prefix = PHONE_PREFIX_DROM.get(entity.commune.dept) or PHONE_PREFIX_BY_REGION.get(
                    entity.commune.region, "0" + str(rng.randrange(1, 6)))
            digits = prefix + "".join(str(rng.randrange(10)) for _ in range(10 - len(prefix)))
            entity.phone = " ".join(digits[i:i + 2] for i in range(0, 10, 2))

    def entity(self, kind=None, commune=None, name=None, lat=None, lon=None, address=None, hard="",
               with_commune=None, shared_site=None):
        rng = self.rng
        kind = kind or weighted(rng, KINDS)
        commune = commune or self.commune()
        if lat is None:
            lat, lon = self.position(commune)
        name_type = "chain" if name else "proper"
        if not name:
            # Two places of one commune do not carry the same generic name (« Coworking de C » twice) nor
            # the same proper name: redraw, then fall back to a distinctive name.
            for attempt in range(8):
                name, generic = self.template_name(kind, commune, with_commune if attempt < 2 else False)
                key = (commune.code, kind) if generic else (commune.code, slug(name, sep=""))
                if key not in self.names:
                    self.names.add(key)
                    break
            name_type = "generic" if generic else "proper"
        self.next_entity += 1
        e = Entity(f"E{self.next_entity:06d}", kind, name, commune, lat, lon, address or self.street(kind),
                   rng.choice(commune.postcodes), hard=hard, name_type=name_type)
        self.contacts(e, shared_site)
        return e

    # -- hard negatives
    def colocated(self, label):
        rng = self.rng
        kind_a, kind_b = rng.choice(COLOCATED_KINDS)
        a = self.entity(kind_a, hard=label)
        b = self.entity(kind_b, commune=a.commune, address=a.address, hard=label,
                        with_commune=rng.random() < 0.7 or a.commune.population < 20_000,
                        lat=None, lon=None)
        b.lat, b.lon = offset(a.lat, a.lon, rng.uniform(0, 15), rng.uniform(0, 2 * math.pi))
        b.postcode = a.postcode
        if kind_a == "mediatheque" and kind_b == "epn" and rng.random() < 0.4:
            b.name, b.name_type = f"Espace Public Numérique de la {a.name}", "proper"
        if rng.random() < 0.3 and a.phone:
            b.phone = a.phone  # the town hall's switchboard
        return [a, b]

    def chain(self, label):
        rng = self.rng
        if rng.random() < 0.5:
            brand = rng.choice(CHAINS)
        else:
            brand = self.distinctive(self.commune())
            brand = re.sub(r" d[e'] ?.*$", "", brand) or brand
        site = f"https://www.{slug(brand, sep='')}{rng.choice(('.fr', '.com', '.org'))}"
        label = f"chain:{brand}"  # every site of a brand is one trap, whichever draw placed it
        shared = site if rng.random() < 0.7 else None
        kind = rng.choice(("coworking", "coworking", "tiers-lieu", "fablab", "atelier", "association"))
        n_sites = rng.choice((2, 2, 2, 3, 3, 4))
        same_city = rng.random() < 0.4
        first = rng.choice(self.big) if same_city else self.commune()
        out = []
        for i in range(n_sites):
            commune = first if same_city or i == 0 else self.neighbour(first, 3, 25)
            r = rng.random()
            name = brand if r < 0.5 else f"{brand} {commune.name}" if r < 0.8 else f"{brand} {rng.choice(QUARTERS)}"
            out.append(self.entity(kind, commune=commune, name=name, hard=label, shared_site=shared))
        return out

    def same_small_commune(self, label):
        rng = self.rng
        commune = rng.choice(self.small)
        kind_a, kind_b = rng.sample(SMALL_TOWN_KINDS, 2)
        a = self.entity(kind_a, commune=commune, hard=label, with_commune=True)
        b = self.entity(kind_b, commune=commune, hard=label, with_commune=True)
        b.lat, b.lon = offset(a.lat, a.lon, rng.uniform(100, 800), rng.uniform(0, 2 * math.pi))
        return [a, b]

    # -- records
    def record(self, e, first):
        rng = self.rng
        tags = []
        if first:
            name = e.name
            if rng.random() < 0.1:
                name, tags = noisy_name(e, rng, {"case": 0.5, "accents": 0.5, "punct": 0.3})
        else:
            name, tags = noisy_name(e, rng, NAME_NOISE)
        geo = weighted(rng, GEO_FIRST if first else GEO_COPY)
        lat, lon = e.lat, e.lon
        if geo == "geo_jitter":
            lat, lon = offset(lat, lon, math.exp(rng.uniform(math.log(5), math.log(150))), rng.uniform(0, 2 * math.pi))
        elif geo == "geo_far":
            lat, lon = offset(lat, lon, rng.uniform(150, 600), rng.uniform(0, 2 * math.pi))
        elif geo == "geo_centre":
            lat, lon = offset(e.commune.lat, e.commune.lon, rng.uniform(0, 20), rng.uniform(0, 2 * math.pi))
        elif geo == "geo_missing":
            lat = lon = None
        if geo:
            tags.append(geo)
        address = e.address
        r = rng.random()
        if r < (0.06 if first else 0.18):
            address = ""
            tags.append("addr_missing")
        elif r < (0.1 if first else 0.53):
            address = rewrite_address(address, rng)
            tags.append("addr_rewrite")
        postcode = e.postcode
        if rng.random() < (0.03 if first else 0.12):
            postcode = ""
            tags.append("postcode_missing")
        town = e.commune.name
        r = rng.random()
        if not first and r < 0.25:
            town = town_variant(e.commune, rng)
            tags.append("town_variant")
        elif r > (0.98 if first else 0.95):
            town = ""
            tags.append("town_missing")
        code = e.commune.code
        if rng.random() < (0.05 if first else 0.15):
            code = ""
            tags.append("code_missing")
        keep = 0.75 if first else 0.55
        website = e.website if e.website and rng.random() < keep else ""
        email = e.email if e.email and rng.random() < keep else ""
        phone = e.phone if e.phone and rng.random() < keep else ""
        if website and not first and rng.random() < 0.3:
            website = website_variant(website, rng)
            tags.append("web_format")
        if phone and not first and rng.random() < 0.35:
            phone = phone_variant(phone, rng)
            tags.append("phone_format")
        if email and rng.random() < 0.08:
            email = email.upper() if rng.random() < 0.5 else email.capitalize()
        return {
            "record_id": "", "entity_id": e.entity_id, "name": name,
            "latitude": None if lat is None else round(lat, 6), "longitude": None if lon is None else round(lon, 6),
            "address": address, "postcode": postcode, "town": town, "commune_code": code,
            "website": website, "email": email, "phone": phone,
            "noise": tags, "copy": 0 if first else 1, "kind": e.kind, "hard": e.hard, "name_type": e.name_type,
        }

    def records_of(self, e):
        rng = self.rng
        out = [self.record(e, True)]
        if rng.random() < DUPLICATED:
            for _ in range(weighted(rng, COPIES)):
                out.append(self.record(e, False))
        return out


def generate(n=100_000, seed=4):
    """`n` records, shuffled, with ids R000001…; `entity_id` is the truth."""
    g = Generator(seed)
    rng = g.rng
    records = []
    traps = 0
    while len(records) < n:
        r = rng.random()
        if r < 0.035:
            traps += 1
            entities = g.colocated(f"colocated:{traps}")
        elif r < 0.05:
            traps += 1
            entities = g.chain(f"chain:{traps}")
        elif r < 0.08:
            traps += 1
            entities = g.same_small_commune(f"same_commune:{traps}")
        else:
            entities = [g.entity()]
        for e in entities:
            records.extend(g.records_of(e))
    records = records[:n]
    rng.shuffle(records)
    for i, rec in enumerate(records, 1):
        rec["record_id"] = f"R{i:06d}"
    return records


def true_pairs(records):
    """Set of (record_id, record_id) pairs, sorted within the pair, that are the same entity."""
    by_entity = defaultdict(list)
    for rec in records:
        by_entity[rec["entity_id"]].append(rec["record_id"])
    pairs = set()
    for ids in by_entity.values():
        ids.sort()
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                pairs.add((ids[i], ids[j]))
    return pairs


def summary(records):
    entities = Counter(r["entity_id"] for r in records)
    sizes = Counter(entities.values())
    noise = Counter(t for r in records for t in r["noise"])
    hard = Counter(r["hard"].split(":")[0] for r in records if r["hard"])
    return {
        "records": len(records), "entities": len(entities), "true_pairs": len(true_pairs(records)),
        "entity_sizes": dict(sorted(sizes.items())),
        "records_in_hard_negative_traps": dict(sorted(hard.items())),
        "noise_tags": dict(noise.most_common()),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--out", help="write the records as JSON lines")
    parser.add_argument("--show", type=int, default=0, help="print this many duplicated entities")
    args = parser.parse_args(argv)
    records = generate(args.n, args.seed)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for rec in records:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(json.dumps(summary(records), ensure_ascii=False, indent=1))
    if args.show:
        by_entity = defaultdict(list)
        for rec in records:
            by_entity[rec["entity_id"]].append(rec)
        shown = 0
        for eid in sorted(by_entity):
            group = by_entity[eid]
            if len(group) > 1 or (group[0]["hard"] and shown % 3 == 0):
                print()
                for rec in sorted(group, key=lambda r: r["copy"]):
                    print({k: rec[k] for k in (*FIELDS[1:], "noise", "hard")})
                shown += 1
                if shown >= args.show:
                    break


if __name__ == "__main__":
    sys.exit(main())
