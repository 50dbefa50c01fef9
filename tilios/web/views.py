"""Server-rendered pages: the map and search (usable without JavaScript), a place, the sources."""
from urllib.parse import urlencode

import pydantic
from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tilios.accounts import permissions
from tilios.accounts.models import Role
from tilios.api.places import PlaceFilters, open_moment
from tilios.media.models import MediaFile
from tilios.pages import trainings
from tilios.places import contact, hours, queries, taxonomy, understanding
from tilios.places.models import Kind, Place
from tilios.places.presenters import directions, last_verified, offer_terms
from tilios.revisions.visibility import visible_to
from tilios.sources.models import Source, SourceRecord
from tilios.territories.models import Commune
from tilios.territories.services import find_communes
from tilios.text import QueryTooLong

from .records import PLACE, my_pending

PAGE_SIZE = 20
NEAR_PAGE_SIZE = 10
SAFE_SCHEMES = ("http://", "https://")

# Reference data shipped with Tilios (tilios/data/*/PROVENANCE.md): shown on the sources page.
REFERENCE_DATA = [
    {
        "name": "Code officiel géographique 2026 (communes, EPCI, départements, régions)",
        "publisher": "INSEE, DGCL, La Poste, via le paquet @etalab/decoupage-administratif 6.0.0",
        "licence": "Licence Ouverte (Etalab)",
        "licence_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "url": "https://github.com/etalab/decoupage-administratif",
        "attribution": "INSEE — Code officiel géographique 2026 ; DGCL — EPCI à fiscalité propre 2026",
    },
    {
        "name": "Centres des communes",
        "publisher": "geo.api.gouv.fr (Etalab / DINUM), centres calculés d'après les contours IGN",
        "licence": "Licence Ouverte 2.0",
        "licence_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "url": "https://geo.api.gouv.fr/",
        "attribution": "geo.api.gouv.fr — centres des communes, août 2025",
    },
    {
        "name": "Contours des départements et régions (2018, simplifiés)",
        "publisher": "IGN Admin Express COG 2018, via gregoiredavid/france-geojson",
        "licence": "Licence Ouverte (Etalab)",
        "licence_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "url": "https://github.com/gregoiredavid/france-geojson",
        "attribution": "IGN — Admin Express COG 2018 ; Grégoire David — france-geojson",
    },
]


def _kinds():
    return [{"code": k.code, "label": k.shown_label} for k in Kind.objects.order_by("position")]


def _query_string(params, **changes):
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "", [])}
    return urlencode(merged, doseq=True)


def _js_strings():
    return {
        "results": _("Résultats"),
        "noResult": _("Aucun lieu ne correspond."),
        "nearest": _("Les lieux les plus proches"),
        "nearestOf": _("Les lieux les plus proches de %(name)s"),
        "locating": _("Recherche de votre position…"),
        "geoUnavailable": _("La géolocalisation n'est pas disponible dans ce navigateur."),
        "geoDenied": _("Position non obtenue : autorisez la géolocalisation ou saisissez une ville."),
        "loadError": _("Le chargement a échoué. Réessayez."),
        "more": _("Plus de résultats"),
        "seeOnMap": _("Voir sur la carte"),
        "placeCount": _("%(count)s lieux"),
        "placeCountOne": _("1 lieu"),
        "open": _("Voir la fiche"),
        "you": _("Vous êtes ici"),
        "noCommune": _("Aucune commune trouvée."),
        "km": _("km"),
        "placesData": _("Lieux :"),
        "understood": _("Compris :"),
        "kindWord": _("type « %(label)s »"),
        "serviceWord": _("avec « %(label)s »"),
        "around": _("autour de %(name)s"),
        "words": _("mots « %(words)s »"),
        "nearFound": _("%(heading)s : %(count)s, listés sous la carte."),
        "clusterLabel": _("lieux : zoomer"),
    }


