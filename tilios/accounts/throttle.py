"""Rate limits per user and per IP, and the login lockout. Counted in the cache (see settings)."""
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from .models import Role
from .names import digest
from .permissions import at_least

# scope: (rate per IP, rate per account, rate per trusted account)
RATES = {
    "signup": ("5/h", None, None),
    "login": ("30/h", None, None),
    "password_reset": ("5/h", None, None),
    "edit": ("120/h", "60/h", "600/h"),
    "message": ("60/h", "20/h", "200/h"),
    "review": ("600/h", "600/h", "2000/h"),
    "report": ("10/h", "20/h", "200/h"),
    "contact": ("5/h", "10/h", "50/h"),
    "reveal": ("30/h", "60/h", "300/h"),
}
LOCKOUT_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60


class RateLimited(Exception):
    def __init__(self, scope):
        super().__init__(_("trop de demandes (%(scope)s) : réessayez plus tard") % {"scope": scope})
        self.scope = scope


def _client_ip(group, request):
    # A WSGI server on a Unix socket may give no REMOTE_ADDR: those requests share one counter.
    return request.META.get("REMOTE_ADDR") or "unknown"


def hit(request, scope):
    """Count one `scope` action for the request's IP and account; raise RateLimited past the limit."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return
    ip_rate, user_rate, trusted_rate = RATES[scope]
    checks = [(_client_ip, ip_rate)]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user_rate:
        checks.append(("user", trusted_rate if at_least(user, Role.TRUSTED) else user_rate))
    for key, rate in checks:
        name = key if isinstance(key, str) else "ip"
        usage = get_usage(request, group=f"tilios.{scope}.{name}", key=key, rate=rate, increment=True)
        if usage and usage["should_limit"]:
            raise RateLimited(scope)


def hit_target(request, scope, target, rate):
    """Count one `scope` action aimed at `target` (a place that many senders write to, whoever they are);
    raise RateLimited past `rate`."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return
    usage = get_usage(request, group=f"tilios.{scope}.target", key=lambda group, request: str(target),
                      rate=rate, increment=True)
    if usage and usage["should_limit"]:
        raise RateLimited(scope)


def _lockout_key(username):
    """One counter per account as Django's login finds it: « ｃ2 », « ⓒ2 », « c² », « C2 » count for « c2 »."""
    return f"tilios.lockout.{digest((username or '')[:150])}"


def is_locked_out(username):
    return (cache.get(_lockout_key(username)) or 0) >= LOCKOUT_FAILURES


def login_failed(username):
    key = _lockout_key(username)
    cache.add(key, 0, LOCKOUT_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, LOCKOUT_SECONDS)


def login_succeeded(username):
    cache.delete(_lockout_key(username))
