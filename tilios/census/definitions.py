"""Census definitions are data: administrators publish a new definition, or a new version of one, from the
API, the command line or code. Earlier versions and the snapshots frozen with them never change."""
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tilios.accounts import permissions
from tilios.accounts.models import Role

from . import criteria as crit
from .models import CensusDefinition

logger = logging.getLogger(__name__)


def _checked(data):
    errors = {}
    slug = str(data.get("slug", "")).strip()
    try:
        validate_slug(slug)
    except ValidationError:
        errors["slug"] = [_("lettres, chiffres et tirets, sans espace")]
    name, text = str(data.get("name", "")).strip(), str(data.get("text", "")).strip()
    if not name:
        errors["name"] = [_("un nom est nécessaire")]
    if not text:
        errors["text"] = [_("le texte dit ce qui est compté et pourquoi")]
    criteria = data.get("criteria")
    if not isinstance(criteria, dict):
        errors["criteria"] = [_("un objet de critères est attendu")]
    else:
        try:
            crit.check(criteria)
        except ValueError as exc:
            errors["criteria"] = [str(exc)]
    return errors, slug, name, text, criteria


def publish(data, user):
    """A new definition (version 1), or the next version of `slug`, which must say what changed
    (`changelog`). Only administrators publish."""
    if not permissions.at_least(user, Role.ADMIN):
        raise PermissionDenied(_("seuls les administrateurs publient une définition de recensement"))
    errors, slug, name, text, criteria = _checked(data)
    change = str(data.get("changelog", "")).strip()
    with transaction.atomic():
        latest = CensusDefinition.objects.select_for_update().filter(slug=slug).order_by("-version").first()
        if latest is not None and not change:
            errors["changelog"] = [_("une nouvelle version dit ce qui change")]
        if errors:
            raise ValidationError(errors)
        version = latest.version + 1 if latest else 1
        entry = f"v{version} ({timezone.localdate().isoformat()}) : {change or _('première version')}"
        try:
            with transaction.atomic():
                definition = CensusDefinition.objects.create(
                    slug=slug, version=version, name=name, text=text, criteria=criteria,
                    changelog="\n".join(filter(None, [entry, latest.changelog if latest else ""])))
        except IntegrityError:  # another version was published meanwhile (SQLite has no row lock to wait on)
            raise ValidationError({"slug": [_("une autre version vient d'être publiée : relisez-la")]}) from None
    logger.info("census definition %s published by %s", definition.ref, user.get_username())
    return definition
