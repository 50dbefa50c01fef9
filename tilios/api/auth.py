"""Who is calling: a bearer token (`Authorization: Bearer tl_…`) or the Django session.

Reads are anonymous. Writes declare `auth=WRITE`: no credentials → 401; a token of a closed
account, or a blocked account → 403. Session writes keep Django's CSRF check; a bearer token is
not an ambient credential, so it needs none.
"""
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from tilios.accounts import permissions
from tilios.accounts.models import ApiToken
from tilios.accounts.services import user_for_token


def _admit(request, user, allow_blocked):
    if not user.is_active:
        raise HttpError(403, _("ce compte est désactivé"))
    if not allow_blocked and permissions.is_blocked(user):
        raise HttpError(403, _("ce compte est bloqué jusqu'au %(date)s") % {
            "date": user.profile.blocked_until.strftime("%Y-%m-%d %H:%M")})
    request.user = user  # rate limits and services see the token's account
    return user


class BearerToken(HttpBearer):
    def __init__(self, allow_blocked=False):
        self.allow_blocked = allow_blocked
        super().__init__()

    def authenticate(self, request, token):
        token = (token or "").strip()
        user = user_for_token(token)
        if user is None:
            if token.startswith("tl_") and ApiToken.objects.filter(digest=ApiToken.hash(token),
                                                                   user__is_active=False).exists():
                raise HttpError(403, _("ce compte est désactivé"))
            return None
        request.via_token = True
        return _admit(request, user, self.allow_blocked)


class SessionWriter(SessionAuth):
    """Django session auth; CSRF is checked only for a logged-in session (an anonymous write is a 401)."""

    def __init__(self, allow_blocked=False):
        self.allow_blocked = allow_blocked
        super().__init__(csrf=True)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        return _admit(request, request.user, self.allow_blocked)


WRITE = [BearerToken(), SessionWriter()]
# Revoking one's own token stays possible for a blocked account.
WRITE_EVEN_BLOCKED = [BearerToken(allow_blocked=True), SessionWriter(allow_blocked=True)]


def viewer(request):
    """The caller of a read endpoint, if any (never raises: reads are open to all)."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        user = user_for_token(header[7:].strip())
        if user is not None:
            return user
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else AnonymousUser()


def actor(request):
    return request.auth
