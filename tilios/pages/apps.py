from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    name = "tilios.pages"
    verbose_name = _("Pages de connaissance")

    def ready(self):
        from . import editing, trainings  # noqa: F401 — registers Page and Training as revisable
