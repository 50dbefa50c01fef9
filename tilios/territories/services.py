"""Load the COG reference and place points and declared addresses in it."""
import csv
import json
import math
import re
import threading
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from shapely import STRtree
from shapely.geometry import Point, shape

from tilios.text import query_tokens, search_text, search_tokens

from .models import Commune, Departement, Epci, Region

COG_DIR = settings.DATA_DIR / "cog-decoupage-administratif-2026"
CENTRES_CSV = settings.DATA_DIR / "communes-centres-geoapi-2025" / "communes_centres.csv"
CONTOURS_DIR = settings.DATA_DIR / "contours-france-geojson-2018"


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def _contours(filename):
    with open(CONTOURS_DIR / filename, encoding="utf-8") as f:
        return {feat["properties"]["code"]: feat["geometry"] for feat in json.load(f)["features"]}


def _int(value):
    return int(value) if value not in (None, "") else None


@transaction.atomic
def load_reference():
    """(Re)load régions, départements, EPCI and communes. Idempotent: existing rows are replaced."""
    Commune.objects.all().delete()
    Departement.objects.all().delete()
    Region.objects.all().delete()
    Epci.objects.all().delete()

    region_contours = _contours("regions-version-simplifiee.geojson")
    dep_contours = _contours("departements-version-simplifiee.geojson")
    Region.objects.bulk_create(
        Region(code=r["code"], name=r["nom"], zone=r["zone"], contour=region_contours.get(r["code"]))
        for r in _rows(COG_DIR / "regions.csv")
    )
    Departement.objects.bulk_create(
        Departement(code=d["code"], name=d["nom"], region_id=d["region"] or None, zone=d["zone"],
                    contour=dep_contours.get(d["code"]))
        for d in _rows(COG_DIR / "departements.csv")
    )
    Epci.objects.bulk_create(
        Epci(code=e["code"], name=e["nom"], kind=e["type"], population=_int(e["populationTotale"]))
        for e in _rows(COG_DIR / "epci.csv")
    )
    centres = {c["code"]: c for c in _rows(CENTRES_CSV)}
    departements = set(Departement.objects.values_list("code", flat=True))
    regions = set(Region.objects.values_list("code", flat=True))
    epcis = set(Epci.objects.values_list("code", flat=True))
    communes, links = [], []
    for row in _rows(COG_DIR / "communes.csv"):
        centre = centres.get(row["code"]) if row["type"] == Commune.Kind.CURRENT else None
        communes.append(Commune(
            code=row["code"], kind=row["type"], name=row["nom"],
            departement_id=row["departement"] if row["departement"] in departements else None,
            region_id=row["region"] if row["region"] in regions else None,
            epci_id=row["epci"] if row["epci"] in epcis else None,
            population=_int(row["population"]),
            postcodes=row["codes_postaux"], former_codes=row["anciens_codes"],
            latitude=float(centre["lat"]) if centre else None,
            longitude=float(centre["lon"]) if centre else None,
            search_text=search_text(row["nom"])[:300],
        ))
        parent = row["chef_lieu"] or row["commune_parente"]
        if parent:
            links.append((row["code"], row["type"], parent))
    Commune.objects.bulk_create(communes, batch_size=2000)
    current = dict(Commune.objects.filter(kind=Commune.Kind.CURRENT).values_list("code", "id"))
    for code, kind, parent in links:
        if parent in current:
            Commune.objects.filter(code=code, kind=kind).update(parent_id=current[parent])
    # Arrondissements municipaux carry no EPCI of their own: they share their city's.
    for part in Commune.objects.filter(parent__isnull=False).select_related("parent"):
        if part.epci_id is None and part.parent.epci_id:
            part.epci_id = part.parent.epci_id
            part.save(update_fields=["epci"])
    reset_locator()
    return {"regions": len(regions), "departements": len(departements), "epci": len(epcis),
            "communes": len(communes)}


def is_loaded():
    return Commune.objects.exists()


EARTH_RADIUS_KM = 6371.0088
PLAUSIBLE_CANDIDATES = 8
PLAUSIBLE_EXTRA_KM = 3.0
# The outlines of the département and région of a place or a commune: 6–18 KB of JSON each, ten times that
# parsed. Read with every place, they were ~90 % of a listing's time; kept with every commune the locator
# holds, 50 MB more for every 1 000 rows an import placed. Only the locator's index reads them, on their own.
OUTLINES = ("departement__contour", "region__contour")


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Location:
    """Where a point or a declared address falls in the reference, and how it was found."""

    commune: Commune | None
    method: str  # "coordinates", "postcode", "insee" or "" when nothing matched
    distance_km: float | None = None  # from the commune centre, for coordinates


