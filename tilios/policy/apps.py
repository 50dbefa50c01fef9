from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "tilios.policy"
    verbose_name = _("Politiques publiques")

    def ready(self):
        from tilios.revisions.services import revision_published

        from . import editing  # noqa: F401 — registers the archive's records as revisable
        from .models import Announcement
        from .services import on_published

        revision_published.connect(on_published, sender=Announcement, dispatch_uid="policy_index")
