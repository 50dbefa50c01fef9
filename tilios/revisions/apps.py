from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevisionsConfig(AppConfig):
    name = "tilios.revisions"
    verbose_name = _("Révisions")
