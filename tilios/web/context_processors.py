from django.conf import settings

from tilios.accounts import permissions
from tilios.pages.models import LICENCE, LICENCE_URL


def site(request):
    user = getattr(request, "user", None)
    return {
        "TILE_URL": settings.TILE_URL, "TILE_ATTRIBUTION": settings.TILE_ATTRIBUTION,
        "WIKI_LICENCE": LICENCE, "WIKI_LICENCE_URL": LICENCE_URL,
        "can_review": permissions.can_review(user) if user is not None else False,
        "can_moderate": permissions.can_moderate(user) if user is not None else False,
    }