class Locator:
    """In-memory index of commune centres and département contours.

    Without commune contours in the reference, a point is given the commune whose centre is
    nearest, among the communes of the département whose contour holds the point (a Voronoi
    approximation): right in the vast majority of cases, and wrong near borders, which is why
    a declared commune that disagrees is kept beside the derived one rather than overwritten.
    """

    def __init__(self):
        rows = list(Commune.objects.filter(kind=Commune.Kind.CURRENT, latitude__isnull=False)
                    .values_list("id", "departement_id", "latitude", "longitude"))
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        their_deps = np.array([r[1] or "" for r in rows])
        lat, lon = np.radians(np.array([r[2] for r in rows])), np.radians(np.array([r[3] for r in rows]))
        # (ids, latitudes, longitudes, cosines of latitudes) of the centres of each département's communes, and
        # of all of them: what a point's nearest communes are sought among, sliced once, not for each point.
        self.all_centres = (ids, lat, lon, np.cos(lat))
        self.centres = {code: tuple(array[np.flatnonzero(their_deps == code)] for array in self.all_centres)
                        for code in set(their_deps)}
        deps = [(d.code, shape(d.contour)) for d in Departement.objects.exclude(contour=None)]
        self.dep_codes = [code for code, _ in deps]
        self.dep_tree = STRtree([geom for _, geom in deps])
        self.communes = {}  # id -> Commune with its EPCI, département and région: reference data, read often
        self.above = {}  # (model, id) -> the EPCI, département or région those communes share
        self.by_code = self._current_by_code()
        self.by_postcode = {}
        # (département, folded name) -> ids of the current communes it may designate: a current
        # commune of that name, or the commune nouvelle a delegated or associated one belongs to.
        self.by_name = {}
        self.by_former_name = {}
        for cid, kind, dep, parent, postcodes, text in Commune.objects.values_list(
                "id", "kind", "departement_id", "parent_id", "postcodes", "search_text"):
            if kind == Commune.Kind.CURRENT:
                for postcode in postcodes.split():
                    self.by_postcode.setdefault(postcode, []).append((cid, text))
                self.by_name.setdefault((dep, text), []).append(cid)
            elif kind in (Commune.Kind.DELEGATED, Commune.Kind.ASSOCIATED) and parent:
                self.by_former_name.setdefault((dep, text), []).append(parent)

    def commune(self, cid):
        found = self.communes.get(cid)
        return self._held(Commune.objects.get(pk=cid)) if found is None else found

    def hold(self, codes):
        """Read at once the communes that INSEE `codes` designate and that are not held yet: those of a batch
        of places about to be located (a query each would cost an import more than locating them)."""
        wanted = {self.by_code.get((code or "").strip()) for code in codes} - {None} - self.communes.keys()
        for found in Commune.objects.filter(pk__in=wanted):
            self._held(found)

    def _held(self, commune):
        # One instance of each territory above for all the communes held: an import that places rows
        # in 35 000 communes would otherwise hold as many copies of the same hundred départements.
        commune.epci = self._above(Epci.objects, commune.epci_id)
        commune.departement = self._above(Departement.objects.defer("contour"), commune.departement_id)
        commune.region = self._above(Region.objects.defer("contour"), commune.region_id)
        self.communes[commune.pk] = commune
        return commune

    def _above(self, query, pk):
        if pk is None:
            return None
        found = self.above.get((query.model, pk))
        if found is None:
            found = self.above[(query.model, pk)] = query.get(pk=pk)
        return found

    @staticmethod
    def _current_by_code():
        """INSEE code -> id of the current commune it designates: its own, a district's or delegated
        commune's parent, or the commune that absorbed a former code."""
        rows = list(Commune.objects.values_list("id", "code", "kind", "parent_id", "former_codes"))
        found = {}
        for cid, code, kind, _parent, former in rows:
            if kind == Commune.Kind.CURRENT:
                for old in former.split():
                    found.setdefault(old, cid)
        for cid, code, kind, parent, _former in rows:
            if kind != Commune.Kind.CURRENT and parent:
                found[code] = parent
        for cid, code, kind, _parent, _former in rows:
            if kind == Commune.Kind.CURRENT:
                found[code] = cid
        return found

    def commune_by_code(self, code):
        cid = self.by_code.get(code)
        return self.commune(cid) if cid else None

    def departement_at(self, lat, lon):
        hits = self.dep_tree.query(Point(lon, lat), predicate="within")
        return self.dep_codes[hits[0]] if len(hits) else None

    def nearest_communes(self, lat, lon, n=1):
        """The n communes whose centres are nearest, as [(commune id, km)], nearest first."""
        dep = self.departement_at(lat, lon)
        ids, lats, lons, cosines = self.centres.get(dep, self.all_centres)
        if not len(ids):
            return []
        la, lo = math.radians(lat), math.radians(lon)
        a = np.sin((lats - la) / 2) ** 2 + math.cos(la) * cosines * np.sin((lons - lo) / 2) ** 2
        if n < len(a):  # the n nearest, then in order: the département's few hundred need no full sort
            nearest = np.argpartition(a, n)[:n]
            order = nearest[np.argsort(a[nearest])]
        else:
            order = np.argsort(a)
        return [(int(ids[i]), 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a[i]))))
                for i in order]

    def commune_for_postcode(self, postcode, town):
        """The current commune of a postal address, or None when it is not certain.

        Handles what postal addresses really hold: a CEDEX code (« 18020 BOURGES CEDEX »: a code
        of no commune, whose first digits still give the département) and the name of a delegated
        or associated commune (« CONTRES 41700 », now part of Le Controis-en-Sologne)."""
        postcode = (postcode or "").strip()
        town = CEDEX.sub(" ", town or "")
        candidates = self.by_postcode.get(postcode, [])
        if len(candidates) == 1 and not town.strip():
            return candidates[0][0]
        wanted = search_text(town)
        for cid, text in candidates:
            if wanted and text == wanted:
                return cid
        wanted_tokens = set(search_tokens(town))
        for cid, text in candidates:
            if wanted_tokens and wanted_tokens <= set(text.split()):
                return cid
        departement = departement_of_postcode(postcode)
        if wanted and departement:
            for index in (self.by_name, self.by_former_name):
                found = set(index.get((departement, wanted), ()))
                if len(found) == 1:
                    return found.pop()
        return candidates[0][0] if len(candidates) == 1 else None


