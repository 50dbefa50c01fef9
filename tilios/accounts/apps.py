from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def create_profile(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from .models import Profile

        Profile.objects.get_or_create(user=instance)


class AccountsConfig(AppConfig):
    name = "tilios.accounts"
    verbose_name = _("Comptes")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        post_save.connect(create_profile, sender=get_user_model(), dispatch_uid="tilios_profile")
