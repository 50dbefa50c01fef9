"""The archive of public policy: who announced what, what was promised, what came of it."""
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tilios.places.models import Place
from tilios.revisions.models import Revisable

# Web archives whose copies a citation may point to: a page that moved or vanished stays readable there.
WEB_ARCHIVES = ("web.archive.org", "archive.org", "wayback.archive-it.org", "archive.ph", "archive.today",
                "archive.is", "perma.cc", "archivesinternet.bnf.fr")


def validate_archive_url(url):
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not any(
            host == archive or host.endswith("." + archive) for archive in WEB_ARCHIVES):
        raise ValidationError(_("une copie dans une archive du web est attendue (%(archives)s)")
                              % {"archives": ", ".join(WEB_ARCHIVES)})


class Cited(models.Model):
    """A record that cites a public source, with the archived copy that keeps it readable."""

    archive_url = models.URLField(_("copie archivée"), max_length=500, blank=True,
                                  validators=[validate_archive_url],
                                  help_text=_("la source dans une archive du web (Wayback Machine, archive.today…)"))

    class Meta:
        abstract = True

    def archive_lookup_url(self):
        """The Wayback Machine's copy nearest the citation's date, when none was recorded."""
        return f"https://web.archive.org/web/{self.cited_on:%Y%m%d}/{self.source_url}"


