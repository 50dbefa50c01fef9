"""Activity of places (aggregate figures per period, no personal data) and the evaluation bands.

A report says, for one place and one period (a calendar month by default), how many regular users,
occasional visits, desk-days used / available and events there were, who reported it and how reliable
it is. Two reports of the same place never overlap (checked in `services.validate`).
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


def month_index(day):
    """Months since year 0: consecutive months differ by one (the x axis of trends)."""
    return day.year * 12 + day.month - 1


class ActivityReport(models.Model):
    class ReportedBy(models.TextChoices):
        MANAGER = "manager", _("gestionnaire du lieu")
        MODERATOR = "moderator", _("modérateur")
        SURVEY = "survey", _("enquête")
        IMPORT = "import", _("import")

    class Reliability(models.TextChoices):
        DECLARED = "declared", _("déclaré")
        VERIFIED = "verified", _("vérifié")
        ESTIMATED = "estimated", _("estimé")

    place = models.ForeignKey("places.Place", models.CASCADE, related_name="activity_reports",
                              verbose_name=_("lieu"))
    period_start = models.DateField(_("début de la période"))
    period_end = models.DateField(_("fin de la période"))
    regular_users = models.PositiveIntegerField(_("usagers réguliers"))
    occasional_visits = models.PositiveIntegerField(_("visites ponctuelles"), default=0)
    desk_days_used = models.PositiveIntegerField(_("jours-postes occupés"), null=True, blank=True)
    desk_days_available = models.PositiveIntegerField(_("jours-postes disponibles"), null=True, blank=True)
    events = models.PositiveIntegerField(_("événements"), default=0)
    reported_by_kind = models.CharField(_("déclaré par"), max_length=10, choices=ReportedBy.choices,
                                        default=ReportedBy.MANAGER)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="activity_reports", verbose_name=_("compte"))
    reliability = models.CharField(_("fiabilité"), max_length=10, choices=Reliability.choices,
                                   default=Reliability.DECLARED)
    source = models.CharField(_("source"), max_length=300, blank=True,
                              help_text=_("enquête, fichier importé… (jamais de donnée personnelle)"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Derived on save, so that SQL aggregates need no date arithmetic (which differs between engines).
    months = models.PositiveSmallIntegerField(editable=False, default=1)
    month_index = models.PositiveIntegerField(editable=False, default=0)
    # Incremented on every change: an edit made from an older version is refused (never overwritten).
    version = models.PositiveIntegerField(editable=False, default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["place", "period_start"]
        verbose_name = _("rapport d’activité")
        verbose_name_plural = _("rapports d’activité")
        constraints = [
            models.UniqueConstraint(fields=["place", "period_start"], name="activity_one_report_per_start"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="activity_end_after_start"),
            models.CheckConstraint(condition=Q(desk_days_used__isnull=True) | Q(desk_days_available__isnull=True)
                                   | Q(desk_days_used__lte=F("desk_days_available")),
                                   name="activity_used_within_available"),
        ]
        indexes = [models.Index(fields=["period_end", "place"], name="activity_end_place")]

    def __str__(self):
        return f"{self.place} {self.period_start}–{self.period_end}"

    def save(self, *args, **kwargs):
        self.refresh_derived()
        super().save(*args, **kwargs)

    def refresh_derived(self):
        self.month_index = month_index(self.period_start)
        self.months = max(1, month_index(self.period_end) - month_index(self.period_start) + 1)

    @property
    def activity(self):
        return self.regular_users + self.occasional_visits + (self.desk_days_used or 0) + self.events

    @property
    def occupancy(self):
        if self.desk_days_used is None or not self.desk_days_available:
            return None
        return self.desk_days_used / self.desk_days_available


# Shipped by migration 0002; translated where shown, like the band labels below.
DEFAULT_SCHEME_LABEL = gettext_noop("Bandes de l’étude des télécentres ruraux (2011)")


def default_bands():
    """The four bands of the 2011 study of rural télécentres (B. Moriset), in the order they are tried.

    `stat` is the scheme's statistic of monthly regular users over the window (see BandScheme)."""
    return [
        {"code": "never", "label": gettext_noop("jamais utilisé"), "no_activity": True},
        {"code": "sporadic", "label": gettext_noop("usage sporadique, mois vides"), "lt": 1},
        {"code": "regular_1_5", "label": gettext_noop("1 à 5 usagers réguliers"), "gte": 1, "lte": 5},
        {"code": "regular_6_plus", "label": gettext_noop("plus de 5 usagers réguliers"), "gt": 5},
    ]


