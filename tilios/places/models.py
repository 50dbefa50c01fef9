"""The registry: places and the taxonomy of their kinds."""
import functools
import re
import secrets

from django.conf import settings
from django.db import models
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tilios.revisions.querysets import PublishedQuerySet
from tilios.territories.models import Commune, Departement, Epci, Region, population_class
from tilios.text import search_text, sort_key

from . import taxonomy

# Crockford's base 32 without look-alikes: ids read aloud or typed from paper survive.
_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def public_id_in(ref):
    """A place's public id from itself or from the address of its page (…/lieux/ID/), as people paste them."""
    return str(ref).strip().rstrip("/").rsplit("/", 1)[-1]


_PUBLIC_ID = re.compile(f"[{_ID_ALPHABET}]+")
_URL_SLOT = "0public0id0"  # stands for the id in the address reversed once


@functools.lru_cache(maxsize=8)
def _place_url_pattern(urlconf, script_prefix):
    return reverse("web:place", args=[_URL_SLOT], urlconf=urlconf)


def place_url(public_id):
    """The address of a place's page: Django's `reverse` once per URL set and script prefix, then filled in
    with an id of the alphabet's letters (a listing reversed it for each place it shows, a tenth of the API's
    answer time). Anything else, such as an id a person wrote in a page, is reversed, quoted or refused."""
    if not _PUBLIC_ID.fullmatch(public_id):
        return reverse("web:place", args=[public_id])
    return _place_url_pattern(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()).replace(
        _URL_SLOT, public_id)


def new_public_id():
    # 32 letters: a random byte's last five bits pick one, uniformly (one system call, not ten).
    return "".join(_ID_ALPHABET[byte & 31] for byte in secrets.token_bytes(10))


