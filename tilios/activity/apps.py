from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivityConfig(AppConfig):
    name = "tilios.activity"
    verbose_name = _("Activité et évaluation")

    def ready(self):
        from tilios.sources.models import Merge
        from tilios.sources.signals import merge_undone, place_merged

        from .reporting import on_merge, on_merge_undone

        place_merged.connect(on_merge, sender=Merge, dispatch_uid="activity_merge")
        merge_undone.connect(on_merge_undone, sender=Merge, dispatch_uid="activity_merge_undone")
