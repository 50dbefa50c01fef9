"""Who may see a record: one rule for the site, the API and the commands."""
from django.contrib.contenttypes.models import ContentType

from tilios.accounts import permissions

from .models import Revision


def visible_to(record, user):
    """Published records are public. One not (yet) published — a creation waiting for its first review, a
    rolled-back one — is seen by reviewers and by whoever wrote a revision of it, so an author can follow
    their proposal."""
    if record.is_published:
        return True
    if user is None or not user.is_authenticated:
        return False
    if permissions.can_review(user):
        return True
    return Revision.objects.filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk,
                                   author=user).exists()
