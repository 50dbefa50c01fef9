"""Accounts made by tests: one password for all, a role, blocked for two days if asked."""
import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from tilios.accounts.models import Role

PASSWORD = "motdepasse-solide-42"


def make_user(name, role=Role.CONTRIBUTOR, blocked=False):
    user = get_user_model().objects.create_user(name, f"{name}@example.org", PASSWORD)
    user.profile.role = role
    if blocked:
        user.profile.blocked_until = timezone.now() + datetime.timedelta(days=2)
    user.profile.save()
    return user
