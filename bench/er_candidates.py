"""Loose candidate record pairs for hand-labelling an entity-resolution evaluation set.

    .venv/bin/python bench/er_candidates.py [--data ../shared/data] [--out bench/out/er_candidates.csv]

Reads every record of the shared real files with the project's own readers (exactly what the importers
read) and writes every pair of records that passes at least one deliberately loose rule:

- ``token3km``:  ≤ 3 km apart and sharing a distinctive name token (after folding accents, case and
  punctuation; generic words — « fablab », « espace », « numérique », « coworking », « médiathèque »… —
  and tokens held by more than ``--max-token-df`` records do not count);
- ``near300``:   ≤ 300 m apart, whatever the names (co-located places);
- ``name90``:    ≤ 30 km apart and a fuzzy name ratio ≥ 90, generic words included (the same generic
  name — « Espace Public Numérique », « Cyber-base » — in neighbouring communes: hard negatives);
- ``commune60``: same commune (INSEE code, postcode or département + folded town name) and a fuzzy
  name ratio ≥ 60 (rapidfuzz, max of ``ratio`` and ``token_sort_ratio`` on folded names);
- ``web``:       sharing a website (host, or host + first path segment on shared hosts such as
                 facebook.com), unless that key is shared by more than ``--max-web-df`` records;
- ``siret``:     the same SIRET (``pivot`` of the national MedNum standard, not the 000… placeholder).

(The shared files carry no phone or e-mail: those columns were dropped when the files were gathered.)

Pairs are generated inside each source and across sources. MapLabBZH is read from its two CSV snapshots
with the mapping of tilios/data/maplabbzh/maplabbzh.json (ids = normalised « name|ville », stable across
snapshots); an id present in both snapshots is one record (its 2020 version; the distance is the minimum
over both versions), so a 2016-only id paired with a 2020-only id is a « MapLab 2016×2020 » pair.

The output is sorted and contains no timestamps: two runs on the same files give the same bytes.
"""
import argparse
import csv
import importlib
import math
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out" / "er_candidates.csv"
MAPLAB_MAPPING = ROOT / "tilios" / "data" / "maplabbzh" / "maplabbzh.json"
MAPLAB_DIR = "tierslieux-bretagne-maplabbzh"
MAPLAB_FILES = [("2016", "maplabbzh_2016-08-26.csv"), ("2020", "maplabbzh_2020-05-26.csv")]

# (source slug as in tilios/data/sources.json, reader module, path under the data folder)
SOURCES = [
    ("cget-mission-coworking-2019", "cget", "cget-mission-coworking-2019/cget_tierslieux_2019.csv"),
    ("fablabs-io", "fablabs_io", "fablabs-io-france-2017/fablabs_io_france_2017-04.csv"),
    ("maplabbzh", "csv_mapping", None),  # both snapshots, see MAPLAB_FILES
    ("mednum-bfc", "mednum", "mednum-bfc-lieux-mediation-numerique/mednum_bfc_lieux.csv"),
    ("mednum-hinaura", "mednum", "mednum-hinaura-auvergne-rhone-alpes-2022/hinaura_lieux.csv"),
    ("mednum-hub-du-sud", "mednum", "mednum-hub-du-sud-paca-2023/hub_du_sud_lieux_2023-05-16.csv"),
]
SOURCE_ORDER = {slug: i for i, (slug, _, _) in enumerate(SOURCES)}

TOKEN_KM = 3.0
NEAR_M = 300.0
NAME_KM = 30.0
NAME_MIN = 90
FUZZ_MIN = 60
EARTH_RADIUS_M = 6371008.8

