"""Estimates of the places no list has found, made only where the sources can be compared.

Capture–recapture compares lists of the same population. Two directories rarely cover the same one: a
regional map of fablabs and a national base of coworking spaces overlap on a few départements and kinds
only, and a national count drawn from them is meaningless. So each source's own coverage is read from
what it lists (its *scope*), the estimate is made within the scope all the sources share, and what
would make a figure mislead is said beside it, as a warning in words and a code for programs:

- a département is in a source's scope when at least 0.5 % of the places it lists lie there; a source
  present in at least 7 of the 13 metropolitan régions is national and covers every département;
- a kind is in a source's scope when at least 5 % of the places it lists carry it; a place is in the
  common scope when one of its kinds is in every source's scope (a place of no known kind is not);
- a source lists a place as known on K when one of its records of the place was published by then;
- with a date or a definition, only the places valid on D as known on K (and counted by it) are taken;
- review pairs still pending are duplicates or not: both answers are computed, as a range.
"""
import math
from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tilios.places.models import Place
from tilios.sources.models import MatchCandidate, Source, SourceRecord

from . import criteria as crit
from . import estimators
from .facts import end_of_day
from .services import PLACE_WITHIN, WITHIN, CensusError, _dates, _labels, facts

TERRITORY_SHARE = 0.005
KIND_SHARE = 0.05
NATIONAL_REGIONS = 7
METROPOLITAN_REGIONS = {"11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"}
SMALL_OVERLAP = 10
SMALL_SOURCE = 10
STRATA = {"departement": gettext_lazy("département"), "region": gettext_lazy("région")}


def _warning(code, message):
    return {"code": code, "message": message}


def _listings(slugs, known_on):
    """{place id: {slugs}} for the live places each source lists, as known at the end of day K."""
    limit = end_of_day(known_on) if known_on else None
    records = (SourceRecord.objects.filter(source__slug__in=slugs, place__is_published=True,
                                           place__merged_into=None)
               .select_related("source", "first_run", "last_run")
               .only("place_id", "source__slug", "first_run__known_on", "first_run__started_at",
                     "last_run__known_on", "last_run__started_at"))
    listed = {}
    for record in records:
        if limit is not None:
            attested = record.first_attested_at
            if attested is not None and attested > limit:
                continue  # this source published the place after K
        listed.setdefault(record.place_id, set()).add(record.source.slug)
    return listed


def _places(ids):
    """Each place's département, région and kinds: what scopes and strata are read from."""
    found = {}
    for pk, dep, reg in Place.objects.filter(pk__in=ids).values_list("pk", "departement_id", "region_id"):
        found[pk] = {"departement": dep, "region": reg, "kinds": set()}
    for pk, code in Place.kinds.through.objects.filter(place_id__in=ids).values_list("place_id", "kind__code"):
        found[pk]["kinds"].add(code)
    return found


def source_scope(places):
    """The départements (None: all, a national source) and kinds a source covers, from the places it lists."""
    n = len(places)
    deps = Counter(p["departement"] for p in places if p["departement"])
    regions = {p["region"] for p in places if p["region"]} & METROPOLITAN_REGIONS
    kinds = Counter(k for p in places for k in p["kinds"])
    national = len(regions) >= NATIONAL_REGIONS
    floor = max(1, math.ceil(TERRITORY_SHARE * n))
    return {"listed": n, "national": national,
            "departements": None if national else sorted(d for d, c in deps.items() if c >= floor),
            "kinds": sorted(k for k, c in kinds.items() if c >= KIND_SHARE * n)}


def common_scope(scopes):
    deps = None
    for scope in scopes.values():
        if scope["departements"] is not None:
            deps = set(scope["departements"]) if deps is None else deps & set(scope["departements"])
    kinds = set.intersection(*(set(s["kinds"]) for s in scopes.values()))
    differs = len({(tuple(s["departements"] or ()), tuple(s["kinds"])) for s in scopes.values()}) > 1
    return {"departements": None if deps is None else sorted(deps), "kinds": sorted(kinds), "differs": differs}


def _in_scope(place, scope):
    if scope["departements"] is not None and place["departement"] not in scope["departements"]:
        return False
    return bool(place["kinds"] & set(scope["kinds"]))


