from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def reinstall_spatial_index(using, **kwargs):
    """SQLite migrations that alter places_place rebuild the table and drop its triggers:
    put the nearest-place index back (idempotent) after every migrate."""
    from django.db import connections

    from .spatial import install_index

    with connections[using].schema_editor() as editor:
        install_index(editor)


class PlacesConfig(AppConfig):
    name = "tilios.places"
    verbose_name = _("Lieux")

    def ready(self):
        from . import editing  # noqa: F401 — registers Place as revisable

        post_migrate.connect(reinstall_spatial_index, sender=self, dispatch_uid="tilios_spatial_index")
