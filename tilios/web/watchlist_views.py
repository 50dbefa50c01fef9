"""« Ma liste de suivi »: follow records and parts of the registry, see what changed since the last visit,
choose the digest, and stop it from the mail in one click."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tilios.places.models import Kind
from tilios.places.queries import QueryError
from tilios.policy.models import Announcement, Programme, Promise
from tilios.revisions.visibility import visible_to
from tilios.territories.models import Departement, Region
from tilios.watchlist import services
from tilios.watchlist.models import Preferences, Watch

from .records import TYPES, find, link

# The archive's records that can be followed, by the field that names them in URLs.
ARCHIVE = {"promise": (Promise, "pk"), "programme": (Programme, "slug"), "announcement": (Announcement, "pk")}


def _followed(type_name, key, user):
    """(the record named by a follow form, its title, its URL); 404 when unknown or not visible to `user`."""
    if type_name in TYPES:
        rtype = TYPES[type_name]
        record = find(rtype, key, user)
        return record, rtype.title_of(record), link(rtype, "read", record)
    if type_name not in ARCHIVE:
        raise Http404
    model, field = ARCHIVE[type_name]
    record = model.objects.filter(**{field: key}).first() if field != "pk" or key.isdigit() else None
    if record is None or not visible_to(record, user):
        raise Http404
    return record, str(record), record.get_absolute_url()


def _back(request, default):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


@require_POST
@login_required
def follow(request):
    record, title, url = _followed(request.POST.get("type", ""), request.POST.get("key", ""), request.user)
    services.follow(request.user, record)
    messages.success(request, _("Vous suivez « %(title)s » : ses modifications apparaîtront dans votre liste de "
                                "suivi.") % {"title": title})
    return _back(request, url)


@require_POST
@login_required
def follow_area(request):
    try:
        services.follow_area(request.user, request.POST.get("region", ""), request.POST.get("departement", ""),
                             request.POST.get("kind", ""))
    except QueryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Sélection suivie."))
    return _back(request, "web:watchlist")


@require_POST
@login_required
def unfollow(request, watch_id):
    if not services.unfollow(request.user, watch_id):
        raise Http404
    messages.success(request, _("Vous ne suivez plus ce contenu."))
    return _back(request, "web:watchlist")


@login_required
def watchlist(request):
    prefs = services.preferences(request.user)
    if request.method == "POST":
        try:
            services.set_digest(request.user, request.POST.get("digest", ""))
        except ValueError:
            messages.error(request, _("Fréquence inconnue."))
        else:
            messages.success(request, _("Préférence enregistrée."))
        return redirect("web:watchlist")
    found, cursor = services.unseen(request.user)
    services.mark_seen(request.user, cursor)
    return render(request, "web/watchlist.html", {
        "changes": list(reversed(found)), "watches": _described(request.user), "prefs": prefs,
        "feed_url": request.build_absolute_uri(reverse("web:watch_atom", args=[services.feed_token(request.user)])),
        "digests": Preferences.Digest.choices})


def _described(user):
    """The person's watches with what each one is, for people."""
    regions = dict(Region.objects.values_list("code", "name"))
    departements = dict(Departement.objects.values_list("code", "name"))
    kinds = dict(Kind.objects.values_list("code", "label"))
    described = []
    for watch in Watch.objects.filter(user=user).select_related("content_type"):
        if watch.content_type_id:
            record = watch.record
            rtype = next((rt for rt in TYPES.values() if record is not None and isinstance(record, rt.model)), None)
            watch.title = rtype.title_of(record) if rtype else str(record or "—")
            watch.url = link(rtype, "read", record) if rtype else getattr(record, "get_absolute_url", lambda: "")()
        else:
            parts = [kinds.get(watch.kind, watch.kind), departements.get(watch.departement, watch.departement),
                     regions.get(watch.region, watch.region)]
            watch.title = " · ".join(p for p in parts if p)
            watch.url = ""
        described.append(watch)
    return described


@require_POST
@login_required
def renew_feed(request):
    services.renew_feed(request.user)
    messages.success(request, _("Nouvelle adresse du flux : l’ancienne ne fonctionne plus."))
    return redirect("web:watchlist")


@csrf_exempt  # the mail's one-click POST (RFC 8058) carries no CSRF token: the signed token is the proof
def unsubscribe(request, token):
    if request.method == "POST":
        user = services.unsubscribe(token)
        if user is None:
            raise Http404
        return render(request, "web/watch_unsubscribed.html", {"done": True})
    return render(request, "web/watch_unsubscribed.html", {"done": False, "token": token})
