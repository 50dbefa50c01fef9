"""Counts of places « valid on D, as known on K », their breakdowns, explanations and snapshots."""
import datetime
import hashlib
import json
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tilios.places.models import Kind, Place
from tilios.revisions.models import Revision
from tilios.territories.models import POPULATION_CLASSES, Commune, Departement, Epci, Region

from . import criteria as crit
from .facts import end_of_day, kind_bits
from .models import CensusDefinition, PlaceFact, Snapshot

LEVELS = {
    "region": "region_code",
    "departement": "departement_code",
    "epci": "epci_code",
    "commune": "commune_code",
    "metropole": "in_metropole",
    "population": "population_class",
    "presence": "presence",
    "kind": None,  # one row per kind: a place of two kinds counts in both
}
WITHIN = {"region": "region_code", "departement": "departement_code", "epci": "epci_code",
          "commune": "commune_code"}
# The same territories, read on the places themselves rather than on their facts.
PLACE_WITHIN = {"region": "region_id", "departement": "departement_id", "epci": "epci_id",
                "commune": "commune__code"}


class CensusError(ValueError):
    pass


@dataclass
class CountResult:
    definition: CensusDefinition
    valid_on: datetime.date
    known_on: datetime.date
    by: str | None
    within: dict
    total: int
    rows: list = field(default_factory=list)  # [{"key", "label", "count", "possible"}]
    possible: int = 0  # places only possibly valid on D (see count)

    def as_dict(self):
        return {"definition": self.definition.ref, "definition_name": self.definition.name,
                "valid_on": self.valid_on.isoformat(), "known_on": self.known_on.isoformat(), "by": self.by,
                "within": self.within, "total": self.total, "possible": self.possible, "rows": self.rows}


def get_definition(ref=None):
    """`slug` (latest version) or `slug@version`; the CGET 2018 definition by default."""
    ref = ref or "cget-2018"
    slug, _sep, version = ref.partition("@")
    qs = CensusDefinition.objects.filter(slug=slug)
    if version:
        if not version.isdigit():
            raise CensusError(_("version de définition invalide : %(v)s") % {"v": version})
        qs = qs.filter(version=int(version))
    found = qs.order_by("-version").first()
    if found is None:
        raise CensusError(_("définition inconnue : %(ref)s") % {"ref": ref})
    return found


def facts(valid_on, known_on, within=None):
    """Facts the registry held at the end of day K about places certainly existing on day D."""
    return _known(known_on, within).filter(Q(valid_from__isnull=True) | Q(valid_from__lte=valid_on),
                                           Q(valid_to__isnull=True) | Q(valid_to__gte=valid_on))


def _known(known_on, within=None):
    k = end_of_day(known_on)
    qs = PlaceFact.objects.filter(Q(known_to__isnull=True) | Q(known_to__gt=k), known_from__lte=k)
    for level, value in (within or {}).items():
        if level not in WITHIN:
            raise CensusError(_("niveau de territoire inconnu : %(l)s") % {"l": level})
        qs = qs.filter(**{WITHIN[level]: value})
    return qs.exclude(status=Place.Status.PROJECT)


def possible_facts(valid_on, known_on, within=None):
    """Facts of places with no opening date, first attested after D and not closed before D."""
    return _known(known_on, within).filter(valid_from_estimated=True, valid_from__gt=valid_on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_on))


def _dates(valid_on, known_on):
    today = timezone.localdate()
    valid_on, known_on = valid_on or today, known_on or today
    if known_on > today:
        raise CensusError(_("la date de connaissance ne peut pas être dans le futur"))
    return valid_on, known_on


