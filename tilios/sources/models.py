"""Where the registry's facts come from: sources, their licences, import runs and raw records."""
import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    publisher = models.CharField(_("éditeur"), max_length=200, blank=True)
    url = models.URLField(_("adresse"), max_length=500, blank=True)
    # The licence's code in `licences.LICENCES`; its name and address are copied beside it for exports.
    licence_code = models.CharField(_("code de la licence"), max_length=30, blank=True)
    licence = models.CharField(_("licence"), max_length=100)
    share_alike = models.BooleanField(_("partage à l'identique"), default=False,
                                      help_text=_("une base dérivée doit être publiée sous la même licence"))
    licence_url = models.URLField(_("texte de la licence"), max_length=500, blank=True)
    attribution = models.CharField(_("mention d'attribution"), max_length=500)
    data_date = models.DateField(_("date des données"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    # When sources disagree on a field, the value of the highest priority wins (a human edit wins over all).
    priority = models.PositiveSmallIntegerField(_("priorité"), default=50,
                                                help_text=_("la plus grande l'emporte quand les sources divergent"))
    # Who registered it (None: the catalogue shipped with Tilios, or the operator's command line).
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                      related_name="+", verbose_name=_("enregistrée par"))
    registered_at = models.DateTimeField(_("enregistrée le"), null=True, blank=True)

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
    # The day the source published the file (`--known-on`): when its records attest their places.
    known_on = models.DateField(_("connu depuis"), null=True, blank=True)
    finished_at = models.DateTimeField(_("fin"), null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(_("disparus"), default=0)  # records of earlier runs absent from this file
    errors = models.JSONField(default=list, blank=True)  # [{"line", "field", "reason", "value"}]
    changed_fields = models.PositiveIntegerField(_("champs modifiés"), default=0)
    # What turned the file's columns into place fields: the declarative mapping of a csv import, the
    # reader of the other formats.
    mapping = models.JSONField(_("correspondance appliquée"), default=dict, blank=True)
    matched = models.PositiveIntegerField(_("rapprochés"), default=0)  # new records joined to a known place
    review_items = models.PositiveIntegerField(_("à examiner"), default=0)  # candidates and conflicts queued

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import")

    @property
    def attested_at(self):
        """When what this file says was true as far as anyone knows: the day the source published it (at noon,
        as imports date it), else the moment it was read."""
        if self.known_on is not None:
            return timezone.make_aware(datetime.datetime.combine(self.known_on, datetime.time(12)))
        return self.started_at


class SourceRecord(models.Model):
    """One raw row of a source, as it was read, and the place it describes."""

    source = models.ForeignKey(Source, models.CASCADE, related_name="records")
    external_id = models.CharField(max_length=200)
    place = models.ForeignKey("places.Place", models.SET_NULL, null=True, related_name="records")
    raw = models.JSONField()
    fields = models.JSONField(_("valeurs lues"), default=dict, blank=True)  # the raw row mapped to place fields
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

    def _attested(self):
        return [run.attested_at for run in (self.first_run, self.last_run) if run is not None]

    @property
    def first_attested_at(self):
        """When the source first said what this record says: an older file of the same source read after a
        newer one still attests it at its own date. None when no import run is known."""
        return min(self._attested(), default=None)

    @property
    def last_attested_at(self):
        """The publication of the latest file that listed this record: when the source last confirmed it."""
        return max(self._attested(), default=None)


class MatchCandidate(models.Model):
    """Two places that may be one: proposed by matching, decided by a moderator, remembered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("à examiner")
        SAME = "same", _("même lieu")
        DISTINCT = "distinct", _("lieux distincts")
        LATER = "later", _("plus tard")

    place_a = models.ForeignKey("places.Place", models.CASCADE, related_name="+")
    place_b = models.ForeignKey("places.Place", models.CASCADE, related_name="+")
    score = models.FloatField(_("probabilité"))
    reasons = models.JSONField(_("raisons"), default=list)
    distance_m = models.FloatField(null=True, blank=True)
    status = models.CharField(_("décision"), max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    run = models.ForeignKey(ImportRun, models.SET_NULL, null=True, blank=True, related_name="candidates")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["place_a", "place_b"], name="one_candidate_per_pair"),
            models.CheckConstraint(condition=models.Q(place_a__lt=models.F("place_b")), name="candidate_ordered"),
        ]
        verbose_name = _("doublon possible")


class Merge(models.Model):
    """`merged` was folded into `kept`: the revisions on both and the records moved, so it can be undone."""

    kept = models.ForeignKey("places.Place", models.CASCADE, related_name="merges_kept")
    merged = models.ForeignKey("places.Place", models.CASCADE, related_name="merges_merged")
    records = models.JSONField(default=list)  # ids of the SourceRecords moved from merged to kept
    activity_reports = models.JSONField(default=list, blank=True)  # ids of the ActivityReports moved
    kept_revision = models.ForeignKey("revisions.Revision", models.SET_NULL, null=True, blank=True,
                                      related_name="+")
    merged_revision = models.ForeignKey("revisions.Revision", models.SET_NULL, null=True, related_name="+")
    candidate = models.ForeignKey(MatchCandidate, models.SET_NULL, null=True, blank=True, related_name="merges")
    run = models.ForeignKey(ImportRun, models.SET_NULL, null=True, blank=True, related_name="merges")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("fusion")


class FieldConflict(models.Model):
    """A source now says something else about a field that a person edited since: a person decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("à examiner")
        KEPT = "kept", _("valeur actuelle gardée")
        TAKEN = "taken", _("valeur de la source reprise")

    place = models.ForeignKey("places.Place", models.CASCADE, related_name="field_conflicts")
    field = models.CharField(_("champ"), max_length=40)
    record = models.ForeignKey(SourceRecord, models.CASCADE, related_name="conflicts")
    source_value = models.JSONField(_("valeur de la source"), null=True)
    current_value = models.JSONField(_("valeur actuelle"), null=True)
    human_revision = models.ForeignKey("revisions.Revision", models.SET_NULL, null=True, related_name="+")
    run = models.ForeignKey(ImportRun, models.SET_NULL, null=True, related_name="conflicts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("conflit avec une modification humaine")
