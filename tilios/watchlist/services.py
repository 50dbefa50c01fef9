"""Following records and parts of the registry: the watchlist page shows what changed since the last visit,
the digest mails it (daily or weekly), and one click in the mail stops the mails.

What changed comes from the change feed (revisions.changes): every published revision has a position there,
and each person's preferences keep the position their last visit and their last digest reached, so nothing
is shown twice and nothing is skipped, whatever the order writers commit in."""
import datetime
import logging

from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tilios.places import feed
from tilios.places.models import Place
from tilios.places.queries import QueryError
from tilios.policy import following
from tilios.revisions import changes
from tilios.revisions.services import NotAllowed

from .models import Preferences, Watch

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "tilios.watchlist.digest"
FEED_SALT = "tilios.watchlist.feed"
PERIODS = {Preferences.Digest.DAILY: datetime.timedelta(days=1), Preferences.Digest.WEEKLY: datetime.timedelta(days=7)}
DIGEST_LIMIT = 200  # changes in one mail; the rest comes in the next


def preferences(user):
    """The person's preferences; a new follower starts at the feed's end (what follows is news to them)."""
    found = Preferences.objects.filter(user=user).first()
    if found is None:
        end = changes.number_new()
        found, _created = Preferences.objects.get_or_create(user=user, defaults={"seen_sequence": end,
                                                                                 "mailed_sequence": end})
    return found


def _check(user):
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotAllowed(_("connectez-vous pour suivre des contenus"))


def _create(user, **fields):
    preferences(user)
    try:
        with transaction.atomic():
            return Watch.objects.create(user=user, **fields)
    except IntegrityError:  # already followed: following twice is following once
        return Watch.objects.get(user=user, **fields)


def follow(user, record):
    _check(user)
    return _create(user, content_type=ContentType.objects.get_for_model(record), object_id=record.pk)


def follow_area(user, region="", departement="", kind=""):
    """Follow the places of a région and/or département and/or kind; unknown codes raise QueryError."""
    _check(user)
    if not (region or departement or kind):
        raise QueryError(_("choisissez une région, un département ou un type de lieu"))
    feed.scope(region, departement, "", [kind] if kind else [])  # checks the codes
    return _create(user, region=region, departement=departement, kind=kind)


def unfollow(user, watch_id):
    return Watch.objects.filter(user=user, pk=watch_id).delete()[0] > 0


def watch_of(user, record):
    if user is None or not user.is_authenticated:
        return None
    return Watch.objects.filter(user=user, content_type=ContentType.objects.get_for_model(record),
                                object_id=record.pk).first()


def watch_managed_place(sender, instance, created, **kwargs):
    """A place's new manager follows it (post_save of accounts.PlaceManager, connected in apps.py)."""
    if created:
        _create(instance.user, content_type=ContentType.objects.get_for_model(Place), object_id=instance.place_id)


def _records(records):
    """Qs on revisions, one per type: the changes of these records."""
    ids = {}
    for record in records:
        ids.setdefault(ContentType.objects.get_for_model(record).pk, []).append(record.pk)
    return [Q(content_type_id=ct, object_id__in=pks) for ct, pks in ids.items()]


def scope(user):
    """A Q on revisions: the changes of everything `user` follows; None when they follow nothing."""
    parts = []
    for watch in Watch.objects.filter(user=user).select_related("content_type"):
        if watch.content_type_id:
            parts.append(Q(content_type_id=watch.content_type_id, object_id=watch.object_id))
            if watch.content_type.model_class() in following.COVERING and watch.record is not None:
                parts += _records(following.followed_with(watch.record))
        else:
            parts.append(feed.scope(watch.region, watch.departement, "", [watch.kind] if watch.kind else []))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def unseen(user, limit=100):
    """(changes since the last visit, oldest first; the feed position to mark as seen)."""
    wanted = scope(user)
    prefs = preferences(user)
    if wanted is None:
        return [], changes.number_new()
    page = changes.since(prefs.seen_sequence, limit, wanted)
    return page.changes, page.cursor


