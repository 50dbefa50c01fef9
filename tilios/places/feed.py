"""Following a part of the registry: the places of a territory and of some kinds (change feed, embeds)."""
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext as _

from tilios.territories.models import Commune, Departement, Region

from .models import Kind, Place
from .queries import QueryError

LEVELS = (("region", Region), ("departement", Departement), ("commune", Commune))


def within(places, region="", departement="", commune=""):
    """`places` in a territory given by INSEE codes. Unknown codes are errors, not empty answers: a
    follower or an embedding site with a typo must not believe there is nothing there."""
    codes = {"region": region, "departement": departement, "commune": commune}
    for level, model in LEVELS:
        code = codes[level]
        if not code:
            continue
        if not model.objects.filter(pk=code).exists():
            raise QueryError(_("%(level)s inconnu : %(code)s") % {"level": level, "code": code})
        places = places.filter(**{f"{level}_id": code})
    return places


def scope(region="", departement="", commune="", kinds=()):
    """A Q on revisions keeping the changes of places in a territory and of some kinds, or None."""
    if not (region or departement or commune or kinds):
        return None
    places = within(Place.objects.all(), region, departement, commune)
    if kinds:
        unknown = sorted(set(kinds) - set(Kind.objects.filter(code__in=kinds).values_list("code", flat=True)))
        if unknown:
            raise QueryError(_("type de lieu inconnu : %(codes)s") % {"codes": ", ".join(unknown)})
        places = places.filter(kinds__code__in=kinds)
    return Q(content_type=ContentType.objects.get_for_model(Place), object_id__in=places.values("pk"))