class BandScheme(models.Model):
    """A versioned set of evaluation bands. Evaluations name the code and version they used.

    How a place is assigned, as of a date D (see `services.evaluation_rows`):
      1. the window is the `window_months` months up to D: the reports whose period *ended* in
         (D − window_months months, D] are read (a month not complete on D is not counted yet);
      2. no report in the window, or the last one ended before D − `unknown_after_months` months
         → « activité inconnue » (never counted as zero);
      3. every figure zero in every report of the window (users, visits, desk-days, events)
         → the first band with `no_activity`;
      4. otherwise `stat` = the `statistic` (median, or max) of the reports' `regular_users` over the
         window, and the first band whose bounds (`lt`, `lte`, `gt`, `gte`) all hold is taken.
    """

    class Statistic(models.TextChoices):
        MEDIAN = "median", _("médiane")
        MAX = "max", _("maximum")

    code = models.SlugField(max_length=60)
    version = models.PositiveIntegerField(default=1)
    label = models.CharField(max_length=200)
    source = models.TextField(blank=True)
    window_months = models.PositiveSmallIntegerField(default=12)
    unknown_after_months = models.PositiveSmallIntegerField(default=12)
    statistic = models.CharField(max_length=10, choices=Statistic.choices, default=Statistic.MEDIAN)
    bands = models.JSONField(default=default_bands)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="band_scheme_version")]
        verbose_name = _("barème d’évaluation")

    def __str__(self):
        return f"{self.code} v{self.version}"


class WindowSnapshot(models.Model):
    """The window aggregates of every place as of one month end (`WindowSummary` rows), so that an
    evaluation of all places reads one row per place instead of every report of the window.

    Built on first need (`services.snapshot_for`), kept in step by every report written or deleted
    through `services`; a place with no row had no report in the window."""

    window_months = models.PositiveSmallIntegerField()
    as_of = models.DateField()
    built_at = models.DateTimeField(auto_now_add=True)
    places = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["window_months", "as_of"], name="activity_one_snapshot")]

    def __str__(self):
        return f"{self.window_months} mois au {self.as_of}"


class WindowSummary(models.Model):
    """One place's reports over a snapshot's window, aggregated (see `services.AGGREGATE_COLUMNS`)."""

    snapshot = models.ForeignKey(WindowSnapshot, models.CASCADE, related_name="rows")
    # No database constraint: building a snapshot must not lock place rows (PostgreSQL checks a foreign key
    # with FOR KEY SHARE, which waits for a writer holding its place FOR UPDATE while that writer waits for
    # the snapshot: a deadlock). Rows still go with their place, deleted by Django.
    place = models.ForeignKey("places.Place", models.CASCADE, related_name="+", db_constraint=False)
    reports = models.PositiveIntegerField()
    reported_months = models.PositiveIntegerField()
    empty_months = models.PositiveIntegerField()
    total = models.BigIntegerField()
    median_regular = models.FloatField()
    max_regular = models.PositiveIntegerField()
    last_end = models.DateField()
    used = models.BigIntegerField(null=True)
    avail = models.BigIntegerField(null=True)
    # Sums for the least-squares trend over the last months (x counted in months from the snapshot).
    tn = models.IntegerField()
    tx = models.BigIntegerField()
    ty = models.BigIntegerField()
    txy = models.BigIntegerField()
    txx = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "place"], name="activity_summary_once")]
