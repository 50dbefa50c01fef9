"""The part of the change feed that only places have: a territory and kinds to follow."""
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext as _

from tilios.territories.models import Commune, Departement, Region

from .models import Kind, Place
from .queries import QueryError

LEVELS = (("region", Region), ("departement", Departement), ("commune", Commune))


def scope(region="", departement="", commune="", kinds=()):
    """A Q on revisions keeping the changes of places in a territory and of some kinds, or None.

    Unknown codes are errors, not empty feeds: a follower with a typo must not believe nothing changes."""
    places = Place.objects.all()
    narrowed = False
    for level, model in LEVELS:
        code = {"region": region, "departement": departement, "commune": commune}[level]
        if not code:
            continue
        if not model.objects.filter(pk=code).exists():
            raise QueryError(_("%(level)s inconnu : %(code)s") % {"level": level, "code": code})
        places, narrowed = places.filter(**{f"{level}_id": code}), True
    if kinds:
        unknown = sorted(set(kinds) - set(Kind.objects.filter(code__in=kinds).values_list("code", flat=True)))
        if unknown:
            raise QueryError(_("type de lieu inconnu : %(codes)s") % {"codes": ", ".join(unknown)})
        places, narrowed = places.filter(kinds__code__in=kinds), True
    if not narrowed:
        return None
    return Q(content_type=ContentType.objects.get_for_model(Place), object_id__in=places.values("pk"))