def _labels(level, keys):
    keys = [k for k in keys if k not in (None, "")]
    if level == "region":
        return dict(Region.objects.filter(code__in=keys).values_list("code", "name"))
    if level == "departement":
        return dict(Departement.objects.filter(code__in=keys).values_list("code", "name"))
    if level == "epci":
        return dict(Epci.objects.filter(code__in=keys).values_list("code", "name"))
    if level == "commune":
        return dict(Commune.objects.filter(code__in=keys, kind=Commune.Kind.CURRENT).values_list("code", "name"))
    if level == "metropole":
        return {True: _("dans une métropole"), False: _("hors métropole")}
    if level == "presence":
        return dict(Place.Presence.choices)
    if level == "population":
        return {name: _(name) for _low, name in POPULATION_CLASSES}
    return {}


def _tally(qs, by):
    """(total, {key: n}) of a filtered fact query, broken down by a level."""
    if by is None:
        return qs.count(), {}
    if by == "kind":
        bits = sorted(kind_bits().items(), key=lambda kv: kv[1])
        per_kind = qs.annotate(**{f"_k{i}": F("kinds_mask").bitand(bit) for i, (_c, bit) in enumerate(bits)})
        counts = per_kind.aggregate(  # one scan for every kind at once
            _total=Count("*"), _untyped=Count("pk", filter=Q(kinds_mask=0)),
            **{f"n{i}": Count("pk", filter=Q(**{f"_k{i}__gt": 0})) for i in range(len(bits))})
        grouped = {code: counts[f"n{i}"] for i, (code, _bit) in enumerate(bits) if counts[f"n{i}"]}
        if counts["_untyped"]:
            grouped[""] = counts["_untyped"]
        return counts["_total"], grouped
    if by == "region":  # rolled up from départements, which the count index covers
        region_of = dict(Departement.objects.values_list("code", "region_id"))
        grouped = {}
        for dep, n in qs.order_by().values_list("departement_code").annotate(n=Count("*")):
            region = region_of.get(dep, "")
            grouped[region] = grouped.get(region, 0) + n
    else:
        grouped = dict(qs.order_by().values_list(LEVELS[by]).annotate(n=Count("*")))
    return sum(grouped.values()), grouped  # every fact has one key: no second scan for the total


def count(definition, valid_on=None, known_on=None, by=None, within=None):
    """Places certainly valid on D as known on K (`total`), and those only possibly valid (`possible`):
    without an opening date, first attested after D — they may have existed on D, nothing says so."""
    valid_on, known_on = _dates(valid_on, known_on)
    if by and by not in LEVELS:
        raise CensusError(_("ventilation inconnue : %(by)s (possibles : %(all)s)") % {"by": by, "all": ", ".join(LEVELS)})
    total, grouped = _tally(crit.apply(facts(valid_on, known_on, within), definition.criteria), by)
    possible, possibly = _tally(crit.apply(possible_facts(valid_on, known_on, within), definition.criteria), by)
    rows = []
    if by == "kind":
        labels = {**dict(Kind.objects.values_list("code", "label")), "": _("sans type")}
        order = {code: bit for code, bit in kind_bits().items()}
        keys = sorted(set(grouped) | set(possibly), key=lambda k: order.get(k, 1 << 62))
    elif by:
        keys = list(set(grouped) | set(possibly))
        labels = _labels(by, keys)
    else:
        keys, labels = [], {}
    for key in keys:
        rows.append({"key": key, "label": labels.get(key, key if key not in (None, "") else _("inconnu")),
                     "count": grouped.get(key, 0), "possible": possibly.get(key, 0)})
    if by == "population":
        order = [name for _low, name in POPULATION_CLASSES]
        rows.sort(key=lambda r: order.index(r["key"]) if r["key"] in order else len(order))
    elif by and by != "kind":
        rows.sort(key=lambda r: (-r["count"], -r["possible"], str(r["key"])))
    return CountResult(definition, valid_on, known_on, by, dict(within or {}), total, rows, possible)


def included_ids(definition, valid_on, known_on, within=None):
    qs = crit.apply(facts(valid_on, known_on, within), definition.criteria)
    return sorted(qs.values_list("place__public_id", flat=True))