class Kind(models.Model):
    """A kind of place in the versioned taxonomy, with its equivalents in the CGET typology and OSM."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("libellé"), max_length=100)
    label_en = models.CharField(_("libellé anglais"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    introduced_in = models.CharField(_("version de la taxonomie"), max_length=10, default="1")
    cget_typology = models.CharField(_("typologie CGET"), max_length=100, blank=True)
    osm_tags = models.JSONField(_("étiquettes OSM"), default=list, blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("type de lieu")
        verbose_name_plural = _("types de lieux")

    def __str__(self):
        return self.shown_label

    @property
    def shown_label(self):
        """The label in the language of the request (English when asked and known, else French)."""
        return self.label_en if (get_language() or "").startswith("en") and self.label_en else self.label


MARKERS = {
    "collectif": _("collaboratif, communauté"),
    "faire": _("primauté du « faire »"),
    "mixite": _("mixité des publics et des activités"),
}


class PlaceQuerySet(PublishedQuerySet):
    def live(self):
        """Published places that stand for themselves: a place merged into another only redirects there."""
        return self.published().filter(merged_into=None)


class Place(models.Model):
    class Presence(models.TextChoices):
        PHYSICAL = "physical", _("physique")
        DIGITAL = "digital", _("numérique")
        HYBRID = "hybrid", _("hybride")

    class Mobility(models.TextChoices):
        FIXED = "fixed", _("fixe")
        ITINERANT = "itinerant", _("itinérant")
        EPHEMERAL = "ephemeral", _("éphémère")

    class Status(models.TextChoices):
        PROJECT = "project", _("en projet")
        OPEN = "open", _("ouvert")
        SUSPENDED = "suspended", _("suspendu")
        CLOSED = "closed", _("fermé")

    class CommuneCheck(models.TextChoices):
        AGREE = "agree", _("commune déclarée confirmée")
        DIFFERS = "differs", _("commune déclarée différente de la commune calculée")
        FAR = "far", _("position éloignée de la commune déclarée, à vérifier")
        DERIVED = "derived", _("commune calculée, aucune déclarée")
        DECLARED = "declared", _("commune déclarée, non vérifiable")
        UNKNOWN = "unknown", _("commune inconnue")

    public_id = models.CharField(_("identifiant"), max_length=12, unique=True, default=new_public_id,
                                 editable=False)
    name = models.CharField(_("nom"), max_length=200)
    alternate_names = models.JSONField(_("autres noms"), default=list, blank=True)
    kinds = models.ManyToManyField(Kind, verbose_name=_("types"), related_name="places", blank=True)
    presence = models.CharField(_("présence"), max_length=10, choices=Presence.choices,
                                default=Presence.PHYSICAL)
    mobility = models.CharField(_("mobilité"), max_length=10, choices=Mobility.choices,
                                default=Mobility.FIXED)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # Valid time: when the place really existed. A temporary place has both ends, planned.
    opened_on = models.DateField(_("ouvert le"), null=True, blank=True)
    closed_on = models.DateField(_("fermé le"), null=True, blank=True)
    temporary = models.BooleanField(_("temporaire"), default=False)

    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    town = models.CharField(_("ville déclarée"), max_length=200, blank=True)
    declared_commune_code = models.CharField(_("code INSEE déclaré"), max_length=5, blank=True)

    declared_commune = models.ForeignKey(Commune, models.SET_NULL, null=True, blank=True, related_name="+",
                                         verbose_name=_("commune déclarée"))
    # Derived from the coordinates (or postcode + town) against the territory reference.
    commune = models.ForeignKey(Commune, models.SET_NULL, null=True, blank=True, related_name="places",
                                verbose_name=_("commune"))
    departement = models.ForeignKey(Departement, models.SET_NULL, null=True, blank=True,
                                    related_name="places", verbose_name=_("département"))
    region = models.ForeignKey(Region, models.SET_NULL, null=True, blank=True, related_name="places",
                               verbose_name=_("région"))
    epci = models.ForeignKey(Epci, models.SET_NULL, null=True, blank=True, related_name="places",
                             verbose_name=_("EPCI"))
    in_metropole = models.BooleanField(_("dans une métropole"), null=True)
    commune_check = models.CharField(_("contrôle de la commune"), max_length=10,
                                     choices=CommuneCheck.choices, default=CommuneCheck.UNKNOWN)
    located_by = models.CharField(_("localisé par"), max_length=12, blank=True)
    # From the coordinates to the declared commune's centre: what a « far » check is judged on.
    declared_distance_km = models.FloatField(_("distance à la commune déclarée (km)"), null=True, blank=True)

    # The three markers of a tiers-lieu in the 2018 Mission Coworking report, when someone checked them.
    markers = models.JSONField(_("marqueurs"), default=list, blank=True)  # subset of MARKERS
    links = models.JSONField(_("liens"), default=list, blank=True)  # [{"kind": "web", "url": …}]
    description = models.TextField(_("description"), blank=True)
    capacity = models.PositiveIntegerField(_("capacité (postes)"), null=True, blank=True)
    opening_hours = models.CharField(_("horaires (syntaxe OSM)"), max_length=255, blank=True)
    # Hours a source gave that the OSM syntax parser refused: kept as given and listed for review until a
    # person writes them in the syntax (which clears this).
    opening_hours_unparsed = models.CharField(_("horaires non reconnus"), max_length=1000, blank=True)
    # What the place offers, on what terms, to whom: codes of the vocabularies of places.taxonomy.
    services = models.JSONField(_("services et équipements"), default=list, blank=True)
    access = models.JSONField(_("conditions d'accès"), default=list, blank=True)
    audiences = models.JSONField(_("publics accueillis"), default=list, blank=True)
    prices = models.CharField(_("tarifs"), max_length=500, blank=True)
    wheelchair = models.CharField(_("accès en fauteuil roulant"), max_length=8, blank=True,
                                  choices=list(taxonomy.WHEELCHAIR.items()))
    # Values a source gave for those fields that no term of the vocabulary means: {field: [values]}, kept
    # for review until a person rewrites the field (which clears its entry).
    unrecognised = models.JSONField(_("valeurs non reconnues"), default=dict, blank=True)
    # How to reach the place (see places.contact): the phone in E.164; the e-mail is never printed in a page,
    # it is shown on request (rate-limited) and the contact form relays to it.
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("courriel"), blank=True)

    # Governance: the accepted revision this state comes from; unpublished until one is accepted.
    current_revision = models.ForeignKey("revisions.Revision", models.SET_NULL, null=True, blank=True,
                                         related_name="+", editable=False)
    is_published = models.BooleanField(_("publié"), default=True, db_index=True)
    # Set when this record was found to describe the same place as another: it then only redirects there.
    # Indexed only where set (see Meta): SQLite took an index of every place, almost all NULL, for the live
    # places' filter, then sorted them all instead of walking `place_sort` (18 ms for `/` at 23 000 places).
    merged_into = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="merged_from",
                                    verbose_name=_("fusionné dans"), db_index=False)
    protected = models.BooleanField(_("protégé"), default=False,
                                    help_text=_("toute modification passe en relecture"))

    search_text = models.TextField(editable=False, blank=True)
    sort_name = models.CharField(max_length=200, editable=False, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    # Indexed: its maximum is the version of the registry the map's cached groups are keyed on.
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True, db_index=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["sort_name", "id"]
        indexes = [
            models.Index(fields=["sort_name", "id"], name="place_sort"),
            models.Index(fields=["latitude", "longitude"], name="place_latlon"),
            models.Index(fields=["merged_into"], name="place_merged_into", condition=models.Q(merged_into__isnull=False)),
            # The live places alone (what `/` lists and counts): counted from this index, not the whole table.
            models.Index(fields=["sort_name", "id"], name="place_live",
                         condition=models.Q(is_published=True, merged_into__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_range"),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range"),
        ]
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return place_url(self.public_id)

    def save(self, *args, **kwargs):
        self.refresh_search()
        super().save(*args, **kwargs)

    def refresh_search(self):
        commune_name = self.commune.name if self.commune_id and self.commune else ""
        self.search_text = search_text(self.name, *self.alternate_names, self.town, commune_name)
        self.sort_name = sort_key(self.name)

    @property
    def has_location(self):
        return self.latitude is not None and self.longitude is not None

    @property
    def population_class(self):
        return population_class(self.commune.population) if self.commune_id else ""


class Report(models.Model):
    """Anyone's « ce lieu a fermé » or « une information est fausse », waiting in the review queue."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("Ce lieu a fermé")
        LOCATION = "location", _("L’adresse ou la position est fausse")
        HOURS = "hours", _("Les horaires sont faux")
        CONTACT = "contact", _("Le contact ou le site web est faux")
        OTHER = "other", _("Une autre information est fausse")

    class Status(models.TextChoices):
        OPEN = "open", _("à traiter")
        RESOLVED = "resolved", _("corrigé")
        DISMISSED = "dismissed", _("écarté")

    place = models.ForeignKey(Place, models.CASCADE, related_name="reports", verbose_name=_("lieu"))
    kind = models.CharField(_("ce qui ne va pas"), max_length=10, choices=Kind.choices)
    message = models.TextField(_("message"), max_length=2000)
    email = models.EmailField(_("courriel"), blank=True,
                              help_text=_("facultatif, pour qu’on puisse vous répondre ; jamais publié"))
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("signalement")
