"""Every write asks here. One function per capability, so views, API and CLI agree."""
from django.core.exceptions import PermissionDenied

from .models import ROLE_RANK, Role


class NotAllowed(PermissionDenied):
    """The user's role does not allow this write."""


def role_of(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.READER
    if user.is_superuser:
        return Role.ADMIN
    profile = getattr(user, "profile", None)
    return Role(profile.role) if profile else Role.CONTRIBUTOR


def is_blocked(user):
    profile = getattr(user, "profile", None) if user is not None and user.is_authenticated else None
    return bool(profile and profile.is_blocked)


def at_least(user, role):
    return not is_blocked(user) and ROLE_RANK[role_of(user)] >= ROLE_RANK[role]


def can_contribute(user):
    """Propose edits, write on talk pages."""
    return at_least(user, Role.CONTRIBUTOR)


def manages(user, obj):
    # A place is known by its label: accounts sit below places and do not import them.
    is_place = getattr(obj, "_meta", None) is not None and obj._meta.label == "places.Place"
    return (is_place and obj.pk is not None and user is not None and user.is_authenticated
            and user.managed_places.filter(place=obj).exists())


def can_publish(user, obj=None):
    """Whether an edit by `user` on `obj` goes live at once instead of waiting for review."""
    if not can_contribute(user):
        return False
    if obj is not None and getattr(obj, "protected", False):
        return at_least(user, Role.MODERATOR)
    return at_least(user, Role.TRUSTED) or manages(user, obj)


def can_review(user):
    """Accept or reject pending changes, patrol."""
    return at_least(user, Role.TRUSTED)


def can_moderate(user):
    """Block users, revert all of a user's edits, protect records, hide messages, link managers."""
    return at_least(user, Role.MODERATOR)


def can_grant(user, role):
    """Moderators make trusted contributors; only admins make moderators and admins."""
    if role in (Role.CONTRIBUTOR, Role.TRUSTED):
        return can_moderate(user)
    return at_least(user, Role.ADMIN)
