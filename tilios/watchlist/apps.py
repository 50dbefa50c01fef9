from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class WatchlistConfig(AppConfig):
    name = "tilios.watchlist"
    verbose_name = _("Listes de suivi")

    def ready(self):
        from tilios.accounts.models import PlaceManager

        from .services import watch_managed_place

        # A place's managers follow it from the day they are linked to it (they may stop).
        post_save.connect(watch_managed_place, sender=PlaceManager, dispatch_uid="watchlist.managed_place")
