from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivityConfig(AppConfig):
    name = "tilios.activity"
    verbose_name = _("Activité et évaluation")