def _merge_pending(listed):
    """The listings if every pending review pair between these places were one place; and how many pairs."""
    ids = list(listed)
    pairs = MatchCandidate.objects.filter(status=MatchCandidate.Status.PENDING, place_a_id__in=ids,
                                          place_b_id__in=ids).values_list("place_a_id", "place_b_id")
    parent = {pk: pk for pk in ids}

    def root(pk):
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    n = 0
    for a, b in pairs:
        n += 1
        parent[root(a)] = root(b)
    merged = {}
    for pk, sources in listed.items():
        merged.setdefault(root(pk), set()).update(sources)
    return merged, n


def _histories(listed, slugs):
    return [tuple(int(slug in sources) for slug in slugs) for sources in listed.values()]


def _overlap(histories):
    """Places listed by two sources or more (for two sources: the m of Chapman)."""
    return sum(1 for h in histories if sum(h) >= 2)


def _estimates(histories, slugs):
    """The estimators that apply, and those refused with the reason (no place seen twice: nothing to go on)."""
    if not histories:
        return [], [{"method": "*", "reason": _("aucun lieu dans le périmètre commun")}]
    if _overlap(histories) == 0:
        return [], [{"method": "*", "reason": _("aucun lieu listé par plus d'une source : rien ne permet "
                                                 "d'estimer ceux qu'aucune ne liste")}]
    return estimators.estimate(histories, slugs)


def _warnings(slugs, scopes, scope, listed_in_scope, histories, estimates):
    warnings = []
    if scope["differs"]:
        warnings.append(_warning("scopes_differ", _(
            "Les sources ne couvrent pas les mêmes territoires ou les mêmes types de lieux : l'estimation est "
            "limitée à leur périmètre commun, et ne vaut pas au-delà.")))
    for slug in slugs:
        if not scopes[slug]["listed"]:
            warnings.append(_warning("empty_source", _("%(s)s ne liste aucun de ces lieux à cette date.") % {"s": slug}))
    if scope["departements"] == [] or not scope["kinds"]:
        warnings.append(_warning("no_common_scope", _(
            "Ces sources n'ont aucun territoire ou aucun type de lieu en commun : elles ne décrivent pas la "
            "même population, aucune estimation n'est possible.")))
        return warnings
    for slug in slugs:
        if scopes[slug]["listed"] and listed_in_scope[slug] < SMALL_SOURCE:
            warnings.append(_warning("small_source", _(
                "%(s)s ne liste que %(n)d lieux dans le périmètre commun : trop peu pour une estimation fiable.")
                % {"s": slug, "n": listed_in_scope[slug]}))
    m = _overlap(histories)
    if histories and m == 0:
        warnings.append(_warning("no_overlap", _(
            "Aucun lieu n'est listé par plus d'une source dans le périmètre commun : aucune estimation.")))
    elif 0 < m < SMALL_OVERLAP:
        warnings.append(_warning("small_overlap", ngettext(
            "Un seul lieu est commun aux sources : l'estimation est très instable.",
            "Seulement %(m)d lieux sont communs aux sources (moins de %(min)d) : l'estimation est très instable.",
            m) % {"m": m, "min": SMALL_OVERLAP}))
    for e in estimates:
        if e.upper > 2 * e.estimate:
            warnings.append(_warning("wide_interval", _(
                "%(method)s : l'intervalle à 95 %% va jusqu'à plus du double de l'estimation ; le chiffre seul "
                "ne dit presque rien.") % {"method": e.method}))
    return warnings


def _strata(level, listed, places, slugs):
    """One estimate per département or région, and their sums; strata where no estimate is possible are
    listed apart with what they observed."""
    groups = {}
    for pk, sources in listed.items():
        groups.setdefault(places[pk][level] or "", {})[pk] = sources
    labels = _labels(level, groups)
    rows, by_method, excluded = [], {}, []
    for key in sorted(groups):
        histories = _histories(groups[key], slugs)
        estimates, refused = _estimates(histories, slugs)
        row = {"key": key, "label": labels.get(key, key), "observed": len(histories),
               "overlap": _overlap(histories), "estimates": [e.as_dict() for e in estimates]}
        rows.append(row)
        if refused:
            excluded.append({"key": key, "label": row["label"], "observed": row["observed"]})
        for e in estimates:
            by_method.setdefault(e.method, []).append(e)
    totals = [estimators.stratified_sum(parts, method).as_dict() for method, parts in by_method.items()]
    warnings = []
    if excluded:
        warnings.append(_warning("strata_excluded", ngettext(
            "%(n)d territoire sans estimation possible (%(o)d lieux observés) n'entre pas dans les sommes.",
            "%(n)d territoires sans estimation possible (%(o)d lieux observés) n'entrent pas dans les sommes.",
            len(excluded)) % {"n": len(excluded), "o": sum(e["observed"] for e in excluded)}))
    return {"by": level, "rows": rows, "totals": totals, "excluded": excluded}, warnings


