from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def reinstall_indexes(using, **kwargs):
    """SQLite migrations that alter places_place rebuild the table and drop its triggers:
    put the nearest-place, text and kind indexes back (idempotent) after every migrate, the text index in
    order and the kinds' counts folded."""
    from django.db import connections

    from . import kind_index, spatial, text_index
    from .services import tidy_indexes

    with connections[using].schema_editor() as editor:
        spatial.install_index(editor)
        text_index.install_index(editor)
        kind_index.install_index(editor)
    tidy_indexes(using)


class PlacesConfig(AppConfig):
    name = "tilios.places"
    verbose_name = _("Lieux")

    def ready(self):
        from . import editing  # noqa: F401 — registers Place as revisable

        post_migrate.connect(reinstall_indexes, sender=self, dispatch_uid="tilios_place_indexes")