def mark_seen(user, cursor):
    Preferences.objects.filter(user=user, seen_sequence__lt=cursor).update(seen_sequence=cursor)


def set_digest(user, digest):
    if digest not in Preferences.Digest.values:
        raise ValueError(digest)
    prefs = preferences(user)
    prefs.digest = digest
    prefs.save(update_fields=["digest"])


def recent(user, limit):
    """The latest changes of what `user` follows, newest first (their Atom feed)."""
    wanted = scope(user)
    return changes.present(list(changes.recent(wanted)[:limit])) if wanted is not None else []


def feed_token(user):
    """The secret part of the person's feed address: feed readers carry no session."""
    return signing.dumps({"u": user.pk, "g": preferences(user).feed_generation}, salt=FEED_SALT)


def feed_owner(token):
    """The active person a feed token was made for, if it is still their current one; else None."""
    try:
        claim = signing.loads(token, salt=FEED_SALT)
        user_id, generation = claim["u"], claim["g"]
    except (signing.BadSignature, KeyError, TypeError):
        return None
    prefs = Preferences.objects.filter(user_id=user_id, feed_generation=generation,
                                       user__is_active=True).select_related("user").first()
    return prefs.user if prefs else None


def renew_feed(user):
    """A new feed address; the old one stops working (it was shared, or leaked)."""
    preferences(user)
    Preferences.objects.filter(user=user).update(feed_generation=F("feed_generation") + 1)
    log.info("watchlist feed address renewed for user %s", user.pk)


def unsubscribe_token(user):
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe(token):
    """Stop the digest of the person the token was made for; their user, or None for a bad token."""
    try:
        user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)["u"]
    except (signing.BadSignature, KeyError, TypeError):
        return None
    prefs = Preferences.objects.filter(user_id=user_id).select_related("user").first()
    if prefs is None:
        return None
    prefs.digest = Preferences.Digest.NONE
    prefs.save(update_fields=["digest"])
    log.info("digest stopped by its unsubscribe link for user %s", user_id)
    return prefs.user


def due(frequency, now=None):
    """Preferences whose digest of `frequency` is due: never sent, or sent a period ago or more."""
    now = now or timezone.now()
    return (Preferences.objects.filter(digest=frequency, user__is_active=True).exclude(user__email="")
            .filter(Q(mailed_at__isnull=True) | Q(mailed_at__lte=now - PERIODS[frequency] + datetime.timedelta(hours=1)))
            .select_related("user"))


def send_digest(prefs, site_url, now=None):
    """Mail what changed since the last digest; how many changes were mailed (0: nothing new, no mail)."""
    user = prefs.user
    wanted = scope(user)
    page = changes.since(prefs.mailed_sequence, DIGEST_LIMIT, wanted) if wanted is not None else None
    found = page.changes if page else []
    if found:
        unsubscribe_url = site_url + reverse("web:watch_unsubscribe", args=[unsubscribe_token(user)])
        lines = [_("Bonjour %(name)s,") % {"name": user.get_username()}, "",
                 _("Ce qui a changé dans ce que vous suivez sur Tilios :"), ""]
        for change in found:
            lines.append(f"- {change.at:%d/%m/%Y} · {change.title} · {change.kind_label} · {change.author}"
                         + (f" — {change.summary}" if change.summary else ""))
            lines.append(f"  {site_url}{change.url}")
        lines += ["", _("Votre liste de suivi : %(url)s") % {"url": site_url + reverse("web:watchlist")},
                  _("Ne plus recevoir ces courriels : %(url)s") % {"url": unsubscribe_url}]
        message = EmailMessage(_("Tilios : %(n)d modification(s) dans ce que vous suivez") % {"n": len(found)},
                               "\n".join(lines), None, [user.email],
                               headers={"List-Unsubscribe": f"<{unsubscribe_url}>",
                                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        message.send()
    Preferences.objects.filter(pk=prefs.pk).update(mailed_sequence=page.cursor if page else changes.number_new(),
                                                   mailed_at=now or timezone.now())
    return len(found)
