"""Usernames as people see them: look-alikes folded into one form, and the names kept for closed accounts."""
import hashlib
import re
import unicodedata

from django.contrib.auth import get_user_model

PSEUDONYM_PREFIX = "ancien-compte-"
_RESERVED_SKELETON = "anciencompte"


def fold(username):
    """NFKC (what Django's login form applies) then casefold: « ｃ2 », « ⓒ2 », « c² », « C2 » are all « c2 ».

    NFKC again after casefold, whose output is not always normalised (« ΐ » casefolds to three code points).
    """
    name = unicodedata.normalize("NFKC", (username or "").strip())
    return unicodedata.normalize("NFKC", name.casefold())


def digest(username):
    """A short, cache-safe key for a username: every look-alike has the same one."""
    return hashlib.sha256(fold(username).encode()).hexdigest()


def is_reserved(username):
    """Whether `username` passes for a closed account's pseudonym (« Ancien_Compte.8 », « ａncien-compte-8 »…)."""
    return re.sub(r"[\W_]", "", fold(username)).startswith(_RESERVED_SKELETON)


def free_pseudonym(user):
    """« ancien-compte-<id> », or with a suffix (« -2 », « -3 »…) if some account already holds that name."""
    base = f"{PSEUDONYM_PREFIX}{user.pk}"
    taken = {fold(name) for name in get_user_model()._default_manager.filter(username__istartswith=base)
             .exclude(pk=user.pk).values_list("username", flat=True)}
    candidate, n = base, 1
    while fold(candidate) in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
