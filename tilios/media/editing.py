"""The editable fields of a file, as revisions see them. Its name and content are fixed at upload (links
[[Fichier:…]] name it; a new content is a new file); what describes it is edited like any record."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tilios.places.models import Place
from tilios.revisions import records
from tilios.revisions.registry import Editable, check_unknown_fields, register

from . import processing, storage
from .models import DEFAULT_LICENCE, LICENCES, MediaFile

FIELDS = ("name", "content", "alt", "caption", "credit", "licence", "place")
DEFAULTS = {"name": "", "content": "", "alt": "", "caption": "", "credit": "", "licence": DEFAULT_LICENCE,
            "place": None}
LIMITS = {"alt": 300, "caption": 500, "credit": 200}
ALT_REQUIRED = "le texte alternatif est obligatoire pour une image : dites ce qu'elle montre"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}\.(jpg|png|webp|pdf)$")


def snapshot(file):
    return {"name": file.name, "content": file.content, "alt": file.alt, "caption": file.caption,
            "credit": file.credit, "licence": file.licence,
            "place": file.place.public_id if file.place_id else None}


def validate(data):
    check_unknown_fields(SPEC, data)
    errors, clean = {}, {}
    for name, limit in LIMITS.items():
        clean[name] = " ".join(str(data.get(name) or "").replace("\x00", "").split())
        if len(clean[name]) > limit:
            errors[name] = f"{limit} caractères au plus"
    clean["name"] = str(data.get("name") or "")
    clean["content"] = str(data.get("content") or "")
    match = storage.CONTENT.match(clean["content"])
    if match is None or not storage.exists(clean["content"]):
        errors["content"] = "contenu inconnu : envoyez le fichier"
    if not NAME.match(clean["name"]):
        errors["name"] = "un nom en minuscules, chiffres et tirets, avec son extension (jpg, png, webp, pdf)"
    elif match is not None and clean["name"].rsplit(".", 1)[1] != match.group(2):
        errors["name"] = f"l'extension du nom doit être .{match.group(2)}"
    is_image = match is not None and match.group(2) != processing.PDF[0]
    if is_image and not clean["alt"]:
        errors["alt"] = ALT_REQUIRED
    clean["licence"] = str(data.get("licence") or DEFAULT_LICENCE)
    if clean["licence"] not in LICENCES:
        errors["licence"] = f"licences possibles : {', '.join(LICENCES)}"
    clean["place"] = str(data.get("place") or "").strip() or None
    if clean["place"] is not None and not Place.objects.filter(public_id=clean["place"]).exists():
        errors["place"] = "lieu inconnu"
    if errors:
        raise ValidationError(errors)
    return clean


def apply(file, data):
    if file.content != data["content"]:  # at creation only: the content is fixed after
        file.media_type, file.width, file.height, file.size = processing.describe(storage.path_of(data["content"]))
        file.kind = MediaFile.Kind.DOCUMENT if file.media_type == processing.PDF[1] else MediaFile.Kind.IMAGE
    for name in ("name", "content", "alt", "caption", "credit", "licence"):
        setattr(file, name, data[name])
    file.place = Place.objects.get(public_id=data["place"]) if data["place"] else None
    file.save()


SPEC = register(Editable(model=MediaFile, fields=FIELDS, defaults=DEFAULTS, snapshot=snapshot, validate=validate,
                         apply=apply, text_fields=("caption", "credit"), fixed_fields=("name", "content")))

RECORD = records.register(records.RecordType("file", MediaFile, "name", "name", _("fichier")))
