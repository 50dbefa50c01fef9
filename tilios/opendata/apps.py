from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenDataConfig(AppConfig):
    """Exports of the registry (CSV, GeoJSON, Data Package) with every source's licence honoured."""

    name = "tilios.opendata"
    verbose_name = _("Données ouvertes")
