"""Counting places on two clocks: definitions as versioned data, facts, snapshots."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# The names of the definitions Tilios ships (migrations), so that the catalogue translates them.
SHIPPED_NAMES = (gettext_noop("Tiers-lieux, définition large"), gettext_noop("Tiers-lieux confirmés"))


class CensusDefinition(models.Model):
    """A named, versioned set of inclusion criteria. A new version is a new row; old ones stay."""

    slug = models.SlugField(max_length=60)
    version = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("nom"), max_length=200)
    text = models.TextField(_("définition"))  # Markdown: what is counted and why
    changelog = models.TextField(_("historique des versions"), blank=True)
    criteria = models.JSONField(_("critères"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [models.UniqueConstraint(fields=["slug", "version"], name="definition_version")]
        verbose_name = _("définition de recensement")

    def __str__(self):
        return f"{self.name} (v{self.version})"

    @property
    def shown_name(self):
        """The name in the reader's language when Tilios ships a translation, else as published."""
        return gettext(self.name)

    @property
    def ref(self):
        return f"{self.slug}@{self.version}"


class PlaceFact(models.Model):
    """What the registry knew of a place from `known_from` until `known_to` (knowledge time), and
    when that place existed (`valid_from`–`valid_to`, valid time): one row per published revision.

    Counts filter and group this table alone, so « valid on D as known on K » is one indexed scan.
    """

    place = models.ForeignKey("places.Place", models.CASCADE, related_name="facts")
    revision = models.ForeignKey("revisions.Revision", models.SET_NULL, null=True, related_name="+")
    known_from = models.DateTimeField()
    known_to = models.DateTimeField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_from_estimated = models.BooleanField(default=False)
    valid_to = models.DateField(null=True, blank=True)
    valid_to_estimated = models.BooleanField(default=False)
    status = models.CharField(max_length=10)
    presence = models.CharField(max_length=10)
    kinds_mask = models.BigIntegerField(default=0)  # bit n = Kind with position n
    markers = models.CharField(max_length=60, blank=True)  # " collectif faire " for LIKE filters
    n_sources = models.PositiveSmallIntegerField(default=0)
    verified = models.BooleanField(default=False)
    region_code = models.CharField(max_length=3, blank=True)
    departement_code = models.CharField(max_length=3, blank=True)
    epci_code = models.CharField(max_length=9, blank=True)
    commune_code = models.CharField(max_length=5, blank=True)
    in_metropole = models.BooleanField(null=True)
    population_class = models.CharField(max_length=20, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["place", "known_to"], name="fact_place_open"),
            # Covers a count by département (and by région, rolled up from it): the scan reads
            # this narrow index in département order instead of the table. An index on the
            # knowledge dates alone would be worse than a scan: most facts match any K.
            models.Index(fields=["departement_code", "known_from", "known_to", "valid_from", "valid_to", "status",
                                 "presence", "kinds_mask", "n_sources", "verified"], name="fact_count"),
        ]
        verbose_name = _("fait de recensement")


class Snapshot(models.Model):
    """A frozen count: definition version, dates, parameters, result and a hash of what it counted."""

    definition = models.ForeignKey(CensusDefinition, models.PROTECT, related_name="snapshots")
    valid_on = models.DateField()
    known_on = models.DateField()
    by = models.CharField(max_length=20, blank=True)
    parameters = models.JSONField(default=dict)
    total = models.PositiveIntegerField()
    rows = models.JSONField(default=list)
    content_hash = models.CharField(max_length=64)
    data_revision = models.PositiveBigIntegerField(null=True)  # last revision id when frozen
    title = models.CharField(_("titre"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("instantané")