# Words that say what kind of place it is, not which one. Tokens of 1-2 letters never count either.
STOPWORDS = set("""
de du des la le les l d et a au aux en sur sous pour par avec chez un une the of and st ste saint sainte
""".split())
GENERIC = set("""
fablab fablabs fab lab labs lablab makerspace maker makers hackerspace hacklab hack coworking cowork coworkers
working work space espace espaces tiers lieu lieux tierslieu tierslieux numerique numeriques digital
public publique publics publiques epn cyber base cyberbase cybercentre centre center social sociale
socioculturel culturel culturelle culture loisirs maison maisons mjc mpt services service france
mediatheque bibliotheque bibliotheques media ludotheque mairie ville commune communale communaute
communautaire agglomeration agglo intercommunal intercommunale departement departemental departementale
region regional regionale pays point info information informations accueil association asso club atelier
ateliers pole pepiniere entreprises entreprise hotel office bureau bureaux business conseiller conseillers
numeriques emploi insertion formation formations mission locale ccas csc cias msap mfs structure
accompagnement acces inclusion mediation animation quartier quartiers habitants jeunes jeunesse seniors
permanence permanences campus connecte universite ecole college lycee iut innovation lieu collectif
cooperative scic fabrique fabriques rue avenue place boulevard agence municipale municipal multimedia
solidarites solidarite initiative initiatives communes action relais kiosque antenne familles famille groupe
cafe informatique socio annexe assistant vie itinerante itinerant rurales rurale telecentre foyer associations
territoire territoires union cite familiale
""".split())

# Hosts where many unrelated sites live: the key is then host + first path segment.
SHARED_HOSTS = {"facebook.com", "fr-fr.facebook.com", "m.facebook.com", "twitter.com", "sites.google.com",
                "plus.google.com", "linkedin.com", "fr.linkedin.com", "instagram.com", "youtube.com", "vimeo.com",
                "github.com", "meetup.com", "openagenda.com", "wordpress.com", "free.fr", "wixsite.com"}
PATH_PREFIXES = {"pages", "pg", "user", "users", "company", "channel", "c", "groups", "in", "school", "people"}
IGNORED_HOSTS = {"fablabs.io", "www.fablabs.io", "goo.gl", "bit.ly"}


def fold(value):
    """« L'Hôtel-à-Projets » -> "l hotel a projets"."""
    text = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def tokens(name):
    return {t for t in fold(name).split() if len(t) >= 3 and t not in STOPWORDS}


def haversine_m(a, b):
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def web_keys(urls):
    keys = set()
    for url in urls:
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            continue
        host = (parts.hostname or "").lower()
        if host.startswith("www."):
            host = host[4:]
        if not host or host in IGNORED_HOSTS or "." not in host:
            continue
        if host in SHARED_HOSTS or host.endswith(".wixsite.com"):
            segments = [s for s in parts.path.lower().split("/") if s]
            while segments and segments[0] in PATH_PREFIXES:
                segments.pop(0)
            if not segments or segments[0] in ("playlist", "watch", "profile.php", "sharer.php"):
                continue
            keys.add(f"{host}/{segments[0]}")
        else:
            keys.add(host)
    return keys


def info_of(slug, raw):
    """Labelling context: kind, labels and provenance columns as the source states them."""
    if slug == "cget-mission-coworking-2019":
        bits = [raw.get("TYPO"), f"geocod={raw.get('GEOCOD')}", f"precision={raw.get('PRECISION')}",
                raw.get("TWITTER"), raw.get("FACEBOOK")]
    elif slug == "fablabs-io":
        bits = [raw.get("kind_name"), raw.get("address_notes"), raw.get("links"), raw.get("url")]
    elif slug == "maplabbzh":
        bits = [raw.get("structure"), raw.get("organisation")]
    elif slug == "mednum-bfc":
        bits = [f"typo={raw.get('code_typo')}", f"label={raw.get('code_label')}", raw.get("mise_a_jour")]
    else:
        bits = [raw.get("source"), f"siret={raw.get('pivot')}", raw.get("labels_nationaux"), raw.get("date_maj")]
    return " | ".join(b.strip() for b in bits if b and b.strip() and not b.strip().endswith("="))


