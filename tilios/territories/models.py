"""The French administrative reference (COG): régions, départements, EPCI, communes."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Population classes of the 2018 Mission Coworking report (column COMCLASS of its base).
POPULATION_CLASSES = [
    (0, "0-5000"),
    (5000, "5000-20000"),
    (20000, "20000-50000"),
    (50000, "50000-100000"),
    (100000, gettext_noop("100000 et plus")),
]


def population_class(population):
    if population is None:
        return ""
    label = ""
    for lower, name in POPULATION_CLASSES:
        if population >= lower:
            label = name
    return label


class Region(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    zone = models.CharField(_("zone"), max_length=10)  # metro / drom / com
    contour = models.JSONField(_("contour (GeoJSON)"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("région")

    def __str__(self):
        return self.name


class Departement(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    region = models.ForeignKey(Region, models.PROTECT, related_name="departements", null=True)
    zone = models.CharField(_("zone"), max_length=10)
    contour = models.JSONField(_("contour (GeoJSON)"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("département")

    def __str__(self):
        return f"{self.name} ({self.code})"


class Epci(models.Model):
    """Établissement public de coopération intercommunale à fiscalité propre."""

    METROPOLE_TYPES = ("METRO", "MET69")

    code = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=10)  # CC, CA, CU, METRO, MET69
    population = models.PositiveIntegerField(_("population"), null=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("EPCI")

    def __str__(self):
        return self.name

    @property
    def is_metropole(self):
        return self.kind in self.METROPOLE_TYPES


class Commune(models.Model):
    class Kind(models.TextChoices):
        CURRENT = "commune-actuelle", _("commune")
        DELEGATED = "commune-deleguee", _("commune déléguée")
        ASSOCIATED = "commune-associee", _("commune associée")
        DISTRICT = "arrondissement-municipal", _("arrondissement municipal")

    code = models.CharField(_("code INSEE"), max_length=5)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices, default=Kind.CURRENT)
    name = models.CharField(_("nom"), max_length=200)
    departement = models.ForeignKey(Departement, models.PROTECT, related_name="communes", null=True)
    region = models.ForeignKey(Region, models.PROTECT, related_name="communes", null=True)
    epci = models.ForeignKey(Epci, models.SET_NULL, related_name="communes", null=True, blank=True)
    # The current commune a delegated / associated commune or a municipal district belongs to.
    parent = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="parts")
    population = models.PositiveIntegerField(_("population"), null=True)
    postcodes = models.CharField(_("codes postaux"), max_length=200, blank=True)
    former_codes = models.CharField(_("anciens codes"), max_length=200, blank=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    search_text = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["code", "kind"], name="commune_code_kind")]
        # By search_text: reading a query looks for a town named by its words (places.understanding), and
        # scanning the 37 590 communes for it was 4–5 ms of every `q` with a word that is no kind.
        indexes = [models.Index(fields=["code"]), models.Index(fields=["search_text"], name="commune_search_text")]
        verbose_name = _("commune")

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def population_class(self):
        return population_class(self.population)

    @property
    def in_metropole(self):
        return bool(self.epci and self.epci.is_metropole)
