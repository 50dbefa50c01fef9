from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CensusConfig(AppConfig):
    name = "tilios.census"
    verbose_name = _("Recensement")

    def ready(self):
        from tilios.places.models import Place
        from tilios.revisions.services import record_unpublished, revision_published
        from tilios.sources.signals import places_attested

        from . import facts

        revision_published.connect(facts.on_published, sender=Place, dispatch_uid="census_facts")
        places_attested.connect(facts.on_attested, dispatch_uid="census_facts_attested")
        record_unpublished.connect(facts.on_unpublished, sender=Place, dispatch_uid="census_facts_unpublished")
