"""Training offers as revisions see them, and the list of those still to come.

A training is to come when it is given on demand, or its last day (its first when it has no end) is today
or later. Its régions are those of its places; one given only at a distance has none and is listed under
« à distance »."""
import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from tilios.places.editing import is_web_url
from tilios.places.models import Place
from tilios.revisions import records
from tilios.revisions.registry import Editable, check_unknown_fields, register

from .models import Training

FIELDS = ("title", "provider", "description", "format", "on_demand", "starts_on", "ends_on", "duration", "price",
          "audience", "url", "places")
DEFAULTS = {"title": "", "provider": "", "description": "", "format": Training.Format.ON_SITE, "on_demand": False,
            "starts_on": None, "ends_on": None, "duration": "", "price": "", "audience": "", "url": "", "places": []}
LIMITS = {"title": 200, "provider": 200, "description": 20000, "duration": 100, "price": 200, "audience": 300}


def snapshot(training):
    return {"title": training.title, "provider": training.provider, "description": training.description,
            "format": training.format, "on_demand": training.on_demand,
            "starts_on": training.starts_on.isoformat() if training.starts_on else None,
            "ends_on": training.ends_on.isoformat() if training.ends_on else None,
            "duration": training.duration, "price": training.price, "audience": training.audience,
            "url": training.url,
            "places": sorted(training.places.values_list("public_id", flat=True)) if training.pk else []}


def _date(value, name, errors):
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        errors[name] = "date AAAA-MM-JJ attendue"
        return None


def validate(data):
    check_unknown_fields(SPEC, data)
    errors, clean = {}, {}
    for name, limit in LIMITS.items():
        clean[name] = str(data.get(name) or "").replace("\x00", "").strip()
        if len(clean[name]) > limit:
            errors[name] = f"{limit} caractères au plus"
    for name in ("title", "provider"):
        if not clean[name]:
            errors[name] = "obligatoire"
    if clean["title"] and not slugify(clean["title"]):
        errors["title"] = "au moins une lettre ou un chiffre"
    clean["format"] = str(data.get("format") or Training.Format.ON_SITE)
    if clean["format"] not in Training.Format.values:
        errors["format"] = f"valeurs possibles : {', '.join(Training.Format.values)}"
    clean["on_demand"] = bool(data.get("on_demand"))
    clean["starts_on"] = _date(data.get("starts_on"), "starts_on", errors)
    clean["ends_on"] = _date(data.get("ends_on"), "ends_on", errors)
    if clean["starts_on"] and clean["ends_on"] and clean["ends_on"] < clean["starts_on"]:
        errors["ends_on"] = "la fin précède le début"
    if not clean["on_demand"] and not clean["starts_on"] and "starts_on" not in errors:
        errors["starts_on"] = "une date de début, ou « à la demande »"
    clean["url"] = str(data.get("url") or "").strip()
    if clean["url"] and not is_web_url(clean["url"]):
        errors["url"] = "adresse http(s) attendue"
    places = data.get("places") or []
    if not isinstance(places, list) or not all(isinstance(p, str) for p in places) or len(places) > 100:
        errors["places"] = "une liste de 100 identifiants de lieux au plus"
        places = []
    known = set(Place.objects.filter(public_id__in=places).values_list("public_id", flat=True))
    if set(places) - known:
        errors["places"] = f"lieu inconnu : {sorted(set(places) - known)[0][:20]}"
    clean["places"] = sorted(known)
    if clean["format"] != Training.Format.REMOTE and not clean["places"] and "places" not in errors:
        errors["places"] = "où a-t-elle lieu ? un lieu au moins, ou le format « à distance »"
    if errors:
        raise ValidationError(errors)
    return clean


def _unique_slug(title, pk):
    base = slugify(title)[:190] or "formation"
    slug, n = base, 1
    while Training.objects.filter(slug=slug).exclude(pk=pk).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def apply(training, data):
    for name in FIELDS:
        if name in ("places", "starts_on", "ends_on"):
            continue
        setattr(training, name, data[name])
    for name in ("starts_on", "ends_on"):
        setattr(training, name, datetime.date.fromisoformat(data[name]) if data[name] else None)
    if not training.slug:
        training.slug = _unique_slug(training.title, training.pk)
    training.save()
    training.places.set(Place.objects.filter(public_id__in=data["places"]))


SPEC = register(Editable(model=Training, fields=FIELDS, defaults=DEFAULTS, snapshot=snapshot, validate=validate,
                         apply=apply, text_fields=("description", "url")))

RECORD = records.register(records.RecordType("training", Training, "slug", "title", _("formation")))


def upcoming(region="", remote_only=False, place=None, today=None):
    """Published trainings still to come, soonest first (on-demand ones after the dated)."""
    today = today or timezone.localdate()
    qs = Training.objects.published().filter(
        Q(on_demand=True) | Q(ends_on__gte=today) | Q(ends_on__isnull=True, starts_on__gte=today))
    if region:
        qs = qs.filter(places__region_id=region)
    if remote_only:
        qs = qs.exclude(format=Training.Format.ON_SITE)
    if place is not None:
        qs = qs.filter(places=place)
    return qs.distinct().order_by("on_demand", "starts_on", "title").prefetch_related("places")
