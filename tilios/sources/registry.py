"""Registering and describing sources: administrators only (the command line is the operator's own hand).

A source is what every imported fact cites, and its licence is what every export prints: so a source is
described whole before anything is imported from it, and a bad description is refused field by field."""
import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.utils import timezone
from django.utils.translation import gettext as _

from tilios.accounts import permissions
from tilios.accounts.models import Role
from tilios.revisions.services import NotAllowed

from . import licences
from .models import Source
from .provenance import MAX_PRIORITY

# field -> (max length, required)
TEXT_FIELDS = {"name": (200, True), "publisher": (200, False), "attribution": (500, False),
               "description": (5000, False)}
FIELDS = ("slug", "name", "publisher", "url", "licence", "attribution", "data_date", "priority", "description")


def _require_admin(user):
    if user is not None and not permissions.at_least(user, Role.ADMIN):
        raise NotAllowed(_("seuls les administrateurs enregistrent ou modifient une source"))


def _clean(data, creating):
    """The model values for `data` (already the named fields only); all field errors at once."""
    errors, values = {}, {}
    if creating or "slug" in data:
        slug = str(data.get("slug") or "").strip()
        try:
            if not slug or len(slug) > 60 or slug != slug.lower():
                raise ValidationError("")
            validate_slug(slug)
            values["slug"] = slug
        except ValidationError:
            errors["slug"] = _("identifiant : lettres minuscules, chiffres et tirets, 60 caractères au plus "
                               "(reçu « %(value)s »)") % {"value": slug[:80]}
        else:
            if Source.objects.filter(slug=slug).exists():
                errors["slug"] = _("une source porte déjà l'identifiant « %(slug)s »") % {"slug": slug}
    for name, (limit, required) in TEXT_FIELDS.items():
        if name not in data and not (creating and required):
            continue
        text = str(data.get(name) or "").strip()
        if required and not text:
            errors[name] = _("ce champ est obligatoire")
        elif len(text) > limit:
            errors[name] = _("%(limit)d caractères au plus") % {"limit": limit}
        else:
            values[name] = text
    if "url" in data:
        url = str(data.get("url") or "").strip()
        try:
            if url:
                URLValidator(schemes=["http", "https"])(url)
            if len(url) > 500:
                raise ValidationError("")
            values["url"] = url
        except ValidationError:
            errors["url"] = _("une adresse http(s) valide est attendue")
    if creating or "licence" in data:
        try:
            licence = licences.get(str(data.get("licence") or "").strip())
            values.update(licence_code=licence.code, licence=licence.name, licence_url=licence.url,
                          share_alike=licence.share_alike)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "data_date" in data:
        value = data.get("data_date")
        try:
            if isinstance(value, str):
                value = datetime.date.fromisoformat(value.strip()) if value.strip() else None
            if value is not None and not isinstance(value, datetime.date):
                raise ValueError
            if value is not None and value > timezone.localdate():
                errors["data_date"] = _("la date de publication ne peut pas être dans le futur")
            values["data_date"] = value
        except ValueError:
            errors["data_date"] = _("une date AAAA-MM-JJ est attendue")
    if "priority" in data:
        priority = data.get("priority")
        if isinstance(priority, str) and priority.strip().isdigit():
            priority = int(priority)
        if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
            errors["priority"] = _("un entier entre 0 et %(max)d") % {"max": MAX_PRIORITY}
        else:
            values["priority"] = priority
    unknown = set(data) - set(FIELDS)
    if unknown:
        errors[sorted(unknown)[0]] = _("champ inconnu")
    if errors:
        raise ValidationError(errors)
    return values


def register(data, user=None):
    """A new source from `data` (slug, name, licence code; publisher, url, attribution, data_date, priority,
    description optional). `user` None: the operator's command line. Without an attribution, the source
    is cited as « publisher — name »."""
    _require_admin(user)
    values = _clean(data, creating=True)
    if not values.get("attribution"):
        values["attribution"] = " — ".join(v for v in (values.get("publisher"), values["name"]) if v)[:500]
    return Source.objects.create(**values, registered_by=user, registered_at=timezone.now())


def update(source, data, user=None):
    """Change some fields of `source` (its slug stays: records and scripts name it)."""
    _require_admin(user)
    if "slug" in data and data["slug"] != source.slug:
        raise ValidationError({"slug": _("l'identifiant d'une source ne change pas")})
    values = _clean({k: v for k, v in data.items() if k != "slug"}, creating=False)
    if "attribution" in values and not values["attribution"]:
        raise ValidationError({"attribution": _("ce champ est obligatoire")})
    for name, value in values.items():
        setattr(source, name, value)
    if values:
        source.save(update_fields=list(values))
    return source
