from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class InstanceConfig(AppConfig):
    name = "tilios.instance"
    verbose_name = _("Sauvegarde de l'instance")

    def ready(self):
        from tilios import journal

        # The instance's writers say when they wait for the SQLite write lock: a long write makes room then.
        connection_created.connect(journal.install_announcer, dispatch_uid="tilios-announce-waits")