def explain(definition, valid_on=None, known_on=None, within=None, limit=200):
    """The places a count includes, and the registry's places it leaves out with the reasons."""
    valid_on, known_on = _dates(valid_on, known_on)
    k = end_of_day(known_on)
    known = (PlaceFact.objects.filter(Q(known_to__isnull=True) | Q(known_to__gt=k), known_from__lte=k)
             .select_related("place"))
    for level, value in (within or {}).items():
        known = known.filter(**{WITHIN[level]: value})
    counted = set(included_ids(definition, valid_on, known_on, within))
    included, excluded = [], []
    for fact in known.order_by("place__sort_name", "place_id").iterator(chunk_size=2000):
        entry = {"id": fact.place.public_id, "name": fact.place.name, "departement": fact.departement_code,
                 "commune": fact.commune_code}
        if fact.place.public_id in counted:
            if len(included) < limit:
                included.append(entry)
        elif len(excluded) < limit:
            excluded.append({**entry, "reasons": crit.reasons(fact, definition.criteria, valid_on)})
    later = Place.objects.live().exclude(facts__known_from__lte=k)
    for level, value in (within or {}).items():
        later = later.filter(**{PLACE_WITHIN[level]: value})
    for place in later.order_by("sort_name")[: max(0, limit - len(excluded))]:
        excluded.append({"id": place.public_id, "name": place.name, "departement": place.departement_id or "",
                         "commune": place.commune.code if place.commune_id else "",
                         "reasons": [_("inconnu du registre le %(d)s") % {"d": known_on.isoformat()}]})
    return {"included_count": len(counted), "included": included, "excluded": excluded}


def series(definition, years, known_on=None, within=None):
    """Places valid at the end of each year, as known today (or on K) and as known at the time."""
    today = timezone.localdate()
    rows = []
    for year in years:
        day = min(datetime.date(year, 12, 31), today)
        rows.append({"year": year, "valid_on": day.isoformat(),
                     "known_today": count(definition, day, known_on or today, within=within).total,
                     "known_then": count(definition, day, day, within=within).total})
    return rows


def _hash(definition, valid_on, known_on, by, within, rows, ids):
    # The hash covers the certain count, as it did before `possible` existed: older snapshots still verify.
    rows = [{name: value for name, value in row.items() if name != "possible"} for row in rows]
    payload = json.dumps({"definition": definition.ref, "criteria": definition.criteria,
                          "valid_on": valid_on.isoformat(), "known_on": known_on.isoformat(), "by": by or "",
                          "within": within or {}, "rows": rows, "places": ids},
                         sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def freeze(definition, valid_on=None, known_on=None, by=None, within=None, user=None, title=""):
    result = count(definition, valid_on, known_on, by, within)
    ids = included_ids(definition, result.valid_on, result.known_on, within)
    return Snapshot.objects.create(
        definition=definition, valid_on=result.valid_on, known_on=result.known_on, by=by or "",
        parameters={"within": result.within}, total=result.total, rows=result.rows,
        content_hash=_hash(definition, result.valid_on, result.known_on, by, result.within, result.rows, ids),
        # A NUL character cannot be stored in PostgreSQL text (the API fuzz test sent one in a title).
        data_revision=Revision.objects.aggregate(m=Max("id"))["m"], title=title.replace("\x00", "")[:200],
        created_by=user if user is not None and user.is_authenticated else None)


def verify(snapshot):
    """Recompute a snapshot: same number, same hash — or what differs."""
    within = snapshot.parameters.get("within") or {}
    result = count(snapshot.definition, snapshot.valid_on, snapshot.known_on, snapshot.by or None, within)
    ids = included_ids(snapshot.definition, snapshot.valid_on, snapshot.known_on, within)
    content_hash = _hash(snapshot.definition, snapshot.valid_on, snapshot.known_on, snapshot.by or None, within,
                         result.rows, ids)
    return {"total": result.total, "same_total": result.total == snapshot.total,
            "content_hash": content_hash, "same_hash": content_hash == snapshot.content_hash}
