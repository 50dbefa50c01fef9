"""Uploading a file: checked and stripped (media.processing), stored once (media.storage), then created
through revisions — published at once for trusted contributors, waiting for review for new accounts."""
import logging
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from tilios.accounts import permissions
from tilios.revisions import services as revisions

from . import editing, processing, storage
from .models import MediaFile

log = logging.getLogger(__name__)


def unique_name(wanted, ext):
    """« Façade de l'atelier.JPG » → « facade-de-latelier.jpg », « IMG_2041.jpg » → « img-2041.jpg », numbered
    when taken (« …-2.jpg »)."""
    stem = slugify(PurePath(wanted or "").stem).replace("_", "-")[:90].strip("-") or "fichier"
    name, n = f"{stem}.{ext}", 1
    while MediaFile.objects.filter(name=name).exists():
        n += 1
        name = f"{stem}-{n}.{ext}"
    return name


def upload(user, data, filename, fields, summary=""):
    """Returns (file, revision). `fields`: alt, caption, credit, licence, place (public id), and optionally
    the wanted name. Raises processing.FileRefused for the content, ValidationError by field."""
    if not permissions.can_contribute(user):
        raise revisions.NotAllowed("vous devez être connecté avec un compte non bloqué pour envoyer un fichier")
    processed = processing.process(data)
    wanted = fields.pop("name", "") or filename
    spec = editing.SPEC
    placeholder = {"name": f"x.{processed.ext}", "content": ""}
    errors = {}
    try:  # the description is checked before anything is written
        spec.validate({**spec.defaults, **fields, **placeholder})
    except ValidationError as exc:
        errors = {k: v for k, v in exc.message_dict.items() if k not in placeholder}
    if processed.is_image and not str(fields.get("alt") or "").strip():
        errors["alt"] = [editing.ALT_REQUIRED]
    if errors:
        raise ValidationError(errors)
    content = storage.store(processed)
    file, revision = revisions.create(MediaFile, {**fields, "name": unique_name(wanted, processed.ext),
                                                  "content": content}, user, summary)
    log.info("file %s uploaded by %s (%s, %d bytes), %s", file.name, user.get_username(), file.media_type,
             file.size, revision.status)
    return file, revision
