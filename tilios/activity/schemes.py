"""Band schemes: the versioned thresholds that put a place's activity in a band."""
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tilios.accounts import permissions
from tilios.accounts.models import Role

from .models import DEFAULT_SCHEME_LABEL, BandScheme, default_bands
from .periods import UNKNOWN, UNKNOWN_LABEL


def current_scheme(code=None, version=None):
    """The latest version (or `version`) of the scheme `code` (default: the 2011 study's bands)."""
    code = code or "moriset-2011"
    qs = BandScheme.objects.filter(code=code)
    if version:
        qs = qs.filter(version=version)
    scheme = qs.order_by("-version").first()
    if scheme is None:
        if code != "moriset-2011" or version:
            raise ValidationError({"scheme": _("barème inconnu « %(code)s »") % {"code": f"{code} v{version or ''}"}})
        scheme = BandScheme(code="moriset-2011", version=1, label=DEFAULT_SCHEME_LABEL, bands=default_bands())
    return scheme


BAND_KEYS = {"code", "label", "no_activity", "lt", "lte", "gt", "gte"}
BOUNDS = ("lt", "lte", "gt", "gte")


def create_scheme(data, user=None):
    """A new version of a band scheme (version 1 for a new code), for administrators (`user` None: the
    operator's CLI); the previous versions stay, so that every published evaluation can be reproduced.
    Raises ValidationError naming the field."""
    if user is not None and (not user.is_authenticated or not permissions.at_least(user, Role.ADMIN)):
        raise PermissionDenied(_("seuls les administrateurs définissent les barèmes d’évaluation"))
    scheme = BandScheme(code=str(data.get("code") or "").strip(), label=str(data.get("label") or "").strip(),
                        source=str(data.get("source") or "").strip(), bands=data.get("bands"),
                        statistic=data.get("statistic") or BandScheme.Statistic.MEDIAN)
    errors = {}
    for name, default in (("window_months", 12), ("unknown_after_months", 12)):
        value = data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 120:
            errors[name] = _("%(field)s : un nombre de mois entre 1 et 120 est attendu") % {"field": name}
        else:
            setattr(scheme, name, value)
    if not scheme.code or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", scheme.code):
        errors["code"] = _("code : lettres minuscules, chiffres et tirets (60 au plus)")
    if not scheme.label:
        errors["label"] = _("libellé : obligatoire")
    if scheme.statistic not in BandScheme.Statistic.values:
        errors["statistic"] = _("statistique : « median » ou « max »")
    problem = _bands_problem(scheme.bands)
    if problem:
        errors["bands"] = problem
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        latest = BandScheme.objects.select_for_update().filter(code=scheme.code).order_by("-version").first()
        scheme.version = latest.version + 1 if latest else 1
        scheme.save()
    return scheme


def _bands_problem(bands):
    """What is wrong with a list of bands, in words, or None. Every place must fall in a band: each value of
    the statistic (checked on a grid of halves up to past the largest bound) and an empty window."""
    if not isinstance(bands, list) or not bands:
        return _("bandes : une liste non vide est attendue")
    codes = set()
    for i, band in enumerate(bands, start=1):
        if not isinstance(band, dict):
            return _("bande %(n)s : un objet est attendu") % {"n": i}
        unknown = set(band) - BAND_KEYS
        if unknown:
            return _("bande %(n)s : clé inconnue « %(key)s »") % {"n": i, "key": sorted(unknown)[0]}
        code = band.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9_]{1,40}", code) or code in (UNKNOWN, "unclassified"):
            return _("bande %(n)s : code invalide (lettres minuscules, chiffres, _ ; ni « unknown » ni "
                     "« unclassified »)") % {"n": i}
        if code in codes:
            return _("bande %(n)s : code « %(code)s » en double") % {"n": i, "code": code}
        codes.add(code)
        if not isinstance(band.get("label"), str) or not band["label"].strip():
            return _("bande %(n)s : libellé obligatoire") % {"n": i}
        if not isinstance(band.get("no_activity", False), bool):
            return _("bande %(n)s : no_activity vaut true ou false") % {"n": i}
        for key in BOUNDS:
            value = band.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                return _("bande %(n)s : %(key)s doit être un nombre positif") % {"n": i, "key": key}
    top = max([float(b[k]) for b in bands for k in BOUNDS if b.get(k) is not None] + [0])
    for value in [x / 2 for x in range(int(top * 2) + 4)]:
        if not any(_band_holds(b, value, empty=False) for b in bands):
            return _("bandes : aucune bande pour une statistique de %(value)s usagers réguliers") % {"value": value}
    if not any(_band_holds(b, 0, empty=True) for b in bands):
        return _("bandes : aucune bande pour un lieu sans aucune activité")
    return None


def _band_holds(band, value, empty):
    """Mirrors `band_case`: a band with no_activity holds only for a window without any activity."""
    if band.get("no_activity") and not empty:
        return False
    checks = {"lt": value.__lt__, "lte": value.__le__, "gt": value.__gt__, "gte": value.__ge__}
    return all(checks[k](float(band[k])) for k in BOUNDS if band.get(k) is not None)


def band_labels(scheme):
    """Band labels in the reader's language where Tilios ships a translation (its own bands do)."""
    labels = {b["code"]: _(b["label"]) for b in scheme.bands}
    labels[UNKNOWN] = _(UNKNOWN_LABEL)
    return labels


def band_case(scheme, unknown_before, stat):
    """SQL CASE giving each place's band (see BandScheme's docstring); returns (sql, params)."""
    parts, params = ["WHEN s.place_id IS NULL THEN 'unknown'", "WHEN s.last_end <= %s THEN 'unknown'"], [unknown_before]
    for band in scheme.bands:
        conditions = []
        if band.get("no_activity"):
            conditions.append("s.total = 0")
        for key, op in (("lt", "<"), ("lte", "<="), ("gt", ">"), ("gte", ">=")):
            if band.get(key) is not None:
                conditions.append(f"{stat} {op} %s")
                params.append(float(band[key]))
        parts.append(f"WHEN {' AND '.join(conditions) or '1 = 1'} THEN %s")
        params.append(str(band["code"]))
    return "CASE " + " ".join(parts) + " ELSE 'unclassified' END", params

