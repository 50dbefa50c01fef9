"""« Modifications récentes »: the change feed as a page to patrol and as Atom feeds to follow."""
import datetime

from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tilios.accounts import permissions
from tilios.places import feed
from tilios.places.models import Kind
from tilios.places.queries import QueryError
from tilios.revisions import changes
from tilios.revisions import services as revisions
from tilios.revisions.models import Revision
from tilios.watchlist import services as watchlist

from .common import paginate
from .records import TYPES, find

RECORD_TYPES = (("place", gettext_lazy("lieux")), ("page", gettext_lazy("pages du wiki")),
                ("mediafile", gettext_lazy("fichiers")), ("training", gettext_lazy("formations")),
                ("announcement", gettext_lazy("annonces")), ("programme", gettext_lazy("programmes")),
                ("promise", gettext_lazy("promesses")), ("outcome", gettext_lazy("résultats")),
                ("actor", gettext_lazy("acteurs")))
FEED_SIZE = 50
NEW_ACCOUNT_DAYS = 30  # « nouveaux comptes » : the edits patrollers look at first


def _scope(params):
    """The changes the query string asks for, as a Q on revisions; raises QueryError on unknown values."""
    scope = feed.scope(params.get("region", ""), params.get("departement", ""), params.get("commune", ""),
                       [k for k in params.getlist("kind") if k]) or Q()
    record_type = params.get("type", "")
    if record_type:
        if record_type not in dict(RECORD_TYPES):
            raise QueryError(_("type de contenu inconnu : %(type)s") % {"type": record_type})
        scope &= changes.of_type(record_type)
    if params.get("auteur"):
        scope &= Q(author__username=params["auteur"])
    if params.get("relue") == "non":
        scope &= Q(patrolled_at__isnull=True)
    if params.get("nouveaux") == "oui":
        scope &= Q(author__date_joined__gte=timezone.now() - datetime.timedelta(days=NEW_ACCOUNT_DAYS))
    return scope


def recent_changes(request):
    error = ""
    try:
        revisions_qs = changes.recent(_scope(request.GET))
    except QueryError as exc:
        error, revisions_qs = str(exc), Revision.objects.none()
    page = paginate(request, revisions_qs)
    page.object_list = changes.present(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/changes.html", {
        "page_obj": page, "error": error, "params": request.GET, "record_types": RECORD_TYPES,
        "kinds": Kind.objects.all(), "atom_url": f"{reverse('web:changes_atom')}?{query.urlencode()}",
        "pager_query": query.urlencode(),
        "may_patrol": permissions.can_review(request.user)}, status=400 if error else 200)


@require_POST
def patrol(request, revision_id):
    revision = get_object_or_404(Revision, pk=revision_id)
    try:
        revisions.patrol(revision, request.user)
    except revisions.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    return redirect(request.POST.get("next") or reverse("web:changes"))


class ChangesFeed(Feed):
    """Atom: the latest changes with the filters of the « Modifications récentes » page."""

    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except QueryError as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")

    def get_object(self, request):
        return request.GET

    def title(self, params):
        return _("Tilios — modifications récentes")

    def link(self, params):
        return reverse("web:changes")

    def subtitle(self, params):
        return _("Chaque modification publiée du registre, du wiki et de l'archive des politiques publiques.")

    def items(self, params):
        return changes.present(list(changes.recent(_scope(params))[:FEED_SIZE]))

    def item_title(self, change):
        return f"{change.title} — {change.kind_label}"

    def item_description(self, change):
        fields = ", ".join(change.fields)
        return " · ".join(part for part in (change.summary, fields and _("champs : %s") % fields) if part)

    def item_link(self, change):
        return change.url or reverse("web:changes")

    def item_guid(self, change):
        return f"tilios-change-{change.sequence}"

    item_guid_is_permalink = False

    def item_author_name(self, change):
        return change.author

    def item_pubdate(self, change):
        return change.at

    def item_updateddate(self, change):
        return change.at


class RecordChangesFeed(ChangesFeed):
    """Atom: the changes of one place or one wiki page."""

    def get_object(self, request, kind, key):
        record = find(TYPES[kind], key, request.user)
        if not record.is_published:
            raise Http404
        return record

    def title(self, record):
        return _("Tilios — modifications de « %(title)s »") % {"title": record}

    def link(self, record):
        return record.get_absolute_url()

    def items(self, record):
        return changes.present(list(changes.recent(changes.of_record(record))[:FEED_SIZE]))


class WatchlistFeed(ChangesFeed):
    """Atom: the latest changes of what one person follows, at a secret address (feed readers carry no
    session); a new address from the watchlist page retires the old one."""

    def get_object(self, request, token):
        user = watchlist.feed_owner(token)
        if user is None:
            raise Http404
        return user

    def title(self, user):
        return _("Tilios — liste de suivi de %(name)s") % {"name": user.get_username()}

    def link(self, user):
        return reverse("web:watchlist")

    def subtitle(self, user):
        return _("Les dernières modifications de ce que vous suivez.")

    def items(self, user):
        return watchlist.recent(user, FEED_SIZE)
