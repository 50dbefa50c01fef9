"""The editable fields of a place, as revisions see them: snapshot, validation, application."""
import datetime
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _

from tilios.revisions import records
from tilios.revisions.registry import Editable, check_unknown_fields, register
from tilios.rows import insert_all, save_fields
from tilios.territories.services import locator

from . import contact, hours, taxonomy
from .models import MARKERS, Kind, Place
from .services import TERRITORY_INPUTS, assign_territory

FIELDS = ("name", "alternate_names", "kinds", "presence", "mobility", "status", "opened_on", "closed_on",
          "temporary", "latitude", "longitude", "address", "postcode", "town", "declared_commune_code",
          "markers", "links", "description", "capacity", "opening_hours", "opening_hours_unparsed", "services",
          "access", "audiences", "prices", "wheelchair", "phone", "email", "unrecognised", "merged_into")
DEFAULTS = {"alternate_names": [], "kinds": [], "presence": Place.Presence.PHYSICAL,
            "mobility": Place.Mobility.FIXED, "status": Place.Status.OPEN, "opened_on": None,
            "closed_on": None, "temporary": False, "latitude": None, "longitude": None, "address": "",
            "postcode": "", "town": "", "declared_commune_code": "", "markers": [], "links": [], "description": "",
            "capacity": None, "opening_hours": "", "opening_hours_unparsed": "", "services": [], "access": [],
            "audiences": [], "prices": "", "wheelchair": "", "phone": "", "email": "", "unrecognised": {},
            "merged_into": None}
TEXT_LIMITS = {"name": 200, "address": 300, "postcode": 10, "town": 200, "declared_commune_code": 5,
               "description": 20000, "opening_hours": hours.MAX_LENGTH, "opening_hours_unparsed": 1000, "prices": 500}
# « acceslibre »: the place's record on acceslibre.beta.gouv.fr, the national accessibility base.
LINK_KINDS = {"web", "twitter", "facebook", "mastodon", "linkedin", "instagram", "email", "acceslibre", "other"}


def snapshot(place):
    return {
        "name": place.name,
        "alternate_names": list(place.alternate_names),
        "kinds": sorted(k.code for k in place.kinds.all()) if place.pk else [],
        "presence": place.presence,
        "mobility": place.mobility,
        "status": place.status,
        "opened_on": place.opened_on.isoformat() if place.opened_on else None,
        "closed_on": place.closed_on.isoformat() if place.closed_on else None,
        "temporary": place.temporary,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "address": place.address,
        "postcode": place.postcode,
        "town": place.town,
        "declared_commune_code": place.declared_commune_code,
        "markers": sorted(place.markers),
        "links": list(place.links),
        "description": place.description,
        "capacity": place.capacity,
        "opening_hours": place.opening_hours,
        "opening_hours_unparsed": place.opening_hours_unparsed,
        "services": list(place.services),
        "access": list(place.access),
        "audiences": list(place.audiences),
        "prices": place.prices,
        "wheelchair": place.wheelchair,
        "phone": place.phone,
        "email": place.email,
        "unrecognised": dict(place.unrecognised),
        "merged_into": place.merged_into.public_id if place.merged_into_id else None,
    }


def _date(value, name, errors):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        errors[name] = "date AAAA-MM-JJ attendue"
        return None


def _number(value, name, errors, low, high, cast=float):
    if value in (None, ""):
        return None
    try:
        number = cast(value)
    except (TypeError, ValueError):
        errors[name] = "nombre attendu"
        return None
    if isinstance(number, float) and number != number:  # NaN
        errors[name] = "nombre attendu"
        return None
    if not low <= number <= high:
        errors[name] = f"entre {low} et {high}"
        return None
    return number


def _text(value, name, errors):
    text = "" if value is None else str(value)
    text = text.replace("\x00", "").strip()
    if len(text) > TEXT_LIMITS[name]:
        errors[name] = f"{TEXT_LIMITS[name]} caractères au plus"
    return text


def is_web_url(url):
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(url) <= 500 and " " not in url


def _links(value, errors):
    if not isinstance(value, list) or len(value) > 20:
        errors["links"] = "une liste de 20 liens au plus"
        return []
    links = []
    for link in value:
        url = (link.get("url") if isinstance(link, dict) else link) or ""
        kind = (link.get("kind") if isinstance(link, dict) else "web") or "web"
        url = str(url).strip()
        if not is_web_url(url):
            errors["links"] = f"adresse http(s) invalide : {url[:80]}"
            continue
        links.append({"kind": kind if kind in LINK_KINDS else "other", "url": url})
    return links


