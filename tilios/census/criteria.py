"""The criteria a census definition may use, applied to facts in SQL and explained in words."""
from django.db.models import F, Q
from django.utils.translation import gettext as _

from tilios.places.models import Place

from .facts import kind_bits, kinds_mask

KEYS = {"kinds_any", "include_untyped", "kinds_none", "presence", "statuses", "min_sources", "or_verified",
        "markers_all"}


def check(criteria):
    """Refuse criteria a definition cannot use, with the reason."""
    unknown = set(criteria) - KEYS
    if unknown:
        raise ValueError(_("critère inconnu : %(name)s") % {"name": sorted(unknown)[0]})
    for key in ("kinds_any", "kinds_none"):
        missing = set(criteria.get(key, [])) - set(kind_bits())
        if missing:
            raise ValueError(_("type inconnu : %(name)s") % {"name": sorted(missing)[0]})
    if set(criteria.get("presence", [])) - set(Place.Presence.values):
        raise ValueError(_("présence inconnue"))
    if set(criteria.get("statuses", [])) - set(Place.Status.values):
        raise ValueError(_("statut inconnu"))


def apply(qs, criteria):
    any_mask = kinds_mask(criteria.get("kinds_any", []))
    if any_mask:
        typed = Q(_any__gt=0) | (Q(kinds_mask=0) if criteria.get("include_untyped") else Q(pk__in=[]))
        qs = qs.annotate(_any=F("kinds_mask").bitand(any_mask)).filter(typed)
    elif not criteria.get("include_untyped", True):
        qs = qs.exclude(kinds_mask=0)
    none_mask = kinds_mask(criteria.get("kinds_none", []))
    if none_mask:
        qs = qs.annotate(_none=F("kinds_mask").bitand(none_mask)).filter(_none=0)
    if criteria.get("presence"):
        qs = qs.filter(presence__in=criteria["presence"])
    if criteria.get("statuses"):
        qs = qs.filter(status__in=criteria["statuses"])
    if criteria.get("min_sources", 0) > 1:
        enough = Q(n_sources__gte=criteria["min_sources"])
        qs = qs.filter(enough | Q(verified=True) if criteria.get("or_verified") else enough)
    for marker in criteria.get("markers_all", []):
        qs = qs.filter(markers__contains=f" {marker} ")
    return qs


def reasons(fact, criteria, valid_on):
    """Why a fact known at K is not counted on `valid_on` (empty: it is counted)."""
    why = []
    if fact.status == Place.Status.PROJECT:
        why.append(_("encore en projet"))
    if fact.valid_from and fact.valid_from > valid_on and fact.valid_from_estimated:
        why.append(_("peut-être ouvert : date d'ouverture inconnue, attesté pour la première fois le %(d)s")
                   % {"d": fact.valid_from.isoformat()})
    elif fact.valid_from and fact.valid_from > valid_on:
        why.append(_("pas encore ouvert (depuis le %(d)s)") % {"d": fact.valid_from.isoformat()})
    if fact.valid_to and fact.valid_to < valid_on:
        why.append(_("fermé le %(d)s") % {"d": fact.valid_to.isoformat()})
    any_mask = kinds_mask(criteria.get("kinds_any", []))
    if any_mask and not (fact.kinds_mask & any_mask) and not (fact.kinds_mask == 0 and criteria.get("include_untyped")):
        why.append(_("type hors définition") if fact.kinds_mask else _("sans type"))
    if not any_mask and not criteria.get("include_untyped", True) and fact.kinds_mask == 0:
        why.append(_("sans type"))
    if fact.kinds_mask & kinds_mask(criteria.get("kinds_none", [])):
        why.append(_("type exclu par la définition"))
    if criteria.get("presence") and fact.presence not in criteria["presence"]:
        why.append(_("présence « %(p)s » hors définition") % {"p": fact.presence})
    if criteria.get("statuses") and fact.status not in criteria["statuses"]:
        why.append(_("statut « %(s)s » hors définition") % {"s": fact.status})
    if criteria.get("min_sources", 0) > 1 and fact.n_sources < criteria["min_sources"] and not (
            criteria.get("or_verified") and fact.verified):
        why.append(_("%(n)d source(s), %(m)d exigée(s)") % {"n": fact.n_sources, "m": criteria["min_sources"]})
    for marker in criteria.get("markers_all", []):
        if f" {marker} " not in fact.markers:
            why.append(_("marqueur « %(m)s » non établi") % {"m": marker})
    return why