def estimate_population(source_slugs, definition=None, valid_on=None, known_on=None, within=None, by=None):
    """Estimate, within the sources' common scope, the places none of them lists (see the module's text)."""
    slugs = list(dict.fromkeys(s.strip() for s in source_slugs if s.strip()))
    if len(slugs) < 2:
        raise CensusError(_("il faut au moins deux sources"))
    unknown = set(slugs) - set(Source.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    if unknown:
        raise CensusError(_("source inconnue : %(s)s") % {"s": sorted(unknown)[0]})
    if by is not None and by not in STRATA:
        raise CensusError(_("ventilation inconnue : %(by)s (possibles : %(all)s)") % {
            "by": by, "all": ", ".join(STRATA)})
    for level in within or {}:
        if level not in WITHIN:
            raise CensusError(_("niveau de territoire inconnu : %(l)s") % {"l": level})
    dated = definition is not None or valid_on is not None or known_on is not None
    if dated:
        valid_on, known_on = _dates(valid_on, known_on)
    listed = _listings(slugs, known_on)
    if dated:
        valid = facts(valid_on, known_on)
        if definition is not None:
            valid = crit.apply(valid, definition.criteria)
        keep = set(valid.values_list("place_id", flat=True))
        listed = {pk: s for pk, s in listed.items() if pk in keep}
    if not listed:
        raise CensusError(_("aucun lieu listé par ces sources"))
    places = _places(listed)
    scopes = {slug: source_scope([places[pk] for pk, s in listed.items() if slug in s]) for slug in slugs}
    scope = common_scope(scopes)
    in_scope = {pk: s for pk, s in listed.items() if _in_scope(places[pk], scope)}
    if within:
        inside = set(Place.objects.filter(pk__in=in_scope, **{PLACE_WITHIN[level]: code
                                                                for level, code in within.items()})
                     .values_list("pk", flat=True))
        in_scope = {pk: s for pk, s in in_scope.items() if pk in inside}
    histories = _histories(in_scope, slugs)
    estimates, refused = _estimates(histories, slugs)
    per_source = {slug: sum(h[i] for h in histories) for i, slug in enumerate(slugs)}
    merged, pending = _merge_pending(in_scope)
    sensitivity = {"pending_pairs": pending, "if_all_duplicates": None}
    if pending:
        merged_estimates, _refused = _estimates(_histories(merged, slugs), slugs)
        sensitivity["if_all_duplicates"] = {"observed": len(merged),
                                            "estimates": [e.as_dict() for e in merged_estimates]}
    warnings = _warnings(slugs, scopes, scope, per_source, histories, estimates)
    if pending:
        warnings.append(_warning("pending_pairs", ngettext(
            "%(n)d paire de doublons possibles attend une relecture : l'estimation est donnée aussi en la "
            "comptant comme un seul lieu.",
            "%(n)d paires de doublons possibles attendent une relecture : l'estimation est donnée aussi en les "
            "comptant toutes comme un seul lieu.", pending) % {"n": pending}))
    strata = None
    if by and in_scope:
        strata, strata_warnings = _strata(by, in_scope, places, slugs)
        warnings += strata_warnings
    return {"sources": slugs, "listed": per_source, "observed": len(histories), "overlap": _overlap(histories),
            "set_aside": len(listed) - len(in_scope),
            "scope": {**scope, "sources": scopes, "within": within or {}},
            "estimates": [e.as_dict() for e in estimates], "refused": refused, "warnings": warnings,
            "sensitivity": sensitivity,
            "strata": strata}