def _terms(value, name, errors):
    """A list of codes of the vocabulary `name`, sorted (as kinds are: sources' lists compare as sets)."""
    vocabulary = taxonomy.VOCABULARIES[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[name] = "une liste de codes attendue"
        return []
    unknown = [v for v in value if v not in vocabulary]
    if unknown:
        errors[name] = f"code inconnu : {unknown[0][:80]} (possibles : {', '.join(vocabulary)})"[:300]
    return sorted(set(value) & set(vocabulary))


# Fields whose values a source gave may wait for review when nothing could read them.
REVIEWED_VALUES = (*taxonomy.VOCABULARIES, "phone", "email")


def _unrecognised(value, errors):
    if not isinstance(value, dict) or set(value) - set(REVIEWED_VALUES) or not all(
            isinstance(v, list) and len(v) <= 50 and all(isinstance(x, str) for x in v) for v in value.values()):
        errors["unrecognised"] = f"un objet {{champ: [valeurs]}} attendu ({', '.join(REVIEWED_VALUES)})"
        return {}
    return {name: [x.strip()[:200] for x in values if x.strip()] for name, values in value.items() if values}


_CHOICES = {name: frozenset(choices.values) for name, choices in (
    ("presence", Place.Presence), ("mobility", Place.Mobility), ("status", Place.Status))}


def validate(data):
    check_unknown_fields(SPEC, data)
    errors = {}
    clean = {}
    for name in ("name", "address", "postcode", "town", "declared_commune_code", "description", "opening_hours",
                 "opening_hours_unparsed", "prices"):
        clean[name] = _text(data.get(name), name, errors)
    try:
        clean["opening_hours"] = hours.check(clean["opening_hours"])
    except hours.HoursError as exc:
        errors.setdefault("opening_hours", str(exc))
    if clean["opening_hours"]:  # hours in the syntax replace the text a source gave
        clean["opening_hours_unparsed"] = ""
    if not clean["name"]:
        errors["name"] = "le nom est obligatoire"
    names = data.get("alternate_names") or []
    if not isinstance(names, list) or len(names) > 20 or any(len(str(n)) > 200 for n in names):
        errors["alternate_names"] = "une liste de 20 noms de 200 caractères au plus"
        names = []
    clean["alternate_names"] = [str(n).strip() for n in names if str(n).strip()]
    kinds = data.get("kinds") or []
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        errors["kinds"] = "une liste de types attendue"
        kinds = []
    known = set(Kind.objects.filter(code__in=kinds).values_list("code", flat=True)) if kinds else set()
    if set(kinds) - known:
        errors["kinds"] = f"type inconnu : {sorted(set(kinds) - known)[0]}"[:200]
    clean["kinds"] = sorted(known)
    for name, choices in _CHOICES.items():
        value = data.get(name) or DEFAULTS[name]
        if value not in choices:
            errors[name] = "valeur inconnue"
        clean[name] = str(value)[:20]
    clean["opened_on"] = _date(data.get("opened_on"), "opened_on", errors)
    clean["closed_on"] = _date(data.get("closed_on"), "closed_on", errors)
    if clean["opened_on"] and clean["closed_on"] and clean["closed_on"] < clean["opened_on"]:
        errors["closed_on"] = "la fermeture précède l'ouverture"
    clean["temporary"] = bool(data.get("temporary"))
    if clean["temporary"] and not (clean["opened_on"] and clean["closed_on"]):
        errors["temporary"] = "un lieu temporaire a une date de début et une date de fin"
    clean["latitude"] = _number(data.get("latitude"), "latitude", errors, -90, 90)
    clean["longitude"] = _number(data.get("longitude"), "longitude", errors, -180, 180)
    if (clean["latitude"] is None) != (clean["longitude"] is None) and not errors.keys() & {"latitude", "longitude"}:
        errors["longitude" if clean["longitude"] is None else "latitude"] = "latitude et longitude vont ensemble"
    clean["capacity"] = _number(data.get("capacity"), "capacity", errors, 0, 100000, int)
    markers = data.get("markers") or []
    if not isinstance(markers, list) or not all(isinstance(m, str) for m in markers) or set(markers) - set(MARKERS):
        errors["markers"] = f"marqueurs possibles : {', '.join(MARKERS)}"
        markers = []
    clean["markers"] = sorted(set(markers))
    clean["links"] = _links(data.get("links") or [], errors)
    for name in taxonomy.VOCABULARIES:
        clean[name] = _terms(data.get(name) or [], name, errors)
    clean["wheelchair"] = data.get("wheelchair") or ""
    if clean["wheelchair"] not in ("", *taxonomy.WHEELCHAIR):
        errors["wheelchair"] = f"valeurs possibles : {', '.join(taxonomy.WHEELCHAIR)} (ou vide)"
    for name, read in (("phone", contact.phone), ("email", contact.email)):
        try:
            clean[name] = read(data.get(name))
        except contact.ContactError as exc:
            errors[name] = str(exc)
            clean[name] = ""
    clean["unrecognised"] = _unrecognised(data.get("unrecognised") or {}, errors)
    clean["merged_into"] = data.get("merged_into") or None
    if clean["merged_into"] is not None and not _place_exists(clean["merged_into"]):
        errors["merged_into"] = "lieu inconnu"
    if errors:
        raise ValidationError(errors)
    return clean


def _place_exists(public_id):
    """Written out in SQL: an import checks each joined row's target, and the ORM compiled the query for ten
    times the cost of running it."""
    if not isinstance(public_id, str):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {Place._meta.db_table} WHERE public_id = %s", [public_id])
        return cursor.fetchone() is not None


def _set_fields(place, data):
    for name in FIELDS:
        if name in ("kinds", "merged_into"):
            continue
        value = data[name]
        if name in ("opened_on", "closed_on") and value:
            value = datetime.date.fromisoformat(value)
        setattr(place, name, value)


def apply_many(places, datas):
    """Places written together (an import's new places, or those its joins change), each once: what `apply`
    does for each, in a few statements. A known place is as `revisions.lock_many` read it: only the columns
    that changed on one of them are written, so that the indexes and triggers of the others are left alone
    (a join rarely moves a place, yet rewriting its position rewrote its R*Tree entry)."""
    codes = {code for data in datas for code in data["kinds"]}
    kind_ids = dict(Kind.objects.filter(code__in=codes).values_list("code", "pk")) if codes else {}
    targets = {data["merged_into"] for data in datas if data.get("merged_into")}
    target_ids = dict(Place.objects.filter(public_id__in=targets).values_list("public_id", "pk")) if targets else {}
    locator().hold(data["declared_commune_code"] for data in datas)
    new, known, changed = [], [], {"updated_at"}
    for place, data in zip(places, datas):
        before = None if place.pk is None else [getattr(place, attname) for _name, attname in COLUMNS]
        moved = place.pk is None or any(getattr(place, name) != data[name] for name in TERRITORY_INPUTS)
        _set_fields(place, data)
        place.merged_into_id = target_ids.get(data.get("merged_into"))
        if moved:  # as in `apply`
            assign_territory(place)
        place.refresh_search()  # what save() does
        (new if place.pk is None else known).append((place, data))
        if before is not None:
            changed.update(name for (name, attname), value in zip(COLUMNS, before) if getattr(place, attname) != value)
    insert_all([place for place, _data in new])
    insert_all([Place.kinds.through(place_id=place.pk, kind_id=kind_ids[code]) for place, data in new
                for code in data["kinds"]])
    save_fields([place for place, _data in known], [name for name, _attname in COLUMNS if name in changed])
    for place, data in known:  # the current revision, not yet replaced, says which kinds the place had
        if place.current_revision.data.get("kinds") != data["kinds"]:
            place.kinds.set([kind_ids[code] for code in data["kinds"]])


COLUMNS = [(field.name, field.attname) for field in Place._meta.concrete_fields if not field.primary_key]


def apply(place, data):
    adding = place.pk is None
    # An edit that leaves the address and position alone (a merge's redirect, a description) keeps the
    # territory derived from them: `tilios relocate` derives every place's again when the reference changes.
    moved = adding or any(getattr(place, name) != data[name] for name in TERRITORY_INPUTS)
    _set_fields(place, data)
    target = data.get("merged_into")
    place.merged_into = Place.objects.get(public_id=target) if target else None
    if moved:
        assign_territory(place)
    place.save()
    # The current revision, not yet replaced, says which kinds the place has: most edits leave them alone.
    if not adding and place.current_revision_id and place.current_revision.data.get("kinds") == data["kinds"]:
        return
    kind_ids = list(Kind.objects.filter(code__in=data["kinds"]).values_list("pk", flat=True)) if data["kinds"] else []
    if adding:  # nothing to compare with: the links are written without reading any
        place.kinds.through.objects.bulk_create([place.kinds.through(place_id=place.pk, kind_id=kind_id)
                                                 for kind_id in kind_ids])
    else:
        place.kinds.set(kind_ids)


SPEC = register(Editable(model=Place, fields=FIELDS, defaults=DEFAULTS, snapshot=snapshot, validate=validate,
                         apply=apply, apply_many=apply_many, text_fields=("description", "name", "address"),
                         system_fields=("merged_into",)))

RECORD = records.register(records.RecordType("place", Place, "public_id", "name", _("lieu")))
