from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstanceConfig(AppConfig):
    name = "tilios.instance"
    verbose_name = _("Sauvegarde de l'instance")
