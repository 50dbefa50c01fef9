from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def create_profile(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from .models import Profile

        Profile.objects.get_or_create(user=instance)


def revoke_tokens_on_new_password(sender, instance, raw=False, update_fields=None, **kwargs):
    """A new password ends the API tokens, as it ends the sessions: whoever reset it may be fleeing a thief.

    Not when Django only rehashes the same password on login (check_password saves `password` alone,
    with no raw password pending).
    """
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    if update_fields is not None and set(update_fields) == {"password"} and instance._password is None:
        return
    before = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    if before is not None and before != instance.password:
        from .models import ApiToken

        ApiToken.objects.filter(user_id=instance.pk).delete()


class AccountsConfig(AppConfig):
    name = "tilios.accounts"
    verbose_name = _("Comptes")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save, pre_save

        post_save.connect(create_profile, sender=get_user_model(), dispatch_uid="tilios_profile")
        pre_save.connect(revoke_tokens_on_new_password, sender=get_user_model(), dispatch_uid="tilios_token_revoke")
