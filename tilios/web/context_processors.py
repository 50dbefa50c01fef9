from django.conf import settings

from tilios.accounts import permissions
from tilios.pages.models import LICENCE, LICENCE_URL


def site(request):
    user = getattr(request, "user", None)
    return {
        # What people write (names, wiki text, quotations) is in the instance's language, whatever the
        # language of the page around it: templates mark it so (WCAG 3.1.2, language of parts).
        "CONTENT_LANGUAGE": settings.LANGUAGE_CODE,
        "TILE_URL": settings.TILE_URL, "TILE_ATTRIBUTION": settings.TILE_ATTRIBUTION,
        "WIKI_LICENCE": LICENCE, "WIKI_LICENCE_URL": LICENCE_URL,
        "can_review": permissions.can_review(user) if user is not None else False,
        "can_moderate": permissions.can_moderate(user) if user is not None else False,
    }