def search_filters(query):
    """The search in a page's address read by the API's own `PlaceFilters`: the same names and rules as
    `/api/places` (`kind` and `service` repeated, `open_now`, `open_at`…), so a search moves between the
    page and the API unchanged. QueryError naming the parameter when a value cannot be read."""
    data = {}
    for name, field in PlaceFilters.model_fields.items():
        values = [v for v in query.getlist(name) if v.strip()]
        if values:
            data[name] = values if field.annotation == list[str] else values[-1]
    try:
        return PlaceFilters.model_validate(data)
    except pydantic.ValidationError as exc:
        name = exc.errors()[0]["loc"][0]
        raise queries.QueryError(_("%(name)s : valeur illisible « %(value)s »") % {
            "name": name, "value": str(data.get(name, ""))[:50]}) from None


def home(request):
    commune_code = request.GET.get("commune", "").strip()[:5]
    town = request.GET.get("ville", "").strip()[:100]
    context = {"q": request.GET.get("q", "").strip()[:200], "kind": "", "town": town, "kinds": _kinds(),
               "js_strings": _js_strings(), "open_now": False, "error": None, "results": [], "communes": [],
               "near_commune": None, "is_near": False}
    kind_labels = {kind["code"]: kind["label"] for kind in context["kinds"]}
    near = None
    try:
        filters = search_filters(request.GET)
        q = context["q"] = filters.q.strip()[:200]
        context["kind"] = filters.kind[0] if filters.kind else ""
        context["open_now"] = filters.open_now
        open_at = open_moment(filters)
        params = {"q": q, "kind": filters.kind, "service": filters.service,
                  "open_now": "1" if filters.open_now else "", "open_at": filters.open_at}
        if filters.near:
            near = queries.parse_point(filters.near)
            params["near"] = filters.near
        elif commune_code or town:
            communes = []
            if commune_code:
                communes = list(Commune.objects.filter(code=commune_code, kind=Commune.Kind.CURRENT,
                                                       latitude__isnull=False).select_related("departement"))
            if not communes and town:
                try:
                    communes = find_communes(town)
                except QueryTooLong as exc:
                    raise queries.QueryError(_("ville : %(why)s") % {"why": exc}) from None
            if communes:
                commune = communes[0]
                near = (commune.latitude, commune.longitude)
                params["commune"] = commune.code
                context["near_commune"] = commune
                context["communes"] = communes[1:]
                context["town"] = town or commune.name
            else:
                raise queries.QueryError(_("Aucune commune ne correspond à « %(town)s ».") % {"town": town})
        # The words read as the API reads them (a kind's name filters by kind, a town's name orders from its
        # centre), so the first page and the list the map fetches afterwards are the same.
        reading = understanding.read(q, locate=near is None)
        if near is None and reading.town is not None:
            near = (reading.town.latitude, reading.town.longitude)
            context["near_commune"] = reading.town
        context["understood"] = _understood(reading, kind_labels)
        qs = queries.search(reading.text, [*filters.kind, *reading.kinds],
                            services=[*filters.service, *reading.services])
        if near is not None:
            result = queries.page(qs, limit=NEAR_PAGE_SIZE, cursor=filters.cursor, near=near, open_at=open_at)
            count = None
        else:
            result = queries.page(qs, limit=PAGE_SIZE, cursor=filters.cursor, open_at=open_at)
            count = queries.count(qs, open_at)
    except queries.QueryError as exc:
        context["error"] = str(exc)
        return render(request, "web/home.html", context, status=400)
    context.update({
        "searching": bool(q or filters.kind or filters.service or near or open_at),
        "results": [(place, [kind_labels.get(code, code) for code in place.kind_codes]) for place in result.places],
        "count": count,
        "is_near": near is not None,
        "near_point": near,
        "next_url": "?" + _query_string(params, cursor=result.next_cursor) if result.next_cursor else None,
        "first_url": ("?" + _query_string(params)) if filters.cursor else None,
        "commune_params": _query_string({k: v for k, v in params.items() if k not in ("near", "commune")}),
    })
    return render(request, "web/home.html", context)


def _understood(reading, kind_labels):
    """What the page says it understood of the words, when it read more than words to find in names."""
    if not (reading.kinds or reading.services or reading.town):
        return None
    return {"kinds": [kind_labels.get(code, code) for code in reading.kinds], "town": reading.town,
            "services": [taxonomy.label("services", code, get_language()) for code in reading.services],
            "words": reading.other_words}


def _safe_links(links):
    safe = []
    for link in links or []:
        url = link.get("url", "") if isinstance(link, dict) else str(link)
        if isinstance(url, str) and url.lower().startswith(SAFE_SCHEMES):
            kind = link.get("kind", "") if isinstance(link, dict) else ""
            safe.append({"url": url, "kind": kind})
    return safe


