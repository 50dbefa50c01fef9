"""Reaching a place: its e-mail address on request, and a message relayed to it without showing any address."""
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tilios.accounts import throttle
from tilios.places import contact

from . import views
from .common import rate_limited, too_many
from .forms import ContactForm
from .records import PLACE, find

# A place's inbox takes this many messages a day, from every sender together.
PLACE_DAILY_MESSAGES = "20/d"


@require_POST
@rate_limited("reveal")
def place_email(request, public_id):
    """« Afficher le courriel »: a POST with the page's CSRF token, so that crawlers reading pages never
    see the address; scripts get it as JSON, others the place page with the address written in."""
    place = find(PLACE, public_id, request.user)
    if place.merged_into_id or not place.email:
        raise Http404
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"email": place.email})
    return views.place(request, public_id, reveal_email=True)


@rate_limited("contact")
def place_contact(request, public_id):
    place = find(PLACE, public_id, request.user)
    if place.merged_into_id:
        return redirect("web:place_contact", place.merged_into.public_id)
    if not contact.recipients(place):
        raise Http404
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            throttle.hit_target(request, "contact", place.public_id, PLACE_DAILY_MESSAGES)
        except throttle.RateLimited as exc:
            return too_many(request, exc)
        data = form.cleaned_data
        try:
            contact.relay(place, data["name"], data["email"], data["message"],
                          request.build_absolute_uri(place.get_absolute_url()))
        except Exception:  # the backend's failure: nothing was sent and nothing kept, so say so
            contact.log.exception("contact message for place %s could not be sent", place.public_id)
            form.add_error(None, _("Le message n’a pas pu partir (serveur de courriel injoignable). "
                                   "Réessayez plus tard : rien n’a été gardé."))
        else:
            messages.success(request, _("Message envoyé. Le lieu vous répondra à votre adresse."))
            return redirect(place)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/place_contact.html", {"place": place, "form": form}, status=status)
