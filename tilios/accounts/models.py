"""Who may do what: roles, the places a manager keeps, blocks and API tokens."""
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    READER = "reader", _("lecteur")  # anonymous visitors; never stored
    CONTRIBUTOR = "contributor", _("contributeur")
    TRUSTED = "trusted", _("contributeur de confiance")
    MODERATOR = "moderator", _("modérateur")
    ADMIN = "admin", _("administrateur")


ROLE_RANK = {Role.READER: 0, Role.CONTRIBUTOR: 1, Role.TRUSTED: 2, Role.MODERATOR: 3, Role.ADMIN: 4}


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile")
    role = models.CharField(_("rôle"), max_length=12, choices=[c for c in Role.choices if c[0] != "reader"],
                            default=Role.CONTRIBUTOR)
    blocked_until = models.DateTimeField(_("bloqué jusqu'au"), null=True, blank=True)
    blocked_reason = models.CharField(_("motif du blocage"), max_length=500, blank=True)
    deleted_at = models.DateTimeField(_("compte supprimé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("profil")

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_blocked(self):
        return self.blocked_until is not None and self.blocked_until > timezone.now()


class PlaceManager(models.Model):
    """A contributor a moderator has linked to a place: they keep its record true."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="managed_places")
    place = models.ForeignKey("places.Place", models.CASCADE, related_name="managers")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "place"], name="one_link_per_manager_place")]
        verbose_name = _("gestionnaire de lieu")


class ApiToken(models.Model):
    """A bearer token for the API. Only its hash is kept; the token is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")

    @staticmethod
    def hash(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name="API"):
        token = "tl_" + secrets.token_urlsafe(32)
        cls.objects.create(user=user, name=name, prefix=token[:8], digest=cls.hash(token))
        return token