class Actor(Revisable):
    class Kind(models.TextChoices):
        STATE = "state", _("État")
        REGION = "region", _("région")
        DEPARTEMENT = "departement", _("département")
        EPCI = "epci", _("EPCI")
        COMMUNE = "commune", _("commune")
        OPERATOR = "operator", _("opérateur")
        NETWORK = "network", _("réseau")
        COMPANY = "company", _("entreprise")
        OTHER = "other", _("autre")

    name = models.CharField(_("nom"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    territory_code = models.CharField(_("code du territoire"), max_length=9, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("acteur")

    def __str__(self):
        return self.name


class Programme(Revisable):
    """A plan, programme or call for projects that groups announcements and funds or labels places."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("plan")
        PROGRAMME = "programme", _("programme")
        CALL = "call", _("appel à projets")
        STRATEGY = "strategy", _("stratégie")

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(_("nom"), max_length=300)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PROGRAMME)
    actors = models.ManyToManyField(Actor, related_name="programmes", blank=True)
    started_on = models.DateField(_("début"), null=True, blank=True)
    ended_on = models.DateField(_("fin"), null=True, blank=True)
    budget_eur = models.DecimalField(_("budget (€)"), max_digits=15, decimal_places=2, null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    places = models.ManyToManyField("places.Place", through="ProgrammePlace", related_name="programmes", blank=True)

    class Meta:
        ordering = ["started_on", "name"]
        verbose_name = _("programme")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("web:programme", args=[self.slug])

    def places_on(self, day):
        """The places the programme had taken in by `day` (a place that left it stays: what became of the
        places it funded is what an evaluation asks)."""
        return Place.objects.filter(models.Q(programme_links__since__isnull=True)  # the same rule in SQL:
                                    | models.Q(programme_links__since__lte=day),  # activity.snapshots
                                    programme_links__programme=self)


class ProgrammePlace(models.Model):
    """A place funded or labelled by a programme, from `since` to `until` (both optional: often only the
    year of the call is known). Edited as the programme's `places`, so every change is a revision of it."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="place_links")
    place = models.ForeignKey("places.Place", models.CASCADE, related_name="programme_links")
    since = models.DateField(_("depuis"), null=True, blank=True)
    until = models.DateField(_("jusqu'au"), null=True, blank=True)

    class Meta:
        db_table = "policy_programme_places"  # the table of the plain link it replaced, rows kept
        constraints = [models.UniqueConstraint(fields=["programme", "place"], name="policy_programme_place_once")]
        ordering = ["place__name"]

    def __str__(self):
        return f"{self.programme} — {self.place}"


class Announcement(Revisable, Cited):
    made_on = models.DateField(_("date"))
    title = models.CharField(_("titre"), max_length=300)
    text = models.TextField(_("texte ou citation"))
    actors = models.ManyToManyField(Actor, related_name="announcements", blank=True)
    territory_code = models.CharField(_("territoire (code)"), max_length=9, blank=True)
    programme = models.ForeignKey(Programme, models.SET_NULL, null=True, blank=True, related_name="announcements")
    source_url = models.URLField(_("source (adresse)"), max_length=500)
    source_title = models.CharField(_("titre du document source"), max_length=300, blank=True)
    source_page = models.CharField(_("page"), max_length=20, blank=True)

    class Meta:
        ordering = ["-made_on", "-id"]
        verbose_name = _("annonce")

    def __str__(self):
        return f"{self.made_on} — {self.title}"

    def get_absolute_url(self):
        return reverse("web:announcement", args=[self.pk])

    @property
    def cited_on(self):
        return self.made_on


class Figure(models.Model):
    """A figure of an announcement: found automatically, or corrected / added by hand."""

    class Kind(models.TextChoices):
        AMOUNT = "amount", _("montant")
        COUNT = "count", _("nombre")
        YEAR = "year", _("année")
        DEADLINE = "deadline", _("échéance")
        PERCENT = "percent", _("pourcentage")

    announcement = models.ForeignKey(Announcement, models.CASCADE, related_name="figures")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.FloatField()
    high = models.FloatField(null=True, blank=True)  # the upper end of a range (« de 3 à 5 lieux »)
    unit = models.CharField(max_length=40, blank=True)
    text = models.CharField(max_length=200, blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    by_hand = models.BooleanField(default=False)
    key = models.CharField(max_length=80, db_index=True)

    class Meta:
        ordering = ["announcement", "start", "id"]


class TextSignature(models.Model):
    """MinHash band hashes of an announcement's text: the index behind recycled-announcement search."""

    announcement = models.ForeignKey(Announcement, models.CASCADE, related_name="bands")
    band = models.PositiveSmallIntegerField()
    hash = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["band", "hash"], name="signature_band")]


class Promise(Revisable):
    """A target quoted from an announcement: metric, value, unit, deadline, territory."""

    announcement = models.ForeignKey(Announcement, models.PROTECT, related_name="promises")
    programme = models.ForeignKey(Programme, models.SET_NULL, null=True, blank=True, related_name="promises")
    metric = models.CharField(_("indicateur"), max_length=200)
    target_value = models.FloatField(_("cible"))
    unit = models.CharField(_("unité"), max_length=40)
    deadline = models.DateField(_("échéance"), null=True, blank=True)
    territory_code = models.CharField(_("territoire (code)"), max_length=9, blank=True)
    quote = models.TextField(_("citation"), blank=True)
    count_from_registry = models.BooleanField(
        _("compter depuis le registre"), default=False,
        help_text=_("le résultat se compte d'après les lieux du programme présents dans le registre"))

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("promesse")

    def __str__(self):
        return f"{self.metric} : {self.target_value:g} {self.unit}"

    def get_absolute_url(self):
        return reverse("web:promise", args=[self.pk])


def validate_distribution(value):
    """A study's distribution: [{"label": …, "count": n, "band": activity band code or ""}, …]."""
    if not isinstance(value, list):
        raise ValidationError(_("une liste de groupes attendue : [{\"label\": …, \"count\": …}]"))
    for line, group in enumerate(value, start=1):
        if not isinstance(group, dict) or set(group) - {"label", "count", "band"}:
            raise ValidationError(_("groupe %(n)s : label, count et band (facultatif) seulement") % {"n": line})
        label, count, band = group.get("label"), group.get("count"), group.get("band", "")
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            raise ValidationError(_("groupe %(n)s : un libellé de 1 à 200 caractères") % {"n": line})
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValidationError(_("groupe %(n)s : un nombre entier positif ou nul") % {"n": line})
        if not isinstance(band, str) or not re.fullmatch(r"[a-z0-9_]{0,40}", band):
            raise ValidationError(_("groupe %(n)s : un code de bande d'activité (lettres, chiffres, _)") % {"n": line})


class Outcome(Revisable, Cited):
    """What came of a promise: a measured value, or a published study with the distribution it found (how
    many places in each group), which evaluation pages show beside the places' own reports."""

    promise = models.ForeignKey(Promise, models.PROTECT, related_name="outcomes")
    value = models.FloatField(_("valeur mesurée"))
    measured_on = models.DateField(_("mesurée le"))
    source_url = models.URLField(_("source"), max_length=500)
    method = models.CharField(_("méthode"), max_length=300, blank=True,
                              help_text=_("comment la valeur a été mesurée : comptage, enquête, rapport officiel…"))
    note = models.TextField(_("note"), blank=True)
    distribution = models.JSONField(
        _("répartition (étude)"), default=list, blank=True, validators=[validate_distribution],
        help_text=_("pour une étude : les lieux comptés dans chaque groupe, avec la bande d'activité qui lui "
                    "correspond quand il y en a une"))

    class Meta:
        ordering = ["measured_on", "id"]
        verbose_name = _("résultat")

    @property
    def cited_on(self):
        return self.measured_on

    @property
    def is_study(self):
        return bool(self.distribution)


class Reply(Revisable):
    """Right of reply: an actor's answer about one of its promises or outcomes, shown beside the status
    Tilios gives it. Revisable like everything in the archive (pending for new contributors, history)."""

    actor = models.ForeignKey(Actor, models.PROTECT, related_name="replies", verbose_name=_("acteur"))
    promise = models.ForeignKey(Promise, models.PROTECT, null=True, blank=True, related_name="replies")
    outcome = models.ForeignKey(Outcome, models.PROTECT, null=True, blank=True, related_name="replies")
    made_on = models.DateField(_("date"))
    text = models.TextField(_("réponse"))
    source_url = models.URLField(_("source"), max_length=500, blank=True)

    class Meta:
        ordering = ["made_on", "id"]
        verbose_name = _("droit de réponse")
        constraints = [models.CheckConstraint(
            condition=models.Q(promise__isnull=False, outcome__isnull=True)
            | models.Q(promise__isnull=True, outcome__isnull=False), name="reply_to_one_thing")]

    def __str__(self):
        return f"{self.actor} — {self.made_on:%d/%m/%Y}"

    def get_absolute_url(self):
        promise_id = self.promise_id or self.outcome.promise_id
        return reverse("web:promise", args=[promise_id]) + f"#reponse-{self.pk}"
