"""Talk pages: threads and replies on any record, hidden by moderators when they must be."""
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tilios.accounts import permissions

from .models import Message, ModerationAction, Thread
from .services import NotAllowed, check_spam, log_action


class _TextSpec:  # what the spam check reads in a message
    text_fields = ("body",)


def start_thread(record, user, title, tag, body):
    if not permissions.can_contribute(user):
        raise NotAllowed(_("connectez-vous pour écrire sur la page de discussion"))
    errors = {}
    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("un sujet de 200 caractères au plus")
    if tag not in Thread.Tag.values:
        errors["tag"] = _("étiquette inconnue")
    if not body or len(body) > 20000:
        errors["body"] = _("un message de 20 000 caractères au plus")
    if errors:
        raise ValidationError(errors)
    check_spam(user, _TextSpec, {}, {"body": body})
    with transaction.atomic():
        thread = Thread.objects.create(content_type=ContentType.objects.get_for_model(record), object_id=record.pk,
                                       title=title, tag=tag, author=user)
        Message.objects.create(thread=thread, author=user, body=body)
    return thread


def reply(thread, user, body, parent=None):
    if not permissions.can_contribute(user):
        raise NotAllowed(_("connectez-vous pour écrire sur la page de discussion"))
    body = (body or "").strip()
    if not body or len(body) > 20000:
        raise ValidationError({"body": _("un message de 20 000 caractères au plus")})
    if parent is not None and parent.thread_id != thread.pk:
        raise ValidationError({"parent": _("ce message n'appartient pas à cette discussion")})
    check_spam(user, _TextSpec, {}, {"body": body})
    return Message.objects.create(thread=thread, author=user, body=body, parent=parent)


def hide_message(message, user, reason=""):
    if not permissions.can_moderate(user):
        raise NotAllowed(_("seuls les modérateurs masquent un message"))
    message.hidden_by = user
    message.save(update_fields=["hidden_by"])
    log_action(user, ModerationAction.Action.HIDE, record=message.thread.record, reason=reason,
         details={"message": message.pk})