CEDEX = re.compile(r"\bcedex\b(\s*\d+)?", re.IGNORECASE)


def departement_of_postcode(postcode):
    """The département code a French postcode (CEDEX ones included) belongs to, or None."""
    if not re.fullmatch(r"\d{5}", postcode or ""):
        return None
    if postcode.startswith("20"):  # Corse: 200xx-201xx Corse-du-Sud, 202xx-206xx Haute-Corse
        return "2A" if postcode < "20200" else "2B"
    if postcode.startswith("97"):
        return postcode[:3]
    return postcode[:2]


_locator = None
_town_texts = None
_locator_lock = threading.Lock()


def locator():
    global _locator
    with _locator_lock:
        if _locator is None:
            _locator = Locator()
        return _locator


def town_texts():
    """The search_text of every current commune with a centre, kept like the locator: a search asks the
    database for a town only when some of its words are one (most searches name none)."""
    global _town_texts
    with _locator_lock:
        if _town_texts is None:
            _town_texts = frozenset(Commune.objects.filter(kind=Commune.Kind.CURRENT, latitude__isnull=False)
                                    .order_by().values_list("search_text", flat=True))
        return _town_texts


def reset_locator():
    """Forget the communes kept in memory: the reference was (re)loaded."""
    global _locator, _town_texts
    with _locator_lock:
        _locator = _town_texts = None


def commune_by_code(code):
    """The current commune an INSEE code designates, following districts, merged and former codes."""
    code = (code or "").strip()
    if not code or code == "0":
        return None
    return locator().commune_by_code(code)


def locate(latitude=None, longitude=None, postcode="", town="", declared=None):
    """The commune of a place: from its coordinates when it has some, else from postcode + town.

    Nearest-centre is only an approximation of commune boundaries, so a declared commune is
    accepted when the coordinates make it plausible: among the nearest few centres, and not much
    farther than the nearest one (a point in a large city is often nearer a small neighbour's centre).
    """
    index = locator()
    if latitude is not None and longitude is not None:
        nearest = index.nearest_communes(latitude, longitude, n=PLAUSIBLE_CANDIDATES)
        if nearest:
            best_id, best_km = nearest[0]
            if declared is not None:
                for cid, km in nearest:
                    if cid == declared.pk and km <= max(2 * best_km, best_km + PLAUSIBLE_EXTRA_KM):
                        return Location(index.commune(cid), "coordinates", km)
            return Location(index.commune(best_id), "coordinates", best_km)
    cid = index.commune_for_postcode(postcode, town)
    if cid is not None:
        return Location(index.commune(cid), "postcode")
    return Location(None, "")


def find_communes(text, limit=10):
    """Current communes whose name matches `text` (folded like place search), most populous first.
    A query too long to be a commune's name raises tilios.text.QueryTooLong."""
    tokens = query_tokens(text)
    if not tokens:
        return []
    qs = Commune.objects.filter(kind=Commune.Kind.CURRENT, latitude__isnull=False)
    for token in tokens:
        qs = qs.filter(search_text__contains=" " + token)
    return list(qs.select_related("departement").order_by("-population")[: max(1, min(limit, 50))])