def place(request, public_id, reveal_email=False):
    """A place's page. `reveal_email`: the page as answered to « Afficher le courriel » (a POST, see
    contact_views), the only way the address is ever written in a page."""
    qs = (queries.with_details(Place.objects.all()).select_related("declared_commune", "declared_commune__departement")
          .defer("declared_commune__departement__contour"))
    qs = qs.prefetch_related(Prefetch("records", queryset=SourceRecord.objects.select_related("source")))
    place = get_object_or_404(qs, public_id=public_id)
    if not visible_to(place, request.user):
        raise Http404
    if place.merged_into_id:  # like a wiki redirect: the old address leads to the place it was merged into
        messages.info(request, _("« %(name)s » a été fusionné avec cette fiche.") % {"name": place.name})
        return redirect(place.merged_into)
    sources = {}
    for record in place.records.all():
        sources.setdefault(record.source_id, record.source)
    links = _safe_links(place.links)
    context = {
        "place": place,
        "kinds": [k.shown_label for k in place.kinds.all()],
        "links": links,
        "sources": list(sources.values()),
        "hours": _hours(place),
        "offer": _offer(place, get_language(), links),
        "directions": directions(place),
        "contact": _contact(place, reveal_email),
        "trainings": list(trainings.upcoming(place=place)[:20]),
        "programmes": list(place.programme_links.filter(programme__is_published=True).select_related("programme")
                           .order_by("programme__started_on", "programme__name")),
        "photos": list(place.files.published().filter(kind=MediaFile.Kind.IMAGE).order_by("created_at", "id")[:12]),
        "verified": last_verified(place),
        "commune_differs": place.commune_check == Place.CommuneCheck.DIFFERS,
        "position_far": place.commune_check == Place.CommuneCheck.FAR,
        "record": place, "rtype": PLACE, "tab": "read", "my_pending": my_pending(place, request.user),
    }
    return render(request, "web/place.html", context)


def _offer(place, language, links):
    """What the place offers, on what terms, to whom: labelled, services split by group; None when unknown."""
    services = offer_terms("services", place.services, language)
    groups = [{"label": label, "terms": [t for t in services if t["group"] == code]}
              for code, label in taxonomy.GROUPS.items()]
    others = [t for t in services if t["group"] not in taxonomy.GROUPS]
    if others:
        groups.append({"label": _("Autres"), "terms": others})
    offer = {"groups": [g for g in groups if g["terms"]], "access": offer_terms("access", place.access, language),
             "audiences": offer_terms("audiences", place.audiences, language), "prices": place.prices,
             "wheelchair": place.get_wheelchair_display() if place.wheelchair else "",
             "acceslibre": next((link["url"] for link in links if link["kind"] == "acceslibre"), None),
             "unrecognised": {k: v for k, v in place.unrecognised.items() if k in taxonomy.VOCABULARIES}}
    return offer if any(offer.values()) else None


def _contact(place, reveal_email):
    unread = {k: v for k, v in place.unrecognised.items() if k in ("phone", "email")}
    writable = bool(contact.recipients(place))
    if not (place.phone or place.email or writable or unread):
        return None
    return {"phone": contact.shown_phone(place.phone), "has_email": bool(place.email),
            "email": place.email if reveal_email else "", "writable": writable,
            "unrecognised": [value for values in unread.values() for value in values]}


def _hours(place):
    """The status line and the week table of a place's hours, in its own time zone."""
    if not place.opening_hours or not hours.is_valid(place.opening_hours):
        return None
    tz_name = hours.place_timezone(place)
    now = timezone.now()
    return {"status": hours.status(place.opening_hours, tz_name, now), "week": hours.week(place.opening_hours, tz_name, now),
            "timezone": tz_name, "local_zone": tz_name == hours.DEFAULT_TIMEZONE}


def sources(request):
    rows = Source.objects.annotate(place_count=Count("records__place", distinct=True)).order_by("name")
    return render(request, "web/sources.html", {"sources": rows, "reference_data": REFERENCE_DATA,
                                                "can_register_sources": permissions.at_least(request.user, Role.ADMIN)})

