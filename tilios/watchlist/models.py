"""What a signed-in person follows — records (a place, a page, a file, a promise…), or the places of a territory
or a kind — and how they want to hear of it."""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Watch(models.Model):
    """One thing followed: a record (content type + id), or places by département, région and/or kind."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="watches")
    content_type = models.ForeignKey(ContentType, models.CASCADE, null=True, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    record = GenericForeignKey("content_type", "object_id")
    region = models.CharField(_("région"), max_length=3, blank=True)
    departement = models.CharField(_("département"), max_length=3, blank=True)
    kind = models.CharField(_("type de lieu"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "content_type", "object_id"], name="one_watch_per_record",
                                    condition=models.Q(content_type__isnull=False)),
            models.UniqueConstraint(fields=["user", "region", "departement", "kind"], name="one_watch_per_area",
                                    condition=models.Q(content_type__isnull=True)),
        ]
        verbose_name = _("suivi")


class Preferences(models.Model):
    """How one person hears of what they follow: where their last visit to the list stopped, and the digest."""

    class Digest(models.TextChoices):
        NONE = "none", _("pas de courriel")
        DAILY = "daily", _("un courriel par jour")
        WEEKLY = "weekly", _("un courriel par semaine")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="watch_preferences")
    digest = models.CharField(_("résumé par courriel"), max_length=6, choices=Digest.choices, default=Digest.WEEKLY)
    # Positions in the change feed (revisions.changes): what was already shown, what was already mailed.
    seen_sequence = models.PositiveBigIntegerField(default=0)
    mailed_sequence = models.PositiveBigIntegerField(default=0)
    mailed_at = models.DateTimeField(null=True, blank=True)
    # The private Atom feed's address is signed with this number: a new address (+1) retires the old one.
    feed_generation = models.PositiveIntegerField(default=0)
