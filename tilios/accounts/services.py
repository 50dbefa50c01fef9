"""Account operations shared by the web pages and the API."""
import contextlib
import datetime

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import permissions
from .models import ApiToken
from .names import free_pseudonym
from .permissions import NotAllowed


def delete_account(user):
    """Close an account for good. Its revisions and messages stay, signed by a pseudonym.

    Sign-up refuses names that look like a pseudonym; one made otherwise (an operator, an older
    version) gets the pseudonym a suffix rather than blocking the deletion.
    """
    with transaction.atomic():
        user.email = ""
        user.first_name = user.last_name = ""
        user.set_unusable_password()
        user.is_active = False
        for attempt in range(5):
            user.username = free_pseudonym(user)
            try:
                with transaction.atomic():
                    user.save()
                break
            except IntegrityError:  # taken between the look-up and the save
                if attempt == 4:
                    raise
        user.api_tokens.all().delete()
        user.managed_places.all().delete()
        profile = user.profile
        profile.deleted_at = timezone.now()
        profile.save(update_fields=["deleted_at"])


def issue_token(user, name="API"):
    if not permissions.can_contribute(user):
        raise NotAllowed(_("un compte actif est nécessaire"))
    return ApiToken.issue(user, name[:100])


def user_for_token(token):
    if not token or not token.startswith("tl_"):
        return None
    found = ApiToken.objects.select_related("user", "user__profile").filter(digest=ApiToken.hash(token)).first()
    if found is None or not found.user.is_active:
        return None
    _note_use(found)
    return found.user


TOKEN_USE_RESOLUTION = datetime.timedelta(minutes=1)


def _note_use(token):
    """Record when a token was last used, at most once a minute and never at the request's expense:
    a read with a token must not wait for (or fail on) the write lock an import holds. The date is
    written in its own statement, outside any transaction, and skipped when the database is busy."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOKEN_USE_RESOLUTION:
        return
    try:
        with _no_wait(), transaction.atomic():  # a savepoint when a caller holds a transaction
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    except OperationalError:
        pass  # busy (an import holds the lock): the next use will record it


@contextlib.contextmanager
def _no_wait():
    """On SQLite, give up on a held write lock after 50 ms instead of the usual 20 s."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        usual = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout = 50")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(usual)}")