class Record:
    def __init__(self, slug, row, snapshot=""):
        f = row.fields
        self.source = slug
        self.id = row.external_id
        self.snapshot = snapshot
        self.name = f.get("name", "")
        self.address = f.get("address", "")
        self.postcode = f.get("postcode", "")
        self.town = f.get("town", "")
        self.commune_code = f.get("declared_commune_code", "")
        self.points = [] if f.get("latitude") is None else [(f["latitude"], f["longitude"])]
        self.urls = [link["url"] for link in f.get("links", [])]
        self.web = web_keys(self.urls)
        siret = (row.raw.get("pivot") or "").strip()
        self.siret = siret if siret and set(siret) != {"0"} else ""
        self.info = info_of(slug, row.raw)
        self.tokens = tokens(self.name)
        self.folded = fold(self.name)

    @property
    def key(self):
        return (SOURCE_ORDER[self.source], self.source, self.id)

    @property
    def point(self):
        return self.points[-1] if self.points else None

    def commune_keys(self):
        keys = set()
        if self.commune_code:
            keys.add("insee:" + self.commune_code)
        postcode = self.postcode.strip()  # fablabs.io has a few 4-digit ones (« 2100 » for Dijon): unusable
        if len(postcode) == 5 and postcode.isdigit():
            keys.add("cp:" + postcode)
            town = fold(self.town)
            if town:
                keys.add(f"town:{postcode[:2]}:{town.replace('saint', 'st')}")
        return keys


def load(data=DATA):
    """Every record of every shared source, read by the project's readers; rows with an error are skipped."""
    import django

    django.setup()
    records = []
    for slug, module, path in SOURCES:
        reader = importlib.import_module(f"tilios.sources.importers.{module}").read
        if slug == "maplabbzh":
            by_id = {}
            for snapshot, name in MAPLAB_FILES:
                for row in reader(Path(data) / MAPLAB_DIR / name, mapping=MAPLAB_MAPPING):
                    if row.error:
                        continue
                    record = Record(slug, row, snapshot)
                    old = by_id.get(record.id)
                    if old is not None:
                        record.snapshot = old.snapshot + "+" + snapshot
                        record.points = old.points + record.points
                        record.web |= old.web
                    by_id[record.id] = record
            records += by_id.values()
            continue
        for row in reader(Path(data) / path):
            if not row.error:
                records.append(Record(slug, row))
    records.sort(key=lambda r: r.key)
    return records


def distance(a, b):
    if not a.points or not b.points:
        return None
    return min(haversine_m(p, q) for p in a.points for q in b.points)


def name_ratio(a, b):
    from rapidfuzz import fuzz

    return max(fuzz.ratio(a.folded, b.folded), fuzz.token_sort_ratio(a.folded, b.folded))


