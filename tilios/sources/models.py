"""Where the registry's facts come from: sources, their licences, import runs and raw records."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    publisher = models.CharField(_("éditeur"), max_length=200, blank=True)
    url = models.URLField(_("adresse"), max_length=500, blank=True)
    licence = models.CharField(_("licence"), max_length=100)
    licence_url = models.URLField(_("texte de la licence"), max_length=500, blank=True)
    attribution = models.CharField(_("mention d'attribution"), max_length=500)
    data_date = models.DateField(_("date des données"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")

    def __str__(self):
        return self.name


class ImportRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("en cours")
        DONE = "done", _("terminé")
        FAILED = "failed", _("échoué")

    source = models.ForeignKey(Source, models.CASCADE, related_name="runs")
    kind = models.CharField(_("format"), max_length=30)
    filename = models.CharField(_("fichier"), max_length=500)
    file_sha256 = models.CharField(max_length=64)
    started_at = models.DateTimeField(_("début"), auto_now_add=True)
    finished_at = models.DateTimeField(_("fin"), null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(_("disparus"), default=0)  # records of earlier runs absent from this file
    errors = models.JSONField(default=list, blank=True)  # [{"line", "field", "reason", "value"}]

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import")


class SourceRecord(models.Model):
    """One raw row of a source, as it was read, and the place it describes."""

    source = models.ForeignKey(Source, models.CASCADE, related_name="records")
    external_id = models.CharField(max_length=200)
    place = models.ForeignKey("places.Place", models.SET_NULL, null=True, related_name="records")
    raw = models.JSONField()
    checksum = models.CharField(max_length=64)
    line = models.PositiveIntegerField(null=True)
    first_run = models.ForeignKey(ImportRun, models.SET_NULL, null=True, related_name="+")
    last_run = models.ForeignKey(ImportRun, models.SET_NULL, null=True, related_name="+")
    # Set when a newer file of the source no longer holds this record: the place is possibly closed and
    # waits for review. Nothing is deleted; the record is cleared when a later file holds it again.
    missing_since_run = models.ForeignKey(ImportRun, models.SET_NULL, null=True, blank=True, related_name="+",
                                          verbose_name=_("absent depuis l'import"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="record_per_source")]
        verbose_name = _("enregistrement source")
