from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    name = "tilios.media"
    verbose_name = _("Fichiers")

    def ready(self):
        from . import editing  # noqa: F401 — registers MediaFile as revisable