def candidates(records, max_token_df=25, max_web_df=10):
    """{(i, j): set of rules} over record indexes, i < j."""
    df = Counter(t for r in records for t in r.tokens)
    distinctive = [{t for t in r.tokens if t not in GENERIC and df[t] <= max_token_df} for r in records]
    pairs = defaultdict(set)

    # spatial rules: a grid of ~3 km cells, each record compared with the 3x3 neighbourhood
    cell = TOKEN_KM / 111.0
    grid = defaultdict(list)
    for i, r in enumerate(records):
        for lat, lon in r.points:
            grid[(math.floor(lat / cell), math.floor(lon / cell))].append(i)
    for (cy, cx), members in sorted(grid.items()):
        neighbours = sorted({j for dy in (-1, 0, 1) for dx in range(-2, 3) for j in grid.get((cy + dy, cx + dx), ())})
        for i in sorted(set(members)):
            for j in neighbours:
                if j <= i:
                    continue
                d = distance(records[i], records[j])
                if d is None:
                    continue
                if d <= NEAR_M:
                    pairs[(i, j)].add("near300")
                if d <= TOKEN_KM * 1000 and distinctive[i] & distinctive[j]:
                    pairs[(i, j)].add("token3km")

    # the same name, generic or not, in the surroundings (a coarser grid of ~30 km cells)
    cell = NAME_KM / 111.0
    grid = defaultdict(list)
    for i, r in enumerate(records):
        if r.point:
            grid[(math.floor(r.point[0] / cell), math.floor(r.point[1] / cell))].append(i)
    for (cy, cx), members in sorted(grid.items()):
        neighbours = sorted({j for dy in (-1, 0, 1) for dx in range(-2, 3) for j in grid.get((cy + dy, cx + dx), ())})
        for i in members:
            for j in neighbours:
                if j > i and records[i].folded and name_ratio(records[i], records[j]) >= NAME_MIN:
                    d = distance(records[i], records[j])
                    if d is not None and d <= NAME_KM * 1000:
                        pairs[(i, j)].add("name90")

    # same commune + fuzzy name
    by_commune = defaultdict(set)
    for i, r in enumerate(records):
        for key in r.commune_keys():
            by_commune[key].add(i)
    for key in sorted(by_commune):
        for i, j in combinations(sorted(by_commune[key]), 2):
            if "commune60" not in pairs.get((i, j), ()) and name_ratio(records[i], records[j]) >= FUZZ_MIN:
                pairs[(i, j)].add("commune60")

    # shared identifiers
    for attr, rule, cap in (("web", "web", max_web_df), ("siret", "siret", max_web_df)):
        index = defaultdict(set)
        for i, r in enumerate(records):
            values = getattr(r, attr)
            for value in ([values] if isinstance(values, str) else values):
                if value:
                    index[value].add(i)
        for value in sorted(index):
            members = sorted(index[value])
            if len(members) > cap:
                continue
            for i, j in combinations(members, 2):
                pairs[(i, j)].add(rule)

    # a MapLab id present in both snapshots is one record: no self-pairs exist by construction
    return pairs


SIDE = ["source", "id", "snapshot", "name", "address", "postcode", "town", "commune_code", "lat", "lon", "web",
        "info"]
COLUMNS = ["pair", "rules", "distance_m", "name_ratio", *[f"{c}_a" for c in SIDE], *[f"{c}_b" for c in SIDE]]


def side(r):
    lat, lon = r.point if r.point else ("", "")
    return [r.source, r.id, r.snapshot, r.name, r.address, r.postcode, r.town, r.commune_code,
            f"{lat:.6f}" if lat != "" else "", f"{lon:.6f}" if lon != "" else "", " ".join(r.urls), r.info]


def pair_key(a, b):
    return f"{a.source}:{a.id}~{b.source}:{b.id}"


def rows(records, pairs):
    out = []
    for (i, j), rules in pairs.items():
        a, b = records[i], records[j]
        if b.key < a.key:
            a, b = b, a
        d = distance(a, b)
        out.append([pair_key(a, b), "+".join(sorted(rules)), "" if d is None else str(round(d)),
                    str(round(name_ratio(a, b))), *side(a), *side(b)])
    out.sort(key=lambda row: (SOURCE_ORDER[row[4]], SOURCE_ORDER[row[4 + len(SIDE)]], row[0]))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--max-token-df", type=int, default=25)
    parser.add_argument("--max-web-df", type=int, default=10)
    args = parser.parse_args(argv)
    records = load(args.data)
    pairs = candidates(records, args.max_token_df, args.max_web_df)
    table = rows(records, pairs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(table)
    combos = Counter(" × ".join(sorted({r[4], r[4 + len(SIDE)]}, key=SOURCE_ORDER.get)) if r[4] != r[4 + len(SIDE)]
                     else r[4] + " (internal)" for r in table)
    rules = Counter(rule for r in table for rule in r[1].split("+"))
    print(f"{len(records)} records, {len(table)} candidate pairs -> {args.out}")
    for combo, n in sorted(combos.items()):
        print(f"  {n:6d}  {combo}")
    print("  rules: " + ", ".join(f"{k} {v}" for k, v in sorted(rules.items())))


if __name__ == "__main__":
    main()
